//! The roster (`surveys/roster.csv`: `login,team,start_date[,email][,timezone]`): who works
//! here, since when, in which team. CSV as spreadsheets write it: columns by header name, quoted
//! fields, a BOM. Validated row by row: a bad row is reported with its line and column and the
//! good rows still load. Blank lines are skipped. A start is local midnight of `start_date` in
//! the row's IANA `timezone` (UTC when absent). The team may be left empty: the developer's team
//! then comes from GitHub team membership ([`super::team_members`]), and importing the roster
//! again keeps it.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

use super::{CollectError, Run};
use crate::config::RosterConfig;
use crate::model::{Developer, Team};
use crate::names::{Login, TeamName};
use crate::store::FactBatch;

/// What a roster file holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Roster {
    /// The developers of the good lines.
    pub developers: Vec<Developer>,
    /// Their teams, once each (source `roster`).
    pub teams: Vec<Team>,
    /// One message per bad row: `line N, column C: why` (`line N: why` for the whole row).
    pub errors: Vec<String>,
}

/// Imports `roster.file` in `run`: the good lines are written, each bad one is a warning (a
/// missing file too: dxs then runs without a roster).
pub(super) async fn import(run: &mut Run<'_>) -> Result<(), CollectError> {
    let path = &run.config.roster.file;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            run.warn(format!("roster {}: {e}", path.display()));
            return Ok(());
        }
    };
    let roster = parse(&text);
    for error in &roster.errors {
        run.warn(format!("roster {}: {error}", path.display()));
    }
    let batch = FactBatch {
        teams: roster.teams,
        developers: roster.developers,
        ..FactBatch::default()
    };
    run.write(&batch).await?;
    Ok(())
}

/// The logins of the roster's developers with no team (none when the file cannot be read:
/// the roster's import says why).
pub(super) fn teamless(config: &RosterConfig) -> Vec<String> {
    let text = std::fs::read_to_string(&config.file).unwrap_or_default();
    parse(&text)
        .developers
        .into_iter()
        .filter(|d| d.team.is_empty())
        .map(|d| d.login)
        .collect()
}

/// The roster's columns, by header name (a file without a header has them in this order).
const COLUMNS: [&str; 5] = ["login", "team", "start_date", "email", "timezone"];

/// Parses the roster text: CSV as spreadsheets write it (a UTF-8 BOM, quoted fields holding
/// commas, columns in any order named by the header). Without a header line the columns are
/// `login,team,start_date[,email[,timezone]]`.
pub fn parse(text: &str) -> Roster {
    let text = text.trim_start_matches('\u{feff}');
    let mut roster = Roster::default();
    let mut logins = HashSet::new();
    let mut teams = HashSet::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut columns: Option<Vec<String>> = None;
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(text, p.byte()));
                roster.errors.push(format!("line {line}: not CSV: {e}"));
                continue;
            }
        };
        let number = record.position().map_or(0, |p| line_at(text, p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let names = match &columns {
            Some(names) => names,
            None => {
                let header = record.iter().any(|f| f.eq_ignore_ascii_case("login"));
                let names = match header {
                    true => record.iter().map(str::to_ascii_lowercase).collect(),
                    false => COLUMNS.iter().map(|c| c.to_string()).collect(),
                };
                let names = columns.insert(names);
                if header {
                    continue;
                }
                names
            }
        };
        match parse_row(&Row {
            names,
            record: &record,
        }) {
            Ok(d) if !logins.insert(d.login.to_ascii_lowercase()) => roster
                .errors
                .push(format!("line {number}: {} is listed twice", d.login)),
            Ok(d) => {
                if !d.team.is_empty() && teams.insert(d.team.clone()) {
                    roster.teams.push(Team {
                        name: d.team.clone(),
                        source: "roster".into(),
                    });
                }
                roster.developers.push(d);
            }
            Err((column, reason)) => roster
                .errors
                .push(format!("line {number}, column {column}: {reason}")),
        }
    }
    roster
}

/// The line number (from 1) of the row starting at byte `at` of `text`: the reader's own
/// position may stand on the line ending or the blank lines before the row.
fn line_at(text: &str, at: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut at = (at as usize).min(bytes.len());
    while bytes.get(at).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
        at += 1;
    }
    1 + bytes[..at].iter().filter(|b| **b == b'\n').count() as u64
}

/// A row and the names of its columns.
struct Row<'a> {
    names: &'a [String],
    record: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    /// The field of column `name` (`""` when the file has no such column or the row is short).
    fn get(&self, name: &str) -> &'a str {
        let i = self.names.iter().position(|n| n == name);
        i.and_then(|i| self.record.get(i)).unwrap_or("")
    }
}

/// One row; a bad field is `(column, why)`.
fn parse_row(row: &Row<'_>) -> Result<Developer, (&'static str, String)> {
    let field = |name: &str| row.get(name);
    let login: Login = field("login")
        .parse()
        .map_err(|e: crate::names::NameError| ("login", e.to_string()))?;
    // An empty team is allowed: it comes from GitHub team membership.
    let team = match field("team") {
        "" => String::new(),
        team => team
            .parse::<TeamName>()
            .map_err(|e| ("team", e.to_string()))?
            .into(),
    };
    let date = field("start_date");
    let start = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| ("start_date", format!("expected YYYY-MM-DD, got {date:?}")))?;
    let email = match field("email") {
        "" => None,
        e if e.contains('@') => Some(e.to_string()),
        e => return Err(("email", format!("expected an address, got {e:?}"))),
    };
    let zone = field("timezone");
    let start_at = match zone {
        "" => start.and_time(NaiveTime::MIN).and_utc().timestamp(),
        zone => {
            let tz: Tz = zone.parse().map_err(|_| {
                (
                    "timezone",
                    format!("expected an IANA time zone such as Europe/Paris, got {zone:?}"),
                )
            })?;
            local_midnight(tz, start)
        }
    };
    Ok(Developer {
        login: login.into(),
        team,
        start_at,
        email,
    })
}

/// The first instant of `day` in `tz` (midnight, or the end of a daylight-saving gap that
/// swallows it), UNIX seconds.
fn local_midnight(tz: Tz, day: NaiveDate) -> i64 {
    (0..=4)
        .filter_map(|hour| {
            let local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0)?);
            tz.from_local_datetime(&local).earliest()
        })
        .map(|t| t.timestamp())
        .next()
        .unwrap_or_else(|| day.and_time(NaiveTime::MIN).and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_lines_load_and_bad_lines_are_numbered() {
        let text = "login,team,start_date,email\n\
                    ada,payments,2026-10-01,ada@acme.io\n\
                    \n\
                    bob,search,2026-13-01\n\
                    cy,search,2026-10-05\n\
                    ada,search,2026-10-07\n\
                    d@n,payments,2026-10-01\n\
                    eve,,2026-10-01\n\
                    fay,payments\n\
                    gus,payments,2026-10-02,not-an-email\n";
        let r = parse(text);
        let logins: Vec<&str> = r.developers.iter().map(|d| d.login.as_str()).collect();
        assert_eq!(logins, ["ada", "cy", "eve"]);
        assert_eq!(r.developers[2].team, "", "eve's team: from GitHub");
        assert_eq!(r.developers[0].start_at, 1_790_812_800);
        assert_eq!(r.developers[0].email.as_deref(), Some("ada@acme.io"));
        assert_eq!(r.teams.len(), 2);
        let numbers: Vec<&str> = r
            .errors
            .iter()
            .map(|e| e.split(':').next().unwrap())
            .collect();
        assert_eq!(
            numbers,
            [
                "line 4, column start_date",
                "line 6",
                "line 7, column login",
                "line 9, column start_date",
                "line 10, column email"
            ]
        );
        assert!(r.errors[1].contains("twice"), "{:?}", r.errors);
    }

    #[test]
    fn spreadsheet_csv_columns_by_header_quoted_commas_a_bom_and_local_midnights() {
        let text = "\u{feff}Login,Name,start_date,team,timezone,email\r\n\
                    JaneDoe,\"Doe, Jane\",2026-10-01,payments,America/Los_Angeles,\"jane@acme.io\"\r\n\
                    raj,\"Iyer, Raj\",2026-10-01,search,Asia/Kolkata,\r\n\
                    max,\"Mustermann, Max\",2026-10-01,search,Mars/Olympus,\r\n\
                    zed,Zed,01/10/2026,search,,\r\n\
                    ana,\"Lopez, Ana\",2026-10-01,search,,\r\n";
        let r = parse(text);
        let got: Vec<(&str, &str, i64)> = r
            .developers
            .iter()
            .map(|d| (d.login.as_str(), d.team.as_str(), d.start_at))
            .collect();
        // 2026-10-01 00:00 UTC is 1,790,812,800. Los Angeles is on PDT (UTC−7): +7 h;
        // Kolkata is UTC+5:30: −5 h 30; no time zone: UTC.
        assert_eq!(
            got,
            [
                ("JaneDoe", "payments", 1_790_812_800 + 7 * 3600),
                ("raj", "search", 1_790_812_800 - 5 * 3600 - 1800),
                ("ana", "search", 1_790_812_800),
            ]
        );
        assert_eq!(r.developers[0].email.as_deref(), Some("jane@acme.io"));
        assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
        assert!(
            r.errors[0].starts_with("line 4, column timezone: ")
                && r.errors[0].contains("Mars/Olympus"),
            "{:?}",
            r.errors
        );
        assert!(
            r.errors[1].starts_with("line 5, column start_date: "),
            "{:?}",
            r.errors
        );
    }
}

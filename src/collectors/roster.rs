//! The roster (`surveys/roster.csv`: `login,team,start_date[,email]`): who works here, since
//! when, in which team. Validated line by line: a bad line is reported with its number and the
//! good lines still load. A header line (`login,…`) and blank lines are skipped. The team may be
//! left empty: the developer's team then comes from GitHub team membership
//! ([`super::team_members`]), and importing the roster again keeps it.

use std::collections::HashSet;

use chrono::NaiveDate;

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
    /// One message per bad line: `line N: why`.
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

/// Parses the roster text.
pub fn parse(text: &str) -> Roster {
    let mut roster = Roster::default();
    let mut logins = HashSet::new();
    let mut teams = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let line = line.trim();
        if line.is_empty() || (number == 1 && line.to_ascii_lowercase().starts_with("login,")) {
            continue;
        }
        match parse_line(line) {
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
            Err(reason) => roster.errors.push(format!("line {number}: {reason}")),
        }
    }
    roster
}

fn parse_line(line: &str) -> Result<Developer, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    if !(3..=4).contains(&fields.len()) {
        return Err(format!(
            "expected login,team,start_date[,email], got {} fields",
            fields.len()
        ));
    }
    let login: Login = fields[0].parse().map_err(|e| format!("login: {e}"))?;
    // An empty team is allowed: it comes from GitHub team membership.
    let team = match fields[1] {
        "" => String::new(),
        team => team
            .parse::<TeamName>()
            .map_err(|e| format!("team: {e}"))?
            .into(),
    };
    let start = NaiveDate::parse_from_str(fields[2], "%Y-%m-%d")
        .map_err(|_| format!("start_date: expected YYYY-MM-DD, got {:?}", fields[2]))?;
    let email = match fields.get(3) {
        None | Some(&"") => None,
        Some(e) if e.contains('@') => Some(e.to_string()),
        Some(e) => return Err(format!("email: expected an address, got {e:?}")),
    };
    Ok(Developer {
        login: login.into(),
        team,
        start_at: start
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp(),
        email,
    })
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
        assert_eq!(numbers, ["line 4", "line 6", "line 7", "line 9", "line 10"]);
        assert!(r.errors[0].contains("start_date"), "{:?}", r.errors);
        assert!(r.errors[1].contains("twice"), "{:?}", r.errors);
    }
}

//! The report's first screen: the DXS with its change and coverage, what moved it (the
//! drivers), the four DORA keys with their tiers and change, and the survey's participation.
//! Formatted from the snapshots of the quarter and of the one before it.

use crate::scoring::{Driver, Rules, SurveyStatus, TeamScore, Tier};

/// One component's contribution to the DXS change, formatted.
pub struct DriverRow {
    /// Component id.
    pub component: String,
    /// Short label.
    pub label: String,
    /// Points of DXS, signed, two decimals.
    pub contribution: String,
    /// Bar width, percent of the largest contribution.
    pub width: u32,
    /// It raised the DXS.
    pub up: bool,
}

/// A DORA key with its tier and change.
pub struct KeyRow {
    /// Key name.
    pub name: &'static str,
    /// Value now, or "no data".
    pub value: String,
    /// DORA tier, lower-case, or empty.
    pub tier: String,
    /// Change since the previous quarter, signed with its unit, or empty.
    pub change: String,
    /// The change is an improvement (a shorter time, more rollouts, fewer failures).
    pub better: bool,
}

/// Short label of a component.
pub fn label(component: &str, rules: &Rules) -> String {
    let known = match component {
        "deploy_ease" => "Ease of deploying",
        "wait_time" => "Waiting for infrastructure",
        "docs_clarity" => "Docs clarity",
        "nps" => "Recommend (NPS)",
        "lead_time" => "Lead time",
        "onboarding" => "Onboarding",
        "self_service" => "Self-service",
        "adoption" => "Adoption",
        "change_failure" => "Change failure",
        "recovery" => "Recovery",
        other => {
            let question = rules
                .survey
                .questions
                .iter()
                .find(|q| q.component.as_deref() == Some(other));
            return question.map_or(other.replace('_', " "), |q| q.text.clone());
        }
    };
    known.to_string()
}

/// The drivers of `t`, formatted, largest first.
pub fn driver_rows(drivers: &[Driver], rules: &Rules) -> Vec<DriverRow> {
    let largest = drivers
        .iter()
        .map(|d| d.contribution.abs())
        .fold(0.0, f64::max);
    drivers
        .iter()
        .map(|d| DriverRow {
            component: d.component.clone(),
            label: label(&d.component, rules),
            contribution: format!("{:+.2}", d.contribution),
            width: if largest > 0.0 {
                (d.contribution.abs() / largest * 100.0).round() as u32
            } else {
                0
            },
            up: d.contribution >= 0.0,
        })
        .collect()
}

/// Why `t` has no drivers, when it has none: no previous quarter with a score, no data, or a
/// partial DXS in either quarter.
pub fn why_no_drivers(t: &TeamScore, previous: Option<&TeamScore>, prev_name: &str) -> String {
    if !t.drivers.is_empty() {
        return String::new();
    }
    match (t.dxs, previous.map(|p| (p.dxs, p.partial))) {
        (None, _) if t.partial && !t.components.is_empty() => format!(
            "No drivers: this quarter's DXS is partial ({:.0}% of the weight has data).",
            t.coverage * 100.0
        ),
        (None, _) => "No drivers: no DXS this quarter.".into(),
        (Some(_), None) | (Some(_), Some((None, false))) => {
            format!("No drivers: {prev_name} has no score to compare with.")
        }
        (Some(_), Some((None, true))) => {
            format!("No drivers: {prev_name}'s DXS was partial, so there is no change to explain.")
        }
        (Some(_), Some((Some(_), _))) => "No component moved.".into(),
    }
}

/// Hours as the report shows them: `5.2 h`, or days from 48 h.
pub fn hours(h: Option<f64>) -> String {
    h.map_or("–".into(), |h| {
        if h >= 48.0 {
            format!("{:.1} d", h / 24.0)
        } else {
            format!("{h:.1} h")
        }
    })
}

/// A tier, lower-case, or empty.
pub fn tier(t: Option<Tier>) -> String {
    t.map_or(String::new(), |t| format!("{t:?}").to_lowercase())
}

/// The four DORA keys of `t`, with their change against `then`.
pub fn keys(t: &TeamScore, then: Option<&TeamScore>) -> Vec<KeyRow> {
    let change = |now: Option<f64>, before: Option<f64>, unit: &str, lower_better: bool| match now
        .zip(before)
    {
        Some((a, b)) => {
            let d = a - b;
            let digits = if unit.is_empty() { 2 } else { 1 };
            (
                format!("{d:+.digits$}{unit}"),
                (d < 0.0) == lower_better && d != 0.0,
            )
        }
        None => (String::new(), false),
    };
    let lead = t.lead_time_hours.median;
    let freq = t.deployments.per_service_week;
    let cfr = t.change_failure.rate;
    let rec = t.change_failure.recovery_hours.median;
    let (lead_c, lead_b) = change(
        lead,
        then.and_then(|p| p.lead_time_hours.median),
        " h",
        true,
    );
    let (freq_c, freq_b) = change(
        freq,
        then.and_then(|p| p.deployments.per_service_week),
        "",
        false,
    );
    let (cfr_c, cfr_b) = change(
        cfr.map(|r| r * 100.0),
        then.and_then(|p| p.change_failure.rate).map(|r| r * 100.0),
        " pts",
        true,
    );
    let (rec_c, rec_b) = change(
        rec,
        then.and_then(|p| p.change_failure.recovery_hours.median),
        " h",
        true,
    );
    vec![
        KeyRow {
            name: "Lead time for changes",
            value: lead.map_or("no data".into(), |h| format!("{} median", hours(Some(h)))),
            tier: tier(t.dora.lead_time),
            change: lead_c,
            better: lead_b,
        },
        KeyRow {
            name: "Deployment frequency",
            value: freq.map_or("no data".into(), |f| format!("{f:.2} / service / week")),
            tier: tier(t.dora.deployment_frequency),
            change: freq_c,
            better: freq_b,
        },
        KeyRow {
            name: "Change failure rate",
            value: cfr.map_or("no data".into(), |r| {
                format!(
                    "{:.1}% ({} of {})",
                    r * 100.0,
                    t.change_failure.failed,
                    t.change_failure.rollouts
                )
            }),
            tier: tier(t.change_failure.tier),
            change: cfr_c,
            better: cfr_b,
        },
        KeyRow {
            name: "Failed deployment recovery",
            value: rec.map_or("no data".into(), |h| format!("{} median", hours(Some(h)))),
            tier: tier(t.change_failure.recovery_tier),
            change: rec_c,
            better: rec_b,
        },
    ]
}

/// The participation and status of the survey a score shows: `2026-Q4, open until
/// 2026-12-22: 81 of 120 invited (68%)`; a group with 1 to k − 1 responses of an open survey
/// shows `fewer than 5 of 12 invited`.
pub fn participation(t: &TeamScore) -> String {
    let s = &t.survey;
    let Some(quarter) = &s.quarter else {
        return "no invites yet".into();
    };
    let closes = s
        .closes_at
        .as_deref()
        .map_or("", |at| at.get(..10).unwrap_or(at));
    let status = match s.status {
        Some(SurveyStatus::Open) => format!("open until {closes}"),
        _ => format!("closed {closes}"),
    };
    let answered = match (s.responses, s.fewer_than, s.response_rate) {
        (Some(n), _, Some(rate)) => {
            format!("{n} of {} invited ({:.0}%)", s.invites, rate * 100.0)
        }
        (Some(n), _, None) => format!("{n} responses"),
        (None, Some(k), _) => format!("fewer than {k} of {} invited", s.invites),
        (None, None, _) => "no responses".into(),
    };
    format!("{quarter}, {status}: {answered}")
}

/// Which closed survey the figures are from: none yet, this one, or an earlier one.
pub fn figures_note(t: &TeamScore, k: i64) -> String {
    match (&t.survey.figures_quarter, &t.survey.quarter) {
        (None, _) => "No survey has closed yet: survey figures publish at its close.".into(),
        (Some(f), Some(q)) if f == q => {
            format!("A team's survey figures show from {k} responses.")
        }
        (Some(f), _) => format!(
            "Survey figures are those of {f}, the latest closed survey; a team's show from \
             {k} responses."
        ),
    }
}

/// The component that costs `t` the most points of DXS: the largest wᵢ·(100 − cᵢ)/Σw over
/// the components with data, as `label −points`.
pub fn costliest(t: &TeamScore, rules: &Rules) -> String {
    let total: f64 = t
        .components
        .keys()
        .map(|c| rules.weights.of(c))
        .filter(|w| *w > 0.0)
        .sum();
    if total <= 0.0 {
        return "–".into();
    }
    t.components
        .iter()
        .map(|(c, v)| (c, rules.weights.of(c) * (100.0 - v) / total))
        .filter(|(_, cost)| *cost > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or("–".into(), |(c, cost)| {
            format!("{} −{cost:.1}", label(c, rules))
        })
}

//! The demo's survey: one invite per developer per quarter, about seven in ten answered, with
//! answers that follow each team's platform maturity, each quarter's survey opened the day its
//! answers start. Question ids are those of `surveys/quarterly.toml`.

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::org::{hex_id, normal, seeded, Org, TEAMS};
use super::{DemoData, DemoResponse};
use crate::model::{invite_hash, Answer};
use crate::quarter::{midnight_utc, Quarter};

/// Ten pain points, each in three phrasings as developers write them (the first of each is
/// the one less mature teams name first: waiting for infrastructure).
const PAIN_POINTS: [[&str; 3]; 10] = [
    [
        "Waiting for infrastructure tickets to be approved",
        "Infrastructure tickets sit in a queue for days",
        "Every new resource needs infrastructure tickets",
    ],
    [
        "Flaky CI pipelines slow down every merge",
        "CI pipelines are slow and flaky",
        "Slow CI pipelines, twenty minutes per push",
    ],
    [
        "Outdated documentation, so I ask on Slack instead",
        "Outdated documentation for the platform tools",
        "Runbooks and outdated documentation",
    ],
    [
        "Hard to find the service ownership of an alert",
        "Service ownership is unclear",
        "Unclear service ownership when something breaks",
    ],
    [
        "Setting up a local environment takes too long",
        "The local environment breaks after every update",
        "Local environment setup is slow",
    ],
    [
        "Production deploys need manual approvals",
        "Manual approvals for every production deploy",
        "Too many manual approvals before a release",
    ],
    [
        "Secrets management is confusing",
        "Secrets management needs a simpler workflow",
        "No clear secrets management for new services",
    ],
    [
        "Tool sprawl: too many tools for a simple change",
        "Tool sprawl across teams",
        "Tool sprawl and context switching",
    ],
    [
        "Waiting for database provisioning",
        "Database provisioning takes days",
        "Waiting days for database provisioning",
    ],
    [
        "Slow code reviews across teams",
        "Code reviews take days",
        "Waiting on code reviews from other teams",
    ],
];

/// Adds invites and responses for each quarter of the window up to `today` (excluded).
pub fn answer(org: &Org, seed: u64, today: NaiveDate, data: &mut DemoData) {
    let mut rng = seeded(seed, 2);
    let mut quarter = Quarter::containing(org.window_start);
    while quarter.first_day() < today {
        // Answers come in over the last month of the quarter, or over what has passed of it.
        let last = quarter.next().first_day().min(today);
        let mut first = (quarter.next().first_day() - Days::new(30)).max(quarter.first_day());
        if first >= last {
            first = (last - Days::new(30)).max(quarter.first_day());
        }
        let days = (last - first).num_days().max(1) as u64;
        // The current quarter's survey opened a week ago, so the demo shows one open (its
        // participation only) beside the closed ones of the quarters before.
        let opened = if last == today {
            (today - Days::new(7)).max(quarter.first_day())
        } else {
            first
        };
        data.survey_opens
            .push((quarter.to_string(), midnight_utc(opened)));
        for dev in &org.developers {
            if midnight_utc(dev.start) >= midnight_utc(last) {
                continue;
            }
            let token = hex_id(&mut rng, 16);
            let hash = invite_hash(&token);
            data.invites.push((
                hash.clone(),
                quarter.to_string(),
                TEAMS[dev.team].name.into(),
            ));
            if !rng.random_bool(0.72) {
                continue;
            }
            let day = first + Days::new(rng.random_range(0..days));
            if day >= today {
                continue;
            }
            let maturity = org.maturity(dev.team, day);
            data.responses.push(DemoResponse {
                invite_hash: hash,
                // The phrasing follows from the invite (already drawn), so the demo's numbers
                // do not move with it.
                answers: answers(&mut rng, maturity, usize::from(token.as_bytes()[0]) % 3),
            });
        }
        quarter = quarter.next();
    }
}

fn answers(rng: &mut ChaCha8Rng, maturity: f64, phrasing: usize) -> Vec<Answer> {
    let scale = |rng: &mut ChaCha8Rng, mean: f64, sd: f64, lo: f64, hi: f64| {
        normal(rng, mean, sd).round().clamp(lo, hi)
    };
    let number = |question: &str, value: f64| Answer {
        question: question.into(),
        number: Some(value),
        text: None,
    };
    let text = |question: &str, value: &str| Answer {
        question: question.into(),
        number: None,
        text: Some(value.into()),
    };
    let roll: f64 = rng.random();
    let wait = if roll < 0.1 + 0.5 * maturity {
        "never"
    } else if roll < 0.6 + 0.35 * maturity {
        "sometimes"
    } else {
        "often"
    };
    let mut answers = vec![
        number(
            "deploy_ease",
            scale(rng, 2.5 + 7.0 * maturity, 1.5, 1.0, 10.0),
        ),
        text("wait_time", wait),
        number(
            "docs_clarity",
            scale(rng, 3.0 + 5.0 * maturity, 1.8, 1.0, 10.0),
        ),
        number(
            "recommend",
            scale(rng, 3.5 + 6.0 * maturity, 2.0, 0.0, 10.0),
        ),
    ];
    if rng.random_bool(0.6) {
        // Less mature teams complain about waiting first.
        let index = if rng.random_bool(0.5 * (1.0 - maturity)) {
            [0, 8][rng.random_range(0..2)]
        } else {
            rng.random_range(0..PAIN_POINTS.len())
        };
        answers.push(text("pain_point", PAIN_POINTS[index][phrasing]));
    }
    answers
}

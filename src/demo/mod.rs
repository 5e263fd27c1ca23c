//! The demo organisation: a deterministic synthetic company for the embedded default.
//!
//! [`generate`] builds, from a seed and a day, the facts a real collection would have found
//! (6 teams, 120 developers, 43 repositories, four quarters of commits, deployments,
//! self-service requests and survey responses; among them a monorepo of two services and a
//! GitOps Application over a config repository, with a redeploy, a re-sync and a rollback); [`fill`] writes them through the same store
//! functions as the collectors and the survey form, so demo data is indistinguishable from
//! collected data. The same seed and day give the same facts.

mod activity;
mod delivery;
mod incidents;
mod org;
mod survey;

use std::fmt;

use chrono::NaiveDate;

use crate::collectors::Source;
use crate::config::{Config, DEFAULT_MIN_GROUP_SIZE};
use crate::model::{Answer, Cursor};
use crate::quarter::Quarter;
use crate::seal::SealKey;
use crate::secret::Secret;
use crate::store::{FactBatch, Result, Store, SubmitOutcome};

/// Seed used when none is given.
pub const DEFAULT_SEED: u64 = 42;
/// Collector source under which the demo marks a finished fill.
const DEMO_SOURCE: &str = "demo";

/// One demo survey response: an invite hash and the answers.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoResponse {
    /// SHA-256 (hex) of the invite token.
    pub invite_hash: String,
    /// Answers, keyed by the question ids of `surveys/quarterly.toml`.
    pub answers: Vec<Answer>,
}

/// Everything the demo organisation holds.
#[derive(Debug, Clone, Default)]
pub struct DemoData {
    /// Teams, roster, repositories, commits, deployments, changes and requests.
    pub facts: FactBatch,
    /// Survey invites `(hash, quarter, team)`.
    pub invites: Vec<(String, String, String)>,
    /// When each quarter's survey opened `(quarter, UNIX seconds)`: the day its answers start
    /// coming in. The app closes those whose `survey.window_days` have passed.
    pub survey_opens: Vec<(String, i64)>,
    /// Survey responses, each answering one invite.
    pub responses: Vec<DemoResponse>,
}

/// Builds the demo organisation for `seed`, with activity over the four quarters up to `today`.
pub fn generate(seed: u64, today: NaiveDate) -> DemoData {
    let org = org::Org::generate(seed, today);
    let mut data = DemoData::default();
    let last_push = activity::simulate(&org, seed, today, &mut data.facts);
    incidents::add(seed, today, &mut data.facts);
    delivery::add(&org, seed, today, &mut data.facts);
    survey::answer(&org, seed, today, &mut data);
    org.write_into(&mut data.facts, &last_push, today);
    data
}

/// The configuration `dxs serve --demo` serves with: no collection schedule (the data is the
/// demo's), and, when no sign-in is configured, a one-off admin token so that the report shows
/// with no setup (returned, to be told to the person who started it).
pub fn serving(mut config: Config) -> (Config, Option<Secret>) {
    config.collect.interval_secs = 0;
    if config.auth.admin_token.is_some() || config.auth.trusted_user_header.is_some() {
        return (config, None);
    }
    let token = Secret::new(admin_token());
    config.auth.admin_token = Some(token.clone());
    (config, Some(token))
}

/// A random admin token (128 bits, hex).
fn admin_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What [`fill`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoSummary {
    /// The demo was written: rows inserted and responses stored.
    Filled {
        /// Fact rows inserted.
        rows: u64,
        /// Survey responses stored.
        responses: u64,
    },
    /// The demo of this seed is already there: nothing written.
    AlreadyThere,
    /// The database holds other data: the demo is not mixed into it.
    NotEmpty,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoSummary::Filled { rows, responses } => {
                write!(
                    f,
                    "demo organisation written ({rows} rows, {responses} survey responses)"
                )
            }
            DemoSummary::AlreadyThere => write!(
                f,
                "demo organisation already in the database, nothing added"
            ),
            DemoSummary::NotEmpty => {
                write!(f, "the database already holds other data, demo not added")
            }
        }
    }
}

/// Writes the demo organisation into an empty `store`. A database that has it already, or
/// that holds other data, is left as it is. The facts are written in one transaction, with a
/// marker cursor, so an interrupted fill leaves no half organisation behind.
pub async fn fill(store: &Store, seed: u64, today: NaiveDate) -> Result<DemoSummary> {
    if store.cursor(DEMO_SOURCE, "").await?.is_some() {
        return Ok(DemoSummary::AlreadyThere);
    }
    if store.counts().await?.teams > 0 {
        return Ok(DemoSummary::NotEmpty);
    }
    let started = std::time::Instant::now();
    let mut data = generate(seed, today);
    tracing::info!(
        facts = data.facts.len(),
        responses = data.responses.len(),
        "demo organisation generated"
    );
    for (quarter, at) in &data.survey_opens {
        store.open_survey(quarter, *at).await?;
    }
    store.create_invites(&data.invites).await?;
    // Sealed with a key of this fill only: every response is released below.
    let key = SealKey::random();
    let mut responses = 0;
    for response in &data.responses {
        if let SubmitOutcome::Stored = store
            .submit_response(&response.invite_hash, &response.answers, &key)
            .await?
        {
            responses += 1;
        }
    }
    // Synthetic answers need no waiting: every quarter's are released now, in one batch each,
    // and the surveys of the quarters that ended before `today` closed at their end (with the
    // default group size). The current one is closed by the app once its window has passed.
    store
        .release_responses(1, crate::quarter::midnight_utc(today), &key)
        .await?;
    let (current, k) = (
        Quarter::containing(today),
        i64::from(DEFAULT_MIN_GROUP_SIZE),
    );
    for (quarter, _) in &data.survey_opens {
        let end = quarter.parse().map_or(i64::MAX, Quarter::end);
        if end <= current.start() {
            store.close_survey(quarter, end, k, &key).await?;
        }
    }
    data.facts.cursors.push(Cursor {
        source: DEMO_SOURCE.into(),
        scope: String::new(),
        value: format!("seed={seed} day={today}"),
    });
    let rows = store.write_batch(&data.facts).await?;
    record_runs(store, &data.facts).await?;
    tracing::info!(
        rows,
        responses,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "demo organisation written"
    );
    Ok(DemoSummary::Filled { rows, responses })
}

/// GitHub's rate limit as the demo's GitHub run leaves it.
const DEMO_RATE_LIMIT_LEFT: i64 = 4_650;

/// Records the fill as one successful run of each source, with the facts that source would
/// have written, so the collector figures and dashboards have data from the start.
async fn record_runs(store: &Store, facts: &FactBatch) -> Result<()> {
    let deployments = |source: &str| {
        facts
            .deployments
            .iter()
            .filter(|d| d.source == source)
            .count()
    };
    let runs = [
        (
            Source::Github,
            facts.developers.len()
                + facts.repositories.len()
                + facts.commits.len()
                + deployments("github"),
            Some(DEMO_RATE_LIMIT_LEFT),
        ),
        (Source::Argocd, deployments("argocd"), None),
        (Source::Orchestrator, facts.requests.len(), None),
    ];
    for (source, items, rate_limit) in runs {
        let id = store.start_run(source.name()).await?;
        store.finish_run(id, items as i64, None, rate_limit).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn same_seed_and_day_give_the_same_organisation() {
        let a = generate(7, day("2026-11-25"));
        let b = generate(7, day("2026-11-25"));
        assert_eq!(a.facts, b.facts);
        assert_eq!(a.invites, b.invites);
        assert_eq!(a.responses, b.responses);
        let c = generate(8, day("2026-11-25"));
        assert_ne!(a.facts.commits, c.facts.commits);
    }

    #[test]
    fn the_organisation_has_the_promised_shape() {
        let data = generate(DEFAULT_SEED, day("2026-11-25"));
        let f = &data.facts;
        assert_eq!(f.teams.len(), 6);
        assert_eq!(f.developers.len(), 120);
        assert_eq!(f.repositories.len(), 43);
        // Four quarters: 2026-Q1 to the day before 2026-11-25.
        let first = f.commits.iter().map(|c| c.committed_at).min().unwrap();
        let last = f.commits.iter().map(|c| c.committed_at).max().unwrap();
        assert!(
            first >= crate::quarter::midnight_utc(day("2026-01-01")),
            "{first}"
        );
        assert!(
            last < crate::quarter::midnight_utc(day("2026-11-25")),
            "{last}"
        );
        // Bots commit, but their commits are never changes.
        let bots = f.commits.iter().filter(|c| c.is_bot).count();
        assert!(bots > 100, "{bots} bot commits");
        let bot_shas: std::collections::HashSet<_> = f
            .commits
            .iter()
            .filter(|c| c.is_bot)
            .map(|c| &c.sha)
            .collect();
        assert!(f.changes.iter().all(|c| !bot_shas.contains(&c.sha)));
        // Both deployment sources, skewed lead times (mean well above median).
        assert!(f.deployments.iter().any(|d| d.source == "argocd"));
        assert!(f.deployments.iter().any(|d| d.source == "github"));
        let mut leads: Vec<i64> = f.changes.iter().map(|c| c.lead_time_seconds()).collect();
        leads.sort_unstable();
        let median = leads[leads.len() / 2] as f64;
        let mean = leads.iter().sum::<i64>() as f64 / leads.len() as f64;
        assert!(mean > 1.2 * median, "mean {mean} median {median}");
        // A few failing requests, most succeed.
        let failed = f
            .requests
            .iter()
            .filter(|r| r.status != crate::model::RequestStatus::Succeeded)
            .count();
        assert!(
            failed > 10 && failed * 5 < f.requests.len(),
            "{failed} of {}",
            f.requests.len()
        );
        // Survey: responses in each of the four quarters, mobile below five a quarter.
        let quarters: std::collections::BTreeSet<_> =
            data.invites.iter().map(|i| i.1.clone()).collect();
        assert_eq!(quarters.len(), 4, "{quarters:?}");
        assert!(data.responses.len() > 250, "{}", data.responses.len());
        // Some developers joined in the window and have no commit yet, or onboarded in it.
        let new = f
            .developers
            .iter()
            .filter(|d| d.start_at >= crate::quarter::midnight_utc(day("2026-01-01")))
            .count();
        assert!(new >= 5, "{new} new developers");
    }
}

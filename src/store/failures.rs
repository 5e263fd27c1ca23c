//! What judging a period's rollouts failed reads besides them (DESIGN §5, change failure rate):
//! the rollouts after the period up to the horizon (the period's end plus the revert window),
//! each service's next rollout after that, the incidents opened from the period's start on, the
//! reverting commits shipped from the start to the horizon and the changes they name. Bounded
//! by the period and the window, never "from the start to the end of time", and streamed like
//! the other scoring loads; services are coded in the same dictionary.

use std::collections::{HashMap, HashSet};

use super::copy_out::literal;
use super::scoring::{service_code, FactRange, ScoringFacts};
use super::stream::required;
use super::{with_pool, Result, Store};
use crate::model::Incident;

/// Services asked per statement for their next rollout.
const SERVICES_PER_QUERY: usize = 500;

/// A rollout or rollback, its service coded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedRollout {
    /// Service code.
    pub service: u32,
    /// The commit that went live.
    pub sha: String,
    /// A rollback.
    pub back: bool,
    /// Finish time.
    pub at: i64,
}

/// A reverting commit and when it first reached production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedRevert {
    /// Code of the service whose change it is.
    pub service: u32,
    /// The reverting commit.
    pub sha: String,
    /// The reverted commit as the message names it.
    pub reverted: String,
    /// When the reverting change was first deployed.
    pub deployed_at: i64,
}

/// A change (a commit of a service) and when it first reached production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedChange {
    /// Service code.
    pub service: u32,
    /// The commit.
    pub sha: String,
    /// When it was first deployed.
    pub deployed_at: i64,
}

/// The facts of [this module](self).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailureFacts {
    /// Rollouts and rollbacks after the period: up to the horizon, and then each service's
    /// next one (the end of its last rollout's watch for incidents).
    pub later: Vec<CodedRollout>,
    /// Incidents opened from the period's start on.
    pub incidents: Vec<Incident>,
    /// Reverting commits shipped from the period's start to the horizon.
    pub reverts: Vec<CodedRevert>,
    /// The changes those reverts name (full or abbreviated SHA), whenever they shipped.
    pub reverted: Vec<CodedChange>,
}

impl FailureFacts {
    /// Rows loaded, for the debug log.
    pub fn rows(&self) -> usize {
        self.later.len() + self.incidents.len() + self.reverts.len() + self.reverted.len()
    }
}

impl Store {
    /// Loads [`FailureFacts`] for `range` into `facts`, after the period's rollouts.
    pub(super) async fn load_failure_facts(
        &self,
        range: &FactRange,
        explicit: &HashMap<String, String>,
        facts: &mut ScoringFacts,
    ) -> Result<()> {
        // Every path service is known by name (an incident may name one without rollouts).
        let services = "SELECT name, repo FROM services ORDER BY name";
        let rows: Vec<(String, String)> =
            with_pool!(self, pool => sqlx::query_as(services).fetch_all(pool).await?);
        for (name, repo) in rows {
            service_code(facts, &name, &repo, explicit);
        }
        let later = format!(
            "SELECT service, repo, CAST(CASE WHEN kind = 'rollback' THEN 1 ELSE 0 END AS BIGINT), \
             finished_at, sha FROM rollouts WHERE finished_at >= {} AND finished_at < {}",
            range.end, range.horizon
        );
        self.stream_rollouts(&later, explicit, facts).await?;
        // A service whose last rollout is in the period watches for incidents until its next
        // one, which may come after the horizon (only for a quarter that ended a window ago).
        let watched: HashSet<u32> = facts.rollout_service.iter().copied().collect();
        let moved: HashSet<u32> = facts.failures.later.iter().map(|r| r.service).collect();
        let mut quiet: Vec<&str> = watched
            .difference(&moved)
            .map(|c| facts.service_names.values[*c as usize].as_str())
            .collect();
        quiet.sort_unstable();
        let queries: Vec<String> = quiet
            .chunks(SERVICES_PER_QUERY)
            .map(|chunk| {
                let list: Vec<String> = chunk.iter().map(|s| literal(s)).collect();
                format!(
                    "SELECT o.service, o.repo, \
                     CAST(CASE WHEN o.kind = 'rollback' THEN 1 ELSE 0 END AS BIGINT), \
                     o.finished_at, o.sha FROM rollouts o \
                     WHERE o.service IN ({}) AND o.finished_at >= {h} \
                     AND o.finished_at = (SELECT MIN(p.finished_at) FROM rollouts p \
                     WHERE p.service = o.service AND p.finished_at >= {h})",
                    list.join(", "),
                    h = range.horizon
                )
            })
            .collect();
        for sql in queries {
            self.stream_rollouts(&sql, explicit, facts).await?;
        }
        let incidents = "SELECT source, external_id, service, opened_at, resolved_at, severity \
                         FROM incidents WHERE opened_at >= $1 \
                         ORDER BY opened_at, source, external_id";
        facts.failures.incidents = with_pool!(self, pool => sqlx::query_as(incidents)
            .bind(range.start).fetch_all(pool).await?);
        // Reverts are few: each is joined to its change through the commit index (CROSS JOIN
        // keeps SQLite from walking the period's changes instead). `also` adds a table.
        let shipped = |also: &str| {
            format!(
                "FROM commit_reverts r CROSS JOIN deployment_changes rc{also} \
                 WHERE rc.sha = r.sha AND rc.repo = r.repo \
                 AND rc.deployed_at >= {} AND rc.deployed_at < {}",
                range.start, range.horizon
            )
        };
        let reverts = format!(
            "SELECT rc.service, rc.repo, r.sha, r.reverted, rc.deployed_at {} \
             ORDER BY rc.deployed_at, rc.service, r.sha, r.reverted",
            shipped("")
        );
        self.stream(&reverts, |r| {
            let service = service_code(facts, required(r.str(0)?)?, required(r.str(1)?)?, explicit);
            facts.failures.reverts.push(CodedRevert {
                service,
                sha: required(r.str(2)?)?.to_string(),
                reverted: required(r.str(3)?)?.to_string(),
                deployed_at: required(r.i64(4)?)?,
            });
            Ok(())
        })
        .await?;
        if facts.failures.reverts.is_empty() {
            return Ok(());
        }
        // The reverted commits, by prefix on the commit index (SHAs are lowercase hex: every
        // SHA starting with the prefix sorts before the prefix followed by 'g'). `c.repo || ''`
        // keeps SQLite from building an automatic index on every shipped commit's repository for
        // this one statement (3 s for a million shipped commits) instead of reading the SHA range.
        let reverted = format!(
            "SELECT DISTINCT c.service, c.repo, c.sha, c.deployed_at {} \
             AND c.sha >= r.reverted AND c.sha < r.reverted || 'g' AND c.repo || '' = r.repo \
             ORDER BY c.deployed_at, c.service, c.sha",
            shipped(" CROSS JOIN deployment_changes c")
        );
        self.stream(&reverted, |r| {
            let service = service_code(facts, required(r.str(0)?)?, required(r.str(1)?)?, explicit);
            facts.failures.reverted.push(CodedChange {
                service,
                sha: required(r.str(2)?)?.to_string(),
                deployed_at: required(r.i64(3)?)?,
            });
            Ok(())
        })
        .await
    }

    /// Streams rollout rows (`service, repo, rollback as 0/1, finished_at, sha`) into
    /// `facts.failures.later`.
    async fn stream_rollouts(
        &self,
        sql: &str,
        explicit: &HashMap<String, String>,
        facts: &mut ScoringFacts,
    ) -> Result<()> {
        self.stream(sql, |r| {
            let service = service_code(facts, required(r.str(0)?)?, required(r.str(1)?)?, explicit);
            facts.failures.later.push(CodedRollout {
                service,
                sha: required(r.str(4)?)?.to_string(),
                back: required(r.i64(2)?)? == 1,
                at: required(r.i64(3)?)?,
            });
            Ok(())
        })
        .await
    }
}

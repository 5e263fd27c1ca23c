//! Collectors: pull facts from GitHub, ArgoCD and the platform orchestrator into the store.
//!
//! Each source implements [`Collector`]. A run writes what it learns in batches, each batch with
//! its cursor in one transaction ([`Run::write`]): a failure or a crash writes nothing of the
//! batch and keeps the cursor, and writing a batch twice changes nothing. Collectors only write
//! facts; they never score. Each run is recorded in the store (`collector_runs`), which is where
//! `dxs_collector_runs_total{source,outcome}` comes from.

mod argocd;
mod changes;
mod first_commits;
mod github;
mod github_client;
mod github_org;
mod gitops;
pub mod http;
mod incidents;
mod kubernetes;
mod orchestrator;
mod progress;
mod pulls;
mod retry;
pub mod roster;
pub mod scheduler;
mod tags;
mod team_members;
mod transport;

use std::future::Future;
use std::sync::Arc;

use tracing::Instrument;

use crate::config::{Config, OrchestratorKind};
use crate::store::{FactBatch, Record, Store, StoreError};

pub use github_client::GithubAuthError;
pub use http::{HttpClient, HttpError, Stats};
use progress::Meter;
pub use progress::{Figures, Progress, Quiet};

/// Why a collector run failed.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// An upstream request failed for good.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// GitHub credentials could not be had (the app's key, its installation).
    #[error(transparent)]
    GithubAuth(#[from] GithubAuthError),
    /// The Kubernetes API could not be reached or refused (after the retries).
    #[error("kubernetes: {0}")]
    Kubernetes(String),
}

/// A source of facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// GitHub: roster, repositories, teams, deployments, changes, first commits.
    Github,
    /// ArgoCD: production sync history.
    Argocd,
    /// Platform orchestrator: Backstage scaffolder tasks and catalog ownership.
    Orchestrator,
    /// Kubernetes: namespaces (only with `[kubernetes] enabled = true`).
    Kubernetes,
}

impl Source {
    /// The sources every configuration has, in the order a full collection runs them: the
    /// catalog first, so that ownership and the services it names (paths of monorepos) are
    /// known before deployments are attributed and their changes filtered by path.
    pub const ALL: [Source; 3] = [Source::Orchestrator, Source::Github, Source::Argocd];

    /// The sources `config` collects from: those of [`Source::ALL`] that are configured, then
    /// Kubernetes when enabled.
    pub fn enabled(config: &Config) -> Vec<Source> {
        let mut sources: Vec<Source> = Source::ALL
            .into_iter()
            .filter(|s| s.not_configured(config).is_none())
            .collect();
        if config.kubernetes.enabled {
            sources.push(Source::Kubernetes);
        }
        sources
    }

    /// `None` when `config` configures this source; else one line naming it and saying how to
    /// configure it (an unset key means "not configured": there are no placeholder defaults).
    pub fn not_configured(self, config: &Config) -> Option<String> {
        let how = match self {
            Source::Github if config.github.org.is_empty() => {
                "set github.org (or DXS_GITHUB__ORG) to the organisation, with a token in the \
                 variable github.token_env names (GITHUB_TOKEN)"
            }
            Source::Argocd if config.argocd.url.is_empty() => {
                "set argocd.url (or DXS_ARGOCD__URL), with a token in the variable \
                 argocd.token_env names (ARGOCD_TOKEN)"
            }
            Source::Orchestrator
                if config.orchestrator.kind == OrchestratorKind::Backstage
                    && config.orchestrator.url.is_empty() =>
            {
                "set orchestrator.url (or DXS_ORCHESTRATOR__URL) to Backstage, or \
                 orchestrator.kind = \"webhook\" for an orchestrator that sends \
                 POST /webhooks/orchestrator"
            }
            Source::Kubernetes if !config.kubernetes.enabled => {
                "set [kubernetes] enabled = true (or DXS_KUBERNETES__ENABLED=true)"
            }
            _ => return None,
        };
        Some(format!("{}: not configured, skipped: {how}", self.name()))
    }

    /// The name in summaries, runs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Source::Github => "github",
            Source::Argocd => "argocd",
            Source::Orchestrator => "orchestrator",
            Source::Kubernetes => "kubernetes",
        }
    }
}

/// How a source's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was read and written.
    Success,
    /// The run stopped on an error; what was written before stays, the cursors of the rest
    /// did not move.
    Error,
}

impl Outcome {
    /// `success` or `error`, as in `collector_runs` and the metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Error => "error",
        }
    }
}

/// What one source's run did: everything metrics and the summary line need.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSummary {
    /// The source.
    pub source: Source,
    /// Success or error.
    pub outcome: Outcome,
    /// Rows written or changed.
    pub items: u64,
    /// Requests, pages, 304s and the last rate-limit figure.
    pub stats: Stats,
    /// The error of a failed run.
    pub error: Option<String>,
    /// Problems that did not stop the run (bad roster lines, unknown repositories).
    pub warnings: Vec<String>,
    /// The time of the earliest dated fact the run wrote or changed: the quarters from this
    /// one on may score differently. `None` when nothing dated changed.
    pub earliest_change: Option<i64>,
    /// End of the run, UNIX seconds.
    pub finished_at: i64,
}

impl std::fmt::Display for SourceSummary {
    /// `github: success (12 pages, 15 requests, 3 not modified, 40 items, rate limit 4990
    /// left)`, then `: error` for a failed run.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let figures = Figures {
            source: self.source,
            stats: self.stats,
            items: self.items,
        };
        let (source, outcome) = (self.source.name(), self.outcome.as_str());
        write!(f, "{source}: {outcome} ({figures})")?;
        if let Some(e) = &self.error {
            write!(f, ": {e}")?;
        }
        Ok(())
    }
}

/// One collector run on one source: the shared client, the store, where to start, and what the
/// run has written so far.
pub struct Run<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The store (its bookkeeping: cursors, runs, ETags; facts go through [`Run::write`]).
    pub store: &'a Store,
    /// Where the run's facts go (the app's door, which tells the pipeline, or the store).
    facts: &'a dyn Record,
    /// Collect from this time on instead of the cursors (UNIX seconds), and ask unconditionally.
    pub since: Option<i64>,
    http: &'a HttpClient,
    source: Source,
    meter: Arc<Meter>,
    earliest_change: Option<i64>,
    warnings: Vec<String>,
}

impl Run<'_> {
    /// A session with `token` whose requests count for this run; conditional (ETags) unless
    /// the run starts from `since`.
    pub fn api(&self, token: Option<crate::config::Secret>) -> http::Api {
        self.http
            .api(token, self.meter.clone(), self.since.is_none())
    }

    /// A session on GitHub through octocrab (`github.token_env` or the app of `github.app_id`),
    /// conditional like [`Run::api`].
    pub fn github_api(&self) -> Result<http::Api, CollectError> {
        Ok(self.http.github_api(
            &self.config.github,
            self.meter.clone(),
            self.since.is_none(),
        )?)
    }

    /// Writes `batch` (facts and cursors, one transaction) and reports progress.
    pub async fn write(&mut self, batch: &FactBatch) -> Result<(), StoreError> {
        let mut rows = 0;
        if !batch.is_empty() {
            rows = self.facts.record(batch).await?;
            if rows > 0 {
                self.earliest_change = match (self.earliest_change, batch.earliest()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        self.meter.written(rows);
        Ok(())
    }

    /// Runs `request` (one page of an upstream that is not plain HTTP JSON, such as kube-rs)
    /// under the shared retry policy: `Err((true, reason))` is retried with backoff,
    /// `Err((false, reason))` fails the source at once. Each try counts as a request, a success
    /// as a page.
    pub async fn retrying<T, F, Fut>(&self, mut request: F) -> Result<T, CollectError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, (bool, String)>>,
    {
        let policy = self.http.policy();
        let mut attempt = 0;
        loop {
            self.meter.count(|s| s.requests += 1);
            match request().await {
                Ok(value) => {
                    self.meter.count(|s| s.pages += 1);
                    return Ok(value);
                }
                Err((true, reason)) if attempt < policy.max_retries => {
                    tracing::warn!(source = self.source.name(), attempt, %reason, "retrying");
                    tokio::time::sleep(policy.backoff(attempt)).await;
                    attempt += 1;
                }
                Err((_, reason)) => {
                    let tries = attempt + 1;
                    return Err(CollectError::Kubernetes(format!(
                        "{reason} (after {tries} tries)"
                    )));
                }
            }
        }
    }

    /// Notes a problem that does not stop the run.
    pub fn warn(&mut self, warning: String) {
        tracing::warn!(source = self.source.name(), %warning);
        self.warnings.push(warning);
    }

    /// The cursor of `scope` in this source.
    pub async fn cursor(&self, scope: &str) -> Result<Option<String>, StoreError> {
        self.store.cursor(self.source.name(), scope).await
    }

    /// A cursor of this source, to write with a batch.
    pub fn new_cursor(&self, scope: &str, value: impl ToString) -> crate::model::Cursor {
        crate::model::Cursor {
            source: self.source.name().into(),
            scope: scope.into(),
            value: value.to_string(),
        }
    }
}

/// A source of facts: reads its upstream and writes batches through [`Run::write`].
pub trait Collector {
    /// Collects incrementally (from the cursors, or from `run.since`).
    fn collect(&self, run: &mut Run<'_>) -> impl Future<Output = Result<(), CollectError>> + Send;
}

/// Runs `sources` one after another, writing their facts through `facts`: each is recorded as
/// a run in the store, and a failed source does not stop the others; `progress` is told how far each has got. Returns one
/// summary per source.
pub async fn collect(
    config: &Config,
    facts: &dyn Record,
    http: &HttpClient,
    sources: &[Source],
    since: Option<i64>,
    progress: Arc<dyn Progress>,
) -> Vec<SourceSummary> {
    let store = facts.store();
    let mut summaries = Vec::with_capacity(sources.len());
    // The roster and [[services]] are for the sources every configuration has.
    let first_of_all = sources.iter().position(|s| Source::ALL.contains(s));
    for (i, &source) in sources.iter().enumerate() {
        let mut run = Run {
            config,
            store,
            facts,
            since,
            http,
            source,
            meter: Arc::new(Meter::new(source, progress.clone())),
            earliest_change: None,
            warnings: Vec::new(),
        };
        let result = match store.start_run(source.name()).await {
            Ok(id) => {
                let span = tracing::info_span!("collect", source = source.name(), run = id);
                let prepared = match Some(i) == first_of_all {
                    true => prepare(&mut run).instrument(span.clone()).await,
                    false => Ok(()),
                };
                let result = match source {
                    _ if prepared.is_err() => prepared,
                    Source::Github => {
                        github::GithubCollector
                            .collect(&mut run)
                            .instrument(span)
                            .await
                    }
                    Source::Argocd => {
                        argocd::ArgoCdCollector
                            .collect(&mut run)
                            .instrument(span)
                            .await
                    }
                    Source::Orchestrator => {
                        orchestrator::OrchestratorCollector
                            .collect(&mut run)
                            .instrument(span)
                            .await
                    }
                    Source::Kubernetes => {
                        kubernetes::KubernetesCollector
                            .collect(&mut run)
                            .instrument(span)
                            .await
                    }
                };
                let error = result.as_ref().err().map(ToString::to_string);
                let figures = run.meter.figures();
                let rate_limit = figures.stats.rate_limit_remaining;
                let finished = match store
                    .record_run_warnings(id, run.warnings.len() as i64)
                    .await
                {
                    Ok(()) => {
                        store
                            .finish_run(id, figures.items as i64, error.as_deref(), rate_limit)
                            .await
                    }
                    Err(e) => Err(e),
                };
                match finished {
                    Ok(()) => result,
                    Err(e) => result.and(Err(e.into())),
                }
            }
            Err(e) => Err(e.into()),
        };
        let error = result.err().map(|e| e.to_string());
        if let Some(e) = &error {
            tracing::error!(source = source.name(), error = %e, "collection failed");
        }
        let figures = run.meter.figures();
        let summary = SourceSummary {
            source,
            outcome: if error.is_some() {
                Outcome::Error
            } else {
                Outcome::Success
            },
            items: figures.items,
            stats: figures.stats,
            error,
            warnings: run.warnings,
            earliest_change: run.earliest_change,
            finished_at: chrono::Utc::now().timestamp(),
        };
        run.meter.finish(&summary);
        summaries.push(summary);
    }
    summaries
}

/// The facts the sources rely on, from local files and the configuration, written by the run
/// of the first of [`Source::ALL`]: the roster (bad lines are that run's warnings) and
/// `[[services]]`.
async fn prepare(run: &mut Run<'_>) -> Result<(), CollectError> {
    roster::import(run).await?;
    let rows = run.store.sync_config_services(&run.config.services).await?;
    run.meter.written(rows);
    Ok(())
}

/// Parses an RFC 3339 time into UNIX seconds.
pub(crate) fn unix(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp())
}

/// Formats UNIX seconds as RFC 3339 (UTC, `Z`), as GitHub's queries want it.
pub(crate) fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

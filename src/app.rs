//! The application: one [`App`] (configuration, store, metrics, pipeline), built once and handed
//! down, and the lifecycle of everything it runs in the background.
//!
//! [`App::start`] starts every task of a served dxs on one shutdown token: the first score and
//! publish, the pipeline's passes and replica poll, the collection schedule and the survey's
//! release tick. [`App::record`] is the one door for facts: collectors (through
//! [`crate::store::Record`]) and webhooks write through it, and it tells the pipeline which
//! quarters moved; the survey's release goes through [`App::release_survey`].
//!
//! The layers, each importing only those below it: `cli` → `web` → `app` → `pipeline`,
//! `collectors` → `scoring`, `metrics` → `store`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::collectors::{scheduler, HttpClient, Source, SourceSummary};
use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, Writer};
use crate::quarter::Quarter;
use crate::scoring::{self, Score, ScoringError};
use crate::store::{BoxFuture, FactBatch, Record, Store, StoreError};
use crate::survey::{self, release};

/// How often a served dxs releases the held survey responses that are due (a quarter that
/// ended with fewer than a batch held).
pub const RELEASE_TICK: Duration = Duration::from_secs(3600);

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A setting scoring or the collectors refuse (exit 2, naming the key).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The collectors' HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Everything dxs shares between its handlers and its background tasks.
pub struct App {
    /// The validated configuration.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// The Prometheus metrics, registered once, served by `/metrics`.
    pub metrics: Metrics,
    /// New facts → rescored quarters → published metrics, one pass at a time.
    pub pipeline: Pipeline,
    /// The one task that writes facts, in groups (answers once committed).
    writer: Writer,
    /// Teams [`App::team_known`] found in the store, known to this process from then on (teams
    /// are never deleted), so a webhook naming one again needs no query: a burst of webhooks
    /// would otherwise queue for the pool's connections, the writer's among them.
    known_teams: Mutex<HashSet<String>>,
}

impl App {
    /// The app of `config` on `store`, its weights checked (a bad one is a [`ConfigError`]
    /// naming its key), with fresh metrics and an idle pipeline. Starts nothing.
    pub fn new(config: Config, store: Store) -> Result<Arc<App>, ConfigError> {
        scoring::Rules::load(&config)?;
        // A dxs with no source configured (the demo, or before setup) keeps the counters of
        // every source at 0, so the collector dashboard renders.
        let mut enabled = Source::enabled(&config);
        if enabled.is_empty() {
            enabled = Source::ALL.to_vec();
        }
        let sources: Vec<&str> = enabled.into_iter().map(Source::name).collect();
        let metrics = Metrics::new(&sources);
        Ok(Arc::new(App {
            config,
            store,
            metrics,
            pipeline: Pipeline::default(),
            writer: Writer::default(),
            known_teams: Mutex::default(),
        }))
    }

    /// Starts the served app: scores the recent quarters (waited for, so the first page and
    /// scrape have figures; a failure is logged, not fatal), starts the pipeline
    /// ([`App::start_core`]: the fact writer, the passes, which publish them), the collection schedule (unless
    /// `collect.interval_secs` is 0) and the survey's release tick, all until `shutdown`.
    pub async fn start(self: &Arc<Self>, shutdown: CancellationToken) -> Result<(), AppError> {
        if let Err(e) = self.score(&[]).await {
            tracing::error!(error = %e, "scoring at start failed");
        }
        if self.config.survey.secret.is_none() {
            tracing::warn!("survey.secret_env is not set: survey forms signed by this process, and responses it holds, cannot be used after a restart or on another replica");
        }
        self.start_core(shutdown.clone()).await;
        if self.config.collect.interval_secs > 0 {
            for line in Source::ALL
                .iter()
                .filter_map(|s| s.not_configured(&self.config))
            {
                tracing::warn!("{line}");
            }
            let http = HttpClient::new(&self.config.collect, self.store.clone())?;
            tokio::spawn(self.clone().schedule(http, shutdown.clone()));
        } else {
            tracing::info!("collection schedule off (collect.interval_secs = 0)");
        }
        tokio::spawn(self.clone().release_tick(shutdown));
        Ok(())
    }

    /// What every served app runs until `shutdown`: the fact writer, and the pipeline's passes
    /// and replica poll, after publishing what the store holds (waited for). Tests of the
    /// handlers start only this.
    pub async fn start_core(self: &Arc<Self>, shutdown: CancellationToken) {
        if let Err(e) = self.metrics.publish_from_store(&self.store).await {
            tracing::warn!(error = %e, "metrics not published at start; /metrics has live families only");
        }
        let app = self.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move { app.writer.run(&app.store, &app.pipeline, stop).await });
        let app = self.clone();
        tokio::spawn(async move {
            let (store, config, metrics) = (&app.store, &app.config, &app.metrics);
            app.pipeline.run(store, config, metrics, shutdown).await;
        });
    }

    /// Writes `batch` and tells the pipeline the quarters it moved; answers once the batch has
    /// committed (with others that arrived together, once [`App::start_core`] runs: a group
    /// commit). Returns the rows inserted or changed; a batch that changed nothing moves
    /// nothing.
    pub async fn record(&self, batch: FactBatch) -> Result<u64, StoreError> {
        self.writer.record(&self.store, &self.pipeline, batch).await
    }

    /// True when `team` is one dxs knows: a `[[services]]` entry names it, or the store has it
    /// (roster, GitHub, catalog), asked once per team and process. A signed webhook never
    /// creates a team.
    pub async fn team_known(&self, team: &str) -> Result<bool, StoreError> {
        let configured = self
            .config
            .services
            .iter()
            .any(|s| s.team.as_deref() == Some(team));
        if configured || self.known_teams().contains(team) {
            return Ok(true);
        }
        let known = self.store.team_known(team).await?;
        if known {
            self.known_teams().insert(team.to_string());
        }
        Ok(known)
    }

    /// The teams found in the store so far (a poisoned lock still holds only such teams).
    fn known_teams(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.known_teams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Releases the held survey responses that are due now (a batch of `score.min_group_size`,
    /// or what is left of a quarter that has ended), closes the surveys whose
    /// `survey.window_days` have passed, and tells the pipeline the quarters that show a newly
    /// closed survey. A failure is logged: the responses stay held for the next attempt.
    pub async fn release_survey(&self) {
        let now = chrono::Utc::now().timestamp();
        let (k, days) = (
            self.config.score.min_group_size,
            self.config.survey.window_days,
        );
        let key = survey::held_key(&self.config.survey);
        if let Err(e) = release::release_due(&self.store, &key, k, now).await {
            tracing::error!(error = %e, "held survey responses not released");
        }
        match release::close_due(&self.store, &key, days, k, now).await {
            Ok(closed) => self.survey_closed(&closed),
            Err(e) => tracing::error!(error = %e, "survey not closed"),
        }
    }

    /// Closes the survey of `quarter` now (`dxs survey close`): its held responses are
    /// released and its figures frozen, and the quarters that show it are rescored.
    pub async fn close_survey(&self, quarter: Quarter) -> Result<(), release::CloseError> {
        let now = chrono::Utc::now().timestamp();
        let k = self.config.score.min_group_size;
        let key = survey::held_key(&self.config.survey);
        release::close(&self.store, &key, quarter, k, now).await?;
        self.survey_closed(&[quarter]);
        Ok(())
    }

    /// A response to `quarter`'s survey was stored: what is due is released, and the quarters
    /// that show its participation are rescored (no answer figure moves before its close).
    pub async fn survey_answered(&self, quarter: Quarter) {
        self.release_survey().await;
        self.pipeline.facts_changed(quarter.start());
    }

    /// Surveys closed: every quarter from the earliest of them shows new figures.
    fn survey_closed(&self, quarters: &[Quarter]) {
        if let Some(start) = quarters.iter().map(|q| q.start()).min() {
            self.pipeline.facts_changed(start);
        }
    }

    /// Scores `quarters` (default: the current one and the three before it) and writes their
    /// snapshots, after releasing the survey responses due (so a quarter that has ended counts
    /// all of its own). `dxs score`, `dxs report` and the start of `dxs serve` call this.
    pub async fn score(&self, quarters: &[Quarter]) -> Result<Vec<Score>, ScoringError> {
        self.release_survey().await;
        scoring::refresh(&self.store, &self.config, quarters).await
    }

    /// A collection ended: GitHub's rate limit is shown, and the current quarter is rescored
    /// (its period ends now) with every quarter from the earliest fact a source changed.
    fn collected(&self, summaries: &[SourceSummary]) {
        let github = summaries.iter().find(|s| s.source == Source::Github);
        if let Some(remaining) = github.and_then(|s| s.stats.rate_limit_remaining) {
            self.metrics.set_github_rate_limit(remaining);
        }
        let now = chrono::Utc::now().timestamp();
        let earliest = summaries.iter().filter_map(|s| s.earliest_change).min();
        self.pipeline
            .facts_changed(earliest.map_or(now, |e| e.min(now)));
    }

    /// Collects now and then every `collect.interval_secs` until `shutdown`, when this replica
    /// holds the collector lock; the pipeline publishes each collection once it ends.
    async fn schedule(self: Arc<Self>, http: HttpClient, shutdown: CancellationToken) {
        let interval = Duration::from_secs(self.config.collect.interval_secs.max(1));
        loop {
            let collecting = self.pipeline.collecting();
            let collected = scheduler::collect_if_leader(&self.config, &*self, &http).await;
            drop(collecting);
            match collected {
                Ok(Some(summaries)) => {
                    for s in &summaries {
                        tracing::info!(summary = %s, "collected");
                    }
                    self.collected(&summaries);
                }
                Ok(None) => tracing::debug!("another replica holds the collector lock"),
                Err(e) => tracing::error!(error = %e, "cannot take the collector lock"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// Every [`RELEASE_TICK`] until `shutdown`: releases what is due.
    async fn release_tick(self: Arc<Self>, shutdown: CancellationToken) {
        let mut interval = tokio::time::interval(RELEASE_TICK);
        interval.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = interval.tick() => self.release_survey().await,
            }
        }
    }
}

impl Record for App {
    fn store(&self) -> &Store {
        &self.store
    }

    fn record<'a>(&'a self, batch: &'a FactBatch) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(App::record(self, batch.clone()))
    }
}

//! The store: one sqlx pool, SQLite (the embedded default) or PostgreSQL, chosen by the URL.
//!
//! All SQL of dxs lives under this module, one file per table group, written once for both
//! databases (portable SQL, `$N` placeholders, `ON CONFLICT` upserts). Facts are written with
//! upserts on their natural keys, so a write repeated is a write done once. The store knows no
//! HTTP, no scoring and no configuration beyond its URL.

mod access;
#[cfg(feature = "bench")]
mod bulk;
mod changes;
mod collector;
mod copy_out;
mod facts;
mod failures;
mod gitops;
mod incidents;
mod insert;
mod org;
mod release;
mod rollouts;
mod scoring;
mod services;
mod snapshots;
mod sqlite_scan;
mod stream;
mod survey;
mod survey_windows;
mod totals;
mod upserts;
mod yardstick;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use crate::model::RepoFacts;
pub use changes::PendingPull;
pub use collector::CollectorLock;
pub use collector::CollectorRun;
pub use facts::{BoxFuture, FactBatch, Record};
pub use failures::{CodedChange, CodedRevert, CodedRollout, FailureFacts};
pub use org::{Onboarding, TableCounts};
pub use release::Held;
pub use scoring::{
    CohortDeveloper, Dictionary, FactRange, NamespaceFacts, ScoringFacts, ServiceFacts,
    PLATFORM_SOURCES,
};
pub use snapshots::Snapshot;
pub use survey::{AnswerRow, Invite, NewInvite, ResponseRate, SubmitOutcome};
pub use survey_windows::{Participation, SurveyShown, SurveyWindow};
pub use totals::{NamespaceTotal, RequestTotal, RunTotal, Totals};
pub use yardstick::SqlPercentiles;

/// A store error. Callers usually only tell "the database failed" from a few named cases.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is neither `sqlite:` nor `postgres://`.
    #[error("database URL: expected sqlite://FILE or postgres://USER@HOST/DB, got {0:?}")]
    BadUrl(String),
    /// The database answered with an error or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A read running on its own task panicked or was cancelled.
    #[error("database read task: {0}")]
    Task(String),
    /// Held survey responses whose answers do not open with the key given: sealed under another
    /// survey secret (or altered). None of the quarter is released; they all stay held.
    #[error(
        "{count} of the {held} survey responses held for {quarter} do not open with the survey \
         secret (survey.secret_env): they were sealed under another one; the quarter stays held \
         until survey.previous_secret_env names a variable holding that one"
    )]
    Sealed {
        /// Quarter of the responses.
        quarter: String,
        /// Responses that do not open.
        count: usize,
        /// Responses held for the quarter.
        held: usize,
    },
}

/// Result of the store's functions.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database, shared by every part of dxs (cheap to clone).
#[derive(Clone)]
pub struct Store {
    pool: Pool,
}

/// Runs `$body` once per backend with `$pool` bound to that backend's concrete pool, so a query
/// written once is compiled for SQLite and for PostgreSQL with their native types.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// The owner-team rule, written once: a delivery fact (a change, a rollout) belongs to its
/// service's own team, else to its repository's (`NULL` while neither is known). Joins a fact
/// table aliased `f` (with `service` and `repo` columns) to what [`OWNER_TEAM`] reads.
const OWNER_JOIN: &str = "LEFT JOIN services s ON s.name = f.service \
    LEFT JOIN repositories r ON r.slug = f.repo";

/// The owner team of the fact `f`, after [`OWNER_JOIN`].
const OWNER_TEAM: &str = "COALESCE(s.team, r.team)";

/// A delivery fact read with its owner team (selected as `owner_team`).
#[derive(sqlx::FromRow)]
struct Owned<T> {
    owner_team: Option<String>,
    #[sqlx(flatten)]
    fact: T,
}

impl<T> Owned<T> {
    /// `(owner team, fact)`.
    fn pair(self) -> (Option<String>, T) {
        (self.owner_team, self.fact)
    }
}

/// Rows per multi-row `INSERT`: well under SQLite's 32,766 and PostgreSQL's 65,535 bound
/// parameters for the widest table.
const CHUNK: usize = 1000;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Connects to `url`: `sqlite://FILE` (created if missing, WAL, `secure_delete` on every
    /// connection) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store> {
        let pool = if url.starts_with("sqlite:") {
            // secure_delete: a deleted row (a held survey response once released) is
            // overwritten with zeros, not left in a free page or a free block.
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .pragma("secure_delete", "ON")
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?,
            )
        } else {
            return Err(StoreError::BadUrl(url.to_string()));
        };
        Ok(Store { pool })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations of this backend that are not applied yet. A database that has
    /// deployments but no rollouts yet (one from before rollouts) gets them derived.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        let sql =
            "SELECT EXISTS (SELECT 1 FROM deployments) AND NOT EXISTS (SELECT 1 FROM rollouts)";
        let (missing,): (bool,) =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_one(pool).await?);
        if missing {
            self.refresh_all_rollouts().await?;
        }
        Ok(())
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Closes every connection (waits for those in use).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// The current time in UNIX seconds.
pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

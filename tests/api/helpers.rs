//! Test helpers: fresh databases (SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set),
//! a server on a real socket, and the `dxs` binary.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Once;

use dxs::config::Config;
use dxs::store::Store;
use dxs::web::{self, AppState, Limits, ServerLimits};
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

/// A fresh, migrated database that is removed at the end of the test.
pub struct TestDb {
    /// The store on it.
    pub store: Store,
    /// Its URL, for a `dxs` process of the test.
    url: String,
    /// Name of the PostgreSQL database to drop, and the admin URL to drop it from.
    postgres: Option<(String, String)>,
    /// The SQLite file's directory.
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let db = TestDb::sqlite_empty().await;
        db.store.migrate().await.expect("sqlite migrates");
        db
    }

    /// A new SQLite database without any migration applied.
    async fn sqlite_empty() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("dxs.db").display());
        let store = Store::connect(&url).await.expect("sqlite connects");
        TestDb {
            store,
            url,
            postgres: None,
            _dir: Some(dir),
        }
    }

    /// A new PostgreSQL database `dxs_test_<random>` on the `TEST_DATABASE_URL` server, or
    /// `None` (said once on stderr) when that is not set.
    pub async fn postgres() -> Option<TestDb> {
        let db = TestDb::postgres_empty().await?;
        db.store.migrate().await.expect("postgres migrates");
        Some(db)
    }

    /// Like [`TestDb::postgres`], without any migration applied.
    async fn postgres_empty() -> Option<TestDb> {
        let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                // Written to stderr directly so that the test harness does not swallow it.
                let _ = writeln!(
                    std::io::stderr(),
                    "TEST_DATABASE_URL is not set: PostgreSQL store tests skipped, SQLite ran"
                );
            });
            return None;
        };
        let name = format!("dxs_test_{:016x}", rand_u64());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("TEST_DATABASE_URL connects");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        conn.close().await.ok();
        let url = with_database(&admin, &name);
        let store = Store::connect(&url).await.expect("postgres connects");
        Some(TestDb {
            store,
            url,
            postgres: Some((name, admin)),
            _dir: None,
        })
    }

    /// SQLite, then PostgreSQL when configured: the databases every store test runs against.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    /// [`TestDb::all`] without any migration applied.
    pub async fn all_empty() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite_empty().await];
        dbs.extend(TestDb::postgres_empty().await);
        dbs
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes the store and drops a PostgreSQL database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((name, admin)) = self.postgres {
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("admin connects");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .expect("drop database");
        }
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(head, _)| head);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A random number for unique names.
pub fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Sets up tracing once; `TEST_LOG=1` shows the logs.
pub fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            dxs::init_tracing();
        }
    });
}

/// The default configuration with `DXS_*`-style overrides given as `(key, value)` pairs.
pub fn config(overrides: &[(&str, &str)]) -> Config {
    config_file("", overrides)
}

/// The configuration of the file `toml` with `DXS_*`-style overrides.
pub fn config_file(toml: &str, overrides: &[(&str, &str)]) -> Config {
    let vars: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = vars.clone();
    Config::from_parts(toml, vars, move |name| {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .expect("test config is valid")
}

/// A dxs server on `127.0.0.1:<random port>`, stopped when dropped.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The store it serves.
    pub store: Store,
    /// The server's state (its pipeline and metrics).
    pub state: AppState,
    shutdown: CancellationToken,
}

impl TestApp {
    /// Serves `store` with `config`.
    pub async fn spawn(config: Config, store: Store) -> TestApp {
        Self::spawn_with(config, store, Limits::default(), ServerLimits::default()).await
    }

    /// Serves `store` with `config`, these per-address limits and these connection limits.
    pub async fn spawn_with(
        config: Config,
        store: Store,
        limits: Limits,
        server: ServerLimits,
    ) -> TestApp {
        init_tracing();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let state = AppState::with_limits(config, store.clone(), limits);
        tokio::spawn(web::serve_with(
            listener,
            state.clone(),
            server,
            shutdown.clone(),
        ));
        TestApp {
            address: format!("http://{addr}"),
            store,
            state,
            shutdown,
        }
    }

    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The `dxs` binary built for these tests.
pub fn dxs_bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_dxs"))
}

//! Test helpers: fresh databases (SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set),
//! a server on a real socket, and the `dxs` binary.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Once;

use dxs::app::App;
use dxs::config::Config;
use dxs::store::Store;
use dxs::web::{self, AppState, Limits, ServerLimits};
use tokio_util::sync::CancellationToken;

/// A fresh, migrated database, copied from one migrated template per migration set, and
/// removed when dropped, so a failing test leaks nothing.
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
    /// A new SQLite database in a temporary directory, a copy of the migrated template.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("dxs.db");
        std::fs::copy(template::sqlite().await, &path).expect("copy the SQLite template");
        TestDb::sqlite_at(dir, &path).await
    }

    /// A new SQLite database without any migration applied.
    async fn sqlite_empty() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("dxs.db");
        TestDb::sqlite_at(dir, &path).await
    }

    async fn sqlite_at(dir: tempfile::TempDir, path: &Path) -> TestDb {
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url).await.expect("sqlite connects");
        TestDb {
            store,
            url,
            postgres: None,
            _dir: Some(dir),
        }
    }

    /// A new PostgreSQL database `dxs_test_<random>` on the `TEST_DATABASE_URL` server, a copy
    /// of the migrated template, or `None` (said once on stderr) when that is not set.
    pub async fn postgres() -> Option<TestDb> {
        let admin = admin_url()?;
        let template = template::postgres(&admin).await;
        Some(TestDb::postgres_from(admin, Some(template)).await)
    }

    /// Like [`TestDb::postgres`], without any migration applied.
    async fn postgres_empty() -> Option<TestDb> {
        Some(TestDb::postgres_from(admin_url()?, None).await)
    }

    async fn postgres_from(admin: String, template: Option<&str>) -> TestDb {
        let name = format!("dxs_test_{:016x}", rand_u64());
        let create = match template {
            Some(template) => format!("CREATE DATABASE {name} TEMPLATE {template}"),
            None => format!("CREATE DATABASE {name}"),
        };
        template::execute(&admin, &create).await;
        let url = with_database(&admin, &name);
        let store = Store::connect(&url).await.expect("postgres connects");
        TestDb {
            store,
            url,
            postgres: Some((name, admin)),
            _dir: None,
        }
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

    /// Closes the store, then drops the database (as dropping the `TestDb` does).
    pub async fn cleanup(self) {
        self.store.close().await;
    }
}

impl Drop for TestDb {
    /// Drops a PostgreSQL database, forcing its connections closed, from a thread of its own
    /// (a `Drop` cannot await; a panicking test drops it too).
    fn drop(&mut self) {
        let Some((name, admin)) = self.postgres.take() else {
            return;
        };
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(template::execute(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ));
        })
        .join();
        if dropped.is_err() && !std::thread::panicking() {
            panic!("test database not dropped");
        }
    }
}

/// The `TEST_DATABASE_URL` server, or `None` (said once on stderr).
fn admin_url() -> Option<String> {
    let admin = std::env::var("TEST_DATABASE_URL").ok();
    if admin.is_none() {
        static SAID: Once = Once::new();
        SAID.call_once(|| {
            // Written to stderr directly so that the test harness does not swallow it.
            let _ = writeln!(
                std::io::stderr(),
                "TEST_DATABASE_URL is not set: PostgreSQL store tests skipped, SQLite ran"
            );
        });
    }
    admin
}

/// The migrated templates the test databases are copied from: one per migration set, named
/// after the hash of `migrations/`, made once and kept (SQLite in `CARGO_TARGET_TMPDIR`,
/// PostgreSQL as database `dxs_template_<hash>`), so a test costs a copy, not the migrations.
mod template {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use dxs::store::Store;
    use sha2::{Digest, Sha256};
    use sqlx::Connection;
    use tokio::sync::OnceCell;

    /// The first 16 hex digits of the SHA-256 of every migration file, names (relative to
    /// `migrations/`) and contents.
    fn migrations_hash() -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files = Vec::new();
        for backend in ["sqlite", "postgres"] {
            for entry in std::fs::read_dir(root.join(backend)).expect("migrations") {
                files.push(entry.expect("migration").path());
            }
        }
        files.sort();
        let mut hash = Sha256::new();
        for file in files {
            // Named relative to `migrations/`: every checkout of the same migrations shares it.
            let name = file.strip_prefix(&root).expect("under migrations/");
            hash.update(name.to_string_lossy().as_bytes());
            hash.update(std::fs::read(&file).expect("migration file"));
        }
        hex::encode(&hash.finalize()[..8])
    }

    /// The SQLite template's path: made by migrating a new file and `VACUUM INTO` a temporary
    /// name that is then renamed, so a reader never sees half a template.
    pub async fn sqlite() -> &'static Path {
        static TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();
        TEMPLATE
            .get_or_init(|| async {
                let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
                let path = dir.join(format!("dxs-template-{}.db", migrations_hash()));
                if path.exists() {
                    return path;
                }
                let work = tempfile::tempdir_in(dir).expect("temp dir");
                let source = work.path().join("migrating.db");
                let store = Store::connect(&format!("sqlite://{}", source.display()))
                    .await
                    .expect("sqlite connects");
                store.migrate().await.expect("sqlite migrates");
                store.close().await;
                let copy = work.path().join("template.db");
                let mut conn =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", source.display()))
                        .await
                        .expect("sqlite connects");
                sqlx::query(&format!("VACUUM INTO '{}'", copy.display()))
                    .execute(&mut conn)
                    .await
                    .expect("vacuum into");
                conn.close().await.ok();
                std::fs::rename(&copy, &path).expect("template in place");
                path
            })
            .await
    }

    /// The PostgreSQL template's name: made by migrating a new database that is then renamed
    /// (another test run racing to make the same one just loses the rename).
    pub async fn postgres(admin: &str) -> &'static str {
        static TEMPLATE: OnceCell<String> = OnceCell::const_new();
        TEMPLATE
            .get_or_init(|| async {
                let name = format!("dxs_template_{}", migrations_hash());
                let mut conn = sqlx::PgConnection::connect(admin)
                    .await
                    .expect("admin connects");
                let exists: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                        .bind(&name)
                        .fetch_optional(&mut conn)
                        .await
                        .expect("pg_database");
                conn.close().await.ok();
                if exists.is_some() {
                    return name;
                }
                let work = format!("{name}_{:08x}", super::rand_u64() as u32);
                execute(admin, &format!("CREATE DATABASE {work}")).await;
                let store = Store::connect(&super::with_database(admin, &work))
                    .await
                    .expect("postgres connects");
                store.migrate().await.expect("postgres migrates");
                store.close().await;
                if !rename(admin, &work, &name).await {
                    execute(
                        admin,
                        &format!("DROP DATABASE IF EXISTS {work} WITH (FORCE)"),
                    )
                    .await;
                }
                name
            })
            .await
    }

    /// Runs one statement on the admin database, or panics naming it.
    pub async fn execute(admin: &str, sql: &str) {
        if let Err(e) = try_execute(admin, sql).await {
            panic!("{sql}: {e}");
        }
    }

    /// `ALTER DATABASE from RENAME TO to`: false when `to` exists already.
    async fn rename(admin: &str, from: &str, to: &str) -> bool {
        match try_execute(admin, &format!("ALTER DATABASE {from} RENAME TO {to}")).await {
            Ok(()) => true,
            Err(e) if e.to_string().contains("already exists") => false,
            Err(e) => panic!("rename the template: {e}"),
        }
    }

    /// Runs one statement on the admin database, retried for a while when a database it names
    /// is busy (another copy of the template, or a closed pool's sessions the server ends a
    /// moment later).
    async fn try_execute(admin: &str, sql: &str) -> Result<(), sqlx::Error> {
        let mut attempt = 0;
        loop {
            let mut conn = sqlx::PgConnection::connect(admin)
                .await
                .expect("admin connects");
            let result = sqlx::query(sql).execute(&mut conn).await;
            conn.close().await.ok();
            match result {
                Err(e)
                    if attempt < 50 && e.to_string().contains("being accessed by other users") =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other.map(drop),
            }
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

/// Stores `names` as teams of the roster: webhooks name only teams dxs knows.
pub async fn teams(store: &Store, names: &[&str]) {
    let batch = dxs::store::FactBatch {
        teams: names
            .iter()
            .map(|name| dxs::model::Team {
                name: name.to_string(),
                source: "roster".into(),
            })
            .collect(),
        ..Default::default()
    };
    store.write_batch(&batch).await.expect("teams written");
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

/// The three sources configured (GitHub's org, ArgoCD's and Backstage's URLs on a loopback port
/// nothing listens on): for tests of a configured dxs that never collects.
pub const CONFIGURED: [(&str, &str); 3] = [
    ("DXS_GITHUB__ORG", "acme"),
    ("DXS_ARGOCD__URL", "http://127.0.0.1:9/argo"),
    ("DXS_ORCHESTRATOR__URL", "http://127.0.0.1:9/bs"),
];

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

/// A dxs server on `127.0.0.1:<random port>`, stopped when dropped: the handlers and the
/// fact writer and the pipeline ([`App::start_core`]), without the first scoring or the collection schedule
/// (those of [`App::start`], which `app.rs` tests).
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
        let shutdown = CancellationToken::new();
        let app = App::new(config, store.clone()).expect("test config is valid");
        app.start_core(shutdown.clone()).await;
        Self::serve(
            listener,
            store,
            AppState::with_limits(app, limits),
            server,
            shutdown,
        )
    }

    /// Serves `store` with `config` without the pipeline's passes: nothing is scored or
    /// published but what the test asks (`state.score`, `state.metrics.publish_from_store`), so
    /// no pass writes behind its back.
    pub async fn spawn_without_pipeline(config: Config, store: Store) -> TestApp {
        init_tracing();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let app = App::new(config, store.clone()).expect("test config is valid");
        let state = AppState::with_limits(app, Limits::default());
        let server = ServerLimits::default();
        Self::serve(listener, store, state, server, CancellationToken::new())
    }

    fn serve(
        listener: tokio::net::TcpListener,
        store: Store,
        state: AppState,
        server: ServerLimits,
        shutdown: CancellationToken,
    ) -> TestApp {
        let addr: SocketAddr = listener.local_addr().unwrap();
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

/// The body of a GET of `url` (any status).
pub async fn get_text(url: impl reqwest::IntoUrl) -> String {
    reqwest::get(url)
        .await
        .expect("the server answers")
        .text()
        .await
        .expect("a text body")
}

/// The `dxs` binary built for these tests.
pub fn dxs_bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_dxs"))
}

/// `dxs serve` on `127.0.0.1:<free port>`, killed when dropped.
pub struct ServeProcess {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
}

impl ServeProcess {
    /// Starts `dxs serve <args>` on `database_url` with extra environment variables, and waits
    /// until it serves.
    pub fn start<V: AsRef<std::ffi::OsStr>>(
        database_url: &str,
        args: &[&str],
        env: &[(&str, V)],
    ) -> ServeProcess {
        use std::io::{BufRead, BufReader};
        let mut child = dxs_bin()
            .args(["--database-url", database_url, "serve"])
            .args(args)
            .env("DXS_LISTEN", "127.0.0.1:0")
            .envs(env.iter().map(|(k, v)| (k, v.as_ref())))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("dxs starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.strip_prefix("dxs: serving on ")
                    .map(|a| a.trim_end_matches('/').to_string())
            })
            .expect("dxs says where it serves");
        // Keep reading so that dxs never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServeProcess { child, address }
    }
}

impl ServeProcess {
    /// Kills the process with SIGKILL (no shutdown of any kind) and waits for it to be gone.
    pub fn kill(mut self) {
        self.child.kill().expect("dxs killed");
        self.child.wait().expect("dxs gone");
    }

    /// Sends SIGTERM and returns the exit status (a graceful shutdown exits 0).
    pub fn stop(self) -> std::process::ExitStatus {
        self.terminate();
        self.wait()
    }

    /// Sends SIGTERM without waiting.
    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
    }

    /// Waits (at most 20 s) for the process to exit.
    pub fn wait(mut self) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("dxs status") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "dxs did not stop on SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The command line: what each `dxs` command takes, and the code that runs it.

mod survey;
mod terminal;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use crate::app::{App, AppError};
use crate::config::{check_database_url, Config, ConfigError};
use crate::quarter::Quarter;
use crate::store::Store;
use crate::{collectors, demo, scoring, web};

/// dxs: the Developer Experience Score of your Internal Developer Platform.
///
/// Collects deployment lead time, onboarding time, self-service success and adoption from
/// GitHub, ArgoCD and your platform orchestrator, runs a quarterly developer survey, and serves
/// the weighted DXS per team as Prometheus metrics, an HTML report and a JSON API.
///
/// Try it with no token:  dxs serve --demo   then open http://127.0.0.1:8080/
#[derive(Debug, Parser)]
#[command(name = "dxs", version, about, long_about)]
pub struct Args {
    /// Config file (TOML); every key can also be set as DXS_SECTION__KEY in the environment.
    /// Optional at its default place.
    #[arg(long, global = true, value_name = "FILE", default_value = "dxs.toml")]
    pub config: PathBuf,

    /// Database: sqlite://FILE (embedded, the default sqlite://dxs.db) or postgres://USER@HOST/DB.
    /// Overrides `database_url` of the config.
    #[arg(long, global = true, value_name = "URL", env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of dxs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (metrics, survey, report, API, webhooks) and the collectors'
    /// schedule. Applies pending migrations first.
    Serve {
        /// Fill an empty database with the demo organisation first, so every page has data
        /// without any token.
        #[arg(long)]
        demo: bool,
        /// Seed of the demo organisation (with --demo).
        #[arg(long, default_value_t = demo::DEFAULT_SEED, requires = "demo")]
        seed: u64,
    },
    /// Run one collection from GitHub, ArgoCD and the orchestrator; progress on stderr.
    Collect {
        /// Which source to collect.
        #[arg(long, value_enum, default_value_t = Source::All)]
        source: Source,
        /// Collect from this day on (YYYY-MM-DD) instead of from the last cursor.
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<chrono::NaiveDate>,
    },
    /// Compute the DXS of a quarter and print it.
    Score {
        /// Quarter such as 2026-Q4 (default: the current one).
        #[arg(long)]
        quarter: Option<Quarter>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write the quarterly report as one self-contained HTML file.
    Report {
        /// Quarter such as 2026-Q4 (default: the current one).
        #[arg(long)]
        quarter: Option<Quarter>,
        /// Output file.
        #[arg(long, value_name = "FILE.html")]
        out: PathBuf,
    },
    /// Survey administration.
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Fill the database with the deterministic demo organisation (6 teams, 120 developers,
    /// 43 repositories, 4 quarters). Running it again adds nothing.
    Demo {
        /// Seed of the generator: the same seed gives the same organisation.
        #[arg(long, default_value_t = demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// Apply pending database migrations.
    Migrate,
}

/// Survey commands.
#[derive(Debug, Subcommand)]
pub enum SurveyCommand {
    /// Print one single-use survey link per roster developer (CSV: login,team,url).
    Invite {
        /// Quarter such as 2026-Q4.
        #[arg(long)]
        quarter: Quarter,
        /// Only this team.
        #[arg(long)]
        team: Option<String>,
    },
    /// Close a quarter's survey now (before its `survey.window_days` pass): no more answers;
    /// its held responses are released and its figures published, once. Exit 2 when the
    /// quarter has no survey or it has closed already.
    Close {
        /// Quarter such as 2026-Q4.
        #[arg(long)]
        quarter: Quarter,
    },
}

/// A collector source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    /// GitHub: repositories, deployments, changes, first commits.
    Github,
    /// ArgoCD: production sync history.
    Argocd,
    /// Platform orchestrator: self-service requests.
    Orchestrator,
    /// Kubernetes: namespaces, for adoption by namespace (needs `[kubernetes] enabled = true`).
    Kubernetes,
    /// Every configured source.
    All,
}

/// Output format of `dxs score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// The JSON of the API.
    Json,
}

/// Why a command failed: a configuration error exits with 2, anything else with 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Wrong or missing setting.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The command itself failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
    /// The command was refused as asked (exit 2): the message says why.
    #[error("{0}")]
    Refused(String),
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        CliError::Failed(e.into())
    }
}

/// Loads the configuration as the command line says.
pub fn load_config(args: &Args) -> Result<Config, ConfigError> {
    let explicit = args.config != std::path::Path::new("dxs.toml");
    let mut config = Config::load(&args.config, explicit)?;
    if let Some(url) = &args.database_url {
        check_database_url("--database-url", url)?;
        config.database_url = url.clone();
    }
    Ok(config)
}

/// Runs the command of `args`.
pub async fn run(args: Args) -> Result<(), CliError> {
    let config = load_config(&args)?;
    match args.command {
        Command::Migrate => {
            let store = open_store(&config).await?;
            eprintln!(
                "dxs: migrations applied to {}",
                redact_url(&config.database_url)
            );
            store.close().await;
        }
        Command::Demo { seed } => {
            let store = open_store(&config).await?;
            fill_demo(&store, seed).await?;
            store.close().await;
        }
        Command::Serve {
            demo: with_demo,
            seed,
        } => {
            let store = open_store(&config).await?;
            let config = match with_demo {
                true => serve_demo(&store, seed, config).await?,
                false => config,
            };
            serve(App::new(config, store)?).await?;
        }
        Command::Collect { source, since } => {
            let store = open_store(&config).await?;
            let failed = run_collect(&config, &store, source, since).await?;
            store.close().await;
            if failed > 0 {
                return Err(CliError::Failed(anyhow::anyhow!(
                    "collect: {failed} source(s) failed (see above)"
                )));
            }
        }
        Command::Score { quarter, format } => {
            // Invalid weights exit 2 naming the key, before the database is opened.
            scoring::Rules::load(&config)?;
            let store = open_store(&config).await?;
            let app = App::new(config, store)?;
            let quarter = quarter.unwrap_or_else(Quarter::current);
            let score = app.score(&[quarter]).await?.pop();
            app.store.close().await;
            let score = score.ok_or_else(|| anyhow::anyhow!("no score for {quarter}"))?;
            match format {
                Format::Table => print!("{}", scoring::render_table(&score)),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&score).map_err(anyhow::Error::from)?
                ),
            }
        }
        Command::Report { quarter, out } => {
            let store = open_store(&config).await?;
            let app = App::new(config, store)?;
            let options = crate::report::ReportOptions {
                quarter: quarter.unwrap_or_else(Quarter::current),
                sort: crate::report::SortKey::default(),
                detail: false,
                standalone: true,
            };
            // The report reads the snapshot: compute it first so the file is never stale.
            app.score(&options.quarter.last_four()).await?;
            let page = crate::report::build(&app.store, &app.config, &options)
                .await
                .map_err(anyhow::Error::from)?
                .ok_or_else(|| anyhow::anyhow!("no score for {}", options.quarter))?;
            let html = page.to_html().map_err(anyhow::Error::from)?;
            std::fs::write(&out, html)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            app.store.close().await;
            eprintln!(
                "dxs: report for {} written to {}",
                options.quarter,
                out.display()
            );
        }
        Command::Survey(SurveyCommand::Invite { quarter, team }) => {
            survey::invite(&config, quarter, team.as_deref()).await?
        }
        Command::Survey(SurveyCommand::Close { quarter }) => {
            let store = open_store(&config).await?;
            survey::close(App::new(config, store)?, quarter).await?
        }
    }
    Ok(())
}

/// Runs `dxs collect`: progress per source on stderr (a bar each on a terminal, else lines),
/// each source's summary line as it ends, then a total. Returns how many sources failed.
async fn run_collect(
    config: &Config,
    store: &Store,
    source: Source,
    since: Option<chrono::NaiveDate>,
) -> Result<usize, CliError> {
    let asked: Vec<collectors::Source> = match source {
        Source::Github => vec![collectors::Source::Github],
        Source::Argocd => vec![collectors::Source::Argocd],
        Source::Orchestrator => vec![collectors::Source::Orchestrator],
        Source::Kubernetes => vec![collectors::Source::Kubernetes],
        Source::All => collectors::Source::ALL.to_vec(),
    };
    let mut sources = Vec::new();
    for s in asked {
        match s.not_configured(config) {
            Some(line) => eprintln!("dxs: {line}"),
            None => sources.push(s),
        }
    }
    if source == Source::All && config.kubernetes.enabled {
        sources.push(collectors::Source::Kubernetes);
    }
    if sources.is_empty() {
        return Err(CliError::Config(ConfigError::Invalid {
            key: "github.org, argocd.url, orchestrator.url".into(),
            reason: "no source to collect from is configured (see above)".into(),
        }));
    }
    let since = since.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
    let http = collectors::HttpClient::new(&config.collect, store.clone())
        .map_err(|e| anyhow::anyhow!("HTTP client: {e}"))?;
    if sources.contains(&collectors::Source::Github) && config.github.app.is_some() {
        // A key GitHub refuses or an app not installed is a setting to fix: exit 2, named.
        let github = http.github(&config.github).map_err(github_auth)?;
        match github.check().await {
            Err(e) if e.config_key().is_some() => return Err(github_auth(e)),
            // GitHub unreachable for now: the collection asks again under the retry policy.
            Err(e) => tracing::warn!(error = %e, "GitHub App installation token not fetched yet"),
            Ok(()) => {}
        }
    }
    let progress = Arc::new(terminal::Stderr::new());
    let summaries = collectors::collect(config, store, &http, &sources, since, progress).await;
    let failed = summaries
        .iter()
        .filter(|s| s.outcome == collectors::Outcome::Error)
        .count();
    let items: u64 = summaries.iter().map(|s| s.items).sum();
    eprintln!(
        "dxs: collect done: {}/{} sources succeeded, {items} items",
        summaries.len() - failed,
        summaries.len()
    );
    Ok(failed)
}

/// A GitHub authentication failure: a configuration error naming its key when it is one.
fn github_auth(e: collectors::GithubAuthError) -> CliError {
    match e.config_key() {
        Some(key) => {
            let text = e.to_string();
            let reason = text.strip_prefix(&format!("{key}: ")).unwrap_or(&text);
            CliError::Config(ConfigError::Invalid {
                key: key.into(),
                reason: reason.into(),
            })
        }
        None => CliError::Failed(e.into()),
    }
}

/// `dxs serve`: starts `app` (every background task) and serves it until SIGINT or SIGTERM.
async fn serve(app: Arc<App>) -> Result<(), CliError> {
    let listen = app.config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    app.start(shutdown.clone()).await?;
    let addr = listener.local_addr().map_err(anyhow::Error::from)?;
    eprintln!("dxs: serving on http://{addr}/");
    eprintln!("dxs: the report is at http://{addr}/report");
    web::serve(listener, web::AppState::new(app.clone()), shutdown)
        .await
        .map_err(anyhow::Error::from)?;
    app.store.close().await;
    Ok(())
}

/// Fills an empty `store` with the demo organisation and returns the configuration to serve it
/// with ([`demo::serving`]), telling its one-off admin token.
async fn serve_demo(store: &Store, seed: u64, config: Config) -> Result<Config, CliError> {
    fill_demo(store, seed).await?;
    let (config, token) = demo::serving(config);
    if let Some(token) = token {
        eprintln!(
            "dxs: demo admin token (sign in at /login; set DXS_ADMIN_TOKEN to choose one): {}",
            token.expose()
        );
    }
    eprintln!("dxs: collection schedule off (demo data)");
    Ok(config)
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Config(e) => CliError::Config(e),
            other => CliError::Failed(other.into()),
        }
    }
}

impl From<scoring::ScoringError> for CliError {
    fn from(e: scoring::ScoringError) -> Self {
        match e {
            scoring::ScoringError::Config(e) => CliError::Config(e),
            other => CliError::Failed(other.into()),
        }
    }
}

async fn open_store(config: &Config) -> Result<Store, CliError> {
    let url = redact_url(&config.database_url);
    let store = Store::connect(&config.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {url}: {e}"))?;
    store
        .migrate()
        .await
        .map_err(|e| anyhow::anyhow!("cannot migrate {url}: {e}"))?;
    Ok(store)
}

async fn fill_demo(store: &Store, seed: u64) -> Result<(), CliError> {
    let summary = demo::fill(store, seed, chrono::Utc::now().date_naive()).await?;
    eprintln!("dxs: demo: {summary}");
    Ok(())
}

/// Cancels `token` on SIGINT (Ctrl-C) or SIGTERM.
async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    token.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    token.cancel();
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://dxs.db"), "sqlite://dxs.db");
    }

    #[test]
    fn global_flags_go_before_or_after_the_command() {
        let a =
            Args::try_parse_from(["dxs", "--database-url", "sqlite://a.db", "migrate"]).unwrap();
        assert_eq!(a.database_url.as_deref(), Some("sqlite://a.db"));
        let b = Args::try_parse_from(["dxs", "serve", "--demo", "--config", "x.toml"]).unwrap();
        assert_eq!(b.config, PathBuf::from("x.toml"));
        assert!(matches!(
            b.command,
            Command::Serve {
                demo: true,
                seed: demo::DEFAULT_SEED
            }
        ));
        assert!(Args::try_parse_from(["dxs", "score", "--quarter", "2026-Q9"]).is_err());
    }
}

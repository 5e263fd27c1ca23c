//! Benchmark of a full scoring run on a generated organisation. At scale 1: 10,000 developers
//! in 100 teams, 2,000 repositories, 100,000 deployments shipping 1,000,000 changes (1,000,000
//! commits), 2,000 incidents, 1,000 reverts, 20,000 self-service requests and 100,000 survey
//! responses, the facts in the scored quarter (2026-Q3; the survey has 10,000 responses a
//! quarter, one per developer, over ten quarters), on SQLite and, when `TEST_DATABASE_URL`
//! names a server, on PostgreSQL. `BENCH_SCALE=10` multiplies every count by ten (100,000
//! developers, 1,000 teams, 20,000 repositories, 10M changes, 1M survey responses).
//!
//! Each run is a fresh child process (this binary again), so its peak memory (VmHWM) is the
//! scoring run's alone. The full run is `scoring::compute` (the quarter and the previous one,
//! concurrently: load from the store, compute with polars, the change failure keys included)
//! and the snapshot write; then the same path runs again one phase after the other, timed
//! apart, to say where the time goes, and must give the same score. Side by side, in the same
//! child, the lead-time median/p90 per team plus the organisation by polars alone and by
//! PostgreSQL's `percentile_cont` over the same rows.
//!
//! Run: `cargo bench --features bench --bench scoring`, with `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`
//! for PostgreSQL too, `RUST_LOG=dxs=debug` for the time of each table's load and of each
//! compute step, `BENCH_SCALE=N` for N times the organisation and `DXS_BENCH_DIR=DIR` to keep
//! the organisation between runs (SQLite: one file per scale in DIR; PostgreSQL: a database
//! `dxs_bench_x<scale>` per scale, kept); `DXS_BENCH_BACKEND=postgres` measures PostgreSQL
//! alone. `cargo test --all-features` runs it once at a small scale (see `scale.rs`).

mod data;
mod scale;

use std::time::Instant;

use dxs::quarter::Quarter;
use dxs::scoring::{self, Evidence, Rules};
use dxs::store::Store;
use polars::prelude::*;
use sqlx::Connection;

/// Changes shipped by each deployment.
const CHANGES_PER_DEPLOYMENT: usize = 10;

/// The organisation's size at a scale.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    scale: f64,
    teams: usize,
    developers: usize,
    repos: usize,
    deployments: usize,
    requests: usize,
    responses: usize,
}

impl Sizes {
    fn at(scale: f64) -> Sizes {
        let n = |base| scale::scaled(base, scale);
        Sizes {
            scale,
            teams: n(100),
            developers: n(10_000),
            repos: n(2_000),
            deployments: n(100_000),
            requests: n(20_000),
            responses: n(100_000),
        }
    }

    /// The scale a child process was started for.
    fn of_child() -> Sizes {
        Sizes::at(
            std::env::var("DXS_BENCH_SCALE")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1.0),
        )
    }

    fn changes(&self) -> usize {
        self.deployments * CHANGES_PER_DEPLOYMENT
    }
}

fn quarter() -> Quarter {
    "2026-Q3".parse().unwrap()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Ok(url) = std::env::var("DXS_BENCH_CHILD") {
        dxs::init_tracing();
        runtime.block_on(child(&url, Sizes::of_child()));
        return;
    }
    runtime.block_on(parent(Sizes::at(scale::scale())));
}

async fn parent(sizes: Sizes) {
    // Three runs when measuring (the median is shown), one when `cargo test` checks it runs.
    let runs = if scale::measuring() { 3 } else { 1 };
    // DXS_BENCH_DIR keeps the SQLite organisation between runs (it is written once).
    let dir = tempfile::tempdir().unwrap();
    let sqlite_dir = std::env::var("DXS_BENCH_DIR").map_or(dir.path().to_path_buf(), Into::into);
    // DXS_BENCH_BACKEND=postgres measures PostgreSQL alone (SQLite is measured by default).
    let sqlite = !std::env::var("DXS_BENCH_BACKEND").is_ok_and(|b| b == "postgres");
    let mut targets = Vec::new();
    if sqlite {
        let file = sqlite_dir.join(format!("bench-x{}.db", sizes.scale));
        targets.push(("SQLite", format!("sqlite://{}", file.display()), None));
    }
    if let Ok(admin) = std::env::var("TEST_DATABASE_URL") {
        // With DXS_BENCH_DIR the PostgreSQL organisation is kept too, in a database per scale.
        let keep = std::env::var_os("DXS_BENCH_DIR").is_some();
        let name = if keep {
            format!("dxs_bench_x{}", sizes.scale.to_string().replace('.', "_"))
        } else {
            format!("dxs_bench_{}", std::process::id())
        };
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        if !exists {
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let (base, _) = admin.rsplit_once('/').unwrap();
        let drop = (!keep).then(|| (admin.clone(), name.clone()));
        targets.push(("PostgreSQL", format!("{base}/{name}"), drop));
    } else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL not measured");
    }
    let mut lines = Vec::new();
    for (backend, url, _) in &targets {
        let store = Store::connect(url).await.unwrap();
        store.migrate().await.unwrap();
        if store.counts().await.unwrap().changes == 0 {
            let started = Instant::now();
            data::generate(&store, &sizes).await;
            eprintln!(
                "{backend}: organisation written in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        data::close_surveys(&store).await;
        store.close().await;
        if url.starts_with("postgres") {
            // What autovacuum does to a live database after a bulk load: statistics for the
            // planner and hint bits set, so PostgreSQL's query is timed as it would run in service.
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query("VACUUM ANALYZE")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let mut results: Vec<Vec<f64>> = (0..runs).map(|_| run_child(url, &sizes)).collect();
        results.sort_by(|a, b| a[0].total_cmp(&b[0]));
        lines.push((backend, results[runs / 2].clone()));
    }
    println!();
    println!(
        "scoring 2026-Q3 at scale {}: {} developers, {} teams, {} repositories, {} changes, {} deployments, {} survey responses; median of {runs} runs{}",
        sizes.scale,
        sizes.developers,
        sizes.teams,
        sizes.repos,
        sizes.changes(),
        sizes.deployments,
        sizes.responses,
        if scale::measuring() { "" } else { " (cargo test: a check that it runs, not a measure)" }
    );
    println!("| backend | full run ms | load ms | compute ms | previous quarter ms | snapshot ms | peak RSS MiB | polars lead time ms | PostgreSQL percentile_cont ms | PostgreSQL / polars |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (backend, f) in &lines {
        let (pg, ratio) = if f[7] > 0.0 {
            (format!("{:.0}", f[7]), format!("{:.0}×", f[7] / f[6]))
        } else {
            ("-".into(), "-".into())
        };
        println!(
            "| {backend} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {pg} | {ratio} |",
            f[0], f[1], f[2], f[3], f[4], f[5], f[6]
        );
    }
    for (_, _, admin) in targets {
        if let Some((admin, name)) = admin {
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// Runs one scoring run in a child process; returns `[total, load, compute, previous quarter,
/// snapshot, peak MiB, polars lead ms, postgres lead ms]`.
fn run_child(url: &str, sizes: &Sizes) -> Vec<f64> {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("DXS_BENCH_CHILD", url)
        .env("DXS_BENCH_SCALE", sizes.scale.to_string())
        .stderr(std::process::Stdio::inherit()) // RUST_LOG=dxs=debug shows the load per table and compute step
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

async fn child(url: &str, sizes: Sizes) {
    let store = Store::connect(url).await.unwrap();
    store.ping().await.unwrap();
    let config = dxs::config::Config::from_parts("", Vec::new(), |_| None).unwrap();
    let rules = Rules::load(&config).unwrap();
    let q = quarter();
    let now = q.end() + 86_400;
    let period = scoring::period(q, now, &rules);
    // The full run, as `dxs score` and the service do it: both quarters scored concurrently.
    let t0 = Instant::now();
    let full = scoring::compute(&store, &rules, q, now).await.unwrap();
    scoring::write_snapshot(&store, &full, &Evidence::default(), now)
        .await
        .unwrap();
    let total = t0.elapsed();

    // Then the same path, one phase after the other, to say where the time goes.
    let t0 = Instant::now();
    let facts = store
        .scoring_facts(&scoring::fact_range(q, &period, &rules))
        .await
        .unwrap();
    let load = t0.elapsed();
    // The same rows for the lead-time comparison, before scoring consumes them.
    let mut names: Vec<&str> = facts
        .repos
        .iter()
        .filter_map(|r| r.team.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let repo_team: Vec<Option<u32>> = facts
        .repos
        .iter()
        .map(|r| {
            r.team
                .as_deref()
                .map(|t| names.binary_search(&t).unwrap() as u32)
        })
        .collect();
    // Each benchmark repository is one service: the change's repository through its service.
    let repo: Vec<u32> = facts
        .change_service
        .iter()
        .map(|s| facts.services[*s as usize].repo)
        .collect();
    let lead = facts.change_lead_seconds.clone();
    let (rules2, rules3) = (rules.clone(), rules.clone());
    let t1 = Instant::now();
    let score = tokio::task::spawn_blocking(move || {
        scoring::score_facts(facts, &rules, q, &period, now).unwrap()
    })
    .await
    .unwrap();
    let compute = t1.elapsed();
    let t2 = Instant::now();
    let previous = scoring::compute_alone(&store, &rules2, q.prev(), now)
        .await
        .unwrap();
    let mut score = score;
    scoring::compare(&mut score, &previous, &rules3);
    let deltas = t2.elapsed();
    let t3 = Instant::now();
    scoring::write_snapshot(&store, &score, &Evidence::default(), now)
        .await
        .unwrap();
    let snapshot = t3.elapsed();
    assert_eq!(score, full, "the phased run and the full run disagree");
    let peak = peak_rss_mib();
    assert_eq!(score.org.lead_time_hours.changes as usize, sizes.changes());
    // The generated incidents and reverts fail rollouts: the change failure path ran.
    let failed = score.org.change_failure.failed;
    assert!(
        failed > 0 && failed <= score.org.change_failure.rollouts,
        "{failed} failed rollouts"
    );
    // The survey is closed: its components are scored, and so is the DXS.
    assert!(score.org.dxs.is_some(), "no organisation DXS");
    let teams = sizes.teams;
    let polars_ms =
        tokio::task::spawn_blocking(move || polars_lead_time(repo, lead, repo_team, teams))
            .await
            .unwrap();
    let t4 = Instant::now();
    let sql = store
        .lead_time_percentiles_sql(period.start, period.end)
        .await
        .unwrap();
    let pg_ms = if let Some(sql) = sql {
        let ms = t4.elapsed().as_secs_f64() * 1e3;
        let org = sql.iter().find(|p| p.team.is_none()).unwrap();
        assert!((org.median_hours - score.org.lead_time_hours.median.unwrap()).abs() < 0.006);
        ms
    } else {
        0.0
    };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    println!(
        "{} {} {} {} {} {} {} {}",
        ms(total),
        ms(load),
        ms(compute),
        ms(deltas),
        ms(snapshot),
        peak,
        polars_ms,
        pg_ms
    );
    eprintln!(
        "org DXS {:?}, lead time median {:?} h, {} of {} rollouts failed",
        score.org.dxs, score.org.lead_time_hours.median, failed, score.org.change_failure.rollouts
    );
    store.close().await;
}

/// Lead time median/p90 per team and overall with polars alone, in ms, as scoring does it
/// (team codes gathered by repository, then grouped, on the integer seconds). Only the aggregation is timed, as
/// PostgreSQL's rows are already in its tables.
fn polars_lead_time(
    repo: Vec<u32>,
    lead: Vec<i64>,
    repo_team: Vec<Option<u32>>,
    teams: usize,
) -> f64 {
    let repo = IdxCa::from_vec("repo".into(), repo);
    let team = Series::new("team".into(), repo_team).take(&repo).unwrap();
    let changes = DataFrame::new(
        repo.len(),
        vec![team.into(), Column::new("lead".into(), lead)],
    )
    .unwrap();
    let started = Instant::now();
    let aggs = [
        col("lead").median().alias("median"),
        col("lead")
            .quantile(lit(0.9), QuantileMethod::Linear)
            .alias("p90"),
        col("lead").count().alias("changes"),
    ];
    let by_team = changes
        .clone()
        .lazy()
        .group_by([col("team")])
        .agg(aggs.clone())
        .collect()
        .unwrap();
    let org = changes.lazy().select(aggs).collect().unwrap();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!(by_team.height(), teams);
    assert_eq!(org.height(), 1);
    ms
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

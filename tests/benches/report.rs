//! Benchmark: render time of the report from the snapshot, for an organisation of 50 teams.
//!
//! `cargo bench --bench report` prints p50/p99/max of building the page (snapshot, answers,
//! onboarding and collector reads included) and rendering it, over 300 runs. `cargo test
//! --all-features` builds the same page 3 times (see `scale.rs`); either way the page must list
//! every one of the 50 teams.

#[allow(dead_code)] // shared by every benchmark: this one only asks `measuring`
mod scale;

use std::time::Instant;

use dxs::config::Config;
use dxs::quarter::Quarter;
use dxs::report::{self, ReportOptions, SortKey};
use dxs::scoring;
use dxs::store::Store;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    dxs::demo::fill(&store, 42, "2026-11-25".parse().unwrap())
        .await
        .unwrap();
    let config = Config::from_parts("", Vec::new(), |_| None).unwrap();
    let quarter: Quarter = "2026-Q4".parse().unwrap();
    let mut score = scoring::refresh(&store, &config, &[quarter])
        .await
        .unwrap()
        .remove(0);
    // 50 teams: the demo's six, repeated under new names.
    let base = score.teams.clone();
    score.teams = (0..50)
        .map(|i| {
            let mut team = base[i % base.len()].clone();
            team.team = format!("team-{i:02}");
            team
        })
        .collect();
    let evidence = scoring::read_evidence(&store, quarter)
        .await
        .unwrap()
        .unwrap();
    scoring::write_snapshot(&store, &score, &evidence, 0)
        .await
        .unwrap();

    let options = ReportOptions {
        quarter,
        sort: SortKey::default(),
        detail: false,
        standalone: false,
    };
    let runs = if scale::measuring() { 300 } else { 3 };
    let mut times = Vec::new();
    let mut size = 0;
    let mut last = String::new();
    for _ in 0..runs {
        let started = Instant::now();
        let page = report::build(&store, &config, &options)
            .await
            .unwrap()
            .unwrap();
        let html = page.to_html().unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        size = html.len();
        last = html;
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "report render from snapshot, 50 teams, {runs} runs (target: p99 < 50 ms){}",
        if scale::measuring() {
            ""
        } else {
            " (cargo test: a check that it runs, not a measure)"
        }
    );
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>12}",
        "", "p50 ms", "p99 ms", "max ms", "page bytes"
    );
    println!(
        "{:<10} {:>10.2} {:>10.2} {:>10.2} {:>12}",
        "report",
        at(0.5),
        at(0.99),
        times[times.len() - 1],
        size
    );
    store.close().await;
    let missing: Vec<String> = (0..50)
        .map(|i| format!("team-{i:02}"))
        .filter(|t| !last.contains(t.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "teams missing from the page: {missing:?}"
    );
}

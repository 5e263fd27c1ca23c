//! First commits by commit search (DESIGN §5, Onboarding lookup cost): one search per developer
//! who started inside the window and whose first commit is unknown, search's own rate limit
//! waited out, never one request per developer per repository.

use dxs::collectors::Source;

use crate::collectors::{assert_all_succeeded, assert_scenario, summary, Env};
use crate::helpers::TestDb;
use crate::stub::Fault;

#[tokio::test]
async fn the_search_rate_limit_is_waited_out_and_does_not_hide_the_core_limit() {
    let db = TestDb::sqlite().await;
    let env = Env::start(&[]).await;
    env.stub
        .fault("/gh/search/commits?q=author%3Aada+", Fault::RateLimitFor(1));
    let started = std::time::Instant::now();
    let summaries = env.collect(&db.store).await;
    assert_all_succeeded(&summaries);
    assert_scenario(&db.store).await;
    let ada: Vec<u16> = env
        .stub
        .hits()
        .iter()
        .filter(|h| h.path.starts_with("/gh/search/commits?q=author%3Aada+"))
        .map(|h| h.status)
        .collect();
    assert_eq!(
        ada,
        vec![403, 200],
        "waited until the reset, then asked again"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(500));
    let github = summary(&summaries, Source::Github);
    assert_eq!(
        github.stats.rate_limit_remaining,
        Some(4990),
        "the core limit, not search's 29 or 0"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn developers_who_started_before_the_window_are_never_searched() {
    let db = TestDb::sqlite().await;
    let env = Env::start(&[("DXS_SCORE__WINDOW_DAYS", "1")]).await;
    assert_all_succeeded(&env.collect(&db.store).await);
    let searches = env
        .stub
        .hits()
        .iter()
        .filter(|h| h.path.contains("/search/commits"))
        .count();
    assert_eq!(searches, 0);
    // `--since` widens the window back to that day: the three are asked.
    let since = chrono::DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .timestamp();
    env.stub.reset_hits();
    assert_all_succeeded(&env.collect_since(&db.store, Some(since)).await);
    let searches = env
        .stub
        .hits()
        .iter()
        .filter(|h| h.path.contains("/search/commits"))
        .count();
    assert_eq!(searches, 3);
    assert_scenario(&db.store).await;
    db.cleanup().await;
}

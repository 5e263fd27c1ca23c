//! Bounded collection: a listing longer than `collect.max_pages`, a body larger than
//! `collect.max_body_bytes` (even one that never ends) and a `next` link to another origin each
//! fail their source with a named error, never a hang, an out-of-memory or a leaked token. And
//! the Backstage catalog read page by page through `by-query` and its cursor.

use dxs::collectors::{Outcome, Source};

use crate::collectors::{assert_all_succeeded, failed_with, summary, Env};
use crate::helpers::TestDb;
use crate::scenario::Scenario;
use crate::stub::{Fault, Stub};

#[tokio::test]
async fn a_listing_past_max_pages_fails_its_source_naming_the_key() {
    let db = TestDb::sqlite().await;
    // Every stub listing has two items a page: the org's four repositories are two pages.
    let env = Env::start(&[("DXS_COLLECT__MAX_PAGES", "1")]).await;
    let summaries = env.collect(&db.store).await;
    let error = failed_with(&summaries, Source::Github);
    assert!(
        error.contains("/gh/orgs/acme/repos?")
            && error.contains("page=2")
            && error.ends_with("more than 1 pages (collect.max_pages)"),
        "{error}"
    );
    let asked: Vec<String> = env
        .stub
        .hits()
        .into_iter()
        .filter(|h| h.path.starts_with("/gh/orgs/acme/repos"))
        .map(|h| h.path)
        .collect();
    assert_eq!(asked.len(), 1, "page 2 is never asked: {asked:?}");
    // ArgoCD's own listing is one page, but its changes come from GitHub's compare: two pages.
    let error = failed_with(&summaries, Source::Argocd);
    assert!(
        error.contains("/compare/") && error.ends_with("(collect.max_pages)"),
        "{error}"
    );
    // Backstage's listings are one page each: within the cap.
    assert_eq!(
        summary(&summaries, Source::Orchestrator).outcome,
        Outcome::Success
    );
    db.cleanup().await;
}

#[tokio::test]
async fn a_body_past_max_body_bytes_fails_its_source_even_one_that_never_ends() {
    let db = TestDb::sqlite().await;
    let env = Env::start(&[("DXS_COLLECT__MAX_BODY_BYTES", "65536")]).await;
    env.stub.fault("/argo/api/v1/applications", Fault::Endless);
    let summaries =
        tokio::time::timeout(std::time::Duration::from_secs(30), env.collect(&db.store))
            .await
            .expect("an endless body is cut at the cap, not read forever");
    let error = failed_with(&summaries, Source::Argocd);
    assert!(
        error.contains("/argo/api/v1/applications")
            && error.ends_with("body larger than 65536 bytes (collect.max_body_bytes)"),
        "{error}"
    );
    assert_eq!(
        summary(&summaries, Source::Github).outcome,
        Outcome::Success
    );

    // A body announced larger than the cap (Content-Length) is refused before it is read.
    let small = Env::start(&[("DXS_COLLECT__MAX_BODY_BYTES", "1024")]).await;
    let summaries = small.collect(&db.store).await;
    let error = failed_with(&summaries, Source::Github);
    assert!(
        error.contains("/gh/orgs/acme/repos?") && error.contains("1024 bytes"),
        "{error}"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn a_next_link_to_another_origin_fails_the_listing_and_the_token_never_goes_there() {
    let db = TestDb::sqlite().await;
    let env = Env::start(&[]).await;
    let elsewhere = Stub::start(Scenario::standard()).await;
    env.stub.fault(
        "/gh/repos/acme/web/deployments?",
        Fault::NextTo(format!(
            "{}/gh/repos/acme/web/deployments?page=2",
            elsewhere.base()
        )),
    );
    let summaries = env.collect(&db.store).await;
    let error = failed_with(&summaries, Source::Github);
    assert!(
        error.contains("/gh/repos/acme/web/deployments?per_page=100")
            && error.contains("next page on another origin refused")
            && error.contains(elsewhere.base()),
        "{error}"
    );
    assert!(elsewhere.hits().is_empty(), "{:?}", elsewhere.hits());
    // api's deployments (read before web's) were written; web's batch was not.
    let api = db
        .store
        .cursor("github", "deployments:acme/api")
        .await
        .unwrap();
    assert!(api.is_some());
    let web = db
        .store
        .cursor("github", "deployments:acme/web")
        .await
        .unwrap();
    assert_eq!(web, None);
    db.cleanup().await;
}

#[tokio::test]
async fn the_backstage_catalog_is_read_page_by_page_through_its_cursor() {
    let db = TestDb::sqlite().await;
    let mut scenario = Scenario::standard();
    scenario
        .components
        .push(("infra", "acme/infra", "group:default/sre"));
    let env = Env::with_scenario(scenario, &[]).await;
    assert_all_succeeded(&env.collect(&db.store).await);
    let catalog: Vec<(String, u16)> = env
        .stub
        .hits()
        .into_iter()
        .filter(|h| h.path.starts_with("/bs/api/catalog/"))
        .map(|h| (h.path, h.status))
        .collect();
    assert_eq!(
        catalog,
        vec![
            (
                "/bs/api/catalog/entities/by-query?filter=kind=component&limit=500".to_string(),
                200
            ),
            (
                "/bs/api/catalog/entities/by-query?cursor=offset%3A2&limit=500".to_string(),
                200
            ),
        ]
    );
    let infra = db
        .store
        .repositories()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.slug == "acme/infra")
        .unwrap();
    assert_eq!(
        (infra.team.as_deref(), infra.team_source.as_deref()),
        (Some("sre"), Some("catalog")),
        "the component of page 2 names infra's team"
    );

    // Two pages: no ETag kept (a 304 on page 1 says nothing of page 2), so both are read again.
    env.stub.reset_hits();
    assert_all_succeeded(&env.collect(&db.store).await);
    let again = env
        .stub
        .hits()
        .iter()
        .filter(|h| h.path.starts_with("/bs/api/catalog/") && h.status == 200)
        .count();
    assert_eq!(again, 2);
    db.cleanup().await;
}

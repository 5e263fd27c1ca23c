//! The HTTP server: probes, security headers, limits.

use crate::helpers::{config, TestApp, TestDb};

#[tokio::test]
async fn probes_answer_and_readyz_follows_the_database() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(config(&[]), db.store.clone()).await;
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok\n");
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);

    app.store.close().await;
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        reqwest::get(app.url("/healthz")).await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn html_pages_carry_security_headers_and_a_request_id() {
    let db = TestDb::sqlite().await;
    dxs::demo::fill(&db.store, 42, "2026-11-25".parse().unwrap())
        .await
        .unwrap();
    let app = TestApp::spawn(config(&[]), db.store.clone()).await;
    let page = reqwest::get(app.url("/")).await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        !csp.contains("script-src"),
        "no script source allowed at all: {csp}"
    );
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(
        headers["x-request-id"].to_str().unwrap().len(),
        36,
        "a UUID"
    );
    let body = page.text().await.unwrap();
    assert!(body.contains("<a href=\"/login?next=/report\">"), "{body}");
    assert!(!body.contains("<script"));
}

#[tokio::test]
async fn unknown_paths_are_404_and_big_bodies_413() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(config(&[]), db.store.clone()).await;
    assert_eq!(reqwest::get(app.url("/nope")).await.unwrap().status(), 404);
    let big = vec![b'x'; dxs::web::BODY_LIMIT_BYTES + 1];
    let response = reqwest::Client::new()
        .post(app.url("/healthz"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

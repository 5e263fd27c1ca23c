//! `POST /webhooks/orchestrator` and `POST /webhooks/github` on a real socket.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use dxs::model::RequestStatus;

use crate::helpers::{config, get_text, teams, ServeProcess, TestApp, TestDb};

/// The orchestrator's webhook secret of these tests.
pub const SECRET: &str = "s3cret-webhook-key";

/// `sha256=<hex HMAC of body>` under [`SECRET`].
pub fn sign(body: &str) -> String {
    sign_with(SECRET, body)
}

/// `sha256=<hex HMAC of body>` under `secret`.
pub fn sign_with(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `body` to `path` with the signature `sig` in `header`: the status and the text.
pub async fn post(
    app: &TestApp,
    path: &str,
    header: &str,
    sig: Option<String>,
    body: &str,
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(sig) = sig {
        request = request.header(header, sig);
    }
    if path.ends_with("github") {
        request = request.header("x-github-event", "deployment_status");
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn event(status: &str, finished_at: &str) -> String {
    format!(
        r#"{{"id": "req-123", "team": "payments", "kind": "create-service", "status": "{status}",
            "human_intervention": false, "created_at": "2026-10-20T10:00:00Z", "finished_at": {finished_at}}}"#
    )
}

#[tokio::test]
async fn orchestrator_webhook_checks_the_signature_and_names_a_bad_field() {
    for db in TestDb::all().await {
        teams(&db.store, &["payments"]).await;
        let app = TestApp::spawn(config(&[("DXS_WEBHOOK_SECRET", SECRET)]), db.store.clone()).await;
        let hook = "/webhooks/orchestrator";
        let header = "x-dxs-signature";
        let running = event("running", "null");

        let unprefixed = sign(&running).replace("sha256=", "");
        for sig in [
            None,
            Some(format!("sha256={}", "0".repeat(64))),
            Some(sign("tampered")),
            Some("sha256=zz".to_string()),
            Some(unprefixed),
        ] {
            assert_eq!(post(&app, hook, header, sig, &running).await.0, 401);
        }
        assert_eq!(
            db.store.counts().await.unwrap().requests,
            0,
            "nothing written"
        );

        let missing = running.replace(r#""team": "payments", "#, "");
        let (code, text) = post(&app, hook, header, Some(sign(&missing)), &missing).await;
        assert_eq!(
            (code, text.trim()),
            (400, "team: expected a non-empty string")
        );
        let comma = running.replace(r#""team": "payments""#, r#""team": "pay,ments""#);
        let (code, text) = post(&app, hook, header, Some(sign(&comma)), &comma).await;
        assert_eq!(
            (code, text.trim()),
            (
                400,
                r#"team: expected a team name (no comma, no control character), got "pay,ments""#
            )
        );
        let wrong = event("done", "null");
        let (code, text) = post(&app, hook, header, Some(sign(&wrong)), &wrong).await;
        assert_eq!(code, 400);
        assert!(text.starts_with("status: "), "{text}");
        let late = event("succeeded", "\"yesterday\"");
        let (code, text) = post(&app, hook, header, Some(sign(&late)), &late).await;
        assert_eq!(
            (code, text.trim()),
            (400, "finished_at: expected an RFC 3339 time")
        );
        let (code, text) = post(&app, hook, header, Some(sign("{nope")), "{nope").await;
        assert_eq!(code, 400);
        assert!(text.starts_with("invalid JSON"), "{text}");
        assert_eq!(db.store.counts().await.unwrap().requests, 0);

        assert_eq!(
            post(&app, hook, header, Some(sign(&running)), &running)
                .await
                .0,
            202
        );
        let done = event("succeeded", "\"2026-10-20T10:04:00Z\"");
        assert_eq!(
            post(&app, hook, header, Some(sign(&done)), &done).await.0,
            202
        );
        let requests = db.store.requests().await.unwrap();
        assert_eq!(requests.len(), 1, "the same id updates");
        assert_eq!(requests[0].status, RequestStatus::Succeeded);
        assert_eq!(requests[0].finished_at, Some(1_792_490_640));
        assert_eq!(requests[0].source, "webhook");

        // An old `running` replayed after `succeeded`: accepted, and nothing goes back.
        assert_eq!(
            post(&app, hook, header, Some(sign(&running)), &running)
                .await
                .0,
            202
        );
        assert_eq!(
            db.store.requests().await.unwrap(),
            requests,
            "a replay is a no-op"
        );
        let failed = event("failed", "\"2026-10-20T10:05:00Z\"");
        assert_eq!(
            post(&app, hook, header, Some(sign(&failed)), &failed)
                .await
                .0,
            202
        );
        let corrected = db.store.requests().await.unwrap();
        assert_eq!(
            corrected[0].status,
            RequestStatus::Failed,
            "a finished status may be corrected"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn github_webhook_counts_a_production_deployment_status() {
    let db = TestDb::sqlite().await;
    let settings = [("DXS_WEBHOOK_SECRET", SECRET), ("DXS_GITHUB__ORG", "acme")];
    let app = TestApp::spawn(config(&settings), db.store.clone()).await;
    let body = std::fs::read_to_string(format!(
        "{}/tests/fixtures/github/webhook_deployment_status.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let hook = "/webhooks/github";
    let header = "x-hub-signature-256";
    assert_eq!(
        post(&app, hook, header, Some(sign("x")), &body).await.0,
        401
    );
    assert_eq!(db.store.counts().await.unwrap().deployments, 0);
    let staging = body.replace("\"production\"", "\"staging\"");
    assert_eq!(
        post(&app, hook, header, Some(sign(&staging)), &staging)
            .await
            .0,
        202
    );
    assert_eq!(
        db.store.counts().await.unwrap().deployments,
        0,
        "not production"
    );
    let not_a_slug = body.replace("\"full_name\": \"acme/api\"", "\"full_name\": \"acme api\"");
    let (code, text) = post(&app, hook, header, Some(sign(&not_a_slug)), &not_a_slug).await;
    assert_eq!(
        (code, text.trim()),
        (
            400,
            r#"repository.full_name: expected owner/name, got "acme api""#
        )
    );
    let no_sha = body.replace("\"sha\"", "\"shaa\"");
    let (code, text) = post(&app, hook, header, Some(sign(&no_sha)), &no_sha).await;
    assert_eq!(
        (code, text.trim()),
        (400, "deployment.sha: expected a non-empty string")
    );
    for _ in 0..2 {
        assert_eq!(
            post(&app, hook, header, Some(sign(&body)), &body).await.0,
            202
        );
    }
    assert_eq!(db.store.counts().await.unwrap().deployments, 1);

    // A delivery id seen before is a no-op 202, whatever the (signed) body says now.
    let delivered = |body: String, delivery: &'static str| {
        let url = app.url(hook);
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-github-event", "deployment_status")
                .header("x-github-delivery", delivery)
                .header(header, sign(&body))
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let other = body.replace("\"id\": 900,", "\"id\": 901,");
    assert_ne!(other, body, "the fixture's deployment id");
    assert_eq!(delivered(body.clone(), "delivery-1").await, 202);
    assert_eq!(delivered(other.clone(), "delivery-1").await, 202);
    assert_eq!(
        db.store.counts().await.unwrap().deployments,
        1,
        "the replay wrote nothing"
    );
    assert_eq!(delivered(other, "delivery-2").await, 202);
    assert_eq!(
        db.store.counts().await.unwrap().deployments,
        2,
        "a new delivery counts"
    );
    let previous = db
        .store
        .previous_deployment("acme/api", i64::MAX, "github", "other")
        .await
        .unwrap();
    assert_eq!(
        previous,
        Some((
            "9049f1265b7d61be4a8904a9a27120d2064dab3b".into(),
            1_792_490_400
        ))
    );
    db.cleanup().await;
}

#[tokio::test]
async fn an_event_acknowledged_survives_a_sigkill_before_the_next_scoring_pass() {
    for db in TestDb::all().await {
        let env = [
            ("DXS_WEBHOOK_SECRET", SECRET),
            ("DXS_COLLECT__INTERVAL_SECS", "0"),
        ];
        teams(&db.store, &["payments"]).await;
        let dxs = ServeProcess::start(db.url(), &[], &env);
        let body = event("succeeded", r#""2026-10-20T10:30:00Z""#);
        let response = reqwest::Client::new()
            .post(format!("{}/webhooks/orchestrator", dxs.address))
            .header("content-type", "application/json")
            .header("x-dxs-signature", sign(&body))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202);
        // SIGKILL at once: the pass that would follow waits 200 ms after the event.
        dxs.kill();
        let dxs = ServeProcess::start(db.url(), &[], &env);
        let requests = db.store.requests().await.unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(
            (requests[0].external_id.as_str(), requests[0].status),
            ("req-123", RequestStatus::Succeeded)
        );
        // The restarted server scored it at start: 1 finished request of payments.
        let scrape = get_text(format!("{}/metrics", dxs.address)).await;
        assert!(
            scrape.contains(r#"platform_requests_total{team="payments"} 1"#),
            "{scrape}"
        );
        drop(dxs);
        db.cleanup().await;
    }
}

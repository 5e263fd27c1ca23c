//! The server against what an attacker tries next (issue 23): each test sends the attack's
//! request and shows the refusal, on a real socket.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use dxs::web::{Limits, ServerLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::access::TOKEN;
use crate::helpers::{config, config_file, dxs_bin, teams, TestApp, TestDb};
use crate::survey::{invite, survey_config, valid_form};
use crate::webhooks::{post, sign, SECRET};

/// A connection to `app` from the loopback address `from`.
async fn connect_from(app: &TestApp, from: &str) -> TcpStream {
    let to: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    socket.connect(to).await.unwrap()
}

/// Everything the server sends until it closes (or 5 s pass): the answer's status line first.
async fn answer(conn: &mut TcpStream) -> String {
    let mut text = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut text)).await;
    String::from_utf8_lossy(&text).into_owned()
}

/// A POST whose body promises 100 bytes and sends 7.
const SLOW_BODY: &str = "POST /survey HTTP/1.1\r\nHost: x\r\n\
    Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ninvite=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_cut_off_at_the_body_read_timeout() {
    let db = TestDb::sqlite().await;
    let server = ServerLimits {
        body_read_timeout: Duration::from_millis(500),
        ..ServerLimits::default()
    };
    let app = TestApp::spawn_with(config(&[]), db.store.clone(), Limits::default(), server).await;
    let mut conn = connect_from(&app, "127.0.0.1").await;
    conn.write_all(SLOW_BODY.as_bytes()).await.unwrap();
    let started = Instant::now();
    let text = answer(&mut conn).await;
    let waited = started.elapsed();
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(
        waited >= Duration::from_millis(400) && waited < Duration::from_secs(4),
        "cut off after the timeout: {waited:?}"
    );
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_over_its_connection_cap_gets_429_while_another_is_served() {
    let db = TestDb::sqlite().await;
    let server = ServerLimits {
        per_address_connections: 3,
        ..ServerLimits::default()
    };
    let app = TestApp::spawn_with(config(&[]), db.store.clone(), Limits::default(), server).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut conn = connect_from(&app, "127.0.0.1").await;
        conn.write_all(SLOW_BODY.as_bytes()).await.unwrap();
        slow.push(conn);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = connect_from(&app, "127.0.0.1").await;
    let _ = fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let text = answer(&mut fourth).await;
    assert!(text.starts_with("HTTP/1.1 429"), "{text}");
    assert!(text.contains("retry-after: 1"), "{text}");
    // Another address is served at once, while the first holds its three.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let started = Instant::now();
    let health = other.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(slow);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_survey_posts_from_one_address_are_never_limited_refused_ones_are() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn_with(
        survey_config(),
        db.store.clone(),
        Limits::per_minute(5, 3, 600),
        ServerLimits::default(),
    )
    .await;
    let client = reqwest::Client::new();
    // An office behind one NAT address: 40 developers answer, far past a limit of 3.
    for i in 0..40 {
        let token = invite(&db.store, &format!("dev{i}"), "payments").await;
        let response = client
            .post(app.url("/survey"))
            .form(&valid_form(&token, "slow builds"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "valid post {i}");
    }
    // Refused posts: a used invite, an unknown one (bad CSRF), then limited.
    let used = invite(&db.store, "dev0", "payments").await;
    let mut statuses = Vec::new();
    for form in [
        valid_form(&used, "again"),
        vec![("invite".to_string(), "unknown".to_string())],
        vec![("invite".to_string(), "unknown".to_string())],
        valid_form(&invite(&db.store, "late", "payments").await, "x"),
    ] {
        let response = client.post(app.url("/survey")).form(&form).send().await;
        statuses.push(response.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [409, 403, 403, 429], "three refusals, then 429");
    db.cleanup().await;
}

#[tokio::test]
async fn wrong_bearer_tokens_on_api_and_metrics_share_the_login_limit() {
    let db = TestDb::sqlite().await;
    let scrape = "metrics-token-0123456789abcdef-0123";
    let app = TestApp::spawn(
        config(&[
            ("DXS_ADMIN_TOKEN", TOKEN),
            ("DXS_METRICS__TOKEN_ENV", "SCRAPE"),
            ("SCRAPE", scrape),
        ]),
        db.store.clone(),
    )
    .await;
    let client = reqwest::Client::new();
    let get = |path: &'static str, token: &'static str| {
        let request = client.get(app.url(path)).bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    let guess = "ffffffffffffffffffffffffffffffff";
    for path in [
        "/api/v1/quarters",
        "/metrics",
        "/api/v1/score",
        "/metrics",
        "/report",
    ] {
        assert_eq!(get(path, guess).await.status(), 401, "{path}");
    }
    let sixth = get("/metrics", guess).await;
    assert_eq!(sixth.status(), 429);
    let retry: u64 = sixth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        get("/api/v1/quarters", TOKEN).await.status(),
        429,
        "no guessing on"
    );
    assert_eq!(get("/metrics", scrape).await.status(), 429);
    let login = client
        .post(app.url("/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        429,
        "one limit for logins and bearer tokens"
    );
    db.cleanup().await;
}

#[test]
fn a_three_character_metrics_token_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = dxs_bin()
        .current_dir(dir.path())
        .args(["migrate", "--database-url"])
        .arg(format!("sqlite://{}", dir.path().join("dxs.db").display()))
        .env("DXS_METRICS__TOKEN_ENV", "SCRAPE")
        .env("SCRAPE", "abc")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("metrics.token_env"), "{stderr}");
    assert!(stderr.contains("3 characters"), "{stderr}");
    assert!(!dir.path().join("dxs.db").exists(), "nothing done");
}

#[tokio::test]
async fn a_new_admin_token_ends_every_session_of_the_old_one() {
    let db = TestDb::sqlite().await;
    let old = TestApp::spawn(config(&[("DXS_ADMIN_TOKEN", TOKEN)]), db.store.clone()).await;
    let login = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(old.url("/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let quarters = |app: &TestApp| {
        let request = reqwest::Client::new()
            .get(app.url("/api/v1/quarters"))
            .header("cookie", &cookie);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(quarters(&old).await, 200);
    drop(old);
    let rotated = "fedcba9876543210fedcba9876543210";
    let new = TestApp::spawn(config(&[("DXS_ADMIN_TOKEN", rotated)]), db.store.clone()).await;
    assert_eq!(quarters(&new).await, 401, "the old token's session is over");
    db.cleanup().await;
}

#[tokio::test]
async fn a_request_with_two_trusted_user_headers_is_refused() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(
        config(&[
            ("DXS_AUTH__TRUSTED_USER_HEADER", "X-Forwarded-User"),
            ("DXS_AUTH__TRUSTED_PROXIES", r#"["127.0.0.1/32"]"#),
            ("DXS_AUTH__ADMINS", r#"["lead@acme.example"]"#),
        ]),
        db.store.clone(),
    )
    .await;
    let client = reqwest::Client::new();
    // The client's own header first, the proxy's appended: the first must not win.
    let two = client
        .get(app.url("/api/v1/quarters"))
        .header("X-Forwarded-User", "lead@acme.example")
        .header("X-Forwarded-User", "dev1")
        .send()
        .await
        .unwrap();
    assert_eq!(two.status(), 400);
    assert!(two
        .text()
        .await
        .unwrap()
        .contains("X-Forwarded-User: sent more than once"));
    let one = client
        .get(app.url("/api/v1/quarters"))
        .header("X-Forwarded-User", "lead@acme.example")
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    db.cleanup().await;
}

#[tokio::test]
async fn authenticated_pages_and_api_answers_are_no_store() {
    let db = TestDb::sqlite().await;
    let config = config(&[("DXS_ADMIN_TOKEN", TOKEN)]);
    dxs::scoring::refresh(&db.store, &config, &["2026-Q4".parse().unwrap()])
        .await
        .unwrap();
    let app = TestApp::spawn(config, db.store.clone()).await;
    let client = reqwest::Client::new();
    for path in [
        "/report",
        "/api/v1/score",
        "/api/v1/quarters",
        "/",
        "/metrics",
    ] {
        let response = client
            .get(app.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    db.cleanup().await;
}

fn request(status: &str, finished_at: &str) -> String {
    format!(
        r#"{{"id": "req-7", "team": "payments", "kind": "create-service", "status": "{status}",
            "human_intervention": false, "created_at": "2026-10-20T10:00:00Z", "finished_at": {finished_at}}}"#
    )
}

#[tokio::test]
async fn an_orchestrator_event_older_than_the_stored_finish_changes_nothing() {
    for db in TestDb::all().await {
        teams(&db.store, &["payments"]).await;
        let app = TestApp::spawn(config(&[("DXS_WEBHOOK_SECRET", SECRET)]), db.store.clone()).await;
        let hook = "/webhooks/orchestrator";
        let send = |body: String| {
            let app = &app;
            async move {
                post(app, hook, "x-dxs-signature", Some(sign(&body)), &body)
                    .await
                    .0
            }
        };
        assert_eq!(
            send(request("succeeded", "\"2026-10-20T10:04:00Z\"")).await,
            202
        );
        let stored = db.store.requests().await.unwrap();
        // A replay of an older event: failed at 10:02, before the stored finish at 10:04.
        assert_eq!(
            send(request("failed", "\"2026-10-20T10:02:00Z\"")).await,
            202
        );
        assert_eq!(
            db.store.requests().await.unwrap(),
            stored,
            "nothing changed"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_incident_whose_merged_record_ends_before_it_starts_is_400_and_changes_nothing() {
    for db in TestDb::all().await {
        let app = TestApp::spawn(config(&[("DXS_WEBHOOK_SECRET", SECRET)]), db.store.clone()).await;
        let hook = "/webhooks/incident";
        let send = |body: String| {
            let app = &app;
            async move { post(app, hook, "x-dxs-signature", Some(sign(&body)), &body).await }
        };
        let resolved = r#"{"id": "INC-9", "service": "acme/api", "opened_at": "2026-10-05T10:00:00Z",
            "resolved_at": "2026-10-05T12:00:00Z"}"#;
        assert_eq!(send(resolved.into()).await.0, 202);
        let stored = db.store.incidents().await.unwrap();
        // Opened at 13:00 with no resolved_at: merged, it would be resolved at 12:00.
        let reopened = r#"{"id": "INC-9", "service": "acme/api", "opened_at": "2026-10-05T13:00:00Z",
            "resolved_at": null}"#;
        let (code, text) = send(reopened.into()).await;
        assert_eq!(code, 400);
        assert_eq!(
            text.trim(),
            "opened_at: 2026-10-05T13:00:00Z is after the stored resolved_at of INC-9 \
             (2026-10-05T12:00:00Z); nothing changed"
        );
        assert_eq!(db.store.incidents().await.unwrap(), stored);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_webhook_team_dxs_does_not_know_is_422_naming_it() {
    for db in TestDb::all().await {
        teams(&db.store, &["payments"]).await;
        let services = "[[services]]\nname = \"checkout-web\"\nrepo = \"acme/shop\"\n\
                        path = \"services/checkout-web/\"\nteam = \"checkout\"\n";
        let app = TestApp::spawn(
            config_file(services, &[("DXS_WEBHOOK_SECRET", SECRET)]),
            db.store.clone(),
        )
        .await;
        let hook = "/webhooks/orchestrator";
        let event = |id: &str, team: &str| {
            request("running", "null")
                .replace("req-7", id)
                .replace("payments", team)
        };
        let mut statuses = Vec::new();
        for i in 0..3 {
            let body = event(&format!("req-{i}"), &format!("made-up-{i}"));
            let (code, text) = post(&app, hook, "x-dxs-signature", Some(sign(&body)), &body).await;
            assert!(
                text.starts_with(&format!("team: \"made-up-{i}\" is no team dxs knows")),
                "{text}"
            );
            statuses.push(code);
        }
        assert_eq!(statuses, [422, 422, 422]);
        assert_eq!(
            db.store.counts().await.unwrap().requests,
            0,
            "nothing stored"
        );
        assert_eq!(
            db.store.team_names().await.unwrap(),
            ["payments"],
            "no team made"
        );
        for (id, team) in [("a", "payments"), ("b", "checkout")] {
            let body = event(id, team);
            let (code, _) = post(&app, hook, "x-dxs-signature", Some(sign(&body)), &body).await;
            assert_eq!(code, 202, "{team} is known");
        }
        db.cleanup().await;
    }
}

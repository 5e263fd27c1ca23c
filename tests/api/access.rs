//! Access that holds against an attacker: SSO only from trusted proxies and only for admins,
//! limited logins, server-side sessions that expire and end, `/metrics` behind its token, and a
//! home page that tells an anonymous visitor nothing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::helpers::{config, dxs_bin, TestApp, TestDb};
use crate::survey::{roster, SECRET};

/// An admin token of the shortest accepted length.
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn login(app: &TestApp, token: &str) -> reqwest::Response {
    no_redirect()
        .post(app.url("/login"))
        .form(&[("token", token), ("next", "/report")])
        .send()
        .await
        .unwrap()
}

/// The `name=value` part of the response's `Set-Cookie`, and the whole header.
fn set_cookie(response: &reqwest::Response) -> (String, String) {
    let header = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    (header.split(';').next().unwrap().to_string(), header)
}

async fn get_with(app: &TestApp, path: &str, header: (&str, &str)) -> reqwest::Response {
    no_redirect()
        .get(app.url(path))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_spoofed_sso_header_from_an_untrusted_address_is_401_and_a_user_not_in_admins_403() {
    let db = TestDb::sqlite().await;
    roster(&db.store, &[("dev1", "payments", "2026-01-05")]).await;
    let sso = |proxies: &'static str| {
        config(&[
            ("DXS_AUTH__TRUSTED_USER_HEADER", "X-Forwarded-User"),
            ("DXS_AUTH__TRUSTED_PROXIES", proxies),
            ("DXS_AUTH__ADMINS", r#"["lead@acme.example"]"#),
            ("DXS_SURVEY_SECRET", SECRET),
        ])
    };
    // The tests connect from 127.0.0.1: not the proxy's network.
    let direct = TestApp::spawn(sso(r#"["10.0.0.0/8"]"#), db.store.clone()).await;
    let spoofed = ("X-Forwarded-User", "lead@acme.example");
    for path in ["/report", "/api/v1/score", "/survey"] {
        assert_eq!(
            get_with(&direct, path, spoofed).await.status(),
            401,
            "{path}"
        );
    }
    let spoofed_dev = get_with(&direct, "/survey", ("X-Forwarded-User", "dev1")).await;
    assert_eq!(spoofed_dev.status(), 401, "no invite for a spoofed login");
    assert!(!spoofed_dev.text().await.unwrap().contains("csrf"));

    let behind = TestApp::spawn(sso(r#"["127.0.0.1/32"]"#), db.store.clone()).await;
    let lead = get_with(&behind, "/api/v1/quarters", spoofed).await;
    assert_eq!(lead.status(), 200);
    let other = ("X-Forwarded-User", "dev1");
    assert_eq!(get_with(&behind, "/report", other).await.status(), 403);
    assert_eq!(
        get_with(&behind, "/api/v1/quarters", other).await.status(),
        403
    );
    let form = get_with(&behind, "/survey", other).await;
    assert_eq!(
        form.status(),
        200,
        "the developer's own survey through the proxy"
    );
    assert!(form.text().await.unwrap().contains("name=\"csrf\""));
    db.cleanup().await;
}

#[tokio::test]
async fn the_sixth_wrong_login_within_a_minute_is_429_with_retry_after() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(config(&[("DXS_ADMIN_TOKEN", TOKEN)]), db.store.clone()).await;
    for attempt in 1..=5 {
        let wrong = login(&app, "ffffffffffffffffffffffffffffffff").await;
        assert_eq!(wrong.status(), 401, "attempt {attempt}");
        assert!(wrong.headers().get("set-cookie").is_none());
    }
    let sixth = login(&app, "ffffffffffffffffffffffffffffffff").await;
    assert_eq!(sixth.status(), 429);
    let retry: u64 = sixth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let right = login(&app, TOKEN).await;
    assert_eq!(
        right.status(),
        429,
        "even the right token waits: no guessing on"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn sessions_are_random_server_side_and_end_at_logout_or_expiry() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(config(&[("DXS_ADMIN_TOKEN", TOKEN)]), db.store.clone()).await;
    let first = login(&app, TOKEN).await;
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/report");
    let (cookie, header) = set_cookie(&first);
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Strict"));
    assert!(header.contains("Max-Age=28800"), "8 hours: {header}");
    assert!(!header.contains("Secure"), "served over http: {header}");
    let (second, _) = set_cookie(&login(&app, TOKEN).await);
    assert_ne!(cookie, second, "a new random id per login");
    assert!(!cookie.contains(TOKEN));

    let quarters = |cookie: String| {
        let app = &app;
        async move {
            get_with(app, "/api/v1/quarters", ("cookie", &cookie))
                .await
                .status()
        }
    };
    assert_eq!(quarters(cookie.clone()).await, 200);
    let logout = no_redirect()
        .post(app.url("/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    assert!(set_cookie(&logout).1.contains("Max-Age=0"));
    assert_eq!(quarters(cookie).await, 401, "a logged-out session is over");
    assert_eq!(quarters(second).await, 200, "the other session goes on");

    let now = chrono::Utc::now().timestamp();
    // What dxs stores of a session id: its HMAC under the admin token.
    let hash = |id: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(TOKEN.as_bytes()).unwrap();
        mac.update(id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    db.store
        .create_session(&hash("expired-session"), "admin", now - 1)
        .await
        .unwrap();
    db.store
        .create_session(&hash("live-session"), "admin", now + 60)
        .await
        .unwrap();
    assert_eq!(quarters("dxs_session=expired-session".into()).await, 401);
    assert_eq!(quarters("dxs_session=live-session".into()).await, 200);
    assert_eq!(quarters("dxs_session=made-up".into()).await, 401);
    db.cleanup().await;
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_dxs_is_served_over_https() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(
        config(&[
            ("DXS_ADMIN_TOKEN", TOKEN),
            ("DXS_SURVEY__BASE_URL", "https://dxs.example.com"),
        ]),
        db.store.clone(),
    )
    .await;
    let (_, header) = set_cookie(&login(&app, TOKEN).await);
    assert!(header.ends_with("; Secure"), "{header}");
    db.cleanup().await;
}

#[tokio::test]
async fn metrics_need_their_token_when_one_is_configured() {
    let db = TestDb::sqlite().await;
    let scrape = "scrape-token-for-prometheus-0123456";
    let app = TestApp::spawn(
        config(&[("DXS_METRICS__TOKEN_ENV", "SCRAPE"), ("SCRAPE", scrape)]),
        db.store.clone(),
    )
    .await;
    let client = reqwest::Client::new();
    let none = client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(!none.text().await.unwrap().contains("dxs_score"));
    let wrong = client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-for-prometheus-0123457")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client
        .get(app.url("/metrics"))
        .bearer_auth(scrape)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("# EOF"));
    db.cleanup().await;
}

#[tokio::test]
async fn the_home_page_names_no_team_and_makes_no_query_without_credentials() {
    let db = TestDb::sqlite().await;
    dxs::demo::fill(&db.store, 42, "2026-11-25".parse().unwrap())
        .await
        .unwrap();
    let config = config(&[("DXS_ADMIN_TOKEN", TOKEN)]);
    // What an admin sees is the summary a scoring pass writes.
    dxs::scoring::refresh(&db.store, &config, &["2026-Q4".parse().unwrap()])
        .await
        .unwrap();
    let app = TestApp::spawn(config, db.store.clone()).await;
    let admin = reqwest::Client::new()
        .get(app.url("/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        admin.contains("<li>payments</li>"),
        "an admin sees the teams"
    );
    assert!(
        admin.contains("<td class=\"num\">120</td>"),
        "120 developers"
    );
    // With the database closed, any query would fail the page: the anonymous page makes none.
    app.store.close().await;
    let anonymous = reqwest::get(app.url("/")).await.unwrap();
    assert_eq!(anonymous.status(), 200);
    let body = anonymous.text().await.unwrap();
    for team in ["payments", "mobile", "data-platform", "checkout"] {
        assert!(!body.contains(team), "{team} named");
    }
    assert!(body.contains("/login"));
    assert!(!body.contains("<td class=\"num\">"), "no counts");
}

#[test]
fn a_16_character_admin_token_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = dxs_bin()
        .current_dir(dir.path())
        .args(["migrate", "--database-url"])
        .arg(format!("sqlite://{}", dir.path().join("dxs.db").display()))
        .env("DXS_ADMIN_TOKEN", "sixteen-chars-ab")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auth.admin_token_env"), "{stderr}");
    assert!(
        !stderr.contains("sixteen-chars-ab"),
        "the token is never printed"
    );
    assert!(!dir.path().join("dxs.db").exists(), "nothing done");
}

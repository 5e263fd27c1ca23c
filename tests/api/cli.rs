//! The `dxs` binary: serve with the demo, migrations, configuration errors, help.

use std::time::{Duration, Instant};

use dxs::store::Store;

use crate::helpers::{dxs_bin, get_text, ServeProcess};

/// `dxs serve --demo` on `url` with extra environment variables.
fn serve_demo(url: &str, env: &[(&str, &str)]) -> ServeProcess {
    ServeProcess::start(url, &["--demo"], env)
}

#[tokio::test]
async fn serve_demo_starts_answers_and_a_second_start_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dxs.db").display());

    let server = serve_demo(&url, &[]);
    let health = reqwest::get(format!("{}/healthz", server.address))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let home = get_text(format!("{}/", server.address)).await;
    assert!(home.contains("Developer Experience Score"));
    assert!(
        !home.contains("payments"),
        "no team named without credentials"
    );
    assert!(server.stop().success(), "graceful shutdown exits 0");

    let store = Store::connect(&url).await.unwrap();
    let first = store.counts().await.unwrap();
    assert_eq!(
        (first.teams, first.developers, first.repositories),
        (6, 120, 43)
    );
    assert!(first.commits > 10_000 && first.responses > 200, "{first:?}");
    // Scored at start: the current quarter and the three before it.
    assert_eq!(store.snapshot_quarters().await.unwrap().len(), 4);

    let server = serve_demo(&url, &[]);
    assert_eq!(
        reqwest::get(format!("{}/readyz", server.address))
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(server.stop().success());
    assert_eq!(
        store.counts().await.unwrap(),
        first,
        "the second start duplicated nothing"
    );
    store.close().await;
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_0() {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dxs.db").display());
    let token = "in-flight-admin-token-0123456789ab";
    let server = serve_demo(&url, &[("DXS_ADMIN_TOKEN", token)]);
    let host = server.address.trim_start_matches("http://").to_string();

    // A login whose form body is only half sent: the handler is waiting for the rest. It asks
    // `Expect: 100-continue`, so the server's `100 Continue` says the handler has begun reading
    // the body: the request is in flight (a fixed sleep raced the server on a loaded machine).
    let body = format!("token={token}&next=%2Freport");
    let (first, rest) = body.split_at(10);
    let mut conn = TcpStream::connect(&host).unwrap();
    write!(
        conn,
        "POST /login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    conn.flush().unwrap();
    let mut interim = Vec::new();
    let mut byte = [0u8; 1];
    while !interim.ends_with(b"\r\n\r\n") {
        conn.read_exact(&mut byte).expect("100 Continue");
        interim.push(byte[0]);
    }
    assert!(
        interim.starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&interim)
    );
    conn.write_all(first.as_bytes()).unwrap();
    conn.flush().unwrap();

    server.terminate();
    // Shutdown has begun once the listener is gone: new connections are refused.
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(&host).is_ok() {
        assert!(
            Instant::now() < deadline,
            "dxs kept accepting after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    conn.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 303"),
        "the request in flight was answered: {response}"
    );
    assert!(response.contains("location: /report"), "{response}");
    assert!(response.contains("set-cookie: dxs_session="), "{response}");
    assert!(server.wait().success(), "graceful shutdown exits 0");
}

#[test]
fn a_bad_setting_is_one_line_naming_the_key_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dxs.toml"), "[score]\nmin_group_size = 0\n").unwrap();
    let out = dxs_bin()
        .arg("migrate")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("score.min_group_size"), "{stderr}");

    let clean = tempfile::tempdir().unwrap();
    let out = dxs_bin()
        .args(["migrate", "--database-url", "mysql://x"])
        .current_dir(clean.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--database-url"));

    let out = dxs_bin()
        .args(["--config", "missing.toml", "migrate"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an explicit config file must exist"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));

    let out = dxs_bin()
        .arg("migrate")
        .current_dir(clean.path())
        .env("DXS_ROSTER__FILE", "no-such-roster.csv")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an unreadable roster");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("roster.file") && stderr.contains("no-such-roster.csv"),
        "{stderr}"
    );
}

#[test]
fn migrate_creates_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dxs_bin()
        .arg("migrate")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("dxs.db").exists(),
        "the default sqlite://dxs.db is created"
    );
}

#[test]
fn help_explains_every_command() {
    let out = dxs_bin().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for command in [
        "serve",
        "collect",
        "score",
        "report",
        "survey",
        "demo",
        "migrate",
        "--database-url",
        "--config",
    ] {
        assert!(help.contains(command), "--help lacks {command}:\n{help}");
    }
}

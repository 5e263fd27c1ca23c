//! A real headless browser for end-to-end tests: Debian's `chromium`, driven over WebDriver by
//! `chromedriver` (package `chromium-driver`) through fantoccini.
//!
//! `Browser::start()` spawns chromedriver on a free port with a fresh Chromium profile, and the
//! browser and chromedriver end when the `Browser` is dropped. When chromium or chromedriver is
//! missing the test fails and names the package: CI (`.ci/run`) installs both, so a browser test
//! never passes without having run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// Chromium's command line: headless, no sandbox (CI runs as root), nothing that reaches the
/// network on its own.
const CHROMIUM_ARGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// How long chromedriver may take to accept its first session (it starts Chromium).
const STARTUP: Duration = Duration::from_secs(30);

/// A headless Chromium session. Deref to [`fantoccini::Client`] for the whole WebDriver API.
pub struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium session; panics with the package to install when either
    /// program is missing.
    pub async fn start() -> Browser {
        let chromium = find_program(&["chromium", "chromium-browser"]).unwrap_or_else(|| {
            panic!(
                "chromium is not installed: the browser tests need the Debian package `chromium` \
                 (apt-get install chromium chromium-driver; .ci/run installs it)"
            )
        });
        let chromedriver = find_program(&["chromedriver"]).unwrap_or_else(|| {
            panic!(
                "chromedriver is not installed: the browser tests need the Debian package \
                 `chromium-driver` (apt-get install chromium-driver; .ci/run installs it)"
            )
        });
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", chromedriver.display()));
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let mut browser = Browser {
            client: None,
            driver,
            _profile: profile,
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        // chromedriver needs a moment before it accepts connections: retry until it answers.
        let client = loop {
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(client) => break client,
                Err(e) if started.elapsed() < STARTUP => {
                    if let Ok(Some(status)) = browser.driver.try_wait() {
                        panic!("chromedriver exited with {status} before a session: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("chromedriver gave no session in {STARTUP:?}: {e}"),
            }
        };
        browser.client = Some(client);
        browser
    }

    /// Resizes the window, e.g. `(1280, 900)` for a desktop or `(390, 844)` for a phone.
    pub async fn resize(&self, width: u32, height: u32) {
        self.set_window_size(width, height)
            .await
            .expect("window resized");
    }

    /// The text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> String {
        self.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .expect("element text")
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Waits (up to 20 s) until an element matching `locator` is on the page, e.g. after a click
    /// that navigates: the click returns before the next page has loaded.
    pub async fn wait_for(&self, locator: Locator<'_>) {
        self.wait()
            .at_most(Duration::from_secs(20))
            .for_element(locator)
            .await
            .unwrap_or_else(|e| panic!("no element {locator:?} within 20 s: {e}"));
    }

    /// A PNG of the viewport. Also written to `$DXS_SCREENSHOT_DIR/{name}.png` when that variable
    /// is set, to look at the page by eye.
    pub async fn screenshot(&self, name: &str) -> Vec<u8> {
        let png = self.client().screenshot().await.expect("screenshot taken");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
        if let Some(dir) = std::env::var_os("DXS_SCREENSHOT_DIR") {
            let path = Path::new(&dir).join(format!("{name}.png"));
            std::fs::write(&path, &png).expect("screenshot written");
        }
        png
    }

    /// Whether the page is wider than the window (a horizontal scroll bar on a phone).
    pub async fn scrolls_sideways(&self) -> bool {
        let wider = self
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await
            .expect("script ran");
        wider.as_bool().expect("a boolean")
    }

    /// Ends the session and chromedriver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }
}

impl std::ops::Deref for Browser {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Only the chromedriver this Browser started; Chromium exits with its session or its driver.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The first of `names` found on `PATH` (or in `/usr/bin`).
fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .collect();
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A TCP port free at the time of asking.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

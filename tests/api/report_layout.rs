//! The report as a platform lead reads it (DESIGN §7a), in Debian's Chromium: at 1280×800 and
//! 768×1024 nothing is wider than the window, the first 800 px hold the DXS, its change, what
//! moved it (drivers adding up to the change) and the four DORA keys, and with every fold closed
//! the page is at most 4,000 px tall; with every fold open it fits an A4 page's width.
//! `DXS_SCREENSHOT_DIR=docs cargo test --test api report_layout` writes the README's screenshots.

use fantoccini::Locator;
use serde_json::Value;

use crate::browser::Browser;
use crate::report::{demo_app, TOKEN};

/// The printable width of A4 (210 mm less two 12 mm margins) in CSS pixels (96 per inch).
const A4_WIDTH: u32 = 703;

async fn js(browser: &Browser, script: &str) -> Value {
    browser
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Sets the viewport (not the window) to `width`×`height`: the window is resized until its
/// inside has that size (Chromium's frame, if any, is added; a busy machine may take two tries).
async fn viewport(browser: &Browser, width: u32, height: u32) {
    let (mut outer_w, mut outer_h) = (width, height);
    for _ in 0..5 {
        browser.resize(outer_w, outer_h).await;
        let inner = js(browser, "return [window.innerWidth, window.innerHeight];").await;
        let (w, h) = (
            inner[0].as_u64().unwrap() as u32,
            inner[1].as_u64().unwrap() as u32,
        );
        if (w, h) == (width, height) {
            return;
        }
        outer_w = outer_w + width - w.min(outer_w + width);
        outer_h = outer_h + height - h.min(outer_h + height);
    }
    panic!("the viewport never became {width}×{height}");
}

/// The page's width beyond the viewport, in px (0 when nothing overflows).
async fn overflow(browser: &Browser) -> i64 {
    js(
        browser,
        "return document.documentElement.scrollWidth - window.innerWidth;",
    )
    .await
    .as_i64()
    .unwrap()
}

/// The bottom of the element `css`, from the top of the page, in px.
async fn bottom(browser: &Browser, css: &str) -> f64 {
    let script = format!(
        "const e = document.querySelector('{css}'); \
         return e ? e.getBoundingClientRect().bottom + window.scrollY : null;"
    );
    js(browser, &script)
        .await
        .as_f64()
        .unwrap_or_else(|| panic!("no {css}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_reads_in_one_screen_at_1280_and_768_and_prints_on_a4() {
    let (app, _db, score) = demo_app(&[]).await;
    let org = &score.org;
    let change = org.delta.as_ref().and_then(|d| d.dxs).expect("a change");
    assert!(!org.drivers.is_empty(), "the demo has drivers");
    let browser = Browser::start().await;
    browser.resize(1280, 800).await;
    browser
        .goto(&app.url("/report?quarter=2026-Q4"))
        .await
        .unwrap();
    browser
        .find(Locator::Css("input[name=token]"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    browser.click("button[type=submit]").await;
    browser.wait_for(Locator::Css("#org-dxs")).await;

    for (width, height) in [(1280, 800), (768, 1024)] {
        viewport(&browser, width, height).await;
        js(&browser, "window.scrollTo(0, 0); return 0;").await;
        let at = format!("{width}×{height}");
        assert!(overflow(&browser).await <= 0, "{at}: wider than the window");
        for part in [
            "#org-dxs",
            "#org-delta",
            "#drivers",
            "#keys",
            "#survey-status",
        ] {
            let b = bottom(&browser, part).await;
            assert!(
                b <= 800.0,
                "{at}: {part} ends at {b} px, below the first 800"
            );
        }
        assert_eq!(
            browser.text_of("#org-dxs").await,
            format!("{:.1}", org.dxs.unwrap())
        );
        // The survey's participation and status: 2026-Q4's is open (its figures are 2026-Q3's).
        let survey = &org.survey;
        let status = browser.text_of("#survey-status").await;
        let participation = format!(
            "Survey 2026-Q4, open until {}: {} of {} invited",
            &survey.closes_at.as_deref().unwrap()[..10],
            survey.responses.unwrap(),
            survey.invites
        );
        assert!(status.starts_with(&participation), "{at}: {status}");
        assert!(status.contains("those of 2026-Q3"), "{at}: {status}");
        let shown_change: f64 = browser
            .text_of("#org-delta")
            .await
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(shown_change, change, "{at}");
        let drivers = js(
            &browser,
            "return [...document.querySelectorAll('#drivers [data-contribution]')]\
             .map(e => parseFloat(e.textContent));",
        )
        .await;
        let drivers: Vec<f64> = drivers
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(drivers.len(), org.drivers.len(), "{at}");
        let sum: f64 = drivers.iter().sum();
        assert!(
            (sum - change).abs() <= 0.2,
            "{at}: drivers add up to {sum}, the change is {change}"
        );
        let keys = js(
            &browser,
            "return [...document.querySelectorAll('#keys .key')]\
             .map(k => [k.querySelector('strong').textContent, \
                        k.querySelector('.tier') ? k.querySelector('.tier').textContent : '']);",
        )
        .await;
        let keys: Vec<(String, String)> = keys
            .as_array()
            .unwrap()
            .iter()
            .map(|k| (k[0].as_str().unwrap().into(), k[1].as_str().unwrap().into()))
            .collect();
        let names: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "Lead time for changes",
                "Deployment frequency",
                "Change failure rate",
                "Failed deployment recovery"
            ],
            "{at}"
        );
        assert!(
            keys.iter().all(|k| !k.1.is_empty()),
            "{at}: a tier each: {keys:?}"
        );
        let height = js(&browser, "return document.documentElement.scrollHeight;")
            .await
            .as_f64()
            .unwrap();
        assert!(
            height <= 4000.0,
            "{at}: {height} px tall with the folds closed"
        );
        if width == 1280 {
            browser.screenshot("report-first-screen").await;
        }
    }

    // The teams section at 1280, the last team's fold open (a partial team in the demo).
    viewport(&browser, 1280, 800).await;
    js(
        &browser,
        "const teams = document.querySelectorAll('details.team'); \
         teams[teams.length - 1].open = true; \
         document.getElementById('teams-heading').scrollIntoView(); return 0;",
    )
    .await;
    browser.screenshot("report-teams").await;

    // Every fold open, at the printable width of A4: nothing is cut off at the right.
    viewport(&browser, A4_WIDTH, 1000).await;
    let folds = js(
        &browser,
        "const d = document.querySelectorAll('details'); d.forEach(e => e.open = true); \
         return d.length;",
    )
    .await;
    assert!(folds.as_u64().unwrap() > score.teams.len() as u64);
    assert!(
        overflow(&browser).await <= 0,
        "wider than A4 with the folds open"
    );
    browser.close().await;
}

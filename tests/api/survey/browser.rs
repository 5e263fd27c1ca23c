//! End to end in a real headless Chromium: open an invite link, answer, submit, see the thanks
//! (which says when results appear), find the response in the store; a second submission of the
//! same invite is refused; once the survey has closed the same link says so.

use fantoccini::Locator;

use super::{invite, release_held, sealing_key, survey_config, QUARTER};
use crate::browser::Browser;
use crate::helpers::{TestApp, TestDb};

/// Answers the four required questions by clicking their labels, as a person would.
async fn answer_required(browser: &Browser, [deploy, wait, docs, recommend]: [&str; 4]) {
    browser
        .click(&format!("input[name=deploy_ease][value='{deploy}'] + span"))
        .await;
    browser
        .click(&format!("input[name=wait_time][value='{wait}'] + span"))
        .await;
    browser
        .click(&format!("input[name=docs_clarity][value='{docs}'] + span"))
        .await;
    browser
        .click(&format!(
            "input[name=recommend][value='{recommend}'] + span"
        ))
        .await;
}

/// Clicks "Send my answers" and waits for the page whose `h1` is `heading`.
async fn send_and_expect(browser: &Browser, heading: &str) {
    browser.click("button.send").await;
    let xpath = format!("//h1[text()='{heading}']");
    browser.wait_for(Locator::XPath(&xpath)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_developer_answers_in_a_real_browser_cannot_answer_twice_and_finds_it_closed_after() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn(survey_config(), db.store.clone()).await;
    let token = invite(&app.store, "alice", "payments").await;
    let link = app.url(&format!("/survey?invite={token}"));
    let browser = Browser::start().await;

    browser.resize(1280, 1000).await;
    browser.goto(&link).await.unwrap();
    assert_eq!(
        browser.title().await.unwrap(),
        "Developer experience survey, 2026-Q4"
    );
    assert!(browser
        .text_of(".anonymous")
        .await
        .starts_with("Your answers are anonymous."));
    browser.screenshot("survey-desktop").await;
    // A second tab opens the same link before the first one answers.
    let first = browser.window().await.unwrap();
    let second = browser.new_window(true).await.unwrap().handle;
    browser.switch_to_window(second.clone()).await.unwrap();
    browser.goto(&link).await.unwrap();

    browser.switch_to_window(first).await.unwrap();
    answer_required(&browser, ["8", "never", "7", "10"]).await;
    let pain = "<script>document.title='owned'</script> slow builds";
    browser
        .find(Locator::Css("textarea[name=pain_point]"))
        .await
        .unwrap()
        .send_keys(pain)
        .await
        .unwrap();
    let checked = browser
        .find(Locator::Css("input[name=deploy_ease][value='8']"))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap();
    assert!(checked, "clicking the label chose the radio");
    browser.screenshot("survey-desktop-filled").await;
    send_and_expect(&browser, "Thank you!").await;
    assert_eq!(
        browser.title().await.unwrap(),
        "Thank you: Developer experience survey"
    );
    assert_eq!(
        browser.text_of("dl.answers dd:last-of-type").await,
        pain,
        "shown as text"
    );
    let window = app.store.survey_window(QUARTER).await.unwrap().unwrap();
    let closes = chrono::DateTime::from_timestamp(window.closes_at(21), 0).unwrap();
    let release = browser.text_of("p.release").await;
    assert!(
        release.starts_with(&format!(
            "Results appear when the survey closes, on {}:",
            closes.format("%Y-%m-%d")
        )),
        "the thank-you page says when results appear: {release}"
    );
    browser.screenshot("survey-thanks").await;

    assert!(app.store.answers(QUARTER).await.unwrap().is_empty(), "held");
    assert_eq!(release_held(&app.store).await, 1);
    let stored = app.store.answers(QUARTER).await.unwrap();
    let got: Vec<(&str, Option<f64>, Option<&str>)> = stored
        .iter()
        .map(|a| (a.question.as_str(), a.number, a.text.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("deploy_ease", Some(8.0), None),
            ("docs_clarity", Some(7.0), None),
            ("pain_point", None, Some(pain)),
            ("recommend", Some(10.0), None),
            ("wait_time", None, Some("never")),
        ]
    );
    assert!(stored.iter().all(|a| a.team == "payments"));

    // The second tab still shows the form: on a phone it fits the width, and sending it is refused.
    browser.switch_to_window(second).await.unwrap();
    browser.resize(390, 844).await;
    assert!(
        !browser.scrolls_sideways().await,
        "no sideways scrolling on a phone"
    );
    browser.screenshot("survey-phone").await;
    answer_required(&browser, ["2", "often", "3", "0"]).await;
    send_and_expect(&browser, "You have already answered").await;
    browser.screenshot("survey-phone-refused").await;
    assert_eq!(app.store.counts().await.unwrap().responses, 1);
    assert_eq!(
        app.store.answers(QUARTER).await.unwrap(),
        stored,
        "unchanged"
    );

    // The survey closes (`dxs survey close`): the same link now says so, and takes nothing.
    let now = chrono::Utc::now().timestamp();
    let key = sealing_key();
    assert!(app.store.close_survey(QUARTER, now, 5, &key).await.unwrap());
    browser.resize(1280, 1000).await;
    browser.goto(&link).await.unwrap();
    browser
        .wait_for(Locator::XPath("//h1[text()='This survey has closed']"))
        .await;
    assert!(browser
        .text_of("div.survey p")
        .await
        .contains("nothing sent to it now is stored"));
    browser.screenshot("survey-closed").await;
    browser.close().await;
}

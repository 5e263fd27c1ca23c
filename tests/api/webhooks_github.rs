//! GitHub's own published webhook examples (octokit/webhooks, copied unchanged into
//! `tests/fixtures/github/webhooks/`) replayed through `POST /webhooks/github`, as JSON and as
//! form-encoded deliveries (`payload=`), each signed over its raw body: none is a 4xx or a 5xx,
//! only the production deployment statuses of repositories in scope are stored, every other
//! event is counted in `dxs_webhook_events_ignored_total{source,reason}`.

use crate::collectors::at;
use crate::helpers::{config, TestApp, TestDb};
use crate::webhooks::{sign, SECRET};

/// Every example replayed: the `X-GitHub-Event` is the file name's part before the first dot.
const EXAMPLES: [&str; 12] = [
    "deployment.json",
    "deployment_status.json",
    "deployment_status.with-installation.json",
    "deployment_status.gh-pages.json",
    "push.json",
    "push.with-new-branch.json",
    "issues.opened.json",
    "issues.labeled.json",
    "pull_request.opened.json",
    "pull_request.closed.json",
    "ping.json",
    "ping.with-organization.json",
];

fn example(file: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/github/webhooks/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

/// Delivers example `file` as GitHub does (JSON, or form-encoded when `form`), with a delivery
/// id of its own: the status.
async fn deliver(app: &TestApp, file: &str, form: bool, delivery: usize) -> u16 {
    let json = example(file);
    let event = file.split('.').next().unwrap();
    let (content_type, body) = match form {
        false => ("application/json", json),
        true => (
            "application/x-www-form-urlencoded",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("payload", &json)
                .finish(),
        ),
    };
    reqwest::Client::new()
        .post(app.url("/webhooks/github"))
        .header("content-type", content_type)
        .header("x-github-event", event)
        .header("x-github-delivery", format!("delivery-{delivery}"))
        .header("x-hub-signature-256", sign(&body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `dxs_webhook_events_ignored_total{source="github",reason=…}` for each reason.
async fn ignored(app: &TestApp) -> Vec<(String, u64)> {
    let text = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = "dxs_webhook_events_ignored_total{source=\"github\",reason=\"";
    let mut found: Vec<(String, u64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|rest| {
            let (reason, value) = rest.split_once("\"} ").unwrap();
            (reason.to_string(), value.parse().unwrap())
        })
        .collect();
    found.sort();
    found
}

fn counts(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(r, n)| (r.to_string(), *n)).collect()
}

#[tokio::test]
async fn githubs_published_webhook_examples_replay_json_and_form_encoded() {
    for db in TestDb::all().await {
        // GitHub names the owner `Codertocat`; the configuration writes it in lower case.
        let settings = [
            ("DXS_WEBHOOK_SECRET", SECRET),
            ("DXS_GITHUB__ORG", "codertocat"),
        ];
        let app = TestApp::spawn(config(&settings), db.store.clone()).await;
        // From the start, at 0.
        assert_eq!(
            ignored(&app).await,
            counts(&[
                ("environment", 0),
                ("event", 0),
                ("out_of_scope", 0),
                ("state", 0)
            ])
        );
        let mut delivery = 0;
        for form in [false, true] {
            for file in EXAMPLES {
                delivery += 1;
                let status = deliver(&app, file, form, delivery).await;
                assert_eq!(status, 202, "{file} (form-encoded: {form})");
            }
        }
        // The two successful production statuses name the same deployment (145988746): one
        // fact, at the status's created_at, however often and however encoded.
        assert_eq!(db.store.counts().await.unwrap().deployments, 1);
        let stored = db
            .store
            .previous_deployment("Codertocat/Hello-World", i64::MAX, "github", "other")
            .await
            .unwrap();
        assert_eq!(
            stored,
            Some((
                "f95f852bd8fca8fcc58a9a2d6c842781e32a215e".into(),
                at("2019-05-15T15:20:55Z")
            ))
        );
        // Each encoding: deployment, 2 pushes, 2 issues, 2 pull requests and the org's ping
        // are not deployment statuses (8); the gh-pages status is in_progress (1); the first
        // ping comes from Octocoders/Hello-World, outside the org (1).
        assert_eq!(
            ignored(&app).await,
            counts(&[
                ("environment", 0),
                ("event", 16),
                ("out_of_scope", 2),
                ("state", 2)
            ])
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_deployment_status_of_a_repository_outside_the_org_is_acknowledged_never_stored() {
    let db = TestDb::sqlite().await;
    let settings = [("DXS_WEBHOOK_SECRET", SECRET), ("DXS_GITHUB__ORG", "acme")];
    let app = TestApp::spawn(config(&settings), db.store.clone()).await;
    for (delivery, form) in [(1, false), (2, true)] {
        assert_eq!(
            deliver(&app, "deployment_status.json", form, delivery).await,
            202
        );
    }
    assert_eq!(db.store.counts().await.unwrap().deployments, 0);
    assert_eq!(
        ignored(&app).await,
        counts(&[
            ("environment", 0),
            ("event", 0),
            ("out_of_scope", 2),
            ("state", 0)
        ])
    );
    db.cleanup().await;
}

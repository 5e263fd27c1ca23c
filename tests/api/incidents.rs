//! Incidents: the signed `POST /webhooks/incident` on a real socket, and GitHub issues labelled
//! `incidents.github_label` collected from the local stub with one conditional search.

use dxs::model::Incident;

use crate::collectors::{assert_all_succeeded, at, Env};
use crate::helpers::{config, TestApp, TestDb};
use crate::webhooks::{post, sign, sign_with, SECRET};

const HOOK: &str = "/webhooks/incident";
const HEADER: &str = "x-dxs-signature";

fn event(id: &str, service: &str, opened: &str, resolved: &str) -> String {
    format!(
        r#"{{"id": "{id}", "service": "{service}", "opened_at": "{opened}",
            "resolved_at": {resolved}, "severity": "SEV2"}}"#
    )
}

fn webhook(id: &str, service: &str, opened: &str, resolved: Option<&str>) -> Incident {
    Incident {
        source: "webhook".into(),
        external_id: id.into(),
        service: service.into(),
        opened_at: at(opened),
        resolved_at: resolved.map(at),
        severity: Some("SEV2".into()),
    }
}

#[tokio::test]
async fn incident_webhook_refuses_bad_signatures_and_names_a_bad_field_writing_nothing() {
    for db in TestDb::all().await {
        let app = TestApp::spawn(config(&[("DXS_WEBHOOK_SECRET", SECRET)]), db.store.clone()).await;
        let open = event("INC-42", "acme/api", "2026-10-05T10:00:00Z", "null");
        for sig in [
            None,
            Some(format!("sha256={}", "0".repeat(64))),
            Some(sign("tampered")),
            Some(sign(&open).replace("sha256=", "")),
        ] {
            let (code, _) = post(&app, HOOK, HEADER, sig, &open).await;
            assert_eq!(code, 401);
        }
        for (body, reason) in [
            (
                open.replace(r#""service": "acme/api", "#, ""),
                "service: expected a non-empty string",
            ),
            (
                open.replace(r#""id": "INC-42""#, r#""id": """#),
                "id: expected a non-empty string",
            ),
            (
                open.replace("2026-10-05T10:00:00Z", "5 Oct 2026"),
                "opened_at: expected an RFC 3339 time",
            ),
            (
                event(
                    "INC-42",
                    "acme/api",
                    "2026-10-05T10:00:00Z",
                    "\"2026-10-05T09:00:00Z\"",
                ),
                "resolved_at: before opened_at",
            ),
        ] {
            let (code, text) = post(&app, HOOK, HEADER, Some(sign(&body)), &body).await;
            assert_eq!((code, text.trim()), (400, reason));
        }
        assert_eq!(
            db.store.incidents().await.unwrap(),
            vec![],
            "nothing written"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_same_incident_id_again_updates_it_and_replaying_every_event_changes_nothing() {
    for db in TestDb::all().await {
        let app = TestApp::spawn(config(&[("DXS_WEBHOOK_SECRET", SECRET)]), db.store.clone()).await;
        let events = [
            event("INC-42", "acme/api", "2026-10-05T10:00:00Z", "null"),
            // resolved later
            event(
                "INC-42",
                "acme/api",
                "2026-10-05T10:00:00Z",
                "\"2026-10-05T13:30:00Z\"",
            ),
            // a service dxs does not know: stored, not dropped
            event("INC-43", "ledger", "2026-10-06T08:00:00Z", "null"),
        ];
        for body in &events {
            let (code, text) = post(&app, HOOK, HEADER, Some(sign(body)), body).await;
            assert_eq!(code, 202, "{text}");
        }
        let expected = vec![
            webhook(
                "INC-42",
                "acme/api",
                "2026-10-05T10:00:00Z",
                Some("2026-10-05T13:30:00Z"),
            ),
            webhook("INC-43", "ledger", "2026-10-06T08:00:00Z", None),
        ];
        assert_eq!(db.store.incidents().await.unwrap(), expected);

        // Every event again, in order, then the first one late (a relay delivering out of
        // order): a resolved incident stays resolved, nothing is duplicated.
        for body in events.iter().chain(&events[..1]) {
            assert_eq!(
                post(&app, HOOK, HEADER, Some(sign(body)), body).await.0,
                202
            );
        }
        assert_eq!(db.store.incidents().await.unwrap(), expected);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_incident_webhook_uses_its_own_secret_when_one_is_configured() {
    let db = TestDb::sqlite().await;
    let own = "incident-relay-key";
    let app = TestApp::spawn(
        config(&[
            ("DXS_WEBHOOK_SECRET", SECRET),
            ("DXS_INCIDENTS__WEBHOOK_SECRET_ENV", "INCIDENT_SECRET"),
            ("INCIDENT_SECRET", own),
        ]),
        db.store.clone(),
    )
    .await;
    let body = event("INC-1", "web", "2026-10-05T10:00:00Z", "null");
    assert_eq!(
        post(&app, HOOK, HEADER, Some(sign(&body)), &body).await.0,
        401
    );
    assert_eq!(db.store.incidents().await.unwrap(), vec![]);
    let signed = Some(sign_with(own, &body));
    assert_eq!(post(&app, HOOK, HEADER, signed, &body).await.0, 202);
    assert_eq!(db.store.incidents().await.unwrap().len(), 1);
    db.cleanup().await;
}

fn github(repo: &str, number: i64, opened: &str, resolved: Option<&str>) -> Incident {
    Incident {
        source: "github".into(),
        external_id: format!("{repo}#{number}"),
        service: repo.into(),
        opened_at: at(opened),
        resolved_at: resolved.map(at),
        severity: None,
    }
}

#[tokio::test]
async fn labelled_issues_are_incidents_read_with_one_conditional_search_across_the_org() {
    for db in TestDb::all().await {
        let env = Env::start(&[]).await;
        assert_all_succeeded(&env.collect(&db.store).await);
        // The scenario's labelled issues (a pull request and an unlabelled issue are not).
        let expected = vec![
            github(
                "acme/api",
                7,
                "2026-10-01T14:00:00Z",
                Some("2026-10-01T16:00:00Z"),
            ),
            github("acme/web", 3, "2026-10-04T12:30:00Z", None),
        ];
        assert_eq!(db.store.incidents().await.unwrap(), expected);
        let searches: Vec<_> = env
            .stub
            .hits()
            .into_iter()
            .filter(|h| h.path.starts_with("/gh/search/issues"))
            .collect();
        assert_eq!(searches.len(), 1, "{searches:?}");
        assert!(
            searches[0].path.contains("label%3A%22incident%22")
                && searches[0].path.contains("org%3Aacme"),
            "{searches:?}"
        );

        // Idle: one search, answered 304; re-collecting from a date asks again and changes
        // nothing.
        env.stub.reset_hits();
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        assert_eq!(summaries[0].items, 0);
        let statuses: Vec<u16> = env
            .stub
            .hits()
            .iter()
            .filter(|h| h.path.starts_with("/gh/search/issues"))
            .map(|h| h.status)
            .collect();
        assert_eq!(statuses, vec![304]);
        let since = at("2026-10-01T00:00:00Z");
        assert_all_succeeded(&env.collect_since(&db.store, Some(since)).await);
        assert_eq!(db.store.incidents().await.unwrap(), expected);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_empty_label_turns_github_incidents_off() {
    let db = TestDb::sqlite().await;
    let env = Env::start(&[("DXS_INCIDENTS__GITHUB_LABEL", "")]).await;
    assert_all_succeeded(&env.collect(&db.store).await);
    assert_eq!(db.store.incidents().await.unwrap(), vec![]);
    assert!(!env
        .stub
        .hits()
        .iter()
        .any(|h| h.path.contains("/search/issues")));
    db.cleanup().await;
}

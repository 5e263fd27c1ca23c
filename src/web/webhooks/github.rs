//! `POST /webhooks/github` in GitHub's shapes (DESIGN §5, §6): a delivery is JSON
//! (`application/json`) or form-encoded (`application/x-www-form-urlencoded`, the JSON in the
//! `payload` field), read alike; the signature (`X-Hub-Signature-256`) is over the raw body
//! either way. Only a successful `deployment_status` of a production environment of a repository
//! dxs measures (`github.org`, `github.repos`; names compared ignoring case) is stored. Every
//! other event is acknowledged (202) and counted in `dxs_webhook_events_ignored_total{source,
//! reason}`, never stored: `out_of_scope` (a repository outside the org), `event` (not a
//! deployment status: ping, push, issues, …), `state` (not `success`), `environment` (not
//! production). A delivery id (`X-GitHub-Delivery`) is written with the facts it brought, in
//! their transaction: one handled before is a no-op 202.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::{admit, name, parse, text, time, Hook};
use crate::delivery::services::{self, Services};
use crate::model::{Delivery, Deployment};
use crate::names::RepoSlug;
use crate::store::FactBatch;
use crate::web::client::Client;
use crate::web::{AppState, WebError};

/// The `source` label of GitHub's ignored events.
pub const SOURCE: &str = "github";

/// The handler: 401 before anything is read when the signature is bad, 400 naming a bad
/// field of a deployment status, 202 otherwise.
pub async fn handle(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, WebError> {
    admit(&state, client, Hook::GitHub, &headers, &body)?;
    let event = headers
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let json = json_of(&headers, &body)?;
    let mut batch = match facts(&state, event, &json).await? {
        Ok(batch) => batch,
        Err(reason) => {
            state.metrics.webhook_event_ignored(SOURCE, reason);
            FactBatch::default()
        }
    };
    // Written with its facts, in their transaction: a redelivery writes nothing, and a delivery
    // that failed is handled again when GitHub redelivers it.
    batch.delivery = headers
        .get("x-github-delivery")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|id| Delivery {
            source: SOURCE.into(),
            id: id.into(),
        });
    if !batch.is_empty() {
        state.record(batch).await?;
    }
    Ok(StatusCode::ACCEPTED)
}

/// The delivery's JSON: the body itself, or its `payload` field when it is form-encoded.
fn json_of(headers: &HeaderMap, body: &[u8]) -> Result<Value, WebError> {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return parse(body);
    }
    let payload = form_urlencoded::parse(body)
        .find(|(key, _)| key == "payload")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| WebError::BadRequest("payload: expected a form field".into()))?;
    parse(payload.as_bytes())
}

/// The facts of a successful production deployment status of a repository in scope:
/// `Ok(Err(reason))` for an event acknowledged without being stored.
async fn facts(
    state: &AppState,
    event: &str,
    v: &Value,
) -> Result<Result<FactBatch, &'static str>, WebError> {
    let config = &state.config;
    // An organisation's events (ping of an org hook) name no repository.
    if v.pointer("/repository/full_name").is_some() {
        let repo: String = name::<RepoSlug>(v, "repository.full_name")?.into();
        if !config.github.in_scope(&repo) {
            return Ok(Err("out_of_scope"));
        }
    }
    if event != "deployment_status" {
        return Ok(Err("event"));
    }
    let state_name = text(v, "deployment_status.state")?;
    let environment = text(v, "deployment.environment")?;
    let repo: String = name::<RepoSlug>(v, "repository.full_name")?.into();
    let payload = v
        .pointer("/deployment/payload")
        .cloned()
        .unwrap_or_default();
    let external_id = v
        .pointer("/deployment/id")
        .and_then(Value::as_i64)
        .ok_or_else(|| WebError::BadRequest("deployment.id: expected a number".into()))?
        .to_string();
    let sha = text(v, "deployment.sha")?;
    let finished_at = time(v, "deployment_status.created_at")?;
    if state_name != "success" {
        return Ok(Err("state"));
    }
    if !services::is_production(environment, &config.github.production_environments) {
        return Ok(Err("environment"));
    }
    let services = Services::new(state.store.services().await?);
    let deployment = Deployment {
        source: "github".into(),
        external_id,
        service: services.of_github(&repo, environment, &payload),
        repo,
        sha: sha.into(),
        environment: environment.into(),
        finished_at,
    };
    Ok(Ok(FactBatch {
        deployments: vec![deployment],
        ..FactBatch::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_encoded_delivery_reads_like_json() {
        let mut headers = HeaderMap::new();
        let json = json_of(&headers, br#"{"zen":"Keep it logically awesome."}"#).unwrap();
        assert_eq!(json["zen"], "Keep it logically awesome.");
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let form = b"payload=%7B%22zen%22%3A%22Keep+it+logically+awesome.%22%7D";
        assert_eq!(json_of(&headers, form).unwrap(), json);
        match json_of(&headers, b"zen=1") {
            Err(WebError::BadRequest(reason)) => assert!(reason.starts_with("payload:")),
            other => panic!("{other:?}"),
        }
    }
}

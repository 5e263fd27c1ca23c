//! Webhooks: `POST /webhooks/orchestrator` (a self-service request event from any orchestrator,
//! `X-Dxs-Signature: sha256=<hex HMAC-SHA256 of the body>`), `POST /webhooks/github`
//! ([`github`]: GitHub's events, JSON or form-encoded, `X-Hub-Signature-256`) and
//! `POST /webhooks/incident`
//! ([`incident`], signed like the orchestrator's), so a request, a deployment or an incident
//! counts seconds after it happens.
//!
//! The signature is checked (in constant time) before the body is read: a bad or missing one is
//! 401 and writes nothing. A missing or invalid field is 400 naming it, a team dxs does not know
//! 422 naming it, before anything is queued; an accepted event is 202 once the transaction that
//! wrote it has committed (events that arrive together share one: [`crate::app::App::record`]).
//! The same id sent again updates the stored fact, never duplicates it, and an event that
//! finished before the stored finish (or a `running` replayed after `succeeded`) changes
//! nothing. A GitHub delivery
//! (`X-GitHub-Delivery`) handled before is a no-op 202. Each client address may post a limited
//! number of refused (badly signed) events a minute (429 with `Retry-After` beyond); signed events
//! are never limited, so a storm from one orchestrator is absorbed. Lead times of a webhook
//! deployment are added by the next GitHub collection (they need GitHub's compare).

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::client::Client;
use super::{AppState, WebError};
use crate::config::{Config, Secret};
use crate::model::{RequestStatus, SelfServiceRequest};
use crate::names::{NameError, TeamName};
use crate::store::FactBatch;

mod github;
mod incident;

/// The webhook routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/orchestrator", post(orchestrator))
        .route("/webhooks/github", post(github::handle))
        .route("/webhooks/incident", post(incident::handle))
}

/// True when `header` is `sha256=<hex HMAC-SHA256 of body under secret>` (constant time).
pub fn signature_ok(secret: &Secret, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// The three webhooks, each with its signature header and its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hook {
    Orchestrator,
    GitHub,
    Incident,
}

impl Hook {
    /// The header that carries the signature.
    fn header(self) -> &'static str {
        match self {
            Hook::GitHub => "x-hub-signature-256",
            Hook::Orchestrator | Hook::Incident => "x-dxs-signature",
        }
    }

    /// The secret that signs it: its own, else the orchestrator's.
    fn secret(self, config: &Config) -> Option<&Secret> {
        let own = match self {
            Hook::Orchestrator => None,
            Hook::GitHub => config.github.webhook_secret.as_ref(),
            Hook::Incident => config.incidents.webhook_secret.as_ref(),
        };
        own.or(config.orchestrator.webhook_secret.as_ref())
    }
}

/// Admits an event before its body is read: signed with the hook's secret (else 401, counted
/// against the address, which is 429 once it has sent too many refused events this minute).
fn admit(
    state: &AppState,
    client: Client,
    hook: Hook,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), WebError> {
    state.limits.webhook_refusals.check(client.addr)?;
    let name = hook.header();
    let sent = headers.get(name).and_then(|v| v.to_str().ok());
    let refused = match hook.secret(&state.config) {
        Some(secret) if signature_ok(secret, body, sent) => return Ok(()),
        Some(_) => format!("bad or missing {name}"),
        None => "no webhook secret is configured".into(),
    };
    state.limits.webhook_refusals.count(client.addr);
    Err(WebError::BadSignature(refused))
}

fn parse(body: &[u8]) -> Result<Value, WebError> {
    serde_json::from_slice(body).map_err(|e| WebError::BadRequest(format!("invalid JSON: {e}")))
}

fn text<'v>(v: &'v Value, field: &str) -> Result<&'v str, WebError> {
    let pointer = format!("/{}", field.replace('.', "/"));
    v.pointer(&pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| WebError::BadRequest(format!("{field}: expected a non-empty string")))
}

/// A name checked at the edge ([`crate::names`]): a 400 naming the field when it is not valid.
fn name<N>(v: &Value, field: &str) -> Result<N, WebError>
where
    N: FromStr<Err = NameError>,
{
    text(v, field)?
        .trim()
        .parse()
        .map_err(|e: NameError| WebError::BadRequest(format!("{field}: {e}")))
}

fn time(v: &Value, field: &str) -> Result<i64, WebError> {
    crate::collectors::unix(text(v, field)?)
        .ok_or_else(|| WebError::BadRequest(format!("{field}: expected an RFC 3339 time")))
}

async fn orchestrator(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, WebError> {
    admit(&state, client, Hook::Orchestrator, &headers, &body)?;
    let v = parse(&body)?;
    let status = RequestStatus::parse(text(&v, "status")?).ok_or_else(|| {
        WebError::BadRequest("status: expected succeeded, failed, cancelled or running".to_string())
    })?;
    let human_intervention = v
        .get("human_intervention")
        .and_then(Value::as_bool)
        .ok_or_else(|| WebError::BadRequest("human_intervention: expected true or false".into()))?;
    let finished_at = match v.get("finished_at") {
        None | Some(Value::Null) => None,
        Some(_) => Some(time(&v, "finished_at")?),
    };
    if status != RequestStatus::Running && finished_at.is_none() {
        return Err(WebError::BadRequest(
            "finished_at: expected an RFC 3339 time for a finished request".into(),
        ));
    }
    let created_at = time(&v, "created_at")?;
    let team: String = name::<TeamName>(&v, "team")?.into();
    if !state.team_known(&team).await? {
        return Err(WebError::Unprocessable(format!(
            "team: {team:?} is no team dxs knows (roster, GitHub, Backstage or [[services]]); \
             nothing stored"
        )));
    }
    let request = SelfServiceRequest {
        source: "webhook".into(),
        external_id: text(&v, "id")?.into(),
        team,
        kind: text(&v, "kind")?.into(),
        status,
        human_intervention,
        created_at,
        finished_at,
    };
    let batch = FactBatch {
        requests: vec![request],
        ..FactBatch::default()
    };
    state.record(batch).await?;
    Ok(StatusCode::ACCEPTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked() {
        let secret = Secret::new("It's a Secret to Everybody");
        // GitHub's documented example for this secret and body.
        let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(signature_ok(&secret, b"Hello, World!", Some(good)));
        assert!(!signature_ok(&secret, b"Hello, World?", Some(good)));
        assert!(!signature_ok(&secret, b"Hello, World!", Some(&good[7..])));
        assert!(!signature_ok(&secret, b"Hello, World!", Some("sha256=zz")));
        assert!(!signature_ok(&secret, b"Hello, World!", None));
    }
}

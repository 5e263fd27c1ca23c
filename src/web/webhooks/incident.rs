//! `POST /webhooks/incident` (DESIGN §6): an incident from any incident tool (PagerDuty,
//! Opsgenie, incident.io, through a relay or their own webhook), signed like the orchestrator's
//! webhook with `incidents.webhook_secret_env` (else the orchestrator's secret).
//!
//! Body: `{"id": "INC-42", "service": "acme/pay-api" | "pay-api" | "<[[services]] name>",
//! "opened_at": "<RFC 3339>", "resolved_at": "<RFC 3339 or null>", "severity": "<optional>"}`.
//! The same id again updates it (`resolved_at` may arrive later, and a stored one stays when an
//! event has none); an event whose merged record would be resolved before it opened is a 400
//! and changes nothing. A service dxs does not know is stored all the same, and named in the
//! report's data-quality section.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::{admit, parse, text, time, Hook};
use crate::model::Incident;
use crate::store::FactBatch;
use crate::web::client::Client;
use crate::web::{AppState, WebError};

/// The source name of webhook incidents.
pub const SOURCE: &str = "webhook";

/// Reads an incident event; a missing or invalid field is a 400 naming it.
pub fn incident(body: &[u8]) -> Result<Incident, WebError> {
    let v = parse(body)?;
    let opened_at = time(&v, "opened_at")?;
    let resolved_at = match v.get("resolved_at") {
        None | Some(Value::Null) => None,
        Some(_) => Some(time(&v, "resolved_at")?),
    };
    if resolved_at.is_some_and(|r| r < opened_at) {
        return Err(WebError::BadRequest(
            "resolved_at: before opened_at".to_string(),
        ));
    }
    let severity = match v.get("severity") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(_) => {
            return Err(WebError::BadRequest(
                "severity: expected a non-empty string or null".to_string(),
            ))
        }
    };
    Ok(Incident {
        source: SOURCE.into(),
        external_id: text(&v, "id")?.trim().into(),
        service: text(&v, "service")?.trim().into(),
        opened_at,
        resolved_at,
        severity,
    })
}

/// The handler: 401 before anything is read when the signature is bad, 400 naming a bad
/// field, 202 once stored.
pub async fn handle(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, WebError> {
    admit(&state, client, Hook::Incident, &headers, &body)?;
    let event = incident(&body)?;
    if let Some(stored) = state.store.incident(SOURCE, &event.external_id).await? {
        let resolved_at = event.resolved_at.or(stored.resolved_at);
        if let Some(resolved_at) = resolved_at.filter(|r| *r < event.opened_at) {
            return Err(WebError::BadRequest(format!(
                "opened_at: {} is after the stored resolved_at of {} ({}); nothing changed",
                rfc3339(event.opened_at),
                event.external_id,
                rfc3339(resolved_at),
            )));
        }
    }
    let batch = FactBatch {
        incidents: vec![event],
        ..FactBatch::default()
    };
    state.record(batch).await?;
    Ok(StatusCode::ACCEPTED)
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(body: &str) -> String {
        match incident(body.as_bytes()) {
            Err(WebError::BadRequest(reason)) => reason,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn a_full_event_is_read() {
        let i = incident(
            br#"{"id":"INC-42","service":"acme/pay-api","opened_at":"2026-10-05T10:00:00Z",
                 "resolved_at":"2026-10-05T12:30:00+02:00","severity":"SEV2"}"#,
        )
        .unwrap();
        assert_eq!(i.external_id, "INC-42");
        assert_eq!(i.service, "acme/pay-api");
        assert_eq!(i.opened_at, 1_791_194_400);
        assert_eq!(i.resolved_at, Some(1_791_194_400 + 1800));
        assert_eq!(i.severity.as_deref(), Some("SEV2"));
        let open = incident(
            br#"{"id":"INC-43","service":"pay-api","opened_at":"2026-10-05T10:00:00Z","resolved_at":null}"#,
        )
        .unwrap();
        assert_eq!((open.resolved_at, open.severity), (None, None));
    }

    #[test]
    fn each_bad_field_is_named() {
        let ok = r#""id":"INC-1","service":"pay-api","opened_at":"2026-10-05T10:00:00Z""#;
        assert!(reason("{").starts_with("invalid JSON"));
        assert!(
            reason(r#"{"service":"pay-api","opened_at":"2026-10-05T10:00:00Z"}"#)
                .starts_with("id:")
        );
        assert!(
            reason(r#"{"id":"INC-1","opened_at":"2026-10-05T10:00:00Z"}"#).starts_with("service:")
        );
        assert!(reason(r#"{"id":"INC-1","service":"pay-api"}"#).starts_with("opened_at:"));
        assert!(
            reason(r#"{"id":"INC-1","service":"pay-api","opened_at":"yesterday"}"#)
                .starts_with("opened_at:")
        );
        assert!(
            reason(&format!(r#"{{{ok},"resolved_at":"2026-13-01T00:00:00Z"}}"#))
                .starts_with("resolved_at:")
        );
        assert_eq!(
            reason(&format!(r#"{{{ok},"resolved_at":"2026-10-05T09:59:59Z"}}"#)),
            "resolved_at: before opened_at"
        );
        assert!(reason(&format!(r#"{{{ok},"severity":3}}"#)).starts_with("severity:"));
    }
}

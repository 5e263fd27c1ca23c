//! Crossplane claims as self-service requests (`kubernetes.claims`, off by default).
//!
//! Each claim of a configured resource (`GET /apis/{group}/{version}/{plural}`, every
//! namespace) is one request of the team its namespace is labelled with:
//! - **succeeded** when its `Ready` condition became `True` within `claim_timeout_minutes` of its
//!   creation (finished at that condition's `lastTransitionTime`);
//! - **failed** when it was not Ready by then (finished at creation + the timeout), even if it
//!   became Ready later: somebody or something had to step in;
//! - **running** otherwise.
//!
//! A manual step is a change to the claim's spec after it was created (`metadata.generation`
//! above 1): the request then counts as finished with human intervention. The status is a
//! function of the claim alone, so collecting again gives the same rows.

use std::collections::BTreeMap;

use kube::api::{Api, ApiResource, DynamicObject};
use serde_json::Value;

use super::list_all;
use crate::collectors::{unix, CollectError, Run};
use crate::config::ClaimResource;
use crate::model::{RequestStatus, SelfServiceRequest};
use crate::store::FactBatch;

/// The `source` of requests read from claims.
const SOURCE: &str = "crossplane";

/// Reads the claims of `resource` and writes them as requests, in one batch.
pub async fn collect(
    run: &mut Run<'_>,
    client: &kube::Client,
    resource: &ClaimResource,
    teams: &BTreeMap<String, String>,
) -> Result<(), CollectError> {
    let api_resource = ApiResource {
        group: resource.group.clone(),
        version: resource.version.clone(),
        api_version: format!("{}/{}", resource.group, resource.version),
        kind: resource.plural.clone(),
        plural: resource.plural.clone(),
    };
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &api_resource);
    let path = format!(
        "/apis/{}/{}/{}",
        resource.group, resource.version, resource.plural
    );
    let claims = list_all(run, &api, &path).await?;
    let timeout = i64::from(run.config.kubernetes.claim_timeout_minutes) * 60;
    let now = chrono::Utc::now().timestamp();
    let mut requests = Vec::new();
    let mut without_team = Vec::new();
    for claim in &claims {
        let Some(namespace) = claim.metadata.namespace.as_deref() else {
            continue;
        };
        let Some(team) = teams.get(namespace) else {
            without_team.push(format!(
                "{namespace}/{}",
                claim.metadata.name.as_deref().unwrap_or("?")
            ));
            continue;
        };
        if let Some(request) = to_request(claim, &resource.plural, team, timeout, now) {
            requests.push(request);
        }
    }
    if !without_team.is_empty() {
        run.warn(format!(
            "{}: {} claims in namespaces without a team label, not counted: {}",
            resource.plural,
            without_team.len(),
            without_team.join(", ")
        ));
    }
    let batch = FactBatch {
        requests,
        ..FactBatch::default()
    };
    run.write(&batch).await?;
    Ok(())
}

/// The request a claim stands for; `None` without a uid or creation time.
fn to_request(
    claim: &DynamicObject,
    kind: &str,
    team: &str,
    timeout: i64,
    now: i64,
) -> Option<SelfServiceRequest> {
    let meta = &claim.metadata;
    let created_at = meta.creation_timestamp.as_ref()?.0.as_second();
    let deadline = created_at + timeout;
    let ready_at = ready_since(&claim.data);
    let (status, finished_at) = match ready_at {
        Some(at) if at <= deadline => (RequestStatus::Succeeded, Some(at)),
        _ if now >= deadline => (RequestStatus::Failed, Some(deadline)),
        _ => (RequestStatus::Running, None),
    };
    Some(SelfServiceRequest {
        source: SOURCE.into(),
        external_id: meta.uid.clone()?,
        team: team.into(),
        kind: kind.into(),
        status,
        human_intervention: meta.generation.is_some_and(|g| g > 1),
        created_at,
        finished_at,
    })
}

/// When the claim's `Ready` condition became `True`, if it is.
fn ready_since(data: &Value) -> Option<i64> {
    data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready" && c["status"] == "True")
        .and_then(|c| unix(c["lastTransitionTime"].as_str()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(generation: i64, ready: Option<&str>) -> DynamicObject {
        let conditions = match ready {
            Some(at) => serde_json::json!([
                {"type": "Synced", "status": "True", "lastTransitionTime": "2026-10-01T10:00:10Z"},
                {"type": "Ready", "status": "True", "lastTransitionTime": at}
            ]),
            None => serde_json::json!([
                {"type": "Ready", "status": "False", "reason": "Creating", "lastTransitionTime": "2026-10-01T10:00:10Z"}
            ]),
        };
        serde_json::from_value(serde_json::json!({
            "apiVersion": "platform.acme.io/v1alpha1",
            "kind": "PostgreSQLInstance",
            "metadata": {
                "name": "orders-db", "namespace": "payments-api", "uid": "3f1c-uid",
                "generation": generation, "creationTimestamp": "2026-10-01T10:00:00Z"
            },
            "spec": {"parameters": {"storageGB": 20}},
            "status": {"conditions": conditions}
        }))
        .unwrap()
    }

    const CREATED: i64 = 1_790_848_800; // 2026-10-01T10:00:00Z

    #[test]
    fn ready_in_time_is_a_success_late_or_never_a_failure() {
        let hour = 3600;
        let ok = to_request(
            &claim(1, Some("2026-10-01T10:12:00Z")),
            "pg",
            "payments",
            hour,
            CREATED + 7200,
        )
        .unwrap();
        assert_eq!(
            (ok.status, ok.finished_at, ok.human_intervention),
            (RequestStatus::Succeeded, Some(CREATED + 720), false)
        );
        assert_eq!(
            (
                ok.source.as_str(),
                ok.external_id.as_str(),
                ok.team.as_str()
            ),
            ("crossplane", "3f1c-uid", "payments")
        );
        let late = to_request(
            &claim(1, Some("2026-10-01T12:00:00Z")),
            "pg",
            "payments",
            hour,
            CREATED + 9000,
        )
        .unwrap();
        assert_eq!(
            (late.status, late.finished_at),
            (RequestStatus::Failed, Some(CREATED + hour))
        );
        let waiting = to_request(&claim(1, None), "pg", "payments", hour, CREATED + 600).unwrap();
        assert_eq!(
            (waiting.status, waiting.finished_at),
            (RequestStatus::Running, None)
        );
        let stuck = to_request(&claim(1, None), "pg", "payments", hour, CREATED + hour).unwrap();
        assert_eq!(stuck.status, RequestStatus::Failed);
        let edited = to_request(
            &claim(3, Some("2026-10-01T10:30:00Z")),
            "pg",
            "payments",
            hour,
            CREATED + 7200,
        )
        .unwrap();
        assert_eq!(
            (edited.status, edited.human_intervention),
            (RequestStatus::Succeeded, true)
        );
    }
}

//! The kubernetes collector: the cluster's namespaces, for adoption by namespace (DESIGN §4
//! `[kubernetes]`, `score.adoption_basis = "namespaces"`), and Crossplane claims as self-service
//! requests ([`claims`], when `kubernetes.claims` names any).
//!
//! One listing of `GET /api/v1/namespaces` through kube-rs (the in-cluster config, or
//! `kubernetes.kubeconfig`, else `KUBECONFIG` / `~/.kube/config`), paginated with `limit` and
//! `continue`. Each namespace keeps its `managed_label` (`"true"` = provisioned and managed by
//! the platform) and its `team_label`; one that is no longer listed is kept with the time it was
//! found gone, so a past quarter is judged by what existed then. The whole listing is one batch:
//! a failed page writes nothing. A failed request is retried with the shared backoff policy.

mod claims;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use k8s_openapi::api::core::v1::Namespace as KubeNamespace;
use kube::api::{Api, ListParams};
use serde::de::DeserializeOwned;

use super::{CollectError, Collector, Run};
use crate::config::KubernetesConfig;
use crate::model::Namespace;
use crate::store::FactBatch;

/// Namespaces asked per page.
const PAGE_SIZE: u32 = 500;
/// Namespaces without a team label named in the run summary before the rest are counted.
const NAMED_UNLABELLED: usize = 5;

/// Collects namespaces from Kubernetes.
pub struct KubernetesCollector;

impl Collector for KubernetesCollector {
    async fn collect(&self, run: &mut Run<'_>) -> Result<(), CollectError> {
        let k = &run.config.kubernetes;
        let client = client(k).await?;
        let api: Api<KubeNamespace> = Api::all(client.clone());
        let listed = list_all(run, &api, "/api/v1/namespaces").await?;
        let now = chrono::Utc::now().timestamp();
        let mut namespaces: Vec<Namespace> = listed.iter().filter_map(|n| to_fact(n, k)).collect();
        let unlabelled: Vec<&str> = namespaces
            .iter()
            .filter(|n| n.team.is_none())
            .map(|n| n.name.as_str())
            .collect();
        if !unlabelled.is_empty() {
            let named = unlabelled[..unlabelled.len().min(NAMED_UNLABELLED)].join(", ");
            let more = unlabelled.len().saturating_sub(NAMED_UNLABELLED);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            run.warn(format!(
                "{} namespaces without the {} label (counted for the organisation only): {named}{more}",
                unlabelled.len(),
                k.team_label
            ));
        }
        let teams: BTreeMap<String, String> = namespaces
            .iter()
            .filter_map(|n| Some((n.name.clone(), n.team.clone()?)))
            .collect();
        let seen: BTreeSet<String> = namespaces.iter().map(|n| n.name.clone()).collect();
        for mut gone in run.store.namespaces().await? {
            if gone.deleted_at.is_none() && !seen.contains(&gone.name) {
                gone.deleted_at = Some(now);
                namespaces.push(gone);
            }
        }
        let batch = FactBatch {
            namespaces,
            ..FactBatch::default()
        };
        run.write(&batch).await?;
        for resource in &k.claims {
            claims::collect(run, &client, resource, &teams).await?;
        }
        Ok(())
    }
}

/// Every object of `api`'s listing at `path`, page by page (`limit` and `continue`), each page
/// under the shared retry policy.
async fn list_all<K>(run: &Run<'_>, api: &Api<K>, path: &str) -> Result<Vec<K>, CollectError>
where
    K: Clone + DeserializeOwned + Debug,
{
    let mut listed = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(PAGE_SIZE);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let page = run
            .retrying(|| async {
                api.list(&params).await.map_err(|e| match &e {
                    kube::Error::Api(status) => (
                        status.code >= 500 || status.code == 429,
                        format!("GET {path}: HTTP {} {}", status.code, status.message),
                    ),
                    other => (true, format!("GET {path}: {other}")),
                })
            })
            .await?;
        listed.extend(page.items);
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(listed);
        }
    }
}

/// A kube-rs client for the configured cluster.
async fn client(k: &KubernetesConfig) -> Result<kube::Client, CollectError> {
    let config = match &k.kubeconfig {
        Some(path) => {
            let file = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| unreachable_cluster(format!("{}: {e}", path.display())))?;
            kube::Config::from_custom_kubeconfig(file, &kube::config::KubeConfigOptions::default())
                .await
                .map_err(|e| unreachable_cluster(format!("{}: {e}", path.display())))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| unreachable_cluster(e.to_string()))?,
    };
    kube::Client::try_from(config).map_err(|e| unreachable_cluster(e.to_string()))
}

fn unreachable_cluster(reason: String) -> CollectError {
    CollectError::Kubernetes(format!("no cluster configuration: {reason}"))
}

/// The stored fact of a listed namespace; `None` without a name or creation time.
fn to_fact(n: &KubeNamespace, k: &KubernetesConfig) -> Option<Namespace> {
    let meta = &n.metadata;
    let labels = meta.labels.as_ref();
    let label = |key: &str| labels.and_then(|l| l.get(key)).filter(|v| !v.is_empty());
    Some(Namespace {
        name: meta.name.clone()?,
        team: label(&k.team_label).cloned(),
        managed: label(&k.managed_label).is_some_and(|v| v == "true"),
        created_at: meta.creation_timestamp.as_ref()?.0.as_second(),
        deleted_at: None,
    })
}

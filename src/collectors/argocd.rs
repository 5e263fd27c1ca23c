//! The ArgoCD collector: `GET /api/v1/applications?selector=<production_selector>` (one
//! conditional request), each Application's `status.history[]` entry (a successful sync:
//! `revision`, `deployedAt`, `source.repoURL`) becomes a deployment of the GitHub repository its
//! repoURL names. Changes and lead times come from GitHub's compare, as for GitHub deployments;
//! a commit reported by both sources counts once, at its earliest deployment.
//!
//! The cursor of each Application is the highest history id written. One batch per Application.

use serde::Deserialize;

use super::{changes, unix, CollectError, Collector, Run};
use crate::model::Deployment;
use crate::services::Services;
use crate::store::FactBatch;

/// Collects from ArgoCD.
pub struct ArgoCdCollector;

#[derive(Debug, Deserialize)]
struct AppList {
    #[serde(default)]
    items: Option<Vec<Application>>,
}

#[derive(Debug, Deserialize)]
struct Application {
    metadata: Metadata,
    #[serde(default)]
    spec: Option<AppSpec>,
    #[serde(default)]
    status: Option<AppStatus>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AppSpec {
    #[serde(default)]
    source: Option<AppSource>,
}

#[derive(Debug, Deserialize)]
struct AppSource {
    #[serde(rename = "repoURL")]
    repo_url: String,
}

#[derive(Debug, Deserialize)]
struct AppStatus {
    #[serde(default)]
    history: Vec<History>,
}

#[derive(Debug, Deserialize)]
struct History {
    id: i64,
    #[serde(default)]
    revision: String,
    #[serde(rename = "deployedAt")]
    deployed_at: String,
    #[serde(default)]
    source: Option<AppSource>,
}

impl Collector for ArgoCdCollector {
    async fn collect(&self, run: &mut Run<'_>) -> Result<(), CollectError> {
        let argocd = &run.config.argocd;
        let url = format!(
            "{}/api/v1/applications?selector={}",
            argocd.url,
            encode(&argocd.production_selector)
        );
        let api = run.api(argocd.token.clone());
        let page = api.get_if_changed::<AppList>(&url).await?;
        let Some(page) = page else {
            return Ok(());
        };
        let github = run.api(run.config.github.token.clone());
        let services = Services::new(run.store.services().await?);
        for app in page.body.items.unwrap_or_default() {
            let scope = format!(
                "app:{}/{}",
                app.metadata.namespace.as_deref().unwrap_or(""),
                app.metadata.name
            );
            let done: i64 = match run.since {
                Some(_) => -1,
                None => run
                    .cursor(&scope)
                    .await?
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(-1),
            };
            let app_repo = app.spec.and_then(|s| s.source).map(|s| s.repo_url);
            let history = app.status.map(|s| s.history).unwrap_or_default();
            let newest = history.iter().map(|h| h.id).max().unwrap_or(done).max(done);
            let mut found = Vec::new();
            for h in history.into_iter().filter(|h| h.id > done) {
                let repo_url = h.source.map(|s| s.repo_url).or(app_repo.clone());
                let (Some(repo), Some(finished_at)) = (
                    repo_url.as_deref().and_then(repo_slug),
                    unix(&h.deployed_at),
                ) else {
                    run.warn(format!(
                        "{scope}: history {} has no GitHub repoURL or deployedAt",
                        h.id
                    ));
                    continue;
                };
                if run.since.is_some_and(|s| finished_at < s) || h.revision.is_empty() {
                    continue;
                }
                found.push(Deployment {
                    source: "argocd".into(),
                    external_id: format!("{}:{}", scope.trim_start_matches("app:"), h.id),
                    service: services.of_application(&repo, &app.metadata.name),
                    repo,
                    sha: h.revision,
                    environment: "production".into(),
                    finished_at,
                });
            }
            let mut commits = Vec::new();
            let mut changes = Vec::new();
            let mut repos: Vec<String> = found.iter().map(|d| d.repo.clone()).collect();
            repos.sort();
            repos.dedup();
            for repo in repos {
                let of_repo: Vec<Deployment> =
                    found.iter().filter(|d| d.repo == repo).cloned().collect();
                let (c, ch) = changes::of_deployments(run, &github, &of_repo, &services).await?;
                commits.extend(c);
                changes.extend(ch);
            }
            let batch = FactBatch {
                deployments: found,
                commits,
                changes,
                cursors: vec![run.new_cursor(&scope, newest)],
                ..FactBatch::default()
            };
            run.write(&batch).await?;
        }
        api.save_etag(page.etag).await?;
        Ok(())
    }
}

/// `owner/name` of a Git URL: `https://github.com/acme/api.git`, `git@github.com:acme/api.git`,
/// `ssh://git@ghe.example.com/acme/api`.
pub fn repo_slug(url: &str) -> Option<String> {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_end_matches('/')
        .trim_end_matches(".git");
    let path = path
        .rsplit_once(':')
        .map_or(path, |(host, p)| if host.contains('/') { path } else { p });
    let mut parts = path.rsplit('/');
    let name = parts.next().filter(|s| !s.is_empty())?;
    let owner = parts.next().filter(|s| !s.is_empty() && !s.contains('@'))?;
    Some(format!("{owner}/{name}"))
}

/// Percent-encodes a query value (label selectors hold `=`, `,` and `!`).
pub(super) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_urls_map_to_slugs() {
        for url in [
            "https://github.com/acme/api.git",
            "https://github.com/acme/api",
            "git@github.com:acme/api.git",
            "ssh://git@ghe.example.com/acme/api/",
        ] {
            assert_eq!(repo_slug(url).as_deref(), Some("acme/api"), "{url}");
        }
        assert_eq!(repo_slug("https://github.com/"), None);
    }

    #[test]
    fn selectors_are_encoded() {
        assert_eq!(
            encode("env=production,tier!=dev"),
            "env%3Dproduction%2Ctier%21%3Ddev"
        );
    }
}

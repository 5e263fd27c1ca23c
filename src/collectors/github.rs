//! The GitHub collector: repositories and team ownership ([`super::github_org`]), the team of
//! roster developers who have none from team membership ([`super::team_members`]),
//! production deployments with their statuses and changes, incidents ([`super::incidents`]), and
//! the first commit of each roster developer since their start date
//! ([`super::first_commits`]).
//!
//! Deployments of a repository are read newest first (`GET /repos/{r}/deployments`, one request
//! when nothing changed: a 304) down to the repository's cursor, the id below which every
//! deployment is settled (succeeded, failed, or abandoned for a day). One batch per repository.

use serde::Deserialize;

use super::changes;
use super::http::Api;
use super::{
    first_commits, github_org, incidents, team_members, unix, CollectError, Collector, Run,
};
use crate::delivery::services::{self, Services};
use crate::model::Deployment;
use crate::store::FactBatch;

/// A deployment still pending after this long is treated as settled (abandoned).
const PENDING_GIVE_UP_SECS: i64 = 86_400;

/// Collects from GitHub.
pub struct GithubCollector;

#[derive(Debug, Deserialize)]
struct ApiDeployment {
    id: i64,
    sha: String,
    environment: String,
    created_at: String,
    #[serde(default)]
    payload: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct ApiStatus {
    state: String,
    created_at: String,
}

impl Collector for GithubCollector {
    async fn collect(&self, run: &mut Run<'_>) -> Result<(), CollectError> {
        let api = run.github_api()?;
        let repos = github_org::repositories(run, &api).await?;
        let teams = github_org::teams(run, &api).await?;
        team_members::collect(run, &api, &teams).await?;
        let services = Services::new(run.store.services().await?);
        for repo in &repos {
            deployments(run, &api, &repo.slug, &services).await?;
        }
        incidents::collect(run, &api).await?;
        first_commits::collect(run, &api).await
    }
}

async fn deployments(
    run: &mut Run<'_>,
    api: &Api,
    repo: &str,
    services: &Services,
) -> Result<(), CollectError> {
    let github = &run.config.github;
    let scope = format!("deployments:{repo}");
    let settled: i64 = match run.since {
        Some(_) => 0,
        None => run
            .cursor(&scope)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    };
    let url = format!("{}/repos/{repo}/deployments?per_page=100", github.api_url);
    let first = api.get_if_changed::<Vec<ApiDeployment>>(&url).await?;
    let Some(first) = first else {
        return Ok(());
    };
    let etag = first.etag;
    let (mut fresh, mut next) = (Vec::new(), first.next);
    let mut page = first.body;
    'pages: loop {
        for d in page {
            let created = unix(&d.created_at).unwrap_or(0);
            if d.id <= settled || run.since.is_some_and(|s| created < s) {
                break 'pages;
            }
            fresh.push(d);
        }
        match next.take() {
            Some(link) => {
                let p = api.follow::<Vec<ApiDeployment>>(&link).await?;
                (page, next) = (p.body, p.next);
            }
            None => break,
        }
    }
    let now = chrono::Utc::now().timestamp();
    let mut found = Vec::new();
    let mut pending: Vec<i64> = Vec::new();
    for d in &fresh {
        if !services::is_production(&d.environment, &github.production_environments) {
            continue;
        }
        let url = format!(
            "{}/repos/{repo}/deployments/{}/statuses?per_page=100",
            github.api_url, d.id
        );
        let statuses = api.get_all::<ApiStatus>(&url).await?;
        let success = statuses
            .iter()
            .filter(|s| s.state == "success")
            .filter_map(|s| unix(&s.created_at))
            .min();
        let finished = statuses
            .iter()
            .any(|s| matches!(s.state.as_str(), "failure" | "error" | "inactive"));
        match success {
            Some(finished_at) => found.push(Deployment {
                source: "github".into(),
                external_id: d.id.to_string(),
                repo: repo.into(),
                service: services::of_github(repo, &d.environment, &d.payload),
                sha: d.sha.clone(),
                environment: d.environment.clone(),
                finished_at,
            }),
            None if !finished && unix(&d.created_at).unwrap_or(0) > now - PENDING_GIVE_UP_SECS => {
                pending.push(d.id)
            }
            None => {}
        }
    }
    let newest = fresh.iter().map(|d| d.id).max().unwrap_or(settled);
    let settled_now = match pending.iter().min() {
        Some(p) => (p - 1).max(settled),
        None => newest.max(settled),
    };
    let shipped = changes::of_deployments(run, api, &found, services).await?;
    let batch = FactBatch {
        deployments: found,
        commits: shipped.commits,
        changes: shipped.changes,
        reverts: shipped.reverts,
        cursors: vec![run.new_cursor(&scope, settled_now)],
        ..FactBatch::default()
    };
    run.write(&batch).await?;
    api.save_etag(etag).await?;
    Ok(())
}

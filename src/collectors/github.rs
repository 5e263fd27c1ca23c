//! The GitHub collector: repositories and team ownership ([`super::github_org`]), the team of
//! roster developers who have none from team membership ([`super::team_members`]),
//! production deployments with their statuses and changes (the pull requests of their commits,
//! [`super::pulls`]), incidents ([`super::incidents`]), and
//! the first commit of each roster developer since their start date
//! ([`super::first_commits`]).
//!
//! Deployments of a repository are read newest first (`GET /repos/{r}/deployments`, one request
//! when nothing changed: a 304) down to the repository's cursor, the id below which every
//! deployment is settled (succeeded, failed, or abandoned for a day). One batch per repository.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::changes;
use super::http::Api;
use super::{
    first_commits, github_org, incidents, pulls, team_members, unix, CollectError, Collector, Run,
};
use crate::config::DEFAULT_PRODUCTION_ENVIRONMENTS;
use crate::delivery::services::{self, Services};
use crate::glob::Glob;
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
        let mut environments = BTreeSet::new();
        for repo in &repos {
            deployments(run, &api, &repo.slug, &services, &mut environments).await?;
        }
        // Every commit still pending, those of earlier runs' failed lookups too.
        pulls::lookup(run, &api, |_| true).await?;
        if let Some(warning) =
            unmatched_globs(&run.config.github.production_environments, &environments)
        {
            run.warn(warning);
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
    environments: &mut BTreeSet<String>,
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
        environments.insert(d.environment.to_ascii_lowercase());
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
                service: services.of_github(repo, &d.environment, &d.payload),
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
        pulls: shipped.pulls,
        cursors: vec![run.new_cursor(&scope, settled_now)],
        ..FactBatch::default()
    };
    run.write(&batch).await?;
    api.save_etag(etag).await?;
    Ok(())
}

/// The warning of a run whose deployments were to `seen` environments (lowercase) when some of
/// the `production` globs matched none of them: each such glob of a configured list, or the
/// whole default list when none of it matched. `None` when the run saw no deployment.
fn unmatched_globs(production: &[Glob], seen: &BTreeSet<String>) -> Option<String> {
    if seen.is_empty() {
        return None;
    }
    let matched = |g: &Glob| {
        seen.iter()
            .any(|e| services::is_production(e, std::slice::from_ref(g)))
    };
    let unmatched: Vec<String> = production
        .iter()
        .filter(|g| !matched(g))
        .map(|g| format!("{:?}", g.to_string()))
        .collect();
    let default = production
        .iter()
        .map(ToString::to_string)
        .eq(DEFAULT_PRODUCTION_ENVIRONMENTS
            .iter()
            .map(|e| e.to_string()));
    if unmatched.is_empty() || (default && unmatched.len() < production.len()) {
        return None;
    }
    let seen: Vec<&str> = seen.iter().map(String::as_str).collect();
    Some(format!(
        "github.production_environments: {} matched none of the environments deployed to in this run ({})",
        unmatched.join(", "),
        seen.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(list: &[&str]) -> Vec<Glob> {
        list.iter().map(|g| g.parse().unwrap()).collect()
    }

    #[test]
    fn a_production_glob_that_matches_nothing_is_named() {
        let seen: BTreeSet<String> = ["production-eu".to_string(), "staging".to_string()].into();
        let warning = unmatched_globs(&globs(&["production-*", "prd", "Live"]), &seen).unwrap();
        assert_eq!(
            warning,
            "github.production_environments: \"prd\", \"Live\" matched none of the \
             environments deployed to in this run (production-eu, staging)"
        );
        assert_eq!(unmatched_globs(&globs(&["production-*"]), &seen), None);
        assert_eq!(unmatched_globs(&globs(&["prd"]), &BTreeSet::new()), None);
        // The default list is broad: it is named only when none of it matched.
        let default = globs(&DEFAULT_PRODUCTION_ENVIRONMENTS);
        assert_eq!(unmatched_globs(&default, &seen), None);
        let staging: BTreeSet<String> = ["staging".to_string()].into();
        assert!(unmatched_globs(&default, &staging)
            .unwrap()
            .starts_with("github.production_environments: \"production\", \"production-*\""));
    }
}

//! Changes and their lead times (DESIGN §5), shared by the GitHub and ArgoCD collectors.
//!
//! For a deployment D of a service of repo R at SHA S whose previous production deployment of
//! that service (any source) was at S₀, the changes are the commits of
//! `GET /repos/{R}/compare/{S₀}...{S}` (paginated); the first known deployment of a service counts
//! only its own head commit. A service that is a path of its repository keeps only the commits
//! touching that path (`GET /repos/{R}/commits?sha={S}&path={P}&since=…`). Bot commits are kept as
//! commits but are never changes. The store keeps each commit at its service's earliest
//! deployment, and groups the commits into changes (pull requests, or commits pushed outside
//! any) once GitHub has said which pull request brought each ([`super::pulls`]).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::http::{Api, HttpError};
use super::{rfc3339, unix, CollectError, Run};
use crate::delivery::services::Services;
use crate::model::{Commit, CommitPull, CommitRevert, Deployment, DeploymentChange, PullState};

/// A commit as the GitHub REST API returns it (list, compare and single-commit endpoints).
#[derive(Debug, Deserialize)]
pub struct ApiCommit {
    sha: String,
    commit: CommitDetail,
    author: Option<Account>,
}

#[derive(Debug, Deserialize)]
struct CommitDetail {
    author: Option<Signature>,
    committer: Option<Signature>,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct Signature {
    date: String,
}

/// A GitHub account (only the login is read).
#[derive(Debug, Deserialize)]
pub struct Account {
    /// The login, e.g. `dependabot[bot]`.
    pub login: String,
}

#[derive(Debug, Deserialize)]
struct Compare {
    commits: Vec<ApiCommit>,
}

/// What the deployments of a repository shipped.
#[derive(Debug, Default)]
pub struct Shipped {
    /// Every commit read (bots included).
    pub commits: Vec<Commit>,
    /// The changes, each at its service's earliest deployment.
    pub changes: Vec<DeploymentChange>,
    /// The commits that revert another (`This reverts commit <sha>`).
    pub reverts: Vec<CommitRevert>,
    /// A pull request to ask of each commit shipped ([`super::pulls`]), once ever.
    pub pulls: Vec<CommitPull>,
}

impl Shipped {
    /// Adds `other`'s facts to these.
    pub fn extend(&mut self, other: Shipped) {
        self.commits.extend(other.commits);
        self.changes.extend(other.changes);
        self.reverts.extend(other.reverts);
        self.pulls.extend(other.pulls);
    }
}

impl ApiCommit {
    /// The commits this one reverts, as its message names them.
    fn reverts(&self, repo: &str) -> Vec<CommitRevert> {
        crate::delivery::failures::reverted_commits(&self.commit.message)
            .into_iter()
            .map(|reverted| CommitRevert {
                repo: repo.into(),
                sha: self.sha.clone(),
                reverted,
            })
            .collect()
    }

    /// The stored commit of `repo`; `None` when GitHub gave no dates.
    pub fn into_commit(self, repo: &str, bot_logins: &[String]) -> Option<Commit> {
        let authored_at = unix(&self.commit.author.as_ref()?.date)?;
        let committed_at = self
            .commit
            .committer
            .as_ref()
            .and_then(|c| unix(&c.date))
            .unwrap_or(authored_at);
        let login = self.author.map(|a| a.login);
        Some(Commit {
            repo: repo.into(),
            sha: self.sha,
            is_bot: login.as_deref().is_some_and(|l| is_bot(l, bot_logins)),
            author_login: login,
            authored_at,
            committed_at,
        })
    }
}

/// A bot: a login ending in `[bot]` or one of `github.bot_logins`.
pub fn is_bot(login: &str, bot_logins: &[String]) -> bool {
    login.ends_with("[bot]") || bot_logins.iter().any(|b| b.eq_ignore_ascii_case(login))
}

/// The commits and changes of `deployments` (all of one repository), oldest first.
pub async fn of_deployments(
    run: &mut Run<'_>,
    api: &Api,
    deployments: &[Deployment],
    services: &Services,
) -> Result<Shipped, CollectError> {
    let mut sorted: Vec<&Deployment> = deployments.iter().collect();
    sorted.sort_by(|a, b| (a.finished_at, &a.external_id).cmp(&(b.finished_at, &b.external_id)));
    let github = &run.config.github;
    let mut commits = Vec::new();
    let mut reverts = Vec::new();
    let mut changes: HashMap<(String, String), DeploymentChange> = HashMap::new();
    let mut last: HashMap<&str, (String, i64)> = HashMap::new();
    for d in sorted {
        let stored = run
            .store
            .previous_deployment(&d.service, d.finished_at, &d.source, &d.external_id)
            .await?;
        let in_batch = last
            .get(d.service.as_str())
            .cloned()
            .filter(|(_, at)| *at < d.finished_at);
        let previous = match (stored, in_batch) {
            (Some(s), Some(b)) => Some(if b.1 >= s.1 { b } else { s }),
            (s, b) => s.or(b),
        };
        let base = previous.map(|(sha, _)| sha);
        let found = match base.as_deref() {
            Some(base) if base == d.sha => Ok(vec![]),
            Some(base) => compare(api, &github.api_url, &d.repo, base, &d.sha).await,
            None => head(api, &github.api_url, &d.repo, &d.sha).await,
        };
        let found = match found {
            Ok(found) => found,
            Err(e) if e.is_not_found() => {
                run.warn(format!("{}: no changes for {}: {e}", d.repo, d.sha));
                vec![]
            }
            Err(e) => return Err(e.into()),
        };
        reverts.extend(found.iter().flat_map(|c| c.reverts(&d.repo)));
        let found: Vec<Commit> = found
            .into_iter()
            .filter_map(|c| c.into_commit(&d.repo, &github.bot_logins))
            .collect();
        let in_path = match services.path_of(&d.service) {
            Some(path) if !found.is_empty() => {
                Some(touching(api, &github.api_url, d, path, &found).await?)
            }
            _ => None,
        };
        for c in found {
            if !c.is_bot && in_path.as_ref().is_none_or(|p| p.contains(&c.sha)) {
                let change = DeploymentChange {
                    service: d.service.clone(),
                    repo: c.repo.clone(),
                    sha: c.sha.clone(),
                    deployment_source: d.source.clone(),
                    deployment_id: d.external_id.clone(),
                    committed_at: c.committed_at,
                    deployed_at: d.finished_at,
                };
                // Oldest first: a commit already seen here keeps its earlier deployment.
                changes
                    .entry((d.service.clone(), c.sha.clone()))
                    .or_insert(change);
            }
            commits.push(c);
        }
        last.insert(&d.service, (d.sha.clone(), d.finished_at));
    }
    let mut changes: Vec<DeploymentChange> = changes.into_values().collect();
    changes.sort_by(|a, b| (&a.service, &a.sha).cmp(&(&b.service, &b.sha)));
    let mut pulls: Vec<CommitPull> = changes
        .iter()
        .map(|c| CommitPull {
            repo: c.repo.clone(),
            sha: c.sha.clone(),
            state: PullState::Pending,
            shipped_at: c.deployed_at,
        })
        .collect();
    pulls.sort_by(|a, b| (&a.repo, &a.sha).cmp(&(&b.repo, &b.sha)));
    pulls.dedup_by(|a, b| (&a.repo, &a.sha) == (&b.repo, &b.sha));
    Ok(Shipped {
        commits,
        changes,
        reverts,
        pulls,
    })
}

/// The SHAs among `found` (the commits a deployment of `d.service` brought) that touch `path`:
/// the commits touching it reachable from the deployed commit, since the oldest of `found`.
async fn touching(
    api: &Api,
    base_url: &str,
    d: &Deployment,
    path: &str,
    found: &[Commit],
) -> Result<HashSet<String>, HttpError> {
    let since = found.iter().map(|c| c.committed_at).min().unwrap_or(0);
    let url = format!(
        "{base_url}/repos/{}/commits?sha={}&path={}&since={}&per_page=100",
        d.repo,
        d.sha,
        path.trim_end_matches('/'),
        rfc3339(since)
    );
    let listed = api.get_all::<ApiCommit>(&url).await?;
    Ok(listed.into_iter().map(|c| c.sha).collect())
}

async fn compare(
    api: &Api,
    base_url: &str,
    repo: &str,
    base: &str,
    head: &str,
) -> Result<Vec<ApiCommit>, HttpError> {
    let url = format!("{base_url}/repos/{repo}/compare/{base}...{head}?per_page=100");
    let mut page = api.get::<Compare>(&url).await?;
    let mut commits = page.body.commits;
    while let Some(next) = page.next {
        page = api.follow::<Compare>(&next).await?;
        commits.extend(page.body.commits);
    }
    Ok(commits)
}

async fn head(
    api: &Api,
    base_url: &str,
    repo: &str,
    sha: &str,
) -> Result<Vec<ApiCommit>, HttpError> {
    let page = api
        .get::<ApiCommit>(&format!("{base_url}/repos/{repo}/commits/{sha}"))
        .await?;
    Ok(vec![page.body])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bots_by_suffix_or_configured_login() {
        let configured = vec!["ci-robot".to_string()];
        assert!(is_bot("dependabot[bot]", &[]));
        assert!(is_bot("renovate[bot]", &configured));
        assert!(is_bot("CI-Robot", &configured));
        assert!(!is_bot("ada", &configured));
    }

    #[test]
    fn commit_json_maps_author_dates_and_bots() {
        let json = r#"{"sha":"abc","commit":{"author":{"name":"A","email":"a@x","date":"2026-10-01T09:30:00Z"},
            "committer":{"name":"GitHub","email":"noreply@github.com","date":"2026-10-01T10:00:00Z"},"message":"m"},
            "author":{"login":"renovate[bot]","id":1},"committer":{"login":"web-flow","id":2}}"#;
        let c: ApiCommit = serde_json::from_str(json).unwrap();
        let c = c.into_commit("acme/api", &[]).unwrap();
        assert_eq!(c.authored_at, 1_790_847_000);
        assert_eq!(c.committed_at, 1_790_848_800);
        assert!(c.is_bot);
        assert_eq!(c.author_login.as_deref(), Some("renovate[bot]"));
    }
}

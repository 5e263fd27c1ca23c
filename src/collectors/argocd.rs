//! The ArgoCD collector: `GET /api/v1/applications?selector=<production_selector>` (one
//! conditional request), each Application's `status.history[]` entry (a successful sync:
//! `revision`, `deployedAt`, `source.repoURL`; `revisions[]` and `sources[]` for multi-source
//! Applications, each source apart) becomes a deployment to that Application (its target). A
//! Helm chart repository's source and a values-only `ref` source deploy no commit. A source that
//! is a config repository (`argocd.config_repos`, or the images the Application runs map to
//! other repositories) deploys the images its manifests name ([`super::gitops`]); any other
//! source is the service's own repository, deployed at the revision whatever its images are
//! called. Changes and lead times come from GitHub's compare, as for GitHub deployments; a
//! commit reported by both sources counts once, at its earliest deployment.
//!
//! The cursor of each Application is the highest history id settled (every entry up to it
//! linked); an entry that could not be linked keeps the cursor below it and the list's ETag
//! unsaved, so the next run tries it again. One batch per Application.

use std::collections::HashSet;

use serde::Deserialize;

use super::gitops::{self, split_image, Linker};
use super::http::{encode, Api};
use super::{changes, pulls, tags, unix, CollectError, Collector, Run};
use crate::delivery::services::Services;
use crate::model::{Commit, Deployment};
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
    #[serde(default)]
    sources: Vec<AppSource>,
}

#[derive(Debug, Clone, Deserialize)]
struct AppSource {
    #[serde(rename = "repoURL")]
    repo_url: String,
    /// Set for a Helm chart from a chart repository (not a Git repository).
    #[serde(default)]
    chart: Option<String>,
    #[serde(default)]
    path: Option<String>,
    /// Set on a multi-source Application's source whose files other sources use (`$values`).
    #[serde(default, rename = "ref")]
    reference: Option<String>,
}

impl AppSource {
    /// A source deploying commits of a Git repository: not a chart of a Helm chart repository
    /// (its revision is a chart version), nor a `ref` source with no path (values files only:
    /// ArgoCD renders nothing from it).
    fn deploys_commits(&self) -> bool {
        let values_only =
            self.reference.is_some() && self.path.as_deref().is_none_or(str::is_empty);
        self.chart.is_none() && !values_only
    }
}

#[derive(Debug, Deserialize)]
struct AppStatus {
    #[serde(default)]
    history: Vec<History>,
    #[serde(default)]
    summary: Option<Summary>,
}

#[derive(Debug, Default, Deserialize)]
struct Summary {
    #[serde(default)]
    images: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct History {
    id: i64,
    #[serde(default)]
    revision: String,
    #[serde(default)]
    revisions: Vec<String>,
    #[serde(rename = "deployedAt")]
    deployed_at: String,
    #[serde(default)]
    source: Option<AppSource>,
    #[serde(default)]
    sources: Vec<AppSource>,
}

/// What one history entry deployed, and whether all of it could be linked.
#[derive(Default)]
struct Linked {
    deployments: Vec<Deployment>,
    commits: Vec<Commit>,
    /// The GitOps config repositories it read (never services: adoption leaves them out).
    config_repos: Vec<String>,
    settled: bool,
}

/// One Application being read: its names, the images it runs now, and the run's linker.
struct AppContext<'a> {
    /// `namespace/name`.
    key: String,
    name: String,
    summary: Vec<String>,
    linker: &'a Linker<'a>,
    services: &'a Services,
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
        let github = run.github_api()?;
        let services = Services::new(run.store.services().await?);
        let repos = run.store.repositories().await?;
        let linker = Linker::new(&argocd.gitops, &services, &repos);
        let mut warned = HashSet::new();
        let mut all_settled = true;
        let mut all_shipped: HashSet<(String, String)> = HashSet::new();
        for app in page.body.items.unwrap_or_default() {
            let namespace = app.metadata.namespace.as_deref().unwrap_or("");
            let key = format!("{namespace}/{}", app.metadata.name);
            let scope = format!("app:{key}");
            let done: i64 = match run.since {
                Some(_) => -1,
                None => run
                    .cursor(&scope)
                    .await?
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(-1),
            };
            let spec = app.spec.unwrap_or(AppSpec {
                source: None,
                sources: vec![],
            });
            let status = app.status.unwrap_or(AppStatus {
                history: vec![],
                summary: None,
            });
            let context = AppContext {
                key,
                name: app.metadata.name,
                summary: status.summary.unwrap_or_default().images,
                linker: &linker,
                services: &services,
            };
            let history = status.history;
            let newest = history.iter().map(|h| h.id).max().unwrap_or(done).max(done);
            let mut found: Vec<Deployment> = Vec::new();
            let mut commits = Vec::new();
            let mut config_repos: Vec<String> = Vec::new();
            let mut unsettled: Option<i64> = None;
            for h in history.into_iter().filter(|h| h.id > done) {
                let Some(finished_at) = unix(&h.deployed_at) else {
                    run.warn(format!("{scope}: history {} has no deployedAt", h.id));
                    continue;
                };
                if run.since.is_some_and(|s| finished_at < s) {
                    continue;
                }
                let entry = h.id;
                let linked = link(
                    run,
                    (&api, &github),
                    &context,
                    &spec,
                    h,
                    finished_at,
                    &mut warned,
                )
                .await?;
                if !linked.settled {
                    unsettled = Some(unsettled.map_or(entry, |u| u.min(entry)));
                }
                found.extend(linked.deployments);
                commits.extend(linked.commits);
                config_repos.extend(linked.config_repos);
            }
            let mut shipped = changes::Shipped::default();
            let mut repos: Vec<String> = found.iter().map(|d| d.repo.clone()).collect();
            repos.sort();
            repos.dedup();
            for repo in repos {
                let of_repo: Vec<Deployment> =
                    found.iter().filter(|d| d.repo == repo).cloned().collect();
                shipped.extend(changes::of_deployments(run, &github, &of_repo, &services).await?);
            }
            commits.extend(shipped.commits);
            all_shipped.extend(
                shipped
                    .pulls
                    .iter()
                    .map(|p| (p.repo.clone(), p.sha.clone())),
            );
            all_settled &= unsettled.is_none();
            let cursor = unsettled.map_or(newest, |id| (id - 1).max(done));
            let batch = FactBatch {
                deployments: found,
                commits,
                changes: shipped.changes,
                reverts: shipped.reverts,
                pulls: shipped.pulls,
                cursors: vec![run.new_cursor(&scope, cursor)],
                ..FactBatch::default()
            };
            run.write(&batch).await?;
            run.store.mark_config_repositories(&config_repos).await?;
        }
        // The commits this run shipped; GitHub's run asks again those whose lookup failed.
        pulls::lookup(run, &github, |p| {
            all_shipped.contains(&(p.repo.clone(), p.sha.clone()))
        })
        .await?;
        if all_settled {
            api.save_etag(page.etag).await?;
        }
        Ok(())
    }
}

/// Links one history entry: each of its sources is a deployment of its own repository at the
/// revision, or (a config repository) of the images that revision's manifests name. Problems
/// are warned about once per run (`warned`) and leave the entry unsettled.
async fn link(
    run: &mut Run<'_>,
    (argo, github): (&Api, &Api),
    app: &AppContext<'_>,
    spec: &AppSpec,
    h: History,
    finished_at: i64,
    warned: &mut HashSet<String>,
) -> Result<Linked, CollectError> {
    let org = run.config.github.org.clone();
    let mut out = Linked {
        settled: true,
        ..Linked::default()
    };
    // A problem leaves the entry unsettled (tried again next run), unless nothing will ever
    // cure it; each is warned about once a run.
    let mut note = |run: &mut Run<'_>, out: &mut Linked, message: String, curable: bool| {
        out.settled &= !curable;
        if warned.insert(message.clone()) {
            run.warn(message);
        }
    };
    // (source position for multi-source Applications, source, revision)
    let sources: Vec<(Option<usize>, Option<AppSource>, String)> = if h.revisions.is_empty() {
        vec![(None, h.source.or_else(|| spec.source.clone()), h.revision)]
    } else {
        let listed = if h.sources.is_empty() {
            &spec.sources
        } else {
            &h.sources
        };
        h.revisions
            .into_iter()
            .enumerate()
            .map(|(i, r)| (Some(i + 1), listed.get(i).cloned(), r))
            .collect()
    };
    let id = format!("{}:{}", app.key, h.id);
    for (position, source, revision) in sources {
        if revision.is_empty() {
            continue;
        }
        let git = source.filter(AppSource::deploys_commits);
        let Some(repo) = git.and_then(|s| repo_slug(&s.repo_url)) else {
            continue;
        };
        let repo = app.linker.spelled(&repo);
        let config_repos = &run.config.argocd.config_repos;
        if !app
            .linker
            .is_config_repository(&repo, &app.summary, &org, config_repos)
        {
            out.deployments.push(Deployment {
                source: "argocd".into(),
                external_id: position.map_or(id.clone(), |p| format!("{id}#{p}")),
                service: app.services.of_application(&repo, &app.name),
                repo,
                sha: revision,
                environment: app.key.clone(),
                finished_at,
            });
            continue;
        }
        out.config_repos.push(repo);
        let images = gitops::images(run, argo, (&app.key, &app.name), &revision, position).await?;
        let images = match images {
            Ok(images) => images,
            Err(e) => {
                note(run, &mut out, format!("app {}: {e}", app.key), true);
                continue;
            }
        };
        for image in images {
            let (name, tag) = split_image(&image);
            let (repo, service) = match app.linker.target(name, &org) {
                Ok(Some(target)) => target,
                Ok(None) => continue,
                Err(e) => {
                    note(run, &mut out, format!("app {}: {e}", app.key), true);
                    continue;
                }
            };
            let Some(tag) = tag else {
                // A digest names an image, never a commit: nothing will link it, ever.
                let message = format!(
                    "app {}: image {image}: a digest only names no commit; tag the image with its commit or version",
                    app.key
                );
                note(run, &mut out, message, false);
                continue;
            };
            let (sha, commit) = match tags::resolve(run, github, app.linker, &repo, tag).await? {
                Ok(resolved) => resolved,
                Err(e) => {
                    let message = format!("app {}: image {image}: {e}", app.key);
                    note(run, &mut out, message, true);
                    continue;
                }
            };
            out.commits.extend(commit);
            if out.deployments.iter().all(|d| d.service != service) {
                out.deployments.push(Deployment {
                    source: "argocd".into(),
                    external_id: format!("{id}:{service}"),
                    repo,
                    service,
                    sha,
                    environment: app.key.clone(),
                    finished_at,
                });
            }
        }
    }
    Ok(out)
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
}

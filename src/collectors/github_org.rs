//! The organisation as GitHub knows it: repositories (`GET /orgs/{org}/repos`) and team
//! ownership (`GET /orgs/{org}/teams`, `GET /orgs/{org}/teams/{slug}/repos`), read with
//! conditional requests so an unchanged organisation costs a few 304s.
//!
//! GitHub team repos are the fallback owner: a repository whose owner came from the Backstage
//! catalog keeps it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::http::Api;
use super::{unix, CollectError, Run};
use crate::model::{Repository, Team};
use crate::store::FactBatch;

#[derive(Debug, Deserialize)]
struct ApiRepo {
    full_name: String,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    is_template: bool,
    pushed_at: Option<String>,
    permissions: Option<Permissions>,
}

#[derive(Debug, Deserialize)]
struct Permissions {
    #[serde(default)]
    admin: bool,
}

#[derive(Debug, Deserialize)]
struct ApiTeam {
    slug: String,
}

impl ApiRepo {
    fn into_repository(self, team: Option<String>) -> Repository {
        Repository {
            slug: self.full_name,
            team_source: team.as_ref().map(|_| "github".to_string()),
            team,
            archived: self.archived,
            pushed_at: self.pushed_at.as_deref().and_then(unix),
            fork: self.fork,
            is_template: self.is_template,
            ..Repository::default()
        }
    }
}

/// The repositories to measure: the org's non-archived ones, or those of `github.repos`.
/// Read from the store when GitHub says the list has not changed.
pub async fn repositories(run: &mut Run<'_>, api: &Api) -> Result<Vec<Repository>, CollectError> {
    let github = &run.config.github;
    let url = format!(
        "{}/orgs/{}/repos?type=all&per_page=100",
        github.api_url, github.org
    );
    let first = api.get_if_changed::<Vec<ApiRepo>>(&url).await?;
    let in_scope = |slug: &str| github.in_scope(slug);
    let all = match first {
        None => run.store.repositories().await?,
        Some(page) => {
            let repos = api.rest(page.body, page.next).await?;
            let repos: Vec<Repository> = repos
                .into_iter()
                .filter(|r| in_scope(&r.full_name))
                .map(|r| r.into_repository(None))
                .collect();
            let batch = FactBatch {
                repositories: repos.clone(),
                ..FactBatch::default()
            };
            run.write(&batch).await?;
            api.save_etag(page.etag).await?;
            repos
        }
    };
    Ok(all
        .into_iter()
        .filter(|r| !r.archived && in_scope(&r.slug))
        .collect())
}

/// Team ownership from GitHub team repos: a repository belongs to the first team (by slug) with
/// admin rights on it, else to the first team that has it. The team slugs are kept in a cursor,
/// so an unchanged team list (304) still lets each team's repositories be checked. Returns the
/// slugs of the org's teams, sorted.
pub async fn teams(run: &mut Run<'_>, api: &Api) -> Result<Vec<String>, CollectError> {
    let github = &run.config.github;
    let base = format!("{}/orgs/{}/teams", github.api_url, github.org);
    let list_url = format!("{base}?per_page=100");
    let (slugs, list_etag) = match api.get_if_changed::<Vec<ApiTeam>>(&list_url).await? {
        Some(page) => {
            let teams = api.rest(page.body, page.next).await?;
            let mut slugs: Vec<String> = teams.into_iter().map(|t| t.slug).collect();
            slugs.sort();
            (slugs, page.etag)
        }
        None => {
            let stored = run.cursor("teams").await?.unwrap_or_default();
            let slugs = stored
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from);
            (slugs.collect(), None)
        }
    };
    // Conditional first: when nothing changed, that is all it costs. When something did, the
    // teams that answered 304 are read again, so ownership is decided over every team.
    let mut read: Vec<(String, Vec<ApiRepo>)> = Vec::new();
    let mut unchanged = Vec::new();
    let mut etags = vec![list_etag];
    for slug in &slugs {
        let url = format!("{base}/{slug}/repos?per_page=100");
        match api.get_if_changed::<Vec<ApiRepo>>(&url).await? {
            Some(page) => {
                let repos = api.rest(page.body, page.next).await?;
                etags.push(page.etag);
                read.push((slug.clone(), repos));
            }
            None => unchanged.push((slug.clone(), url)),
        }
    }
    if read.is_empty() && etags.iter().all(Option::is_none) {
        return Ok(slugs);
    }
    for (slug, url) in unchanged {
        read.push((slug, api.get_all::<ApiRepo>(&url).await?));
    }
    read.sort_by(|a, b| a.0.cmp(&b.0));
    let mut owners: BTreeMap<String, (bool, String, ApiRepo)> = BTreeMap::new();
    for (slug, repos) in read {
        for repo in repos.into_iter().filter(|r| github.in_scope(&r.full_name)) {
            let admin = repo.permissions.as_ref().is_some_and(|p| p.admin);
            let better = owners
                .get(&repo.full_name)
                .is_none_or(|(had_admin, _, _)| admin && !had_admin);
            if better {
                owners.insert(repo.full_name.clone(), (admin, slug.clone(), repo));
            }
        }
    }
    let catalog_owned: Vec<String> = run
        .store
        .repositories()
        .await?
        .into_iter()
        .filter(|r| r.team_source.as_deref() == Some("catalog"))
        .map(|r| r.slug)
        .collect();
    let batch = FactBatch {
        teams: slugs
            .iter()
            .map(|s| Team {
                name: s.clone(),
                source: "github".into(),
            })
            .collect(),
        repositories: owners
            .into_values()
            .filter(|(_, _, repo)| !catalog_owned.contains(&repo.full_name))
            .map(|(_, slug, repo)| repo.into_repository(Some(slug)))
            .collect(),
        cursors: vec![run.new_cursor("teams", slugs.join(","))],
        ..FactBatch::default()
    };
    run.write(&batch).await?;
    for etag in etags {
        api.save_etag(etag).await?;
    }
    Ok(slugs)
}

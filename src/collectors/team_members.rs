//! A roster developer's team from GitHub team membership, when the roster gives none
//! (`GET /orgs/{org}/teams/{slug}/members`, conditional). Asked only while the roster has such a
//! developer; then one request per team, a 304 when its members did not change.
//!
//! Each team's members are kept in a cursor (`members:{slug}`), written with the teams they
//! decide, so a 304 still tells who is in the team. A developer in several teams (GitHub lists
//! the members of child teams in their parents too) gets the smallest, the most specific, then
//! the first by slug. A developer no team lists keeps no team, and is a warning of the run.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::http::Api;
use super::{roster, CollectError, Run};
use crate::model::Developer;
use crate::store::FactBatch;

#[derive(Debug, Deserialize)]
struct ApiMember {
    login: String,
}

/// Gives each roster developer without a team the team GitHub lists them in, among `slugs`.
pub async fn collect(run: &mut Run<'_>, api: &Api, slugs: &[String]) -> Result<(), CollectError> {
    let teamless: HashSet<String> = roster::teamless(&run.config.roster)
        .into_iter()
        .map(|login| login.to_ascii_lowercase())
        .collect();
    if teamless.is_empty() {
        return Ok(());
    }
    let github = &run.config.github;
    let mut members: Vec<(&str, Vec<String>)> = Vec::with_capacity(slugs.len());
    let (mut cursors, mut etags) = (Vec::new(), Vec::new());
    for slug in slugs {
        let scope = format!("members:{slug}");
        let url = format!(
            "{}/orgs/{}/teams/{slug}/members?per_page=100",
            github.api_url, github.org
        );
        let logins = match api.get_if_changed::<Vec<ApiMember>>(&url).await? {
            Some(page) => {
                let listed = api.rest(page.body, page.next).await?;
                let mut logins: Vec<String> = listed.into_iter().map(|m| m.login).collect();
                logins.sort();
                cursors.push(run.new_cursor(&scope, logins.join(",")));
                etags.push(page.etag);
                logins
            }
            None => {
                let stored = run.cursor(&scope).await?.unwrap_or_default();
                stored
                    .split(',')
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect()
            }
        };
        members.push((slug, logins));
    }
    let teams = teams_of(&members);
    let mut developers = Vec::new();
    for developer in run.store.developers().await? {
        let login = developer.login.to_ascii_lowercase();
        if !teamless.contains(&login) {
            continue;
        }
        match teams.get(&login) {
            Some(team) if *team != developer.team => developers.push(Developer {
                team: team.to_string(),
                ..developer
            }),
            Some(_) => {}
            None => run.warn(format!(
                "roster: {} has no team and no GitHub team of {} lists them",
                developer.login, github.org
            )),
        }
    }
    let batch = FactBatch {
        developers,
        cursors,
        ..FactBatch::default()
    };
    run.write(&batch).await?;
    for etag in etags {
        api.save_etag(etag).await?;
    }
    Ok(())
}

/// Lowercase login → the smallest team listing it, the first by slug among equals.
fn teams_of<'a>(members: &[(&'a str, Vec<String>)]) -> HashMap<String, &'a str> {
    let mut by_size: Vec<&(&str, Vec<String>)> = members.iter().collect();
    by_size.sort_by_key(|(slug, logins)| (logins.len(), *slug));
    let mut teams = HashMap::new();
    for (slug, logins) in by_size {
        for login in logins {
            teams.entry(login.to_ascii_lowercase()).or_insert(*slug);
        }
    }
    teams
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_developer_gets_the_smallest_team_listing_them_then_the_first_by_slug() {
        let members = vec![
            ("platform", vec!["Zoe".into(), "kim".into(), "lee".into()]),
            ("platform-api", vec!["zoe".into(), "max".into()]),
            ("data", vec!["max".into(), "ned".into()]),
        ];
        let teams = teams_of(&members);
        assert_eq!(teams.get("zoe"), Some(&"platform-api"));
        assert_eq!(teams.get("kim"), Some(&"platform"));
        assert_eq!(
            teams.get("max"),
            Some(&"data"),
            "data and platform-api: same size"
        );
        assert_eq!(teams.get("ned"), Some(&"data"));
        assert_eq!(teams.get("ada"), None);
    }
}

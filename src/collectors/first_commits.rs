//! Each roster developer's first commit (DESIGN §5, Onboarding lookup cost): one commit search
//! per developer whose first commit is unknown and who started inside the window,
//! `GET /search/commits?q=author:LOGIN+org:ORG+committer-date:>=START&sort=committer-date&order=asc&per_page=1`.
//! Search has its own rate limit (`x-ratelimit-resource: search`), waited out by the shared
//! policy. Once found, a developer is never asked again for that start (cursor
//! `first_commit:LOGIN` = `found:START`; a rehire is asked again from the new start); never one
//! request per developer per repository.

use serde::Deserialize;

use super::changes::ApiCommit;
use super::http::encode;
use super::http::Api;
use super::{CollectError, Run};
use crate::store::FactBatch;
use crate::store::Onboarding;

/// Cursor value of a developer whose first commit is known.
const FOUND: &str = "found";

#[derive(Debug, Deserialize)]
struct SearchPage {
    items: Vec<SearchItem>,
}

#[derive(Debug, Deserialize)]
struct SearchItem {
    #[serde(flatten)]
    commit: ApiCommit,
    repository: SearchRepository,
}

#[derive(Debug, Deserialize)]
struct SearchRepository {
    full_name: String,
}

/// The search URL of `login`'s first commit in `org` from `start` (UNIX seconds) on: the
/// instant, in UTC (a start is local midnight, so rarely 00:00 UTC).
fn search_url(api_url: &str, org: &str, login: &str, start: i64) -> String {
    let q = [
        format!("author:{login}"),
        format!("org:{org}"),
        format!("committer-date:>={}", super::rfc3339(start)),
    ]
    .iter()
    .map(|term| encode(term))
    .collect::<Vec<_>>()
    .join("+");
    format!("{api_url}/search/commits?q={q}&sort=committer-date&order=asc&per_page=1")
}

/// The cursor value of a developer whose first commit since `start` was found.
fn found_at(start: i64) -> String {
    format!("{FOUND}:{start}")
}

/// True when `dev`'s first commit since their current start was found by a search (`cursor`):
/// a rehire (a start after the commit found before) or a start moved is searched again from the
/// new start. A cursor of before starts were kept (`found`) counts while the store holds a
/// first commit since the start.
fn known(cursor: Option<&str>, dev: &Onboarding) -> bool {
    match cursor {
        Some(FOUND) => dev.first_commit_at.is_some(),
        Some(value) => value == found_at(dev.start_at),
        None => false,
    }
}

/// Searches the first commit of every roster developer who started inside the window (the
/// trailing `score.window_days`, or from `--since`) and whose first commit since that start is
/// not found yet. A search answered 304 (conditional, nothing new) leaves the developer open.
/// Logins compare as GitHub compares them, ignoring case.
pub async fn collect(run: &mut Run<'_>, api: &Api) -> Result<(), CollectError> {
    let github = &run.config.github;
    let now = chrono::Utc::now().timestamp();
    let window = now - i64::from(run.config.score.window_days) * 86_400;
    let window = run.since.map_or(window, |since| since.min(window));
    for dev in run.store.onboarding().await? {
        if dev.start_at < window {
            continue;
        }
        let scope = format!("first_commit:{}", dev.login);
        if known(run.cursor(&scope).await?.as_deref(), &dev) {
            continue;
        }
        let url = search_url(&github.api_url, &github.org, &dev.login, dev.start_at);
        let Some(page) = api.get_if_changed::<SearchPage>(&url).await? else {
            continue;
        };
        let found = page.body.items.into_iter().find_map(|item| {
            item.commit
                .into_commit(&item.repository.full_name, &github.bot_logins)
                .filter(|c| !c.is_bot && c.authored_at >= dev.start_at)
        });
        let value = match found {
            Some(_) => found_at(dev.start_at),
            None => now.to_string(),
        };
        let batch = FactBatch {
            commits: found.into_iter().collect(),
            cursors: vec![run.new_cursor(&scope, value)],
            ..FactBatch::default()
        };
        run.write(&batch).await?;
        api.save_etag(page.etag).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_names_the_login_the_org_and_the_start_instant() {
        // 2026-10-01 00:00 in Los Angeles (PDT) is 07:00 UTC.
        assert_eq!(
            search_url(
                "https://ghe.example.com/api/v3",
                "acme",
                "ada-l",
                1_790_812_800 + 7 * 3600
            ),
            "https://ghe.example.com/api/v3/search/commits?q=author%3Aada-l+org%3Aacme+\
             committer-date%3A%3E%3D2026-10-01T07%3A00%3A00Z&sort=committer-date&order=asc&per_page=1"
        );
    }

    #[test]
    fn a_rehire_is_searched_again() {
        let dev = |first| Onboarding {
            login: "ada".into(),
            team: "payments".into(),
            start_at: 100,
            first_commit_at: first,
        };
        assert!(known(Some("found:100"), &dev(Some(150))));
        // Found for an earlier start (a rehire): searched again, even when the store holds a
        // commit since the new start (from a deployment, not necessarily the first).
        assert!(!known(Some("found:40"), &dev(Some(150))));
        // A cursor of before starts were kept: known while the store holds one since the start.
        assert!(known(Some(FOUND), &dev(Some(150))));
        assert!(!known(Some(FOUND), &dev(None)));
        assert!(!known(Some("1790812800"), &dev(Some(150))));
        assert!(!known(None, &dev(None)));
    }

    #[test]
    fn a_search_item_is_a_commit_of_its_repository() {
        let json = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/search_commits.json"
        ))
        .unwrap();
        let page: SearchPage = serde_json::from_str(&json).unwrap();
        let item = page.items.into_iter().next().unwrap();
        assert_eq!(item.repository.full_name, "acme/api");
        let c = item.commit.into_commit("acme/api", &[]).unwrap();
        assert_eq!(c.author_login.as_deref(), Some("ada"));
        assert_eq!(c.authored_at, 1_790_847_000);
        assert!(!c.is_bot);
    }
}

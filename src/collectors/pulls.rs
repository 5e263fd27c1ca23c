//! The pull requests of deployed commits (DESIGN §5, change), from GitHub's GraphQL API
//! (`POST /graphql` through octocrab, under the one policy of [`super::http`]): at most 100
//! commits a query, of any repositories, each asked once ever. What GitHub said is kept in
//! `commit_pulls`, from which the store groups shipped commits into changes.
//!
//! Each commit is `cN: object(oid: …) { … on Commit { associatedPullRequests(first: 1) … } }`
//! under its repository's `rN: repository(owner, name)`: GitHub answers the merged pull request
//! that brought a commit of the default branch (number, `mergedAt`, its first commit's
//! `authoredDate`), or none for a commit pushed outside any. A commit whose answer is an error, is
//! missing or is null (a partial answer), or whose query failed, is named in a warning and asked
//! again next run: its change waits, it is never given a lead time by guess.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::http::{Api, HttpError};
use super::{unix, CollectError, Run};
use crate::model::{CommitPull, PullState};
use crate::store::{FactBatch, PendingPull};

/// Commits asked in one query (GitHub's node limits allow more; its docs advise 100).
const PER_QUERY: usize = 100;

/// GitHub's GraphQL endpoint for the REST base `api_url`: `https://api.github.com/graphql`, or
/// GitHub Enterprise Server's `https://HOST/api/graphql` beside `https://HOST/api/v3`.
pub fn graphql_url(api_url: &str) -> String {
    match api_url.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{api_url}/graphql"),
    }
}

/// Asks the pull request of each deployed commit still pending for which `wanted` is true, 100
/// a query, writing what was learned after each query.
pub async fn lookup(
    run: &mut Run<'_>,
    api: &Api,
    wanted: impl Fn(&PendingPull) -> bool,
) -> Result<(), CollectError> {
    let mut pending = run.store.pending_pulls().await?;
    pending.retain(|p| wanted(p));
    let url = graphql_url(&run.config.github.api_url);
    for chunk in pending.chunks(PER_QUERY) {
        let (text, aliases) = query(chunk);
        let results = match api.post::<Value>(&url, &json!({ "query": text })).await {
            Ok(answer) => {
                log_cost(&answer);
                read(&answer, &aliases)
            }
            Err(e @ (HttpError::Store(_) | HttpError::GithubAuth(_))) => return Err(e.into()),
            Err(e) => vec![Err(e.to_string()); chunk.len()],
        };
        let mut batch = FactBatch::default();
        let mut failed: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (commit, result) in chunk.iter().zip(results) {
            match result {
                Ok(state) => batch.pulls.push(CommitPull {
                    repo: commit.repo.clone(),
                    sha: commit.sha.clone(),
                    state,
                    shipped_at: commit.shipped_at,
                }),
                Err(reason) => failed.entry(reason).or_default().push(format!(
                    "{}@{}",
                    commit.repo,
                    &commit.sha[..commit.sha.len().min(7)]
                )),
            }
        }
        for (reason, commits) in failed {
            run.warn(format!(
                "pull request of {} not known (asked again next run): {reason}",
                commits.join(", ")
            ));
        }
        run.write(&batch).await?;
    }
    Ok(())
}

/// The query for `commits` (sorted by repository) and, for each commit, its `(rN, cN)` aliases;
/// a commit whose repository or SHA cannot be written in a query gets no alias.
fn query(commits: &[PendingPull]) -> (String, Vec<Option<(String, String)>>) {
    let fields = "associatedPullRequests(first: 1) { nodes { number mergedAt \
                  commits(first: 1) { nodes { commit { authoredDate } } } } }";
    let mut text = String::from("query { rateLimit { cost remaining resetAt }");
    let mut aliases = Vec::with_capacity(commits.len());
    let mut open: Option<&str> = None;
    let mut repos = 0;
    for (i, c) in commits.iter().enumerate() {
        let (Some((owner, name)), true) = (c.repo.split_once('/'), is_sha(&c.sha)) else {
            aliases.push(None);
            continue;
        };
        if !is_name(owner) || !is_name(name) {
            aliases.push(None);
            continue;
        }
        if open != Some(c.repo.as_str()) {
            if open.is_some() {
                text.push_str(" }");
            }
            repos += 1;
            text.push_str(&format!(
                " r{}: repository(owner: \"{owner}\", name: \"{name}\") {{",
                repos - 1
            ));
            open = Some(&c.repo);
        }
        text.push_str(&format!(
            " c{i}: object(oid: \"{}\") {{ ... on Commit {{ {fields} }} }}",
            c.sha
        ));
        aliases.push(Some((format!("r{}", repos - 1), format!("c{i}"))));
    }
    if open.is_some() {
        text.push_str(" }");
    }
    text.push_str(" }");
    (text, aliases)
}

/// What `answer` says of each commit of `aliases`: its state, or why it is not known.
fn read(answer: &Value, aliases: &[Option<(String, String)>]) -> Vec<Result<PullState, String>> {
    let errors = answer
        .get("errors")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    aliases
        .iter()
        .map(|alias| {
            let (repo, commit) = alias
                .as_ref()
                .ok_or_else(|| "not a repository and commit GitHub can be asked of".to_string())?;
            if let Some(e) = errors.iter().find(|e| concerns(e, repo, commit)) {
                let kind = e.get("type").and_then(Value::as_str).unwrap_or("ERROR");
                let message = e.get("message").and_then(Value::as_str).unwrap_or("");
                return Err(format!("GraphQL {kind}: {message}"));
            }
            let node = answer
                .pointer(&format!("/data/{repo}"))
                .filter(|r| !r.is_null())
                .ok_or("GraphQL answered nothing for the repository")?
                .get(commit)
                .ok_or("GraphQL's answer is partial: the commit is missing")?;
            if node.is_null() {
                return Err("GraphQL knows no such commit".into());
            }
            let pulls = node
                .pointer("/associatedPullRequests/nodes")
                .and_then(Value::as_array)
                .ok_or("GraphQL's answer is partial: no associatedPullRequests")?;
            let merged = pulls
                .iter()
                .find(|p| p.get("mergedAt").is_some_and(|m| !m.is_null()));
            let Some(pull) = merged else {
                return Ok(PullState::Direct);
            };
            let number = pull.get("number").and_then(Value::as_i64);
            let started_at = pull
                .pointer("/commits/nodes/0/commit/authoredDate")
                .and_then(Value::as_str)
                .and_then(unix);
            match (number, started_at) {
                (Some(number), Some(started_at)) => Ok(PullState::Pull { number, started_at }),
                _ => Err("GraphQL's answer is partial: a pull request without its number or first commit".into()),
            }
        })
        .collect()
}

/// True when GraphQL error `e` concerns commit `commit` of repository `repo`: its path is the
/// commit's or its repository's, or it has none (the whole query failed).
fn concerns(e: &Value, repo: &str, commit: &str) -> bool {
    let Some(path) = e.get("path").and_then(Value::as_array) else {
        return true;
    };
    let at = |i: usize| path.get(i).and_then(Value::as_str);
    match (at(0), at(1)) {
        (Some(r), None) => r == repo,
        (Some(r), Some(c)) => r == repo && c == commit,
        _ => true,
    }
}

/// Logs what the query cost of GraphQL's rate limit.
fn log_cost(answer: &Value) {
    if let Some(limit) = answer.pointer("/data/rateLimit") {
        tracing::debug!(
            cost = limit.get("cost").and_then(serde_json::Value::as_i64),
            remaining = limit.get("remaining").and_then(serde_json::Value::as_i64),
            reset_at = limit.get("resetAt").and_then(serde_json::Value::as_str),
            "GraphQL pull requests"
        );
    }
}

/// A full SHA: 40 hex digits.
fn is_sha(sha: &str) -> bool {
    sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit())
}

/// An owner or repository name as GitHub allows them (letters, digits, `-`, `_`, `.`).
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(repo: &str, sha: &str) -> PendingPull {
        PendingPull {
            repo: repo.into(),
            sha: sha.into(),
            shipped_at: 0,
        }
    }

    fn sha(c: char) -> String {
        std::iter::repeat_n(c, 40).collect()
    }

    #[test]
    fn graphql_lives_beside_the_rest_api() {
        assert_eq!(
            graphql_url("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            graphql_url("https://ghe.acme.io/api/v3"),
            "https://ghe.acme.io/api/graphql"
        );
    }

    #[test]
    fn one_query_asks_each_commit_under_its_repository() {
        let commits = [
            pending("acme/api", &sha('a')),
            pending("acme/api", &sha('b')),
            pending("acme/web", &sha('c')),
            pending("acme/web", "not-a-sha"),
            pending("acme/we\"b", &sha('d')),
        ];
        let (text, aliases) = query(&commits);
        let pulls = "associatedPullRequests(first: 1) { nodes { number mergedAt \
                     commits(first: 1) { nodes { commit { authoredDate } } } } }";
        let object = |i: usize, c: char| {
            format!(
                "c{i}: object(oid: \"{}\") {{ ... on Commit {{ {pulls} }} }}",
                sha(c)
            )
        };
        assert_eq!(
            text,
            format!(
                "query {{ rateLimit {{ cost remaining resetAt }} \
                 r0: repository(owner: \"acme\", name: \"api\") {{ {} {} }} \
                 r1: repository(owner: \"acme\", name: \"web\") {{ {} }} }}",
                object(0, 'a'),
                object(1, 'b'),
                object(2, 'c')
            )
        );
        let pair = |r: &str, c: &str| Some((r.to_string(), c.to_string()));
        assert_eq!(
            aliases,
            vec![
                pair("r0", "c0"),
                pair("r0", "c1"),
                pair("r1", "c2"),
                None,
                None
            ]
        );
    }

    #[test]
    fn answers_errors_and_partial_answers_are_read_per_commit() {
        // As GitHub answers: data beside errors, each error with the path of its alias.
        let answer = json!({
            "data": {
                "rateLimit": {"cost": 1, "remaining": 4999, "resetAt": "2026-10-08T11:00:00Z"},
                "r0": {
                    "c0": {"associatedPullRequests": {"nodes": [{"number": 7,
                        "mergedAt": "2026-10-07T09:00:00Z",
                        "commits": {"nodes": [{"commit": {"authoredDate": "2026-10-05T09:00:00Z"}}]}}]}},
                    "c1": {"associatedPullRequests": {"nodes": []}},
                    "c2": {"associatedPullRequests": {"nodes": [{"number": 8, "mergedAt": null,
                        "commits": {"nodes": [{"commit": {"authoredDate": "2026-10-05T09:00:00Z"}}]}}]}},
                    "c3": null,
                    "c4": null
                },
                "r1": null
            },
            "errors": [
                {"type": "NOT_FOUND", "path": ["r0", "c3"], "locations": [{"line": 1, "column": 9}],
                 "message": "Could not resolve to a Commit with the oid."},
                {"type": "NOT_FOUND", "path": ["r1"], "locations": [{"line": 1, "column": 2}],
                 "message": "Could not resolve to a Repository with the name 'acme/gone'."}
            ]
        });
        let alias = |r: &str, c: &str| Some((r.to_string(), c.to_string()));
        let aliases = [
            alias("r0", "c0"),
            alias("r0", "c1"),
            alias("r0", "c2"),
            alias("r0", "c3"),
            alias("r0", "c4"),
            alias("r0", "c5"),
            alias("r1", "c6"),
            None,
        ];
        assert_eq!(
            read(&answer, &aliases),
            vec![
                Ok(PullState::Pull {
                    number: 7,
                    started_at: 1_791_190_800
                }),
                Ok(PullState::Direct),
                Ok(PullState::Direct),
                Err("GraphQL NOT_FOUND: Could not resolve to a Commit with the oid.".into()),
                Err("GraphQL knows no such commit".into()),
                Err("GraphQL's answer is partial: the commit is missing".into()),
                Err("GraphQL NOT_FOUND: Could not resolve to a Repository with the name 'acme/gone'."
                    .into()),
                Err("not a repository and commit GitHub can be asked of".into()),
            ]
        );
        // An error without a path (the query as a whole) fails every commit; so does no data.
        let failed =
            json!({"errors": [{"message": "Something went wrong while executing your query."}]});
        assert_eq!(
            read(&failed, &[alias("r0", "c0")]),
            vec![Err(
                "GraphQL ERROR: Something went wrong while executing your query.".into()
            )]
        );
        let empty = json!({"data": null});
        assert_eq!(
            read(&empty, &[alias("r0", "c0")]),
            vec![Err("GraphQL answered nothing for the repository".into())]
        );
        let numberless = json!({"data": {"r0": {"c0": {"associatedPullRequests": {"nodes": [
            {"number": 9, "mergedAt": "2026-10-07T09:00:00Z", "commits": {"nodes": []}}]}}}}});
        assert!(read(&numberless, &[alias("r0", "c0")])[0]
            .as_ref()
            .unwrap_err()
            .contains("without its number or first commit"));
    }
}

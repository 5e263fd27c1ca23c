//! Incidents from GitHub (DESIGN §5): issues carrying `incidents.github_label` in the org's
//! repositories, found with one search across the organisation, not one request per repository
//! (`GET /search/issues?q=is:issue label:"L" org:O updated:>=T&sort=updated&order=asc`).
//!
//! The search is asked conditionally (its ETag kept like every other listing), so an idle run
//! costs one request answered 304. Its window starts at the cursor, which moves to the newest
//! `updated_at` read only once the window holds a full page: the URL, and so the ETag, stay the
//! same while little changes, and a window never grows past one page for long. Search answers at
//! most 1,000 results a query: past that, the window moves and the search is asked again.
//! Opened = `created_at`, resolved = `closed_at`; service = the one a label
//! `<incidents.service_label_prefix><name>` names (`service:pay-api`), else the issue's
//! repository (scoring attributes it: see `crate::scoring`'s attribution).

use serde::Deserialize;

use super::http::Api;
use super::{rfc3339, unix, CollectError, Run};
use crate::config::IncidentsConfig;
use crate::model::Incident;
use crate::store::FactBatch;

/// Results per search page (GitHub's largest).
const PER_PAGE: usize = 100;

/// The cursor scope: the start of the search window, UNIX seconds.
const SCOPE: &str = "incidents";

#[derive(Debug, Deserialize)]
struct SearchPage {
    total_count: u64,
    items: Vec<ApiIssue>,
}

#[derive(Debug, Deserialize)]
struct ApiIssue {
    number: i64,
    created_at: String,
    closed_at: Option<String>,
    updated_at: String,
    repository_url: String,
    pull_request: Option<serde_json::Value>,
    #[serde(default)]
    labels: Vec<ApiLabel>,
}

#[derive(Debug, Deserialize)]
struct ApiLabel {
    name: String,
}

impl ApiIssue {
    /// The repository's `owner/name`, from `…/repos/{owner}/{name}`.
    fn repo(&self) -> Option<String> {
        let mut parts = self.repository_url.trim_end_matches('/').rsplit('/');
        let name = parts.next()?;
        let owner = parts.next()?;
        Some(format!("{owner}/{name}"))
    }

    /// The incident: its service is the one a label `<prefix><service>` names, else its
    /// repository (scoring then decides whether that repository's service is meant).
    fn into_incident(self, incidents: &IncidentsConfig) -> Option<Incident> {
        let repo = self.repo()?;
        let labelled = self
            .labels
            .iter()
            .find_map(|l| incidents.service_of_label(&l.name));
        Some(Incident {
            source: "github".into(),
            external_id: format!("{repo}#{}", self.number),
            service: labelled.map_or_else(|| repo.clone(), str::to_string),
            opened_at: unix(&self.created_at)?,
            resolved_at: self.closed_at.as_deref().and_then(unix),
            severity: None,
        })
    }
}

/// The search URL of the window starting at `start`: the label's issues in every owner dxs
/// measures (the org, or the owners of `github.repos`).
fn search_url(run: &Run<'_>, label: &str, start: Option<i64>) -> String {
    let github = &run.config.github;
    let mut owners: Vec<&str> = match github.repos.is_empty() {
        true => vec![github.org.as_str()],
        false => github
            .repos
            .iter()
            .filter_map(|r| r.split('/').next())
            .collect(),
    };
    owners.sort_unstable();
    owners.dedup();
    let mut q = format!("is:issue label:\"{label}\"");
    for owner in owners {
        q.push_str(&format!(" org:{owner}"));
    }
    if let Some(start) = start {
        q.push_str(&format!(" updated:>={}", rfc3339(start)));
    }
    let base = format!("{}/search/issues", github.api_url);
    let params = [
        ("q", q.as_str()),
        ("sort", "updated"),
        ("order", "asc"),
        ("per_page", "100"),
    ];
    reqwest::Url::parse_with_params(&base, params)
        .map(String::from)
        .unwrap_or(base)
}

/// Collects the incidents updated since the window's start (`run.since` instead, when given).
pub async fn collect(run: &mut Run<'_>, api: &Api) -> Result<(), CollectError> {
    let Some(label) = run.config.incidents.github_label.clone() else {
        return Ok(());
    };
    let mut start: Option<i64> = match run.since {
        Some(since) => Some(since),
        None => run.cursor(SCOPE).await?.and_then(|v| v.parse().ok()),
    };
    loop {
        let url = search_url(run, &label, start);
        let Some(first) = api.get_if_changed::<SearchPage>(&url).await? else {
            return Ok(());
        };
        let total = first.body.total_count;
        let mut issues = first.body.items;
        let mut next = first.next;
        while let Some(link) = next.take() {
            let page = api.follow::<SearchPage>(&link).await?;
            issues.extend(page.body.items);
            next = page.next;
        }
        let read = issues.len();
        let newest = issues.iter().filter_map(|i| unix(&i.updated_at)).max();
        let (github, config) = (&run.config.github, &run.config.incidents);
        let incidents: Vec<Incident> = issues
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .filter(|i| i.repo().is_some_and(|r| github.in_scope(&r)))
            .filter_map(|i| i.into_incident(config))
            .collect();
        let moved = newest.filter(|n| read >= PER_PAGE && Some(*n) > start);
        let batch = FactBatch {
            incidents,
            cursors: moved
                .map(|n| run.new_cursor(SCOPE, n))
                .into_iter()
                .collect(),
            ..FactBatch::default()
        };
        run.write(&batch).await?;
        api.save_etag(first.etag).await?;
        match moved {
            Some(n) if total > read as u64 => start = Some(n),
            _ => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issue_maps_to_an_incident_of_its_repository() {
        let json = r#"{"number":7,"created_at":"2026-10-05T10:00:00Z","closed_at":"2026-10-05T12:00:00Z",
            "updated_at":"2026-10-05T12:00:00Z","repository_url":"https://api.github.com/repos/acme/api",
            "title":"Checkout down","labels":[{"name":"incident"}]}"#;
        let config = crate::config::Config::from_parts("", [], |_| None)
            .unwrap()
            .incidents;
        let issue: ApiIssue = serde_json::from_str(json).unwrap();
        let i = issue.into_incident(&config).unwrap();
        assert_eq!(i.external_id, "acme/api#7");
        assert_eq!(i.service, "acme/api");
        let labelled = json.replace(
            r#"[{"name":"incident"}]"#,
            r#"[{"name":"incident"},{"name":"Service: pay-api"}]"#,
        );
        let issue: ApiIssue = serde_json::from_str(&labelled).unwrap();
        let i = issue.into_incident(&config).unwrap();
        assert_eq!(
            (i.external_id.as_str(), i.service.as_str()),
            ("acme/api#7", "pay-api")
        );
        assert_eq!(i.opened_at, 1_791_194_400);
        assert_eq!(i.resolved_at, Some(1_791_194_400 + 7200));
    }
}

//! The organisation of the collection benchmark, served by a local stub that speaks GitHub's
//! REST API: every answer is computed from indices (nothing held per repository), paginated
//! with `Link: rel="next"`, with an ETag and a 304 when `If-None-Match` names it, and counted.
//!
//! Repository `r` (`acme/r0000` …) belongs to team `r % teams` and has `deploys` production
//! deployments, the k-th at commit `3k` of its history, each shipping three commits: pull
//! request k, merged with a merge commit (GitHub's GraphQL API says so, `POST /graphql`). Roster
//! developer `d` started 20 days ago when `d < new_devs` (their first commit is 5 hours later,
//! found by search), else on 2024-01-01 (outside the window: never searched).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use super::scale::scaled;

const PAGE: usize = 100;
const DAY: i64 = 86_400;

/// The organisation's size.
#[derive(Clone)]
pub struct Org {
    /// Repositories.
    pub repos: usize,
    /// Teams.
    pub teams: usize,
    /// Roster developers.
    pub devs: usize,
    /// Developers who started inside the window.
    pub new_devs: usize,
    /// Production deployments per repository.
    pub deploys: usize,
    /// "Now", UNIX seconds at a whole day.
    now: i64,
}

/// Requests answered, how many of them were 304, and how many were GraphQL queries.
#[derive(Clone, Default)]
pub struct Counts(Arc<(AtomicU64, AtomicU64, AtomicU64)>);

impl Counts {
    /// Forgets the counts.
    pub fn reset(&self) {
        self.0 .0.store(0, Ordering::SeqCst);
        self.0 .1.store(0, Ordering::SeqCst);
        self.0 .2.store(0, Ordering::SeqCst);
    }

    /// `(requests, not modified, GraphQL queries)`.
    pub fn get(&self) -> (u64, u64, u64) {
        (
            self.0 .0.load(Ordering::SeqCst),
            self.0 .1.load(Ordering::SeqCst),
            self.0 .2.load(Ordering::SeqCst),
        )
    }
}

impl Org {
    /// At scale 1: 2,000 repositories, 40 teams, 3,000 developers (300 new); 10 deployments a
    /// repository at any scale.
    pub fn at(scale: f64) -> Org {
        let now = chrono::Utc::now().timestamp();
        Org {
            repos: scaled(2_000, scale),
            teams: scaled(40, scale),
            devs: scaled(3_000, scale),
            new_devs: scaled(300, scale),
            deploys: 10,
            now: now - now % DAY,
        }
    }

    /// Deployments in all.
    pub fn deployments(&self) -> usize {
        self.repos * self.deploys
    }

    /// Commits deployed in all: a repository's first deployment ships its head, each later one
    /// three commits.
    pub fn deployed_commits(&self) -> usize {
        self.repos * (1 + 3 * (self.deploys - 1))
    }

    /// `login,team,start_date` of every developer.
    pub fn roster(&self) -> String {
        let mut text = String::from("login,team,start_date\n");
        for d in 0..self.devs {
            let start = self.start(d);
            let day = chrono::DateTime::from_timestamp(start, 0)
                .unwrap()
                .format("%Y-%m-%d");
            text.push_str(&format!("dev{d:04},team-{:02},{day}\n", d % self.teams));
        }
        text
    }

    fn start(&self, dev: usize) -> i64 {
        match dev < self.new_devs {
            true => self.now - 20 * DAY,
            false => 1_704_067_200,
        }
    }

    fn repo(&self, r: usize, admin: bool) -> Value {
        json!({
            "id": 100_000 + r, "node_id": format!("R_{r:06}"), "name": format!("r{r:04}"),
            "full_name": format!("acme/r{r:04}"), "private": true, "fork": false,
            "archived": false, "default_branch": "main", "visibility": "private",
            "pushed_at": rfc3339(self.now - (r as i64 % 30) * DAY),
            "permissions": {"admin": admin, "maintain": admin, "push": true, "pull": true}
        })
    }

    /// Commit `c` of repository `r`: authored by an old developer, one hour apart, the last
    /// ones ten days ago.
    fn commit(&self, r: usize, c: usize) -> Value {
        let at = self.now - 10 * DAY - ((3 * self.deploys - c) as i64) * 3_600;
        let author = format!(
            "dev{:04}",
            self.new_devs + (r + c) % (self.devs - self.new_devs)
        );
        json!({
            "sha": sha(r, c), "node_id": format!("C_{r}_{c}"),
            "commit": {
                "author": {"name": author, "email": format!("{author}@acme.io"), "date": rfc3339(at)},
                "committer": {"name": "GitHub", "email": "noreply@github.com", "date": rfc3339(at)},
                "message": format!("Change {c}"), "comment_count": 0
            },
            "author": {"login": author, "id": 1_000 + c, "type": "User"},
            "committer": {"login": "web-flow", "id": 19_864_447, "type": "User"},
            "parents": [{"sha": sha(r, c.saturating_sub(1))}]
        })
    }

    fn deployment_at(&self, k: usize) -> i64 {
        let at = self.now - 10 * DAY - ((3 * self.deploys - 3 * k) as i64) * 3_600;
        at + 1_800
    }

    /// GraphQL's answer to dxs's query of the pull requests of deployed commits: each commit `c`
    /// of repository `r` belongs to pull request `k` (`3k − 2 ≤ c ≤ 3k`), merged at the k-th
    /// deployment's creation, whose first commit is `3k − 2`.
    fn graphql(&self, body: &[u8]) -> Option<Value> {
        let query: Value = serde_json::from_slice(body).ok()?;
        let text = query.get("query")?.as_str()?;
        let repository =
            regex::Regex::new(r#"(r\d+): repository\(owner: "acme", name: "r(\d+)"\)"#).ok()?;
        let object = regex::Regex::new(r#"(c\d+): object\(oid: "([0-9a-f]{40})"\)"#).ok()?;
        let starts: Vec<(usize, String)> = repository
            .captures_iter(text)
            .map(|c| (c.get(0).unwrap().start(), c[1].to_string()))
            .collect();
        let mut data = serde_json::Map::new();
        data.insert(
            "rateLimit".into(),
            json!({"cost": 1, "remaining": 4_000, "resetAt": rfc3339(self.now + 3_600)}),
        );
        for (i, (start, alias)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(text.len(), |s| s.0);
            let mut commits = serde_json::Map::new();
            for c in object.captures_iter(&text[*start..end]) {
                let oid = &c[2];
                let commit = usize::from_str_radix(&oid[8..], 16).ok()?;
                let k = commit.div_ceil(3).max(1);
                let first = self.commit(0, 3 * k - 2)["commit"]["author"]["date"].clone();
                let merged = rfc3339(self.deployment_at(k) - 600);
                commits.insert(
                    c[1].to_string(),
                    json!({"associatedPullRequests": {"nodes": [{"number": k, "mergedAt": merged,
                        "commits": {"nodes": [{"commit": {"authoredDate": first}}]}}]}}),
                );
            }
            data.insert(alias.clone(), Value::Object(commits));
        }
        Some(json!({ "data": data }))
    }

    fn route(&self, path: &str, query: &HashMap<String, String>) -> Option<Value> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let repo_index = |name: &str| name.strip_prefix('r')?.parse::<usize>().ok();
        match parts.as_slice() {
            ["orgs", "acme", "repos"] => Some(Value::Array(
                (0..self.repos).map(|r| self.repo(r, false)).collect(),
            )),
            ["orgs", "acme", "teams"] => Some(Value::Array(
                (0..self.teams)
                    .map(|t| json!({"id": t, "slug": format!("team-{t:02}"), "name": format!("Team {t}")}))
                    .collect(),
            )),
            ["orgs", "acme", "teams", team, "repos"] => {
                let t: usize = team.strip_prefix("team-")?.parse().ok()?;
                Some(Value::Array(
                    (t..self.repos)
                        .step_by(self.teams)
                        .map(|r| self.repo(r, true))
                        .collect(),
                ))
            }
            ["repos", "acme", name, "deployments"] => {
                let r = repo_index(name)?;
                Some(Value::Array(
                    (1..=self.deploys)
                        .rev()
                        .map(|k| {
                            let created = self.deployment_at(k) - 600;
                            json!({
                                "id": r * 100 + k, "sha": sha(r, 3 * k), "ref": "main",
                                "task": "deploy", "environment": "production",
                                "production_environment": true, "created_at": rfc3339(created),
                                "updated_at": rfc3339(created)
                            })
                        })
                        .collect(),
                ))
            }
            ["repos", "acme", name, "deployments", id, "statuses"] => {
                let r = repo_index(name)?;
                let k = id.parse::<usize>().ok()? - r * 100;
                Some(json!([{
                    "id": (r * 100 + k) * 10, "state": "success", "environment": "production",
                    "created_at": rfc3339(self.deployment_at(k))
                }]))
            }
            ["repos", "acme", name, "commits", wanted] => {
                let r = repo_index(name)?;
                let c = (0..=3 * self.deploys).find(|c| sha(r, *c) == *wanted)?;
                Some(self.commit(r, c))
            }
            ["repos", "acme", name, "compare", range] => {
                let r = repo_index(name)?;
                let (base, head) = range.split_once("...")?;
                let index = |s: &str| (0..=3 * self.deploys).find(|c| sha(r, *c) == s);
                let (b, h) = (index(base)?, index(head)?);
                let commits: Vec<Value> = (b + 1..=h).map(|c| self.commit(r, c)).collect();
                Some(json!({"status": "ahead", "ahead_by": commits.len(), "behind_by": 0,
                    "total_commits": commits.len(), "commits": commits, "files": []}))
            }
            ["search", "commits"] => {
                let q = query.get("q")?;
                let login = q.split(['+', ' ']).find_map(|t| t.strip_prefix("author:"))?;
                let d: usize = login.strip_prefix("dev")?.parse().ok()?;
                let items: Vec<Value> = (d < self.new_devs)
                    .then(|| {
                        let r = d % self.repos;
                        let at = rfc3339(self.start(d) + 5 * 3_600);
                        json!({
                            "sha": format!("{d:040x}"),
                            "commit": {"author": {"name": login, "date": at}, "committer": {"name": login, "date": at}, "message": "first"},
                            "author": {"login": login, "id": d, "type": "User"},
                            "repository": {"name": format!("r{r:04}"), "full_name": format!("acme/r{r:04}")},
                            "score": 1.0
                        })
                    })
                    .into_iter()
                    .collect();
                Some(json!({"total_count": items.len(), "incomplete_results": false, "items": items}))
            }
            // The incidents collector's one search across the organisation: no repository of
            // the organisation has an issue labelled as an incident.
            ["search", "issues"] => {
                let q = query.get("q")?;
                let terms: Vec<&str> = q.split(['+', ' ']).collect();
                (terms.contains(&"is:issue") && terms.contains(&"org:acme"))
                    .then(|| json!({"total_count": 0, "incomplete_results": false, "items": []}))
            }
            _ => None,
        }
    }
}

fn sha(r: usize, c: usize) -> String {
    format!("{r:08x}{c:032x}")
}

fn rfc3339(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn decode(v: &str) -> String {
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            v.get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok()),
        ) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Served {
    org: Org,
    counts: Counts,
    base: String,
}

/// Serves `org` on `127.0.0.1:<random port>`; returns its base URL.
pub async fn serve(org: Org, counts: Counts) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(Served {
        org,
        counts,
        base: base.clone(),
    });
    let app = axum::Router::new().fallback(handle).with_state(served);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn handle(
    State(s): State<Arc<Served>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    s.counts.0 .0.fetch_add(1, Ordering::Relaxed);
    if method == Method::POST && uri.path() == "/graphql" {
        s.counts.0 .2.fetch_add(1, Ordering::Relaxed);
        let answer = s
            .org
            .graphql(&body)
            .unwrap_or_else(|| json!({"errors": [{"message": "bad query"}]}));
        return Response::builder()
            .header("content-type", "application/json; charset=utf-8")
            .header("x-ratelimit-resource", "graphql")
            .header("x-ratelimit-remaining", "4000")
            .status(200)
            .body(Body::from(answer.to_string()))
            .unwrap();
    }
    let query: HashMap<String, String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect();
    let Some(body) = s.org.route(uri.path(), &query) else {
        return Response::builder()
            .status(404)
            .body(Body::from("{\"message\":\"Not Found\"}"))
            .unwrap();
    };
    let (body, next) = match body {
        Value::Array(items) => {
            let per_page: usize = query
                .get("per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(30)
                .min(PAGE);
            let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let start = (page - 1) * per_page;
            let next = (start + per_page < items.len()).then(|| {
                let rest: Vec<String> = uri
                    .query()
                    .unwrap_or("")
                    .split('&')
                    .filter(|p| !p.starts_with("page="))
                    .map(String::from)
                    .collect();
                format!(
                    "{}{}?{}&page={}",
                    s.base,
                    uri.path(),
                    rest.join("&"),
                    page + 1
                )
            });
            let slice: Vec<Value> = items.into_iter().skip(start).take(per_page).collect();
            (Value::Array(slice), next)
        }
        other => (other, None),
    };
    let text = body.to_string();
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    let etag = format!("W/\"{:016x}\"", hasher.finish());
    let search = uri.path().starts_with("/search/");
    let mut response = Response::builder()
        .header("etag", &etag)
        .header("content-type", "application/json; charset=utf-8")
        .header(
            "x-ratelimit-resource",
            if search { "search" } else { "core" },
        )
        .header("x-ratelimit-remaining", if search { "29" } else { "4990" });
    if let Some(next) = next {
        response = response.header("link", format!("<{next}>; rel=\"next\""));
    }
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        s.counts.0 .1.fetch_add(1, Ordering::Relaxed);
        return response.status(304).body(Body::empty()).unwrap();
    }
    response.status(200).body(Body::from(text)).unwrap()
}

//! One local stub server for GitHub (`/gh`), ArgoCD (`/argo`) and Backstage (`/bs`) that
//! speaks their JSON (built from `tests/fixtures/`), paginates with `Link: rel="next"`, answers
//! `If-None-Match` with 304, counts every request, and injects faults on demand.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::scenario::Scenario;
use crate::stub_app::AppStub;

/// Items per page of every paginated list (small, so the scenario paginates).
const PAGE: usize = 2;

/// A fault injected on the next request whose path and query contain a pattern.
#[derive(Clone)]
pub enum Fault {
    /// Answer with this status.
    Status(u16),
    /// Answer late (after the client's timeout, so the client has gone): recorded as status 0.
    Delay(Duration),
    /// GitHub primary rate limit: 403, `x-ratelimit-remaining: 0`, reset now.
    RateLimit,
    /// The same, resetting in this many seconds.
    RateLimitFor(i64),
    /// Secondary rate limit: 429 with `retry-after: 0`.
    Secondary,
    /// Secondary rate limit as a 403 with no header, only GitHub's message.
    SecondaryForbidden,
    /// Never answer; notify the test that the request arrived (a crash point).
    Hang(Arc<Notify>),
    /// A 200 whose body never ends (chunked, no length): only a capped reader finishes.
    Endless,
    /// The route's usual answer, with `Link: rel="next"` pointing at this URL instead.
    NextTo(String),
}

/// A request the stub saw and its answer.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Path and query.
    pub path: String,
    /// Status answered.
    pub status: u16,
    /// An `Authorization: Bearer` header came with it.
    pub bearer: bool,
}

struct Inner {
    base: String,
    scenario: Scenario,
    hits: Mutex<Vec<Hit>>,
    faults: Mutex<Vec<(String, Fault)>>,
    down: Mutex<Vec<String>>,
    app: Option<Arc<AppStub>>,
    delay: Duration,
    broken_pulls: Mutex<Vec<String>>,
}

/// The running stub.
#[derive(Clone)]
pub struct Stub {
    inner: Arc<Inner>,
}

impl Stub {
    /// Serves `scenario` on `127.0.0.1:<random port>`.
    pub async fn start(scenario: Scenario) -> Stub {
        Stub::start_with(scenario, None, Duration::ZERO).await
    }

    /// Serves `scenario` with GitHub App authentication (`app`), each answer `delay` late.
    pub async fn start_with(scenario: Scenario, app: Option<AppStub>, delay: Duration) -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stub = Stub {
            inner: Arc::new(Inner {
                base,
                scenario,
                hits: Mutex::default(),
                faults: Mutex::default(),
                down: Mutex::default(),
                app: app.map(Arc::new),
                delay,
                broken_pulls: Mutex::default(),
            }),
        };
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(stub.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        stub
    }

    /// The GitHub App side, when started with one.
    pub fn app(&self) -> &AppStub {
        self.inner.app.as_deref().expect("started with an app")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.inner.base
    }

    /// Injects `fault` once on the next request containing `pattern`.
    pub fn fault(&self, pattern: &str, fault: Fault) {
        self.inner
            .faults
            .lock()
            .unwrap()
            .push((pattern.into(), fault));
    }

    /// Every request containing `pattern` gets 502 from now on.
    pub fn down(&self, pattern: &str) {
        self.inner.down.lock().unwrap().push(pattern.into());
    }

    /// The next GraphQL answer naming commit `sha` is partial for it: `null`, with an error.
    pub fn break_pull(&self, sha: String) {
        self.inner.broken_pulls.lock().unwrap().push(sha);
    }

    /// Requests seen so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.inner.hits.lock().unwrap().clone()
    }

    /// Forgets the requests seen so far.
    pub fn reset_hits(&self) {
        self.inner.hits.lock().unwrap().clear();
    }

    fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut faults = self.inner.faults.lock().unwrap();
        let i = faults.iter().position(|(p, _)| path.contains(p.as_str()))?;
        Some(faults.remove(i).1)
    }
}

fn record(stub: &Stub, path: &str, status: u16, headers: &HeaderMap) {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    stub.inner.hits.lock().unwrap().push(Hit {
        path: path.into(),
        status,
        bearer,
    });
}

/// GitHub's rate-limit resource of a path: search has its own limit.
fn resource(path: &str) -> &'static str {
    match path.starts_with("/gh/search/") {
        true => "search",
        false => "core",
    }
}

fn rate_limited(path: &str, reset: i64) -> Response {
    Response::builder()
        .status(403)
        .header("x-ratelimit-resource", resource(path))
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", reset.to_string())
        .body(Body::from("{\"message\":\"API rate limit exceeded\"}"))
        .unwrap()
}

fn status(code: u16) -> Response {
    Response::builder()
        .status(code)
        .body(Body::from("{\"message\":\"stub\"}"))
        .unwrap()
}

async fn handle(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    tokio::time::sleep(stub.inner.delay).await;
    if let Some(fault) = stub.take_fault(&path) {
        let now = chrono::Utc::now().timestamp();
        let answer = match fault {
            Fault::Status(code) => Some(status(code)),
            Fault::RateLimit => Some(rate_limited(&path, now)),
            Fault::RateLimitFor(secs) => Some(rate_limited(&path, now + secs)),
            Fault::Secondary => Some(
                Response::builder()
                    .status(429)
                    .header("retry-after", "0")
                    .body(Body::from("{\"message\":\"secondary rate limit\"}"))
                    .unwrap(),
            ),
            Fault::SecondaryForbidden => Some(
                Response::builder()
                    .status(403)
                    .body(Body::from(
                        "{\"message\":\"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.\"}",
                    ))
                    .unwrap(),
            ),
            Fault::Delay(d) => {
                record(&stub, &path, 0, &headers);
                tokio::time::sleep(d).await;
                return status(504);
            }
            Fault::Hang(notify) => {
                record(&stub, &path, 0, &headers);
                notify.notify_one();
                std::future::pending::<()>().await;
                None
            }
            Fault::Endless => {
                let chunk = axum::body::Bytes::from(vec![b' '; 16 * 1024]);
                let endless = futures_util::stream::repeat(chunk).map(Ok::<_, std::io::Error>);
                Some(
                    Response::builder()
                        .status(200)
                        .header("content-type", "application/json")
                        .body(Body::from_stream(endless))
                        .unwrap(),
                )
            }
            Fault::NextTo(url) => {
                let mut answer = answer(&stub, &uri, &headers, &path);
                let link = format!("<{url}>; rel=\"next\"").parse().unwrap();
                answer.headers_mut().insert("link", link);
                return answer;
            }
        };
        if let Some(answer) = answer {
            record(&stub, &path, answer.status().as_u16(), &headers);
            return answer;
        }
    }
    if let Some(app) = &stub.inner.app {
        if let Some(answer) = app.answer(&method, &path, &headers) {
            record(&stub, &path, answer.status().as_u16(), &headers);
            return answer;
        }
    }
    let down = stub.inner.down.lock().unwrap().clone();
    if down.iter().any(|p| path.contains(p.as_str())) {
        record(&stub, &path, 502, &headers);
        return status(502);
    }
    if method == Method::POST && uri.path() == "/gh/graphql" {
        return graphql(&stub, &headers, &path, &body);
    }
    answer(&stub, &uri, &headers, &path)
}

/// `POST /graphql`: the pull requests of the commits dxs's query names (`rN: repository(owner:
/// "o", name: "n") { cN: object(oid: "…") … }`), as GitHub answers them.
fn graphql(stub: &Stub, headers: &HeaderMap, path: &str, body: &[u8]) -> Response {
    let query: Value = serde_json::from_slice(body).unwrap_or_default();
    let text = query["query"].as_str().unwrap_or("");
    let repository =
        regex::Regex::new(r#"(r\d+): repository\(owner: "([^"]+)", name: "([^"]+)"\)"#).unwrap();
    let object = regex::Regex::new(r#"(c\d+): object\(oid: "([0-9a-f]{40})"\)"#).unwrap();
    let mut asked: Vec<crate::scenario_json::Asked> = Vec::new();
    let repos: Vec<(usize, String, String)> = repository
        .captures_iter(text)
        .map(|c| {
            (
                c.get(0).unwrap().start(),
                c[1].to_string(),
                format!("{}/{}", &c[2], &c[3]),
            )
        })
        .collect();
    for (start, alias, repo) in &repos {
        let end = repos
            .iter()
            .map(|r| r.0)
            .find(|s| s > start)
            .unwrap_or(text.len());
        let objects = object
            .captures_iter(&text[*start..end])
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect();
        asked.push((alias.clone(), repo.clone(), objects));
    }
    let broken: Vec<String> = std::mem::take(&mut *stub.inner.broken_pulls.lock().unwrap());
    let answer = stub.inner.scenario.graphql_pulls(&asked, &broken);
    record(stub, path, 200, headers);
    Response::builder()
        .status(200)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ratelimit-resource", "graphql")
        .header("x-ratelimit-remaining", "4999")
        .body(Body::from(answer.to_string()))
        .unwrap()
}

/// The route's answer: a page of its JSON, or 304 when `If-None-Match` names its ETag.
fn answer(stub: &Stub, uri: &Uri, headers: &HeaderMap, path: &str) -> Response {
    let query = parse_query(uri.query().unwrap_or(""));
    let Some(body) = route(&stub.inner.scenario, uri.path(), &query) else {
        record(stub, path, 404, headers);
        return status(404);
    };
    let (body, next) = paginate(body, &query, uri.path(), stub.base());
    let text = body.to_string();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    let etag = format!("W/\"{:016x}\"", hasher.finish());
    let not_modified = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut response = Response::builder()
        .header("etag", &etag)
        .header("content-type", "application/json; charset=utf-8");
    if uri.path().starts_with("/gh/") {
        let (limit, left) = match resource(path) {
            "search" => ("30", "29"),
            _ => ("5000", "4990"),
        };
        response = response
            .header("x-ratelimit-resource", resource(path))
            .header("x-ratelimit-limit", limit)
            .header("x-ratelimit-remaining", left);
    }
    if let Some(next) = next {
        response = response.header("link", format!("<{next}>; rel=\"next\""));
    }
    let code = if not_modified { 304 } else { 200 };
    record(stub, path, code, headers);
    let body = if not_modified {
        Body::empty()
    } else {
        Body::from(text)
    };
    response
        .status(StatusCode::from_u16(code).unwrap())
        .body(body)
        .unwrap()
}

fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect()
}

/// Decodes a query value: `+` is a space, `%XX` a byte.
fn decode(value: &str) -> String {
    let value = value.replace('+', " ");
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&value[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Percent-encodes a query value (all but unreserved characters and `:`).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// A list body becomes page `?page=N` of it, with the next page's URL; `Paged::Compare`
/// paginates the `commits` of a compare envelope.
fn paginate(
    body: Routed,
    query: &HashMap<String, String>,
    path: &str,
    base: &str,
) -> (Value, Option<String>) {
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let (items, wrap): (Vec<Value>, Option<Value>) = match body {
        Routed::One(v) => return (v, None),
        Routed::List(items) => (items, None),
        Routed::Compare(envelope, commits) => (commits, Some(envelope)),
        Routed::Search(items) => {
            let total = items.len();
            (
                items,
                Some(json!({"total_count": total, "incomplete_results": false})),
            )
        }
    };
    let start = (page - 1) * PAGE;
    let slice: Vec<Value> = items.iter().skip(start).take(PAGE).cloned().collect();
    let next = (start + PAGE < items.len()).then(|| {
        let mut q: Vec<String> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        q.sort();
        q.push(format!("page={}", page + 1));
        format!("{base}{path}?{}", q.join("&"))
    });
    let value = match wrap {
        Some(mut envelope) if envelope.get("total_count").is_some() => {
            envelope["items"] = Value::Array(slice);
            envelope
        }
        Some(mut envelope) => {
            envelope["total_commits"] = json!(items.len());
            envelope["ahead_by"] = json!(items.len());
            envelope["commits"] = Value::Array(slice);
            envelope
        }
        None => Value::Array(slice),
    };
    (value, next)
}

/// What a route answers before pagination.
pub enum Routed {
    /// A single object, not paginated.
    One(Value),
    /// A list, paginated.
    List(Vec<Value>),
    /// A compare envelope and its commits (paginated).
    Compare(Value, Vec<Value>),
    /// Search results (paginated `items`, with `total_count`).
    Search(Vec<Value>),
}

fn route(s: &Scenario, path: &str, query: &HashMap<String, String>) -> Option<Routed> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["gh", "search", "issues"] => {
            let ordered = query.get("sort")? == "updated" && query.get("order")? == "asc";
            ordered
                .then(|| s.search_issues(query.get("q")?))
                .flatten()
                .map(Routed::Search)
        }
        ["gh", "orgs", org, "repos"] => Some(Routed::List(s.org_repos(org))),
        ["gh", "orgs", _, "teams"] => Some(Routed::List(s.teams())),
        ["gh", "orgs", _, "teams", team, "repos"] => Some(Routed::List(s.team_repos(team))),
        ["gh", "orgs", _, "teams", team, "members"] => Some(Routed::List(s.team_members(team))),
        ["gh", "repos", o, r, "deployments"] => {
            Some(Routed::List(s.deployments(&format!("{o}/{r}"))))
        }
        ["gh", "repos", o, r, "deployments", id, "statuses"] => Some(Routed::List(
            s.statuses(&format!("{o}/{r}"), id.parse().ok()?)?,
        )),
        ["gh", "repos", o, r, "compare", range] => {
            let (base, head) = range.split_once("...")?;
            let (envelope, commits) = s.compare(&format!("{o}/{r}"), base, head)?;
            Some(Routed::Compare(envelope, commits))
        }
        ["gh", "repos", o, r, "commits", sha] => {
            Some(Routed::One(s.commit(&format!("{o}/{r}"), sha)?))
        }
        ["gh", "repos", o, r, "commits"] if query.contains_key("path") => {
            Some(Routed::List(s.commits_touching(
                &format!("{o}/{r}"),
                query.get("sha")?,
                query.get("path")?,
                query.get("since")?,
            )))
        }
        ["gh", "search", "commits"] => {
            let terms: HashMap<&str, &str> = query
                .get("q")?
                .split(['+', ' '])
                .filter_map(|t| t.split_once(':'))
                .collect();
            let day = terms.get("committer-date")?.strip_prefix(">=")?;
            let per_page = query.get("per_page")?.parse().ok()?;
            let ordered = query.get("sort")? == "committer-date" && query.get("order")? == "asc";
            if !ordered {
                return None;
            }
            let (org, author) = (terms.get("org")?, terms.get("author")?);
            Some(Routed::One(s.search_commits(org, author, day, per_page)))
        }
        ["argo", "api", "v1", "applications", app, "manifests"] => {
            // A multi-source Application is asked per source; its config repository is first.
            let revision = match query.get("sourcePositions").map(String::as_str) {
                None => query.get("revision")?,
                Some("1") => query.get("revisions")?,
                Some(_) => return None,
            };
            Some(Routed::One(s.app_manifests(app, revision)?))
        }
        ["argo", "api", "v1", "applications"] => {
            (query.get("selector")? == "env=production").then(|| Routed::One(s.applications()))
        }
        ["bs", "api", "catalog", "entities", "by-query"] => {
            let limit: usize = query.get("limit")?.parse().ok()?;
            let offset = match (query.get("filter"), query.get("cursor")) {
                (Some(filter), None) if filter == "kind=component" => 0,
                (None, Some(cursor)) => cursor.strip_prefix("offset:")?.parse().ok()?,
                _ => return None,
            };
            Some(Routed::One(s.components(offset, limit.min(PAGE))))
        }
        ["bs", "api", "scaffolder", "v2", "tasks"] => {
            let limit: usize = query.get("limit")?.parse().ok()?;
            let offset: usize = query.get("offset")?.parse().ok()?;
            Some(Routed::One(s.tasks(limit, offset)))
        }
        _ => None,
    }
}

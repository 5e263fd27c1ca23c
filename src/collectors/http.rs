//! The one HTTP policy of every collector: timeouts, retries with exponential backoff and
//! jitter, GitHub's primary, secondary and search rate limits, `Link: rel="next"` pagination and
//! conditional requests with the ETags kept in the store. Every source goes through it, GitHub
//! too: octocrab only signs and sends each try ([`super::transport`]).
//!
//! Everything is bounded: a listing reads at most `collect.max_pages` pages, a body at most
//! `collect.max_body_bytes` bytes (read in chunks, so a larger one is never held), and a
//! `next` link is followed only to the origin of the page that gave it, so a token is never
//! sent elsewhere. Each bound hit is a named [`HttpError`] that fails the source.
//!
//! It knows no source: collectors build URLs from their configured base URL and read the JSON
//! they asked for. It writes nothing but ETags, and only when a collector says the facts read
//! from those responses are stored ([`Api::save_etags`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::ETAG;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::github_client::{GithubAuthError, GithubClient};
use super::progress::Meter;
pub use super::retry::RetryPolicy;
use super::retry::{header, next_link, rate_limit_wait, same_origin};
use super::transport::{self, Answer, Credentials, ReadError, SendError};
use crate::config::{CollectConfig, GithubConfig, Secret};
use crate::store::{Store, StoreError};

/// Why a request failed for good (after its retries).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server could not be reached or did not answer in time, on every try.
    #[error("{url}: {reason} (after {tries} tries)")]
    Unreachable {
        /// The request: its method and URL (`GET https://…`).
        url: String,
        /// The last failure.
        reason: String,
        /// How many requests were sent.
        tries: u32,
    },
    /// The server answered with an error status that retrying does not cure.
    #[error("{url}: HTTP {status}")]
    Status {
        /// The request: its method and URL (`GET https://…`).
        url: String,
        /// The status.
        status: u16,
    },
    /// The rate limit resets later than `collect.max_wait_secs` allows to wait.
    #[error("{url}: rate limit exhausted for {wait_secs} s more")]
    RateLimited {
        /// The request: its method and URL (`GET https://…`).
        url: String,
        /// Seconds until the reset.
        wait_secs: u64,
    },
    /// The body is not the JSON expected.
    #[error("{url}: unexpected JSON: {reason}")]
    Json {
        /// The request: its method and URL (`GET https://…`).
        url: String,
        /// What serde said.
        reason: String,
    },
    /// A listing has more pages than `collect.max_pages`.
    #[error("{url}: more than {max} pages (collect.max_pages)")]
    TooManyPages {
        /// The request of the page past the cap.
        url: String,
        /// The cap.
        max: u32,
    },
    /// A body is larger than `collect.max_body_bytes`.
    #[error("{url}: body larger than {max} bytes (collect.max_body_bytes)")]
    BodyTooLarge {
        /// The request: its method and URL (`GET https://…`).
        url: String,
        /// The cap.
        max: u64,
    },
    /// A `Link: rel="next"` points to another origin (scheme, host or port) than its page's:
    /// not followed, so the token is never sent there.
    #[error("{url}: next page on another origin refused: {next}")]
    ForeignNext {
        /// The request of the page that gave the link.
        url: String,
        /// The refused link.
        next: String,
    },
    /// GitHub refused the app's installation token, and a fresh one too.
    #[error("{url}: GitHub refused the installation token, also a fresh one (HTTP 401)")]
    TokenRefused {
        /// The request: its method and URL (`GET https://…`).
        url: String,
    },
    /// No GitHub credentials could be had.
    #[error(transparent)]
    GithubAuth(#[from] GithubAuthError),
    /// The ETag store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HttpError {
    /// True for a 404 (no such resource) or a 409 (GitHub's empty repository): there is
    /// nothing to read, and a collector may skip it.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            HttpError::Status {
                status: 404 | 409,
                ..
            }
        )
    }
}

/// The shared client (cheap to clone): one connection pool for every source.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    store: Store,
    policy: RetryPolicy,
    bounds: Bounds,
    github: Arc<Mutex<Option<Arc<GithubClient>>>>,
}

/// The caps of every listing and body, from `[collect]`.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    max_pages: u32,
    max_body_bytes: u64,
}

impl HttpClient {
    /// Builds the client from `[collect]`; ETags are kept in `store`.
    pub fn new(config: &CollectConfig, store: Store) -> Result<HttpClient, reqwest::Error> {
        let timeout = Duration::from_millis(config.request_timeout_ms);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(HttpClient {
            client,
            store,
            policy: RetryPolicy {
                max_retries: config.max_retries,
                base: Duration::from_millis(config.retry_base_ms),
                max_wait: Duration::from_secs(config.max_wait_secs),
            },
            bounds: Bounds {
                max_pages: config.max_pages,
                max_body_bytes: config.max_body_bytes,
            },
            github: Arc::default(),
        })
    }

    /// A session on one source, with its token; what it spends is counted on `meter`.
    /// `conditional`: send stored ETags (an incremental run); without, read everything afresh.
    pub(crate) fn api(&self, token: Option<Secret>, meter: Arc<Meter>, conditional: bool) -> Api {
        Api {
            http: self.clone(),
            credentials: Credentials::Bearer(token),
            meter,
            conditional,
        }
    }

    /// A session on GitHub (octocrab, with the token or app of `github`), like [`HttpClient::api`].
    pub(crate) fn github_api(
        &self,
        github: &GithubConfig,
        meter: Arc<Meter>,
        conditional: bool,
    ) -> Result<Api, GithubAuthError> {
        Ok(Api {
            http: self.clone(),
            credentials: Credentials::Github(self.github(github)?),
            meter,
            conditional,
        })
    }

    /// The GitHub client of `github`, made once and shared by every run of this client, so an
    /// installation token serves until it is due for renewal.
    pub fn github(&self, github: &GithubConfig) -> Result<Arc<GithubClient>, GithubAuthError> {
        let mut cached = self.github.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = cached.as_ref() {
            return Ok(client.clone());
        }
        let client = Arc::new(GithubClient::new(github, self.client.clone())?);
        *cached = Some(client.clone());
        Ok(client)
    }

    /// How patient every source is: retries, backoff and the longest wait.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// The store the ETags are kept in.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// What a session spent, for the progress bar or line and the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests sent, retries included.
    pub requests: u64,
    /// Pages read (a 304 counts as no page).
    pub pages: u64,
    /// Answers "304 Not Modified".
    pub not_modified: u64,
    /// Last `x-ratelimit-remaining` seen.
    pub rate_limit_remaining: Option<i64>,
}

/// The next page of a listing: where it is and its number (the first page is 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    /// Its URL, on the origin of the page that linked it.
    pub url: String,
    /// Its number in the listing.
    pub number: u32,
}

/// One page of JSON and where the next one is.
#[derive(Debug)]
pub struct Page<T> {
    /// The body.
    pub body: T,
    /// `Link: rel="next"`, if any (checked to be on the same origin).
    pub next: Option<Next>,
    /// `(url, ETag)` of a conditional request, to store with [`Api::save_etag`] once the facts
    /// read from this page are written.
    pub etag: Option<(String, String)>,
}

/// A session of one collector run on one source.
pub struct Api {
    http: HttpClient,
    credentials: Credentials,
    meter: Arc<Meter>,
    conditional: bool,
}

enum Outcome {
    Done(Answer),
    Failed(u16),
    Retry(String),
    Wait(Duration),
    /// GitHub refused an installation token (401).
    Refused,
    Auth(GithubAuthError),
}

impl Api {
    /// GETs `url` (the first page of a listing, or a single resource) and reads its JSON.
    pub async fn get<T: DeserializeOwned>(&self, url: &str) -> Result<Page<T>, HttpError> {
        self.get_page(url, 1).await
    }

    /// GETs the next page of a listing, unless the listing has reached `collect.max_pages`.
    pub async fn follow<T: DeserializeOwned>(&self, next: &Next) -> Result<Page<T>, HttpError> {
        self.get_page(&next.url, next.number).await
    }

    /// Fails with [`HttpError::TooManyPages`] when page `number` of a listing is past
    /// `collect.max_pages`: for listings paginated by offset or cursor instead of links.
    pub fn check_page(&self, url: &str, number: u32) -> Result<(), HttpError> {
        let max = self.http.bounds.max_pages;
        match number > max {
            true => Err(HttpError::TooManyPages {
                url: format!("GET {url}"),
                max,
            }),
            false => Ok(()),
        }
    }

    async fn get_page<T: DeserializeOwned>(
        &self,
        url: &str,
        number: u32,
    ) -> Result<Page<T>, HttpError> {
        self.check_page(url, number)?;
        self.fetch(url, None, number, None)
            .await?
            .ok_or(HttpError::Status {
                url: format!("GET {url}"),
                status: 304,
            })
    }

    /// POSTs the JSON `body` to `url` and reads the JSON answered (GitHub's GraphQL API), under
    /// the same policy as every GET. A GraphQL answer that is a rate limit (`200` with an error
    /// of type `RATE_LIMITED`) is waited out like a `403` one.
    pub async fn post<T: DeserializeOwned>(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<T, HttpError> {
        let page: Option<Page<T>> = self.fetch(url, None, 1, Some(body)).await?;
        page.map(|p| p.body).ok_or(HttpError::Status {
            url: format!("POST {url}"),
            status: 304,
        })
    }

    /// GETs `url` with the stored ETag as `If-None-Match` (in a conditional session): `None`
    /// when the server answers 304 (nothing changed since the facts of the last answer were
    /// stored). The page's new ETag is returned for [`Api::save_etag`] either way.
    pub async fn get_if_changed<T: DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<Option<Page<T>>, HttpError> {
        let etag = match self.conditional {
            true => self.http.store.etag(url).await?,
            false => None,
        };
        self.fetch(url, etag.as_deref().or(Some("")), 1, None).await
    }

    /// Every page from `url` on, following `Link: rel="next"`.
    pub async fn get_all<T: DeserializeOwned>(&self, url: &str) -> Result<Vec<T>, HttpError> {
        let first: Page<Vec<T>> = self.get(url).await?;
        self.rest(first.body, first.next).await
    }

    /// `items` of a first page, followed by those of every page from `next` on.
    pub async fn rest<T: DeserializeOwned>(
        &self,
        mut items: Vec<T>,
        mut next: Option<Next>,
    ) -> Result<Vec<T>, HttpError> {
        while let Some(link) = next {
            let page: Page<Vec<T>> = self.follow(&link).await?;
            items.extend(page.body);
            next = page.next;
        }
        Ok(items)
    }

    /// Stores the ETag of a page: call right after the facts read from it are written, so
    /// a crash in between makes the next run read the page again rather than skip it.
    pub async fn save_etag(&self, etag: Option<(String, String)>) -> Result<(), StoreError> {
        match etag {
            Some(etag) => self.http.store.save_etags(&[etag]).await,
            None => Ok(()),
        }
    }

    /// `etag`: `None` for a plain request; `Some("")` conditional without a stored ETag yet.
    /// `number`: the page's number in its listing. `body`: POST it (JSON) instead of a GET.
    async fn fetch<T: DeserializeOwned>(
        &self,
        url: &str,
        etag: Option<&str>,
        number: u32,
        body: Option<&serde_json::Value>,
    ) -> Result<Option<Page<T>>, HttpError> {
        let label = match body {
            Some(_) => format!("POST {url}"),
            None => format!("GET {url}"),
        };
        let policy = self.http.policy;
        let mut attempt = 0;
        let mut refreshed = false;
        let (headers, bytes) = loop {
            let outcome = self
                .try_once(url, etag.filter(|e| !e.is_empty()), body)
                .await;
            let wait = match outcome {
                Outcome::Done(response) => {
                    if response.status == StatusCode::NOT_MODIFIED {
                        self.meter.count(|s| s.not_modified += 1);
                        return Ok(None);
                    }
                    if !response.status.is_success() {
                        return Err(HttpError::Status {
                            url: label,
                            status: response.status.as_u16(),
                        });
                    }
                    let headers = response.headers.clone();
                    let bytes = self.read_body(&label, response, attempt + 1).await?;
                    match body.is_some() && graphql_rate_limited(&bytes) {
                        false => break (headers, bytes),
                        true => {
                            let now = chrono::Utc::now().timestamp();
                            let wait = rate_limit_wait(&headers, now)
                                .unwrap_or_else(|| policy.backoff(attempt));
                            if wait > policy.max_wait || attempt >= policy.max_retries {
                                return Err(HttpError::RateLimited {
                                    url: label,
                                    wait_secs: wait.as_secs(),
                                });
                            }
                            tracing::warn!(
                                url,
                                wait_ms = wait.as_millis() as u64,
                                "GraphQL rate limited"
                            );
                            self.meter.wait(wait);
                            wait
                        }
                    }
                }
                Outcome::Auth(e) => return Err(e.into()),
                Outcome::Refused if refreshed => {
                    return Err(HttpError::TokenRefused { url: label })
                }
                Outcome::Refused => {
                    if let Credentials::Github(github) = &self.credentials {
                        tracing::warn!(url, "installation token refused: fetching a new one");
                        github.refresh().await;
                    }
                    refreshed = true;
                    continue;
                }
                Outcome::Failed(status) => return Err(HttpError::Status { url: label, status }),
                Outcome::Retry(reason) if attempt >= policy.max_retries => {
                    return Err(HttpError::Unreachable {
                        url: label,
                        reason,
                        tries: attempt + 1,
                    })
                }
                Outcome::Retry(reason) => {
                    tracing::warn!(url, attempt, %reason, "retrying");
                    policy.backoff(attempt)
                }
                Outcome::Wait(wait) if wait > policy.max_wait || attempt >= policy.max_retries => {
                    return Err(HttpError::RateLimited {
                        url: label,
                        wait_secs: wait.as_secs(),
                    })
                }
                Outcome::Wait(wait) => {
                    tracing::warn!(url, wait_ms = wait.as_millis() as u64, "rate limited");
                    let wait = wait + policy.backoff(0);
                    self.meter.wait(wait);
                    wait
                }
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        };
        let next = match next_link(&headers) {
            Some(next) if !same_origin(url, &next) => {
                return Err(HttpError::ForeignNext { url: label, next })
            }
            next => next.map(|url| Next {
                url,
                number: number + 1,
            }),
        };
        let body = serde_json::from_slice(&bytes).map_err(|e| HttpError::Json {
            url: label,
            reason: e.to_string(),
        })?;
        self.meter.count(|s| s.pages += 1);
        let etag = etag
            .and(header(&headers, ETAG.as_str()))
            .map(|new| (url.to_string(), new.to_string()));
        Ok(Some(Page { body, next, etag }))
    }

    /// The body, read chunk by chunk up to `collect.max_body_bytes`: a larger one (announced
    /// or not) is dropped unread past the cap.
    async fn read_body(
        &self,
        label: &str,
        response: Answer,
        tries: u32,
    ) -> Result<Vec<u8>, HttpError> {
        let max = self.http.bounds.max_body_bytes;
        response.read(max).await.map_err(|e| match e {
            ReadError::TooLarge => HttpError::BodyTooLarge {
                url: label.into(),
                max,
            },
            ReadError::Failed(reason) => HttpError::Unreachable {
                url: label.into(),
                reason,
                tries,
            },
        })
    }

    async fn try_once(
        &self,
        url: &str,
        etag: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Outcome {
        self.meter.count(|s| s.requests += 1);
        let credentials = &self.credentials;
        let response = match transport::send(&self.http.client, credentials, url, etag, body).await
        {
            Ok(response) => response,
            Err(SendError::Unreachable(reason)) => return Outcome::Retry(reason),
            Err(SendError::Auth(e)) => return Outcome::Auth(e),
        };
        let headers = &response.headers;
        // The figure reported is the core limit's: search's own (30 a minute) would hide it.
        let core = matches!(header(headers, "x-ratelimit-resource"), None | Some("core"));
        let left = header(headers, "x-ratelimit-remaining").and_then(|v| v.parse().ok());
        if let Some(left) = left.filter(|_| core) {
            self.meter.count(|s| s.rate_limit_remaining = Some(left));
        }
        let status = response.status;
        if status.is_server_error() {
            return Outcome::Retry(format!("HTTP {}", status.as_u16()));
        }
        let app = matches!(&self.credentials, Credentials::Github(g) if g.is_app());
        if status == StatusCode::UNAUTHORIZED && app {
            return Outcome::Refused;
        }
        if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
            if let Some(wait) = rate_limit_wait(headers, chrono::Utc::now().timestamp()) {
                return Outcome::Wait(wait);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                return Outcome::Retry("HTTP 429".into());
            }
            // A secondary rate limit without retry-after: back off exponentially. Any other
            // 403 (missing permission) is final.
            let text = response.read(64 * 1024).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&text).to_ascii_lowercase();
            if text.contains("secondary rate limit") {
                return Outcome::Retry("HTTP 403 secondary rate limit".into());
            }
            return Outcome::Failed(status.as_u16());
        }
        Outcome::Done(response)
    }
}

/// True when a GraphQL answer is GitHub's rate limit: `errors[].type` is `RATE_LIMITED` (sent
/// with status 200).
fn graphql_rate_limited(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        errors: Vec<serde_json::Value>,
    }
    serde_json::from_slice::<Answer>(bytes).is_ok_and(|a| {
        a.errors
            .iter()
            .any(|e| e.get("type").and_then(|t| t.as_str()) == Some("RATE_LIMITED"))
    })
}

/// Percent-encodes a query value (label selectors hold `=`, `,` and `!`).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_rate_limits_are_told_from_other_errors() {
        let limited = br#"{"data":null,"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1."}]}"#;
        assert!(graphql_rate_limited(limited));
        let missing = br#"{"data":{"r0":null},"errors":[{"type":"NOT_FOUND","path":["r0"]}]}"#;
        assert!(!graphql_rate_limited(missing));
        assert!(!graphql_rate_limited(br#"{"data":{}}"#));
        assert!(!graphql_rate_limited(b"[]"));
    }

    #[test]
    fn selectors_are_encoded() {
        assert_eq!(
            encode("env=production,tier!=dev"),
            "env%3Dproduction%2Ctier%21%3Ddev"
        );
    }
}

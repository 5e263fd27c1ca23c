//! The one HTTP layer of every collector: bearer auth, timeouts, retries with exponential
//! backoff and jitter, GitHub's primary and secondary rate limits, `Link: rel="next"` pagination
//! and conditional requests with the ETags kept in the store.
//!
//! It knows no source: collectors build URLs from their configured base URL and read the JSON
//! they asked for. It writes nothing but ETags, and only when a collector says the facts read
//! from those responses are stored ([`Api::save_etags`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{ACCEPT, ETAG, IF_NONE_MATCH, USER_AGENT};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::retry::{header, next_link, rate_limit_wait, RetryPolicy};
use crate::config::{CollectConfig, Secret};
use crate::store::{Store, StoreError};

/// Why a request failed for good (after its retries).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server could not be reached or did not answer in time, on every try.
    #[error("GET {url}: {reason} (after {tries} tries)")]
    Unreachable {
        /// The URL.
        url: String,
        /// The last failure.
        reason: String,
        /// How many requests were sent.
        tries: u32,
    },
    /// The server answered with an error status that retrying does not cure.
    #[error("GET {url}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// The rate limit resets later than `collect.max_wait_secs` allows to wait.
    #[error("GET {url}: rate limit exhausted for {wait_secs} s more")]
    RateLimited {
        /// The URL.
        url: String,
        /// Seconds until the reset.
        wait_secs: u64,
    },
    /// The body is not the JSON expected.
    #[error("GET {url}: unexpected JSON: {reason}")]
    Json {
        /// The URL.
        url: String,
        /// What serde said.
        reason: String,
    },
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
        })
    }

    /// A session on one source, with its token; what it spends is added to `stats`.
    /// `conditional`: send stored ETags (an incremental run); without, read everything afresh.
    pub fn api(&self, token: Option<Secret>, stats: SharedStats, conditional: bool) -> Api {
        Api {
            http: self.clone(),
            token,
            stats,
            conditional,
        }
    }

    /// The store the ETags are kept in.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// What a session spent, for the progress line and the run summary.
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

/// Stats shared by the sessions of one collector run.
pub type SharedStats = Arc<Mutex<Stats>>;

/// One page of JSON and where the next one is.
#[derive(Debug)]
pub struct Page<T> {
    /// The body.
    pub body: T,
    /// `Link: rel="next"`, if any.
    pub next: Option<String>,
    /// `(url, ETag)` of a conditional request, to store with [`Api::save_etag`] once the facts
    /// read from this page are written.
    pub etag: Option<(String, String)>,
}

/// A session of one collector run on one source.
pub struct Api {
    http: HttpClient,
    token: Option<Secret>,
    stats: SharedStats,
    conditional: bool,
}

enum Outcome {
    Done(reqwest::Response),
    Failed(u16),
    Retry(String),
    Wait(Duration),
}

impl Api {
    /// GETs `url` and reads its JSON.
    pub async fn get<T: DeserializeOwned>(&self, url: &str) -> Result<Page<T>, HttpError> {
        self.fetch(url, None).await?.ok_or(HttpError::Status {
            url: url.into(),
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
        self.fetch(url, etag.as_deref().or(Some(""))).await
    }

    /// Every page from `url` on, following `Link: rel="next"`.
    pub async fn get_all<T: DeserializeOwned>(&self, url: &str) -> Result<Vec<T>, HttpError> {
        let mut items = Vec::new();
        let mut next = Some(url.to_string());
        while let Some(url) = next {
            let page: Page<Vec<T>> = self.get(&url).await?;
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

    fn count(&self, update: impl FnOnce(&mut Stats)) {
        if let Ok(mut stats) = self.stats.lock() {
            update(&mut stats);
        }
    }

    /// `etag`: `None` for a plain request; `Some("")` conditional without a stored ETag yet.
    async fn fetch<T: DeserializeOwned>(
        &self,
        url: &str,
        etag: Option<&str>,
    ) -> Result<Option<Page<T>>, HttpError> {
        let policy = self.http.policy;
        let mut attempt = 0;
        let response = loop {
            let outcome = self.try_once(url, etag.filter(|e| !e.is_empty())).await;
            let wait = match outcome {
                Outcome::Done(response) => break response,
                Outcome::Failed(status) => {
                    return Err(HttpError::Status {
                        url: url.into(),
                        status,
                    })
                }
                Outcome::Retry(reason) if attempt >= policy.max_retries => {
                    return Err(HttpError::Unreachable {
                        url: url.into(),
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
                        url: url.into(),
                        wait_secs: wait.as_secs(),
                    })
                }
                Outcome::Wait(wait) => {
                    tracing::warn!(url, wait_ms = wait.as_millis() as u64, "rate limited");
                    wait + policy.backoff(0)
                }
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        };
        if response.status() == StatusCode::NOT_MODIFIED {
            self.count(|s| s.not_modified += 1);
            return Ok(None);
        }
        let status = response.status();
        if !status.is_success() {
            return Err(HttpError::Status {
                url: url.into(),
                status: status.as_u16(),
            });
        }
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|e| HttpError::Unreachable {
            url: url.into(),
            reason: e.to_string(),
            tries: attempt + 1,
        })?;
        let body = serde_json::from_slice(&bytes).map_err(|e| HttpError::Json {
            url: url.into(),
            reason: e.to_string(),
        })?;
        self.count(|s| s.pages += 1);
        let etag = etag
            .and(header(&headers, ETAG.as_str()))
            .map(|new| (url.to_string(), new.to_string()));
        Ok(Some(Page {
            body,
            next: next_link(&headers),
            etag,
        }))
    }

    async fn try_once(&self, url: &str, etag: Option<&str>) -> Outcome {
        let mut request = self
            .http
            .client
            .get(url)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("dxs/", env!("CARGO_PKG_VERSION")));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        self.count(|s| s.requests += 1);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let headers = response.headers();
        if let Some(left) = header(headers, "x-ratelimit-remaining").and_then(|v| v.parse().ok()) {
            self.count(|s| s.rate_limit_remaining = Some(left));
        }
        let status = response.status();
        if status.is_server_error() {
            return Outcome::Retry(format!("HTTP {}", status.as_u16()));
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
            let text = response.text().await.unwrap_or_default();
            if text.to_ascii_lowercase().contains("secondary rate limit") {
                return Outcome::Retry("HTTP 403 secondary rate limit".into());
            }
            return Outcome::Failed(status.as_u16());
        }
        Outcome::Done(response)
    }
}

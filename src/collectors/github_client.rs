//! GitHub through octocrab: who dxs is to GitHub, a personal or fine-grained token
//! (`github.token_env`) or a GitHub App installation (`github.app_id`), and GitHub Enterprise
//! through `github.api_url`.
//!
//! Octocrab signs requests (the app's RS256 JWT, `iss` = app id, expiring within 10 minutes;
//! then the installation's token) and resolves them against the API base URL. It runs on the
//! shared reqwest client through [`ReqwestService`], and only sends: retries, rate limits,
//! ETags, page and body caps stay in the one policy of [`super::http`], which calls
//! [`GithubClient::get`] once per try. No second copy of that policy lives here.
//!
//! An installation token is fetched on first use and again once three quarters of its life have
//! passed (at most 5 minutes before it expires), so every request carries a valid one; a token
//! GitHub refuses anyway is dropped with [`GithubClient::refresh`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body_util::BodyExt;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::extra_headers::ExtraHeadersLayer;
use octocrab::{AuthState, OctoBody, Octocrab, OctocrabBuilder};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, USER_AGENT};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::config::{GithubApp, GithubConfig};

/// The longest margin before an installation token's expiry at which it is replaced.
const MAX_REFRESH_MARGIN_SECS: i64 = 300;

/// Why dxs could not authenticate to GitHub.
#[derive(Debug, thiserror::Error)]
pub enum GithubAuthError {
    /// The app's private key is not an RSA key in PEM (checked when the config loads, too).
    #[error("github.app_private_key_env: not an RSA private key in PEM: {0}")]
    BadKey(String),
    /// GitHub refused the app's JWT: the key is not this app's, or the app id is wrong.
    #[error("github.app_private_key_env: GitHub refused the JWT of app {app_id} (HTTP {status}): is it this app's private key?")]
    JwtRefused {
        /// The app.
        app_id: u64,
        /// GitHub's status.
        status: u16,
    },
    /// The app is not installed on the organisation (or not as `github.installation_id`).
    #[error("github.app_id: app {app_id} is not installed on {target} (HTTP {status})")]
    NotInstalled {
        /// The app.
        app_id: u64,
        /// `org acme` or `installation 42`.
        target: String,
        /// GitHub's status.
        status: u16,
    },
    /// GitHub could not be asked for a token.
    #[error("GitHub App installation token: {0}")]
    Unreachable(String),
    /// `github.api_url` is not a URI.
    #[error("github.api_url: {0}")]
    BadUrl(String),
}

impl GithubAuthError {
    /// The config key this error names, when it is a configuration mistake (exit 2).
    pub fn config_key(&self) -> Option<&'static str> {
        match self {
            GithubAuthError::BadKey(_) | GithubAuthError::JwtRefused { .. } => {
                Some("github.app_private_key_env")
            }
            GithubAuthError::NotInstalled { .. } => Some("github.app_id"),
            GithubAuthError::BadUrl(_) => Some("github.api_url"),
            GithubAuthError::Unreachable(_) => None,
        }
    }
}

/// The answer of one GET, body unread.
pub type Response =
    http::Response<http_body_util::combinators::BoxBody<bytes::Bytes, octocrab::Error>>;

/// The GitHub API as dxs uses it: one octocrab client on the shared connection pool, and
/// its credentials.
pub struct GithubClient {
    api_url: String,
    base: Octocrab,
    credentials: Credentials,
}

enum Credentials {
    Token(Octocrab),
    App(Box<Installation>),
}

struct Installation {
    config: GithubApp,
    org: String,
    app: Octocrab,
    current: Mutex<Option<Issued>>,
}

/// An installation token and the client that sends it.
struct Issued {
    client: Octocrab,
    /// Replace it from this time on (UNIX seconds).
    renew_at: i64,
}

#[derive(Deserialize)]
struct ApiInstallation {
    id: u64,
}

#[derive(Deserialize)]
struct ApiToken {
    token: String,
    expires_at: String,
}

impl GithubClient {
    /// An octocrab client for `github` on `http` (the shared reqwest client).
    pub fn new(
        github: &GithubConfig,
        http: reqwest::Client,
    ) -> Result<GithubClient, GithubAuthError> {
        let uri: http::Uri = github
            .api_url
            .parse()
            .map_err(|e: http::uri::InvalidUri| GithubAuthError::BadUrl(e.to_string()))?;
        let headers = vec![
            (
                USER_AGENT,
                HeaderValue::from_static(concat!("dxs/", env!("CARGO_PKG_VERSION"))),
            ),
            (
                ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            ),
            (
                HeaderName::from_static("x-github-api-version"),
                HeaderValue::from_static("2022-11-28"),
            ),
        ];
        let build = |auth: AuthState| {
            OctocrabBuilder::new_empty()
                .with_service(ReqwestService(http.clone()))
                .with_layer(&BaseUriLayer::new(uri.clone()))
                .with_layer(&ExtraHeadersLayer::new(Arc::new(headers.clone())))
                .with_auth(auth)
                .build()
                .map_err(|e| GithubAuthError::BadUrl(e.to_string()))
        };
        let base = build(AuthState::None)?;
        let credentials = match &github.app {
            Some(app) => {
                let key =
                    octocrab::auth::EncodingKey::from_rsa_pem(app.private_key.expose().as_bytes())
                        .map_err(|e| GithubAuthError::BadKey(e.to_string()))?;
                let auth = octocrab::auth::AppAuth {
                    app_id: octocrab::models::AppId(app.app_id),
                    key,
                };
                Credentials::App(Box::new(Installation {
                    config: app.clone(),
                    org: github.org.clone(),
                    app: build(AuthState::App(auth))?,
                    current: Mutex::new(None),
                }))
            }
            None => Credentials::Token(match &github.token {
                Some(token) => base
                    .user_access_token(token.expose().to_string())
                    .map_err(|e| GithubAuthError::BadUrl(e.to_string()))?,
                None => base.clone(),
            }),
        };
        Ok(GithubClient {
            api_url: github.api_url.clone(),
            base,
            credentials,
        })
    }

    /// True when requests carry an installation token that [`GithubClient::refresh`] can replace.
    pub fn is_app(&self) -> bool {
        matches!(self.credentials, Credentials::App(_))
    }

    /// Makes sure dxs can authenticate: for an app, finds its installation and fetches a token.
    pub async fn check(&self) -> Result<(), GithubAuthError> {
        self.client().await.map(drop)
    }

    /// One GET of `url` (under `github.api_url`, or GraphQL's) with `headers`, or a POST of the
    /// JSON `body`, signed.
    pub async fn send(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, GetError> {
        let client = self.client().await.map_err(GetError::Auth)?;
        let path = url.strip_prefix(&self.api_url).unwrap_or(url);
        let sent = match body {
            Some(body) => client._post(path, Some(body)).await,
            None => client._get_with_headers(path, Some(headers)).await,
        };
        sent.map_err(|e| GetError::Send(e.to_string()))
    }

    /// Drops the installation token, so the next request fetches a new one.
    pub async fn refresh(&self) {
        if let Credentials::App(installation) = &self.credentials {
            *installation.current.lock().await = None;
        }
    }

    async fn client(&self) -> Result<Octocrab, GithubAuthError> {
        match &self.credentials {
            Credentials::Token(client) => Ok(client.clone()),
            Credentials::App(installation) => installation.client(&self.base).await,
        }
    }
}

/// Why one GET was not sent or not answered.
#[derive(Debug)]
pub enum GetError {
    /// No valid credentials.
    Auth(GithubAuthError),
    /// The request failed on the way (connection, timeout).
    Send(String),
}

impl Installation {
    /// A client carrying a token valid for a while yet, fetched if needed.
    async fn client(&self, base: &Octocrab) -> Result<Octocrab, GithubAuthError> {
        let mut current = self.current.lock().await;
        let now = chrono::Utc::now().timestamp();
        if let Some(issued) = current.as_ref().filter(|i| now < i.renew_at) {
            return Ok(issued.client.clone());
        }
        let id = self.installation_id().await?;
        let route = format!("/app/installations/{id}/access_tokens");
        let token: ApiToken = self
            .app
            .post(route, None::<&()>)
            .await
            .map_err(|e| self.refused(e, format!("installation {id}")))?;
        let expires = crate::collectors::unix(&token.expires_at).ok_or_else(|| {
            GithubAuthError::Unreachable(format!("expires_at {:?}", token.expires_at))
        })?;
        let life = (expires - now).max(0);
        let renew_at = expires - (life / 4).min(MAX_REFRESH_MARGIN_SECS);
        tracing::debug!(
            installation = id,
            expires,
            renew_at,
            "installation token issued"
        );
        let client = base
            .user_access_token(token.token)
            .map_err(|e| GithubAuthError::Unreachable(e.to_string()))?;
        *current = Some(Issued {
            client: client.clone(),
            renew_at,
        });
        Ok(client)
    }

    /// `github.installation_id`, else the installation on `github.org`.
    async fn installation_id(&self) -> Result<u64, GithubAuthError> {
        if self.config.installation_id != 0 {
            return Ok(self.config.installation_id);
        }
        let route = format!("/orgs/{}/installation", self.org);
        let found: ApiInstallation = self
            .app
            .get(route, None::<&()>)
            .await
            .map_err(|e| self.refused(e, format!("org {}", self.org)))?;
        Ok(found.id)
    }

    fn refused(&self, error: octocrab::Error, target: String) -> GithubAuthError {
        let app_id = self.config.app_id;
        match &error {
            octocrab::Error::GitHub { source, .. } => match source.status_code.as_u16() {
                401 => GithubAuthError::JwtRefused {
                    app_id,
                    status: 401,
                },
                status @ (403 | 404) => GithubAuthError::NotInstalled {
                    app_id,
                    target,
                    status,
                },
                _ => GithubAuthError::Unreachable(error.to_string()),
            },
            _ => GithubAuthError::Unreachable(error.to_string()),
        }
    }
}

/// Octocrab's innermost service: sends through the shared reqwest client, so GitHub shares the
/// connection pool, TLS and timeouts of every other source.
#[derive(Clone)]
pub struct ReqwestService(reqwest::Client);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower::Service<http::Request<OctoBody>> for ReqwestService {
    type Response = http::Response<reqwest::Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<OctoBody>) -> Self::Future {
        let client = self.0.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            let request = reqwest::Request::try_from(http::Request::from_parts(parts, body))?;
            let response = client.execute(request).await?;
            Ok(http::Response::from(response))
        })
    }
}

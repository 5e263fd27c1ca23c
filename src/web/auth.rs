//! Who may read the report and the API: a bearer admin token, a session cookie set by `/login`
//! with that token, or the user header of an SSO proxy, counted only from
//! `auth.trusted_proxies` and only for `auth.admins`.
//!
//! With no admin token and no trusted header configured nobody gets in: the report is never
//! public by default. A session is a random id kept server-side (only its SHA-256 is stored)
//! that ends after `auth.session_hours` or at `POST /logout`. Failed logins are limited per
//! client address. Tokens and session ids are never logged.

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::client::Client;
use super::{AppState, WebError};

/// Name of the session cookie.
const COOKIE: &str = "dxs_session";

/// A reader allowed to see the report and the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    /// The SSO user, or `admin` for the token.
    pub name: String,
}

/// The plain 401 page: no data, a link to sign in.
#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    failed: bool,
    next: String,
}

/// The sign-in page (the 401 of the report) with `status`.
pub(super) fn login_page(status: StatusCode, failed: bool, next: String) -> Response {
    let page = LoginPage { failed, next };
    match page.render() {
        Ok(html) => (status, [(header::WWW_AUTHENTICATE, "Bearer")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "login page failed to render");
            (status, "unauthorized\n").into_response()
        }
    }
}

/// The SSO user a request carries, when `auth.trusted_user_header` is set and present:
/// `Ok(Some(user))` from a trusted proxy, `Err` (logged) from any other address.
pub fn sso_user(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
) -> Result<Option<String>, WebError> {
    let Some(name) = &state.config.auth.trusted_user_header else {
        return Ok(None);
    };
    let Some(user) = headers
        .get(name.as_str())
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    if !client.via_trusted_proxy {
        tracing::warn!(client = %client.addr, header = %name, "SSO header from an address that is not a trusted proxy: refused");
        return Err(WebError::SignIn {
            next: "/report".into(),
        });
    }
    Ok(Some(user.to_string()))
}

/// Checks the credentials of a request: SSO header, bearer token, then session cookie.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
    next: String,
) -> Result<Admin, WebError> {
    let auth = &state.config.auth;
    match sso_user(state, headers, client) {
        Ok(Some(user)) if auth.admins.allows(&user) => return Ok(Admin { name: user }),
        Ok(Some(_)) => return Err(WebError::Forbidden("your SSO user is not in auth.admins")),
        Ok(None) => {}
        Err(WebError::SignIn { .. }) => return Err(WebError::SignIn { next }),
        Err(other) => return Err(other),
    }
    if let Some(token) = &auth.admin_token {
        if bearer(headers)
            .is_some_and(|given| constant_time_eq(given.as_bytes(), token.expose().as_bytes()))
        {
            return Ok(Admin {
                name: "admin".into(),
            });
        }
    }
    if let Some(id) = cookie(headers, COOKIE) {
        let now = chrono::Utc::now().timestamp();
        if let Some(name) = state.store.session(&session_hash(id), now).await? {
            return Ok(Admin { name });
        }
    }
    Err(WebError::SignIn { next })
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(client) = Client::from_request_parts(parts, state).await;
        let next = parts
            .uri
            .path_and_query()
            .map_or("/report".to_string(), |p| p.to_string());
        authenticate(state, &parts.headers, client, next).await
    }
}

/// `/login` (a form that takes the admin token and starts a session) and `POST /logout`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[derive(serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(axum::extract::Query(q): axum::extract::Query<NextQuery>) -> Response {
    login_page(StatusCode::OK, false, safe_next(q.next))
}

#[derive(serde::Deserialize)]
struct LoginForm {
    token: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    state
        .limits
        .login_failures
        .check(client.addr)
        .inspect_err(|_| {
            tracing::warn!(client = %client.addr, "login refused: too many failed attempts");
        })?;
    let next = safe_next(form.next);
    let valid = state
        .config
        .auth
        .admin_token
        .as_ref()
        .is_some_and(|t| constant_time_eq(form.token.trim().as_bytes(), t.expose().as_bytes()));
    if !valid {
        state.limits.login_failures.count(client.addr);
        tracing::warn!(client = %client.addr, "login failed");
        return Ok(login_page(StatusCode::UNAUTHORIZED, true, next));
    }
    let id = new_session_id();
    let max_age = i64::from(state.config.auth.session_hours) * 3600;
    state
        .store
        .create_session(
            &session_hash(&id),
            "admin",
            chrono::Utc::now().timestamp() + max_age,
        )
        .await?;
    let secure = if served_over_https(&state, &headers, client) {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    if let Some(id) = cookie(&headers, COOKIE) {
        state.store.end_session(&session_hash(id)).await?;
    }
    let expired = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok(([(header::SET_COOKIE, expired)], Redirect::to("/login")).into_response())
}

/// The public address is https (`survey.base_url`), or a trusted proxy says it received https.
fn served_over_https(state: &AppState, headers: &HeaderMap, client: Client) -> bool {
    let forwarded_https = client.via_trusted_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    forwarded_https || state.config.survey.base_url.starts_with("https://")
}

/// Only local paths are followed after a login (no open redirect).
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(char::is_control)
    })
    .unwrap_or_else(|| "/report".into())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// True when the request carries `Authorization: Bearer <expected>` (constant time).
pub fn bearer_is(headers: &HeaderMap, expected: &str) -> bool {
    bearer(headers).is_some_and(|given| constant_time_eq(given.as_bytes(), expected.as_bytes()))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name && !v.is_empty()).then_some(v))
}

/// A new session id: 256 random bits, hex.
fn new_session_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the store keeps of a session id.
fn session_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Compares without leaking where the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/report?quarter=2026-Q3".into())),
            "/report?quarter=2026-Q3"
        );
        assert_eq!(safe_next(Some("//evil.example".into())), "/report");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/report");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/report");
        assert_eq!(safe_next(Some("/ok\r\nSet-Cookie: x".into())), "/report");
        assert_eq!(safe_next(None), "/report");
    }

    #[test]
    fn cookies_and_bearer_tokens_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; dxs_session=xyz".parse().unwrap());
        headers.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert_eq!(cookie(&headers, COOKIE), Some("xyz"));
        assert_eq!(bearer(&headers), Some("s3cret"));
        assert!(bearer_is(&headers, "s3cret"));
        assert!(!bearer_is(&headers, "s3cre"));
    }

    #[test]
    fn session_ids_are_random_and_stored_hashed() {
        let (a, b) = (new_session_id(), new_session_id());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(session_hash(&a), a);
        assert_eq!(session_hash(&a), session_hash(&a));
    }
}

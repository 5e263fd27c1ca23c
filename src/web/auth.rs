//! Who may read the report and the API: a bearer admin token, a session cookie set by `/login`
//! with that token, or the user header of an SSO proxy, counted only from
//! `auth.trusted_proxies` and only for `auth.admins`.
//!
//! With no admin token and no trusted header configured nobody gets in: the report is never
//! public by default. A session is a random id kept server-side (only its SHA-256 is stored)
//! that ends after `auth.session_hours` or at `POST /logout`; it is stored as an HMAC of the
//! admin token, so a new token ends every session. Failed logins and wrong bearer tokens (on
//! `/api`, `/report` and `/metrics`) count against one limit per client address. A request with
//! more than one SSO user header is refused. Tokens and session ids are never logged.

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::client::Client;
use super::limits::Limited;
use super::{AppState, WebError};
use crate::secret::Secret;

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
/// `Ok(Some(user))` from a trusted proxy, `Err` (logged) from any other address, and a 400
/// when the header comes more than once (a proxy that appends would let the client's own
/// value win).
pub fn sso_user(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
) -> Result<Option<String>, WebError> {
    let Some(name) = &state.config.auth.trusted_user_header else {
        return Ok(None);
    };
    let mut values = headers.get_all(name.as_str()).iter();
    let first = values.next();
    if values.next().is_some() {
        tracing::warn!(client = %client.addr, header = %name, "more than one SSO user header: refused");
        return Err(WebError::BadRequest(format!(
            "{name}: sent more than once; a request names one user"
        )));
    }
    let Some(user) = first
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
    if bearer_allowed(state, headers, client, auth.admin_token.as_ref())? {
        return Ok(Admin {
            name: "admin".into(),
        });
    }
    if let (Some(id), Some(token)) = (cookie(headers, COOKIE), &auth.admin_token) {
        let now = chrono::Utc::now().timestamp();
        if let Some(name) = state.store.session(&session_hash(token, id), now).await? {
            return Ok(Admin { name });
        }
    }
    Err(WebError::SignIn { next })
}

/// True when the request's bearer token is `expected`. A wrong one (or one where none is
/// configured) counts against the address's failed logins; once those are used up, every
/// bearer token of the address is 429 until the window ends, the right one too.
pub fn bearer_allowed(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
    expected: Option<&Secret>,
) -> Result<bool, Limited> {
    let Some(given) = bearer(headers) else {
        return Ok(false);
    };
    let limit = &state.limits.login_failures;
    limit.check(client.addr).inspect_err(|_| {
        tracing::warn!(client = %client.addr, "bearer token refused: too many failed attempts");
    })?;
    if expected.is_some_and(|t| constant_time_eq(given.as_bytes(), t.expose().as_bytes())) {
        return Ok(true);
    }
    limit.count(client.addr);
    tracing::warn!(client = %client.addr, "wrong bearer token");
    Ok(false)
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
    let token = state
        .config
        .auth
        .admin_token
        .as_ref()
        .filter(|t| constant_time_eq(form.token.trim().as_bytes(), t.expose().as_bytes()));
    let Some(token) = token else {
        state.limits.login_failures.count(client.addr);
        tracing::warn!(client = %client.addr, "login failed");
        return Ok(login_page(StatusCode::UNAUTHORIZED, true, next));
    };
    let id = new_session_id();
    let max_age = i64::from(state.config.auth.session_hours) * 3600;
    state
        .store
        .create_session(
            &session_hash(token, &id),
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
    if let (Some(id), Some(token)) = (cookie(&headers, COOKIE), &state.config.auth.admin_token) {
        state.store.end_session(&session_hash(token, id)).await?;
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

/// What the store keeps of a session id: its HMAC under the admin token, so that reading the
/// table gives no session, and a new admin token finds none of the sessions of the old one.
pub fn session_hash(admin_token: &Secret, id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(admin_token.expose().as_bytes())
        .expect("HMAC takes any key");
    mac.update(id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
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
    }

    #[test]
    fn session_ids_are_random_and_stored_hashed() {
        let (a, b) = (new_session_id(), new_session_id());
        let (one, two) = (Secret::new("token one"), Secret::new("token two"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(session_hash(&one, &a), a);
        assert_eq!(session_hash(&one, &a), session_hash(&one, &a));
        assert_ne!(
            session_hash(&one, &a),
            session_hash(&two, &a),
            "bound to the token"
        );
    }
}

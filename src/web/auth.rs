//! Who may read the report and the API: a bearer token, a session cookie set by `/login`
//! with that token, or the user header of a trusted SSO proxy.
//!
//! With no admin token and no trusted header configured nobody gets in: the report is never
//! public by default. The cookie holds an HMAC of the token, never the token itself.

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::AppState;

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

/// A request without valid credentials.
#[derive(Debug)]
pub struct Unauthorized {
    next: String,
}

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        if self.next.starts_with("/api/") {
            let headers = [(header::WWW_AUTHENTICATE, "Bearer")];
            return (
                StatusCode::UNAUTHORIZED,
                headers,
                "unauthorized: send Authorization: Bearer <admin token>\n",
            )
                .into_response();
        }
        login_page(StatusCode::UNAUTHORIZED, false, self.next)
    }
}

fn login_page(status: StatusCode, failed: bool, next: String) -> Response {
    let page = LoginPage { failed, next };
    match page.render() {
        Ok(html) => (status, [(header::WWW_AUTHENTICATE, "Bearer")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "login page failed to render");
            (status, "unauthorized\n").into_response()
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Unauthorized;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = &state.config.auth;
        if let Some(header_name) = &auth.trusted_user_header {
            if let Some(user) = parts
                .headers
                .get(header_name.as_str())
                .and_then(|v| v.to_str().ok())
            {
                if !user.trim().is_empty() {
                    return Ok(Admin {
                        name: user.trim().to_string(),
                    });
                }
            }
        }
        if let Some(token) = &auth.admin_token {
            let token = token.expose();
            if bearer(&parts.headers)
                .is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes()))
            {
                return Ok(Admin {
                    name: "admin".into(),
                });
            }
            if cookie(&parts.headers, COOKIE).is_some_and(|given| {
                constant_time_eq(given.as_bytes(), session_value(token).as_bytes())
            }) {
                return Ok(Admin {
                    name: "admin".into(),
                });
            }
        }
        let next = parts
            .uri
            .path_and_query()
            .map_or("/report".to_string(), |p| p.to_string());
        Err(Unauthorized { next })
    }
}

/// `/login`: a form that takes the admin token and sets the session cookie.
pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(login_form).post(login))
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

async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    let next = safe_next(form.next);
    match &state.config.auth.admin_token {
        Some(token)
            if constant_time_eq(form.token.trim().as_bytes(), token.expose().as_bytes()) =>
        {
            let cookie = format!(
                "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200",
                session_value(token.expose())
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        _ => login_page(StatusCode::UNAUTHORIZED, true, next),
    }
}

/// Only local paths are followed after a login (no open redirect).
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
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
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The cookie value for `token`: an HMAC, so the cookie never carries the token.
fn session_value(token: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"dxs report session v1");
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
        assert_eq!(safe_next(Some("https://evil.example".into())), "/report");
        assert_eq!(safe_next(None), "/report");
    }

    #[test]
    fn cookies_and_bearer_tokens_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; dxs_session=xyz".parse().unwrap());
        headers.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert_eq!(cookie(&headers, COOKIE), Some("xyz"));
        assert_eq!(bearer(&headers), Some("s3cret"));
        assert_ne!(session_value("s3cret"), "s3cret");
    }
}

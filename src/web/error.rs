//! One error type for every handler: a status per variant, a 5xx logged and never shown.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::auth::login_page;
use super::limits::Limited;
use crate::store::StoreError;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such page: 404.
    #[error("not found")]
    NotFound,
    /// The request is wrong; the text says how: 400.
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials for the report or the API (or an SSO header from an address that is
    /// no trusted proxy): 401, the sign-in page, or a bearer challenge under `/api/`.
    #[error("sign in to read {next}")]
    SignIn {
        /// Where to go after signing in.
        next: String,
    },
    /// A bearer token is needed and was not sent: 401 naming the token (e.g. `/metrics`).
    #[error("unauthorized: send Authorization: Bearer <{0}>")]
    Bearer(&'static str),
    /// A webhook whose signature is bad or missing, or that no secret can check: 401.
    #[error("{0}")]
    BadSignature(String),
    /// Well formed but naming what dxs does not know (a webhook's team): 422, the text says what.
    #[error("{0}")]
    Unprocessable(String),
    /// Signed in but not allowed: 403, the text says why.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// An error shown as a page of its own (the survey's notices, its form with the errors
    /// at their questions): that status, never cached.
    #[error("{status}")]
    Page {
        /// 400, 403, 404, 409 or 422.
        status: StatusCode,
        /// The rendered page.
        html: String,
    },
    /// Too many requests from this address: 429 with `Retry-After`.
    #[error("too many requests")]
    Limited(Limited),
    /// The database failed: 500.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that is dxs's fault: 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Limited> for WebError {
    fn from(limited: Limited) -> WebError {
        WebError::Limited(limited)
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> WebError {
        WebError::Internal(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "not found\n").into_response(),
            WebError::SignIn { next } if next.starts_with("/api/") => {
                WebError::Bearer("admin token").into_response()
            }
            WebError::SignIn { next } => login_page(StatusCode::UNAUTHORIZED, false, next),
            e @ WebError::Bearer(_) => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                format!("{e}\n"),
            )
                .into_response(),
            WebError::BadSignature(reason) => {
                (StatusCode::UNAUTHORIZED, format!("{reason}\n")).into_response()
            }
            WebError::BadRequest(reason) => {
                (StatusCode::BAD_REQUEST, format!("{reason}\n")).into_response()
            }
            WebError::Unprocessable(reason) => {
                (StatusCode::UNPROCESSABLE_ENTITY, format!("{reason}\n")).into_response()
            }
            e @ WebError::Forbidden(_) => (StatusCode::FORBIDDEN, format!("{e}\n")).into_response(),
            WebError::Page { status, html } => page(status, html),
            WebError::Limited(limited) => limited.into_response(),
            WebError::Store(e) => internal(&e),
            WebError::Internal(e) => internal(&*e),
        }
    }
}

/// A page with `Cache-Control: no-store` (a survey page holds its invite).
pub(super) fn page(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn internal(e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, "request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answer(e: WebError) -> (StatusCode, Option<String>, Option<String>) {
        let response = e.into_response();
        let value = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap().to_string())
        };
        (
            response.status(),
            value(header::WWW_AUTHENTICATE),
            value(header::RETRY_AFTER),
        )
    }

    #[test]
    fn each_variant_answers_its_status() {
        let bearer = Some("Bearer".to_string());
        assert_eq!(answer(WebError::NotFound).0, StatusCode::NOT_FOUND);
        assert_eq!(
            answer(WebError::BadRequest("x: bad".into())).0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            answer(WebError::SignIn {
                next: "/api/v1/score".into()
            }),
            (StatusCode::UNAUTHORIZED, bearer.clone(), None)
        );
        assert_eq!(
            answer(WebError::SignIn {
                next: "/report".into()
            }),
            (StatusCode::UNAUTHORIZED, bearer.clone(), None)
        );
        assert_eq!(
            answer(WebError::Bearer("the token of metrics.token_env")),
            (StatusCode::UNAUTHORIZED, bearer, None)
        );
        assert_eq!(
            answer(WebError::BadSignature(
                "bad or missing x-dxs-signature".into()
            )),
            (StatusCode::UNAUTHORIZED, None, None)
        );
        assert_eq!(
            answer(WebError::Unprocessable("team: \"x\" unknown".into())).0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            answer(WebError::Forbidden("not in auth.admins")).0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            answer(WebError::Page {
                status: StatusCode::CONFLICT,
                html: "<p>used</p>".into()
            })
            .0,
            StatusCode::CONFLICT
        );
        let limited = Limited {
            retry_after: Duration::from_secs(42),
        };
        assert_eq!(
            answer(limited.into()),
            (StatusCode::TOO_MANY_REQUESTS, None, Some("42".into()))
        );
        assert_eq!(
            answer(anyhow::anyhow!("boom").into()).0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}

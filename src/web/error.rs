//! One error type for every handler: a status per variant, a 5xx logged and never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such page.
    #[error("not found")]
    NotFound,
    /// The request is wrong; the text says how.
    #[error("{0}")]
    BadRequest(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that is dxs's fault.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "not found\n").into_response(),
            WebError::BadRequest(reason) => {
                (StatusCode::BAD_REQUEST, format!("{reason}\n")).into_response()
            }
            WebError::Store(e) => internal(&e),
            WebError::Internal(e) => internal(&*e),
        }
    }
}

fn internal(e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, "request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}

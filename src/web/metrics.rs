//! `GET /metrics` (OpenMetrics text, from memory; behind the bearer token of
//! `metrics.token_env` when that names a set variable, wrong tokens limited like failed logins)
//! and the middleware that counts every request by its route template.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::auth::bearer_allowed;
use super::client::Client;
use super::{AppState, WebError};
use crate::metrics::CONTENT_TYPE;

/// The `route` label of a request that matched no route: raw paths never become labels.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Routes of the metrics endpoint.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if let Some(token) = &state.config.metrics.token {
        if !bearer_allowed(&state, &headers, client, Some(token))? {
            return Err(WebError::Bearer("the token of metrics.token_env"));
        }
    }
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response())
}

/// Counts the request in `dxs_http_requests_total{route,status}` and times it in
/// `dxs_http_request_duration_seconds{route}`, `route` being the matched template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE.to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .observe_http(&route, response.status().as_u16(), started.elapsed());
    response
}

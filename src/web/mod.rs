//! The HTTP server: router, shared state, middleware and graceful shutdown.
//!
//! Handlers only read the store and the score snapshot, and write facts through the app's door
//! ([`App::record`]); a page view or a scrape never runs a collection or a scoring pass. Each
//! resource has its own file with its own `router()`.

mod api;
mod auth;
mod client;
mod error;
mod health;
mod home;
mod limits;
mod metrics;
mod report;
mod server;
mod survey;
mod webhooks;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::Router;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::App;

pub use error::WebError;
pub use limits::{Limits, RateLimit};
pub use server::ServerLimits;

/// Largest request body accepted (a survey response or a webhook event is far smaller).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// A request that takes longer is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Content-Security-Policy of every response: no script at all, styles from dxs only.
const CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Handler state: the shared [`App`] and the per-address limits of the web (a cheap clone).
/// Handlers read the app's fields through `Deref` (`state.store`, `state.config`).
#[derive(Clone)]
pub struct AppState {
    /// The application.
    pub app: Arc<App>,
    /// Per-address limits of logins, survey posts and webhooks.
    pub limits: Arc<Limits>,
}

impl AppState {
    /// The state of a server of `app`, with the default limits.
    pub fn new(app: Arc<App>) -> Self {
        Self::with_limits(app, Limits::default())
    }

    /// As [`AppState::new`], with these per-address limits.
    pub fn with_limits(app: Arc<App>, limits: Limits) -> Self {
        AppState {
            app,
            limits: Arc::new(limits),
        }
    }
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

/// The router with every route and middleware, apart from any socket (tests call it directly).
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        // The span names the path only: a query may hold a survey invite token.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Every answer may hold what only its reader may see (the report, the API, a survey
        // page with its invite): no cache keeps one, and none is shared with a later user.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ));
    Router::new()
        .merge(health::router())
        .merge(home::router())
        .merge(survey::router())
        .merge(webhooks::router())
        .merge(metrics::router())
        .merge(auth::router())
        .merge(report::router())
        .merge(api::router())
        .fallback(|| async { WebError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
        .layer(middleware)
}

/// Serves `state` on `listener` until `shutdown` is cancelled, and lets requests in flight
/// end. The app's background tasks are its own ([`App::start`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_with(listener, state, ServerLimits::default(), shutdown).await
}

/// As [`serve`], within these connection limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: ServerLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let trusted = state.config.auth.trusted_proxies.clone();
    server::run(listener, app(state), limits, trusted, shutdown).await
}

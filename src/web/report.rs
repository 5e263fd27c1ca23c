//! `GET /report`: the quarterly report for platform leads (admin only).

use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;

use super::auth::Admin;
use super::{AppState, WebError};
use crate::quarter::Quarter;
use crate::report::{self, ReportError, ReportOptions, SortKey};

/// Routes of the report.
pub fn router() -> Router<AppState> {
    Router::new().route("/report", get(show))
}

#[derive(serde::Deserialize)]
struct ReportQuery {
    quarter: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    detail: Option<String>,
}

/// The quarter asked for, else the newest one with a snapshot, else the current one.
pub(super) async fn pick_quarter(
    state: &AppState,
    asked: Option<&str>,
) -> Result<Quarter, WebError> {
    if let Some(q) = asked {
        return q.parse().map_err(|e: crate::quarter::QuarterParseError| {
            WebError::BadRequest(format!("quarter: {e}"))
        });
    }
    let newest = state.store.snapshot_quarters().await?.into_iter().next();
    Ok(newest
        .and_then(|q| q.parse().ok())
        .unwrap_or_else(Quarter::current))
}

async fn show(
    _admin: Admin,
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Html<String>, WebError> {
    let quarter = pick_quarter(&state, q.quarter.as_deref()).await?;
    let options = ReportOptions {
        quarter,
        sort: SortKey::parse(q.sort.as_deref(), q.order.as_deref()),
        detail: q.detail.as_deref() == Some("names"),
        standalone: false,
    };
    let page = report::build(&state.store, &state.config, &options)
        .await
        .map_err(report_error)?;
    let Some(page) = page else {
        return Err(WebError::NotFound);
    };
    Ok(Html(page.to_html().map_err(report_error)?))
}

fn report_error(e: ReportError) -> WebError {
    match e {
        ReportError::Store(e) => WebError::Store(e),
        other => WebError::Internal(other.into()),
    }
}

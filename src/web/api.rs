//! The JSON API: `GET /api/v1/score[?quarter=]` (DESIGN §7) and `GET /api/v1/quarters`
//! (admin only), read from the score snapshots.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};

use super::auth::Admin;
use super::report::pick_quarter;
use super::{AppState, WebError};
use crate::scoring::{self, Score};

/// Routes of the API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/score", get(score))
        .route("/api/v1/quarters", get(quarters))
}

#[derive(serde::Deserialize)]
struct ScoreQuery {
    quarter: Option<String>,
}

async fn score(
    _admin: Admin,
    State(state): State<AppState>,
    Query(q): Query<ScoreQuery>,
) -> Result<Json<Score>, WebError> {
    let quarter = pick_quarter(&state, q.quarter.as_deref()).await?;
    match scoring::read_snapshot(&state.store, quarter).await {
        Ok(Some(score)) => Ok(Json(score)),
        Ok(None) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
}

/// Quarters that have a score, newest first.
#[derive(serde::Serialize)]
struct Quarters {
    quarters: Vec<String>,
}

async fn quarters(
    _admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Quarters>, WebError> {
    Ok(Json(Quarters {
        quarters: state.store.snapshot_quarters().await?,
    }))
}

//! The home page: what this dxs holds and where to go next.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

use super::{AppState, WebError};
use crate::store::TableCounts;

/// Routes of the home page.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    counts: TableCounts,
    teams: Vec<String>,
}

async fn home(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let page = HomePage {
        counts: state.store.counts().await?,
        teams: state.store.team_names().await?,
    };
    Ok(Html(page.render().map_err(anyhow::Error::from)?))
}

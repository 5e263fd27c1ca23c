//! The home page: what dxs is and where to go next. Only a reader of the report sees what
//! this dxs holds (counts and team names, from the summary the latest scoring pass wrote: never
//! a fact read); anyone else gets a static page that names no team and makes no query.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

use super::auth::authenticate;
use super::client::Client;
use super::{AppState, WebError};
use crate::scoring;
use crate::store::TableCounts;

/// Routes of the home page.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    /// What this dxs holds, for a reader of the report only.
    holds: Option<(TableCounts, Vec<String>)>,
}

async fn home(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
) -> Result<Html<String>, WebError> {
    let holds = match authenticate(&state, &headers, client, "/".into()).await {
        Ok(_) => {
            let summary = scoring::read_summary(&state.store)
                .await
                .map_err(anyhow::Error::from)?
                .unwrap_or_default();
            Some((summary.counts, summary.teams))
        }
        Err(e @ (WebError::Store(_) | WebError::Internal(_))) => return Err(e),
        Err(_) => None,
    };
    Ok(Html(HomePage { holds }.render()?))
}

//! `dxs survey invite` and `dxs survey close`: a quarter's links, and the end of its survey.

use std::sync::Arc;

use super::{open_store, CliError};
use crate::app::App;
use crate::config::{Config, ConfigError};
use crate::quarter::Quarter;
use crate::survey::invites::{self, InviteError};
use crate::survey::release::CloseError;

/// `dxs survey invite`: stores the quarter's invites and prints `login,team,url` CSV on
/// stdout. A quarter whose survey has closed exits 2, naming it.
pub(super) async fn invite(
    config: &Config,
    quarter: Quarter,
    team: Option<&str>,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let links = invites::issue(&store, &config.survey, quarter, team).await;
    store.close().await;
    let links = links.map_err(|e| match e {
        InviteError::NoSecret => CliError::Config(ConfigError::Invalid {
            key: "survey.secret_env".into(),
            reason: "the variable it names is not set: invite links are derived from that \
                     secret, so that running `dxs survey invite` again prints the same links"
                .into(),
        }),
        closed @ InviteError::Closed(_) => CliError::Refused(closed.to_string()),
        other => CliError::Failed(other.into()),
    })?;
    invites::write_csv(&links, std::io::stdout().lock())
        .map_err(|e| anyhow::anyhow!("cannot write the invites: {e}"))?;
    eprintln!("dxs: {} survey links for {quarter}", links.len());
    Ok(())
}

/// `dxs survey close`: closes the quarter's survey, releases and freezes its figures, and
/// scores the quarters that show them. Exit 2 for a quarter with no survey or closed already.
pub(super) async fn close(app: Arc<App>, quarter: Quarter) -> Result<(), CliError> {
    let closed = app.close_survey(quarter).await;
    let result = match closed {
        Ok(()) => app
            .score(&[])
            .await
            .map(|_| ())
            .map_err(|e| CliError::Failed(e.into())),
        Err(e @ (CloseError::NoSurvey(_) | CloseError::Closed(_))) => {
            Err(CliError::Refused(e.to_string()))
        }
        Err(CloseError::Store(e)) => Err(e.into()),
    };
    app.store.close().await;
    result?;
    eprintln!("dxs: the survey of {quarter} is closed; its figures are published");
    Ok(())
}

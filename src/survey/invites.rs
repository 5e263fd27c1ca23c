//! Survey invites: one single-use link per roster developer per quarter.
//!
//! A token is the first 128 bits of HMAC-SHA256(survey secret, quarter, login). It is as
//! unguessable as a random token to anyone without the secret, but it is *derived*: running
//! `dxs survey invite` twice for a quarter prints the same links and stores the same hashes
//! (an upsert), so a second run never hands a developer a second valid invite. Only the token's
//! SHA-256 is stored, with the quarter and the team, never the login.
//!
//! An invite is used per (quarter, developer), whatever the secret: its use is recorded under
//! a use key, an HMAC of the quarter and the login under a random key of the database
//! ([`use_key`]), so the invite a new survey secret derives for a developer who answered is used
//! already. A closed quarter's survey takes no invite ([`InviteError::Closed`]).

use std::io::Write;

use hmac::Mac;

use super::keyed;
use crate::config::SurveyConfig;
use crate::model::{invite_hash, Developer};
use crate::quarter::Quarter;
use crate::secret::Secret;
use crate::store::{NewInvite, Store, StoreError};

const LABEL: &str = "dxs survey invite v1";
const USE_LABEL: &str = "dxs survey use v1";

/// Why invites could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    /// No survey secret: tokens cannot be derived.
    #[error("survey.secret_env: the variable it names is not set")]
    NoSecret,
    /// The quarter's survey has closed: no invite is issued, no answer taken.
    #[error("the survey of {0} has closed: it takes no more invites or answers")]
    Closed(Quarter),
    /// The roster holds nobody (for this team).
    #[error("the roster has no developer{0} who started before the end of {1}; run `dxs collect` (or `dxs demo`) first")]
    EmptyRoster(String, Quarter),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One developer's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteLink {
    /// GitHub login (printed, never stored with the invite).
    pub login: String,
    /// Team, stored with the invite.
    pub team: String,
    /// The survey link with the token.
    pub url: String,
}

/// The invite token of `login` for `quarter`: 32 hex digits (128 bits).
pub fn token(secret: &Secret, quarter: Quarter, login: &str) -> String {
    let digest = keyed(secret, LABEL, &[&quarter.to_string(), login]).finalize();
    hex::encode(&digest.into_bytes()[..16])
}

/// The key the use of `login`'s invite for `quarter` is recorded under: 64 hex digits of
/// HMAC-SHA256 under the database's survey salt ([`Store::survey_salt`]), the same for every
/// survey secret.
pub fn use_key(salt: &Secret, quarter: Quarter, login: &str) -> String {
    hex::encode(
        keyed(salt, USE_LABEL, &[&quarter.to_string(), login])
            .finalize()
            .into_bytes(),
    )
}

/// The link of a token: `{base_url}/survey?invite={token}`.
pub fn url(base_url: &str, token: &str) -> String {
    format!("{base_url}/survey?invite={token}")
}

/// Stores one invite per roster developer (of `team`, if given) who started before the end of
/// `quarter`, and returns their links, sorted by team then login. A developer of no known team
/// yet (see [`crate::model::Developer::team`]) is not invited: answers count per team. Safe to
/// run again.
pub async fn issue(
    store: &Store,
    survey: &SurveyConfig,
    quarter: Quarter,
    team: Option<&str>,
) -> Result<Vec<InviteLink>, InviteError> {
    let secret = survey.secret.as_ref().ok_or(InviteError::NoSecret)?;
    refuse_closed(store, survey, quarter).await?;
    let mut developers: Vec<_> = store
        .developers()
        .await?
        .into_iter()
        .filter(|d| !d.team.is_empty() && d.start_at < quarter.end())
        .filter(|d| team.is_none_or(|t| d.team == t))
        .collect();
    if developers.is_empty() {
        let which = team.map(|t| format!(" in team {t:?}")).unwrap_or_default();
        return Err(InviteError::EmptyRoster(which, quarter));
    }
    developers.sort_by(|a, b| (&a.team, &a.login).cmp(&(&b.team, &b.login)));
    let salt = Secret::new(store.survey_salt().await?);
    let mut rows = Vec::with_capacity(developers.len());
    let mut links = Vec::with_capacity(developers.len());
    for developer in developers {
        let token = token(secret, quarter, &developer.login);
        rows.push(new_invite(&salt, &token, quarter, &developer));
        links.push(InviteLink {
            url: url(&survey.base_url, &token),
            login: developer.login,
            team: developer.team,
        });
    }
    let new = store.create_keyed_invites(&rows).await?;
    tracing::info!(%quarter, invites = rows.len(), new, "survey invites issued");
    Ok(links)
}

/// Stores the invite of one roster developer for `quarter` (if not stored yet) and returns its
/// token: the invite of a developer signed in through the SSO proxy.
pub async fn for_developer(
    store: &Store,
    survey: &SurveyConfig,
    quarter: Quarter,
    developer: &Developer,
) -> Result<String, InviteError> {
    let secret = survey.secret.as_ref().ok_or(InviteError::NoSecret)?;
    refuse_closed(store, survey, quarter).await?;
    let salt = Secret::new(store.survey_salt().await?);
    let token = token(secret, quarter, &developer.login);
    store
        .create_keyed_invites(&[new_invite(&salt, &token, quarter, developer)])
        .await?;
    Ok(token)
}

/// [`InviteError::Closed`] when the survey of `quarter` takes no more answers: closed, or its
/// `survey.window_days` have passed.
async fn refuse_closed(
    store: &Store,
    survey: &SurveyConfig,
    quarter: Quarter,
) -> Result<(), InviteError> {
    let now = chrono::Utc::now().timestamp();
    match store.survey_window(&quarter.to_string()).await? {
        Some(w) if !w.takes_answers(survey.window_days, now) => Err(InviteError::Closed(quarter)),
        _ => Ok(()),
    }
}

/// The stored invite of `developer`'s `token`.
fn new_invite(salt: &Secret, token: &str, quarter: Quarter, developer: &Developer) -> NewInvite {
    NewInvite {
        hash: invite_hash(token),
        quarter: quarter.to_string(),
        team: developer.team.clone(),
        use_key: use_key(salt, quarter, &developer.login),
    }
}

/// Writes `login,team,url` CSV with a header, quoting a field when CSV needs it.
pub fn write_csv(links: &[InviteLink], mut out: impl Write) -> std::io::Result<()> {
    writeln!(out, "login,team,url")?;
    for link in links {
        writeln!(
            out,
            "{},{},{}",
            csv_field(&link.login),
            csv_field(&link.team),
            csv_field(&link.url)
        )?;
    }
    out.flush()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_derived_per_quarter_and_login() {
        let secret = Secret::new("k");
        let q4: Quarter = "2026-Q4".parse().unwrap();
        let q1: Quarter = "2027-Q1".parse().unwrap();
        let a = token(&secret, q4, "alice");
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, token(&secret, q4, "alice"), "the same every run");
        assert_ne!(a, token(&secret, q1, "alice"));
        assert_ne!(a, token(&secret, q4, "alicf"));
        assert_ne!(a, token(&Secret::new("k2"), q4, "alice"));
        let salt = Secret::new("salt");
        let used = use_key(&salt, q4, "alice");
        assert_eq!(used.len(), 64);
        assert_eq!(used, use_key(&salt, q4, "alice"), "whatever the secret");
        assert_ne!(used, use_key(&salt, q1, "alice"));
        assert_ne!(used, use_key(&salt, q4, "bob"));
        assert_eq!(
            url("https://dxs.example.com", "ab"),
            "https://dxs.example.com/survey?invite=ab"
        );
    }

    #[test]
    fn csv_quotes_only_what_needs_quoting() {
        let links = vec![
            InviteLink {
                login: "alice".into(),
                team: "payments".into(),
                url: "http://x/survey?invite=1".into(),
            },
            InviteLink {
                login: "bob".into(),
                team: "data, \"core\"".into(),
                url: "http://x/survey?invite=2".into(),
            },
        ];
        let mut out = Vec::new();
        write_csv(&links, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "login,team,url\nalice,payments,http://x/survey?invite=1\n\
             bob,\"data, \"\"core\"\"\",http://x/survey?invite=2\n"
        );
    }
}

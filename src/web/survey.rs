//! The survey form: `GET /survey?invite=…` shows it, `POST /survey` checks and stores it.
//!
//! The page is rendered from the survey definition and works without JavaScript. Behind an SSO
//! proxy (`auth.trusted_user_header`), `GET /survey` with no invite serves the signed-in
//! developer's own invite.
//!
//! A POST is checked in this order: an invite (400), its CSRF token (403), the invite known
//! (404), its survey still open (410: the survey has closed, the answers are not stored) and
//! the invite unused (409), then every answer (422: the form again, each error at its
//! question, every answer kept). The response is held with the invite's team and quarter only
//! (no time, never the person), its answers sealed with the survey secret's key; it counts in
//! the figures when its survey closes (at the end of `survey.window_days`, or `dxs survey
//! close`), which the form and thank-you page date.
//! Every survey page is `Cache-Control: no-store` (it holds the invite). Answers, tokens and
//! submissions are never logged. Refused posts (no, unknown or used invite, bad CSRF token) are
//! limited per client address; valid ones never are, so an office behind one NAT address answers.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::auth;
use super::client::Client;
use super::error::page;
use super::{AppState, WebError};
use crate::model::{invite_hash, Answer};
use crate::quarter::Quarter;
use crate::store::{Invite, SubmitOutcome};
use crate::survey::invites::InviteError;
use crate::survey::validation::{self, Entered, FieldErrors};
use crate::survey::{self, csrf, invites, QuestionKind, SurveyDefinition};

/// Routes of the survey.
pub fn router() -> Router<AppState> {
    Router::new().route("/survey", get(show).post(submit))
}

#[derive(Deserialize)]
struct InviteQuery {
    invite: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Query(query): Query<InviteQuery>,
) -> Result<Response, WebError> {
    let token = match query.invite.filter(|t| !t.is_empty()) {
        Some(token) => token,
        None => signed_in_invite(&state, &headers, client).await?,
    };
    let hash = invite_hash(&token);
    let (invite, closes) = open_invite(&state, &hash).await??;
    let (entered, errors) = (Entered::default(), FieldErrors::new());
    let form = FormPage::new(&state, &invite, closes, &token, &hash, &entered, &errors);
    Ok(page(StatusCode::OK, form.render()?))
}

async fn submit(
    State(state): State<AppState>,
    client: Client,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    state.limits.survey_refusals.check(client.addr)?;
    let refused = |notice: Notice| {
        state.limits.survey_refusals.count(client.addr);
        WebError::from(notice)
    };
    let entered = Entered::from_pairs(pairs);
    let Some(token) = entered.get("invite").filter(|t| !t.is_empty()) else {
        return Err(refused(Notice::NoInvite));
    };
    let hash = invite_hash(token);
    let sent_csrf = entered.get("csrf").unwrap_or_default();
    if !csrf::is_valid(&state.config.survey.form_key, &hash, sent_csrf) {
        return Err(refused(Notice::BadCsrf));
    }
    let (invite, closes) = match open_invite(&state, &hash).await? {
        // A late post is no attack: it is refused without counting against the address.
        Err(Notice::Closed) => return Err(Notice::Closed.into()),
        other => other.map_err(refused)?,
    };
    let definition = &state.config.survey.definition;
    let answers = validation::validate(definition, &entered).map_err(|errors| {
        let form = FormPage::new(&state, &invite, closes, token, &hash, &entered, &errors);
        match form.render() {
            Ok(html) => WebError::Page {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                html,
            },
            Err(e) => e.into(),
        }
    })?;
    let key = survey::held_key(&state.config.survey);
    match state.store.submit_response(&hash, &answers, &key).await? {
        SubmitOutcome::Stored => {
            if let Ok(quarter) = invite.quarter.parse() {
                state.survey_answered(quarter).await;
            }
            let thanks = ThanksPage {
                title: &definition.title,
                quarter: &invite.quarter,
                closes_on: day(closes),
                answers: summary(definition, &answers),
            };
            Ok(page(StatusCode::OK, thanks.render()?))
        }
        SubmitOutcome::AlreadyUsed => Err(refused(Notice::Used)),
        SubmitOutcome::UnknownInvite => Err(refused(Notice::Unknown)),
        SubmitOutcome::Closed => Err(Notice::Closed.into()),
    }
}

/// Behind an SSO proxy that sets `auth.trusted_user_header` (from `auth.trusted_proxies`
/// only), a roster developer needs no link: their own invite for the current quarter is
/// derived from their login, exactly as `dxs survey invite` derives it, so the link and the
/// proxy can never answer twice.
async fn signed_in_invite(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
) -> Result<String, WebError> {
    let Some(login) = auth::sso_user(state, headers, client)? else {
        return Err(Notice::NoInvite.into());
    };
    let Some(developer) = state.store.developer(&login).await? else {
        return Err(Notice::NotOnRoster.into());
    };
    let survey = &state.config.survey;
    match invites::for_developer(&state.store, survey, Quarter::current(), &developer).await {
        Ok(token) => Ok(token),
        Err(InviteError::NoSecret) => Err(Notice::NoInvite.into()),
        Err(InviteError::Closed(_)) => Err(Notice::Closed.into()),
        Err(InviteError::Store(e)) => Err(e.into()),
        Err(e @ InviteError::EmptyRoster(..)) => Err(WebError::Internal(e.into())),
    }
}

/// The invite and when its survey closes (UNIX seconds) if it can answer, else the notice that
/// says why not: a survey that has closed, or whose `survey.window_days` have passed, takes
/// no answer.
async fn open_invite(
    state: &AppState,
    hash: &str,
) -> Result<Result<(Invite, i64), Notice>, WebError> {
    let Some(invite) = state.store.invite(hash).await? else {
        return Ok(Err(Notice::Unknown));
    };
    let days = state.config.survey.window_days;
    let now = chrono::Utc::now().timestamp();
    Ok(match state.store.survey_window(&invite.quarter).await? {
        Some(w) if w.takes_answers(days, now) && !invite.used => Ok((invite, w.closes_at(days))),
        Some(w) if w.takes_answers(days, now) => Err(Notice::Used),
        _ => Err(Notice::Closed),
    })
}

/// `YYYY-MM-DD` of a UNIX time, UTC.
fn day(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// A page that says why the form is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    NoInvite,
    Unknown,
    Used,
    BadCsrf,
    NotOnRoster,
    Closed,
}

#[derive(Template)]
#[template(path = "survey_notice.html")]
struct NoticePage {
    heading: &'static str,
    text: &'static str,
}

impl From<Notice> for WebError {
    /// The notice as its page, with its status.
    fn from(notice: Notice) -> WebError {
        let (status, heading, text) = match notice {
            Notice::NoInvite => (
                StatusCode::BAD_REQUEST,
                "Open the survey from your invitation",
                "The survey needs the personal link from your invitation (it ends in ?invite=…).",
            ),
            Notice::Unknown => (
                StatusCode::NOT_FOUND,
                "This survey link is not valid",
                "Check that the whole link was copied, or ask the platform team for a new one.",
            ),
            Notice::Closed => (
                StatusCode::GONE,
                "This survey has closed",
                "This quarter's survey has closed: it takes no more answers, and nothing sent \
                 to it now is stored. Its results are in the platform team's report.",
            ),
            Notice::Used => (
                StatusCode::CONFLICT,
                "You have already answered",
                "This invitation has already been used to answer this quarter's survey: each \
                 invitation answers once. Thank you for taking part.",
            ),
            Notice::NotOnRoster => (
                StatusCode::FORBIDDEN,
                "You are not on the roster",
                "You are signed in, but your login is not on the roster of dxs, so there is no \
                 survey for you. Ask the platform team to add you.",
            ),
            Notice::BadCsrf => (
                StatusCode::FORBIDDEN,
                "This form could not be checked",
                "The form's security token does not match your invitation. Open your survey \
                 link again and send your answers from there.",
            ),
        };
        match (NoticePage { heading, text }).render() {
            Ok(html) => WebError::Page { status, html },
            Err(e) => e.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "survey.html")]
struct FormPage<'a> {
    title: &'a str,
    quarter: &'a str,
    /// The day the survey closes, `YYYY-MM-DD`.
    closes_on: String,
    minutes: u32,
    invite: &'a str,
    csrf: String,
    questions: Vec<QuestionView<'a>>,
    /// `(question id, question text, message)` for the summary at the top.
    errors: Vec<(&'a str, &'a str, &'a str)>,
}

/// One question as the template shows it.
struct QuestionView<'a> {
    number: usize,
    id: &'a str,
    text: &'a str,
    help: Option<&'a str>,
    required: bool,
    /// `scale` (numbers side by side), `choice` (labelled rows) or `text`.
    style: &'static str,
    options: Vec<OptionView>,
    /// The text typed so far (text questions).
    value: &'a str,
    max_length: usize,
    error: Option<&'a str>,
    /// Ids of the help and error paragraphs, for `aria-describedby`.
    described_by: String,
}

struct OptionView {
    value: String,
    label: String,
    checked: bool,
}

impl<'a> FormPage<'a> {
    fn new(
        state: &'a AppState,
        invite: &'a Invite,
        closes: i64,
        token: &'a str,
        hash: &str,
        entered: &'a Entered,
        errors: &'a FieldErrors,
    ) -> FormPage<'a> {
        let definition: &'a SurveyDefinition = &state.config.survey.definition;
        let questions = definition
            .questions
            .iter()
            .enumerate()
            .map(|(index, q)| {
                let sent = entered.get(&q.id).unwrap_or_default();
                let options = match q.kind.range() {
                    Some(range) => range
                        .map(|n| (n.to_string(), n.to_string()))
                        .collect::<Vec<_>>(),
                    None => q
                        .choices
                        .iter()
                        .map(|c| (c.value.clone(), c.label.clone()))
                        .collect(),
                };
                let error = errors.get(&q.id).map(String::as_str);
                let described_by = [
                    q.help.as_ref().map(|_| format!("q-{}-help", q.id)),
                    error.map(|_| format!("q-{}-error", q.id)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
                QuestionView {
                    number: index + 1,
                    id: &q.id,
                    text: &q.text,
                    help: q.help.as_deref(),
                    required: q.required,
                    style: match q.kind {
                        QuestionKind::Scale | QuestionKind::Nps => "scale",
                        QuestionKind::Choice => "choice",
                        QuestionKind::Text => "text",
                    },
                    options: options
                        .into_iter()
                        .map(|(value, label)| OptionView {
                            checked: value == sent,
                            value,
                            label,
                        })
                        .collect(),
                    value: sent,
                    max_length: q.max_chars(),
                    error,
                    described_by,
                }
            })
            .collect();
        let errors = definition
            .questions
            .iter()
            .filter_map(|q| Some((q.id.as_str(), q.text.as_str(), errors.get(&q.id)?.as_str())))
            .collect();
        FormPage {
            title: &definition.title,
            quarter: &invite.quarter,
            closes_on: day(closes),
            minutes: definition.minutes,
            invite: token,
            csrf: csrf::token(&state.config.survey.form_key, hash),
            questions,
            errors,
        }
    }
}

#[derive(Template)]
#[template(path = "survey_thanks.html")]
struct ThanksPage<'a> {
    title: &'a str,
    quarter: &'a str,
    /// The day the survey closes and its results appear, `YYYY-MM-DD`.
    closes_on: String,
    /// `(question, answer as shown)`.
    answers: Vec<(&'a str, String)>,
}

/// The answers as the thank-you page lists them: the choice's label, the number, or the text.
fn summary<'a>(definition: &'a SurveyDefinition, answers: &[Answer]) -> Vec<(&'a str, String)> {
    definition
        .questions
        .iter()
        .filter_map(|q| {
            let answer = answers.iter().find(|a| a.question == q.id)?;
            let shown = match (q.kind, &answer.number, &answer.text) {
                (QuestionKind::Choice, _, Some(value)) => q
                    .choices
                    .iter()
                    .find(|c| &c.value == value)
                    .map_or_else(|| value.clone(), |c| c.label.clone()),
                (_, Some(n), _) => format!("{n}"),
                (_, None, Some(text)) => text.clone(),
                (_, None, None) => return None,
            };
            Some((q.text.as_str(), shown))
        })
        .collect()
}

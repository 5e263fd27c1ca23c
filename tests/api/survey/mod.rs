//! The quarterly survey: the form's rules over HTTP, a real browser, concurrent submissions,
//! `dxs survey invite` and response rates.

mod attacker;
mod browser;
mod cli;
mod close;
mod form;
mod linkage;
mod load;
mod migration;
mod rates;
mod sealing;

use dxs::config::{Config, Secret};
use dxs::model::{invite_hash, Developer, Team};
use dxs::quarter::Quarter;
use dxs::seal::SealKey;
use dxs::store::{FactBatch, Store};
use dxs::survey::{csrf, invites};
use sqlx::Connection;

use crate::helpers::config;

/// The survey secret of these tests.
pub const SECRET: &str = "survey-test-secret";
/// The quarter the tests' invites are for.
pub const QUARTER: &str = "2026-Q4";

/// The default configuration with the test's survey secret.
pub fn survey_config() -> Config {
    config(&[("DXS_SURVEY_SECRET", SECRET)])
}

/// Stores the invite of `login` (team `team`) for [`QUARTER`] and returns its token.
pub async fn invite(store: &Store, login: &str, team: &str) -> String {
    let quarter: Quarter = QUARTER.parse().unwrap();
    let token = invites::token(&Secret::new(SECRET), quarter, login);
    store
        .create_invites(&[(invite_hash(&token), QUARTER.into(), team.into())])
        .await
        .unwrap();
    token
}

/// True when the invite of `token` has answered.
pub async fn invite_used(store: &Store, token: &str) -> bool {
    store
        .invite(&invite_hash(token))
        .await
        .unwrap()
        .expect("the invite is stored")
        .used
}

/// Releases every held response now, as the end of the quarter would (a test's lone response
/// would otherwise wait for a batch), after checking that the answers were held until then.
/// Returns the responses released.
pub async fn release_held(store: &Store) -> u64 {
    let held: i64 = store
        .held_responses()
        .await
        .unwrap()
        .iter()
        .map(|h| h.responses)
        .sum();
    let released: i64 = store
        .release_responses(1, 0, &sealing_key())
        .await
        .unwrap()
        .iter()
        .map(|h| h.responses)
        .sum();
    assert_eq!(released, held, "every held response is released");
    released as u64
}

/// The key that seals the responses held by a server with [`survey_config`].
pub fn sealing_key() -> SealKey {
    dxs::survey::sealing_key(&Secret::new(SECRET))
}

/// A held response's row as stored: `(id, quarter, team, sealed, answers)`.
pub type HeldRow = (String, String, String, Option<Vec<u8>>, Option<String>);

/// The held responses' rows as stored, each as `(every column's bytes, its sealed box)`; no
/// row holds its answers in clear.
pub async fn held_rows(url: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let sql = "SELECT id, quarter, team, sealed, answers FROM survey_pending";
    let rows: Vec<HeldRow> = if url.starts_with("postgres") {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut db).await.unwrap()
    };
    rows.into_iter()
        .map(|(id, quarter, team, sealed, answers)| {
            assert_eq!(answers, None, "no answer in clear");
            let sealed = sealed.expect("sealed");
            let row = [id.as_bytes(), quarter.as_bytes(), team.as_bytes(), &sealed].concat();
            (row, sealed)
        })
        .collect()
}

/// The CSRF token the form of `token` carries.
pub fn csrf_of(token: &str) -> String {
    csrf::token(&Secret::new(SECRET), &invite_hash(token))
}

/// A complete, valid form for `token`, with `pain_point` as the free text.
pub fn valid_form(token: &str, pain_point: &str) -> Vec<(String, String)> {
    [
        ("invite", token),
        ("csrf", &csrf_of(token)),
        ("deploy_ease", "8"),
        ("wait_time", "sometimes"),
        ("docs_clarity", "6"),
        ("recommend", "9"),
        ("pain_point", pain_point),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Writes a roster: `(login, team, start YYYY-MM-DD)`.
pub async fn roster(store: &Store, developers: &[(&str, &str, &str)]) {
    let mut batch = FactBatch::default();
    for (login, team, start) in developers {
        if !batch.teams.iter().any(|t| t.name == *team) {
            batch.teams.push(Team {
                name: team.to_string(),
                source: "roster".into(),
            });
        }
        let start: chrono::NaiveDate = start.parse().unwrap();
        batch.developers.push(Developer {
            login: login.to_string(),
            team: team.to_string(),
            start_at: start.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp(),
            email: None,
        });
    }
    store.write_batch(&batch).await.unwrap();
}

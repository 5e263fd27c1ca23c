//! Survey invites and anonymous responses.
//!
//! An invite is kept only as the SHA-256 of its token, with its quarter, its team and its use
//! key (one per quarter and developer, whatever the survey secret). Answering marks the use key
//! used in a table of its own (no time) and holds the response, under a random id with the
//! team and the quarter only, its answers sealed ([`crate::seal`]), until its release
//! ([`Store::release_responses`], or the survey's close): nothing joins a response back to a
//! person, and nothing held can be read without the survey secret. A closed survey takes no
//! answer.

use rand::RngCore;

use super::insert::{upsert, Columns, Value};
use super::{with_pool, Result, Store, StoreError};
use crate::model::Answer;
use crate::quarter::Quarter;
use crate::seal::SealKey;

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Held for release with the next batch of its quarter.
    Stored,
    /// The invite has answered already: nothing written.
    AlreadyUsed,
    /// No such invite: nothing written.
    UnknownInvite,
    /// The invite's survey has closed: nothing written.
    Closed,
}

/// One stored answer with its response's team (what scoring reads).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AnswerRow {
    /// Random response id (groups the answers of one response).
    pub response_id: String,
    /// Team of the response.
    pub team: String,
    /// Question id.
    pub question: String,
    /// Numeric answer.
    pub number: Option<f64>,
    /// Text answer.
    pub text: Option<String>,
}

/// A team's survey response rate for a quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRate {
    /// Team.
    pub team: String,
    /// Responses of the team in the quarter.
    pub responses: i64,
    /// Roster developers of the team who started before the quarter ended.
    pub roster: i64,
}

/// 16 random bytes as hex: the id of a held or a released response.
pub(super) fn random_id() -> String {
    let mut id = [0u8; 16];
    rand::rng().fill_bytes(&mut id);
    hex::encode(id)
}

/// The answers of a held response, from their JSON form in `survey_pending`.
pub(super) fn decode_answers(json: &[u8]) -> Result<Vec<Answer>> {
    serde_json::from_slice(json).map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))
}

/// What a held response's box is bound to: its quarter and team, as stored beside it.
pub(super) fn sealing_context(quarter: &str, team: &str) -> Vec<u8> {
    [quarter.as_bytes(), &[0], team.as_bytes()].concat()
}

/// A new invite (kept as it is when stored already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    /// SHA-256 of its token.
    pub hash: String,
    /// Quarter it is for.
    pub quarter: String,
    /// Team of the invited developer.
    pub team: String,
    /// What its use is recorded under: derived from the quarter and the developer, whatever
    /// the secret (`crate::survey::invites::use_key`), so a developer answers once a quarter.
    pub use_key: String,
}

impl Columns for NewInvite {
    const INTO: &'static str = "survey_invites (invite_hash, quarter, team, use_key)";
    const ON_CONFLICT: &'static str = "ON CONFLICT (invite_hash) DO NOTHING";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            (&self.hash).into(),
            (&self.quarter).into(),
            (&self.team).into(),
            (&self.use_key).into(),
        ]
    }
}

/// An invite that has answered: its use key (no time, nothing else).
pub(super) struct InviteUse<'a>(pub &'a str);

impl Columns for InviteUse<'_> {
    const INTO: &'static str = "survey_invite_uses (use_key)";
    const ON_CONFLICT: &'static str = "";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [self.0.into()]
    }
}

/// A released response under its random id (new: a repeat fails).
pub(super) struct ResponseInsert<'a> {
    /// Random id.
    pub id: &'a str,
    /// Quarter.
    pub quarter: &'a str,
    /// Team.
    pub team: &'a str,
}

impl Columns for ResponseInsert<'_> {
    const INTO: &'static str = "survey_responses (id, quarter, team)";
    const ON_CONFLICT: &'static str = "";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [self.id.into(), self.quarter.into(), self.team.into()]
    }
}

/// One answer of a released response, with the response's quarter and team.
pub(super) struct AnswerInsert<'a> {
    /// The response's random id.
    pub response_id: &'a str,
    /// The answer.
    pub answer: &'a Answer,
    /// Quarter.
    pub quarter: &'a str,
    /// Team.
    pub team: &'a str,
}

impl Columns for AnswerInsert<'_> {
    const INTO: &'static str =
        "survey_answers (response_id, question, number, text, quarter, team)";
    const ON_CONFLICT: &'static str = "";
    fn values(&self, _: i64) -> impl IntoIterator<Item = Value<'_>> {
        [
            self.response_id.into(),
            (&self.answer.question).into(),
            self.answer.number.into(),
            (&self.answer.text).into(),
            self.quarter.into(),
            self.team.into(),
        ]
    }
}

impl ResponseRate {
    /// `responses / roster` (0 to 1; 0 for an empty roster).
    pub fn rate(&self) -> f64 {
        if self.roster == 0 {
            0.0
        } else {
            self.responses as f64 / self.roster as f64
        }
    }
}

/// An invite as stored: its quarter, its team, and whether it has answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// Quarter it is for.
    pub quarter: String,
    /// Team of the invited developer.
    pub team: String,
    /// It has answered.
    pub used: bool,
}

impl Store {
    /// Stores invites `(hash, quarter, team)`, each used under its own hash (invites that no
    /// developer stands behind: the demo's, the tests'); see [`Store::create_keyed_invites`].
    pub async fn create_invites(&self, invites: &[(String, String, String)]) -> Result<u64> {
        let invites: Vec<NewInvite> = invites
            .iter()
            .map(|(hash, quarter, team)| NewInvite {
                hash: hash.clone(),
                quarter: quarter.clone(),
                team: team.clone(),
                use_key: hash.clone(),
            })
            .collect();
        self.create_keyed_invites(&invites).await
    }

    /// Stores `invites`; an invite already stored is left as it is. The first invite of a
    /// quarter opens its survey now. Returns how many were new.
    pub async fn create_keyed_invites(&self, invites: &[NewInvite]) -> Result<u64> {
        let now = chrono::Utc::now().timestamp();
        let mut quarters: Vec<&str> = invites.iter().map(|i| i.quarter.as_str()).collect();
        quarters.sort_unstable();
        quarters.dedup();
        let open = "INSERT INTO survey_windows (quarter, opened_at) VALUES ($1, $2) \
                    ON CONFLICT (quarter) DO NOTHING";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for quarter in quarters {
                sqlx::query(open).bind(quarter).bind(now).execute(&mut *tx).await?;
            }
            let rows = upsert(&mut tx, invites, 0).await?;
            tx.commit().await?;
            Ok(rows)
        })
    }

    /// The invite with this hash, if there is one.
    pub async fn invite(&self, invite_hash: &str) -> Result<Option<Invite>> {
        let sql = "SELECT i.quarter, i.team, u.use_key IS NOT NULL FROM survey_invites i \
                   LEFT JOIN survey_invite_uses u ON u.use_key = i.use_key WHERE i.invite_hash = $1";
        let row: Option<(String, String, bool)> = with_pool!(self, pool => sqlx::query_as(sql).bind(invite_hash).fetch_optional(pool).await?);
        Ok(row.map(|(quarter, team, used)| Invite {
            quarter,
            team,
            used,
        }))
    }

    /// Holds a response for the invite `invite_hash`, once per (quarter, developer), while its
    /// survey is not closed: the invite's use key is marked used and the response put in
    /// `survey_pending` (with the invite's quarter and team, no time, its answers sealed with
    /// `key`) in one transaction that holds the survey window's row, so a close waits for it
    /// (and releases it) or refuses it. It reaches the answers only with a batch
    /// ([`Store::release_responses`]) or at the close, written by another transaction.
    pub async fn submit_response(
        &self,
        invite_hash: &str,
        answers: &[Answer],
        key: &SealKey,
    ) -> Result<SubmitOutcome> {
        let id = random_id();
        let answers = serde_json::to_vec(answers).expect("answers serialise");
        // The first statement writes, so SQLite takes its write lock at once (waiting on
        // busy_timeout) instead of failing to upgrade a read lock under concurrency; on
        // PostgreSQL it locks the open window's row until the commit.
        let hold = "UPDATE survey_windows SET closed_at = NULL WHERE closed_at IS NULL AND \
                    quarter = (SELECT quarter FROM survey_invites WHERE invite_hash = $1)";
        let mark = "INSERT INTO survey_invite_uses (use_key) \
                    SELECT use_key FROM survey_invites WHERE invite_hash = $1 \
                    ON CONFLICT (use_key) DO NOTHING";
        let invite = "SELECT quarter, team FROM survey_invites WHERE invite_hash = $1";
        let pending =
            "INSERT INTO survey_pending (id, quarter, team, sealed) VALUES ($1, $2, $3, $4)";
        let stored = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let open = sqlx::query(hold).bind(invite_hash).execute(&mut *tx).await?.rows_affected() > 0;
            let marked = open
                && sqlx::query(mark).bind(invite_hash).execute(&mut *tx).await?.rows_affected() > 0;
            if marked {
                let (quarter, team): (String, String) =
                    sqlx::query_as(invite).bind(invite_hash).fetch_one(&mut *tx).await?;
                let sealed = key.seal(&answers, &sealing_context(&quarter, &team));
                sqlx::query(pending).bind(&id).bind(&quarter).bind(&team).bind(sealed)
                    .execute(&mut *tx).await?;
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            (open, marked)
        });
        Ok(match stored {
            (_, true) => SubmitOutcome::Stored,
            (true, false) => SubmitOutcome::AlreadyUsed,
            (false, _) => match self.invite(invite_hash).await? {
                Some(_) => SubmitOutcome::Closed,
                None => SubmitOutcome::UnknownInvite,
            },
        })
    }

    /// Every answer of `quarter`, grouped by response.
    pub async fn answers(&self, quarter: &str) -> Result<Vec<AnswerRow>> {
        let sql = "SELECT response_id, team, question, number, text FROM survey_answers \
                   WHERE quarter = $1 ORDER BY response_id, question";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).bind(quarter).fetch_all(pool).await?))
    }

    /// Response rate per team for `quarter`: responses over roster size, for every team of the
    /// roster (developers of no known team left out) or of the responses, sorted by team.
    pub async fn response_rates(&self, quarter: Quarter) -> Result<Vec<ResponseRate>> {
        let sql =
            "SELECT team, CAST(SUM(responses) AS BIGINT), CAST(SUM(roster) AS BIGINT) FROM ( \
                     SELECT team, COUNT(*) AS responses, 0 AS roster FROM survey_responses \
                     WHERE quarter = $1 GROUP BY team \
                     UNION ALL \
                     SELECT team, 0 AS responses, COUNT(*) AS roster FROM developers \
                     WHERE start_at < $2 AND team <> '' GROUP BY team \
                   ) counts GROUP BY team ORDER BY team";
        let rows: Vec<(String, i64, i64)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(quarter.to_string())
            .bind(quarter.end())
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|(team, responses, roster)| ResponseRate {
                team,
                responses,
                roster,
            })
            .collect())
    }
}

//! The release of held survey responses: in batches of at least `min_group_size` (or, for a
//! quarter that has ended, whatever is left), in a shuffled order, under new random ids, in a
//! transaction that writes no used invite. Then the used invites of the quarter are written
//! again in the order of their use keys, in a transaction of their own: neither the order of
//! the rows (SQLite is WITHOUT ROWID, PostgreSQL's `ctid`) nor a transaction id (`xmin`)
//! matches a response to its invite any better than chance.
//!
//! Never logs an invite, a response id or an answer.

use rand::seq::SliceRandom;

use super::insert::upsert;
use super::survey::{decode_answers, random_id, AnswerInsert, InviteUse, ResponseInsert};
use super::{with_pool, Backend, Result, Store};
use crate::quarter::Quarter;

/// Held (or released) responses of one quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Quarter, e.g. `2026-Q4`.
    pub quarter: String,
    /// How many.
    pub responses: i64,
}

impl Store {
    /// Responses held per quarter, oldest quarter first.
    pub async fn held_responses(&self) -> Result<Vec<Held>> {
        let sql = "SELECT quarter, COUNT(*) FROM survey_pending GROUP BY quarter ORDER BY quarter";
        let rows: Vec<(String, i64)> =
            with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(quarter, responses)| Held { quarter, responses })
            .collect())
    }

    /// Releases every quarter's held responses that form a batch: at least `min_batch` of
    /// them, or any number once the quarter has ended at `now` (UNIX seconds). Returns the
    /// responses released per quarter.
    pub async fn release_responses(&self, min_batch: i64, now: i64) -> Result<Vec<Held>> {
        let mut released = Vec::new();
        for held in self.held_responses().await? {
            let ended = held
                .quarter
                .parse::<Quarter>()
                .map_or(true, |q| q.end() <= now);
            let min = if ended { 1 } else { min_batch.max(1) };
            if held.responses < min {
                continue;
            }
            let n = self.release_batch(&held.quarter, min).await?;
            if n > 0 {
                released.push(Held {
                    quarter: held.quarter,
                    responses: n as i64,
                });
            }
        }
        Ok(released)
    }

    /// Releases the held responses of `quarter` if at least `min` are held, then writes its
    /// used invites again (PostgreSQL). Returns how many were released.
    pub(super) async fn release_batch(&self, quarter: &str, min: i64) -> Result<u64> {
        let n = self.release_quarter(quarter, min).await?;
        // SQLite keeps the used invites WITHOUT ROWID, in the order of their keys already.
        if n > 0 && self.backend() == Backend::Postgres {
            self.rewrite_uses(quarter).await?;
            tracing::info!(%quarter, responses = n, "survey responses released");
        }
        Ok(n)
    }

    /// Moves the held responses of `quarter` into the answers, shuffled, if at least `min`
    /// are held when the transaction takes them (another replica may have released them).
    async fn release_quarter(&self, quarter: &str, min: i64) -> Result<u64> {
        let take = "DELETE FROM survey_pending WHERE quarter = $1 RETURNING team, answers";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut rows: Vec<(String, String)> =
                sqlx::query_as(take).bind(quarter).fetch_all(&mut *tx).await?;
            if (rows.len() as i64) < min {
                tx.rollback().await?;
                return Ok(0);
            }
            rows.shuffle(&mut rand::rng());
            let mut responses = Vec::with_capacity(rows.len());
            let mut answers = Vec::new();
            for (team, json) in rows {
                let id = random_id();
                for answer in decode_answers(&json)? {
                    answers.push((id.clone(), team.clone(), answer));
                }
                responses.push((id, team));
            }
            // Answers shuffled too: their order would otherwise repeat the responses'.
            answers.shuffle(&mut rand::rng());
            let response_rows: Vec<ResponseInsert> = responses
                .iter()
                .map(|(id, team)| ResponseInsert { id, quarter, team })
                .collect();
            let answer_rows: Vec<AnswerInsert> = answers
                .iter()
                .map(|(id, team, answer)| AnswerInsert { response_id: id, answer, quarter, team })
                .collect();
            upsert(&mut tx, &response_rows, 0).await?;
            upsert(&mut tx, &answer_rows, 0).await?;
            tx.commit().await?;
            Ok(responses.len() as u64)
        })
    }

    /// Writes the used invites of `quarter` again, ordered by hash, so that their rows lose the
    /// order and the transaction ids of their submissions.
    async fn rewrite_uses(&self, quarter: &str) -> Result<()> {
        let take = "DELETE FROM survey_invite_uses WHERE use_key IN \
                    (SELECT use_key FROM survey_invites WHERE quarter = $1) RETURNING use_key";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut hashes: Vec<(String,)> = sqlx::query_as(take).bind(quarter).fetch_all(&mut *tx).await?;
            hashes.sort_unstable();
            let uses: Vec<InviteUse> = hashes.iter().map(|(hash,)| InviteUse(hash)).collect();
            upsert(&mut tx, &uses, 0).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

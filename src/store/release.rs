//! The release of held survey responses: in batches of at least `min_group_size` (or, for a
//! quarter that has ended, whatever is left), in a shuffled order, under new random ids, in a
//! transaction that writes no used invite. Then the used invites of the quarter are written
//! again in the order of their use keys, in a transaction of their own: neither the order of
//! the rows (SQLite is WITHOUT ROWID, PostgreSQL's `ctid`) nor a transaction id (`xmin`)
//! matches a response to its invite any better than chance.
//!
//! Held answers are sealed ([`crate::seal`]): the release opens them with the key it is given,
//! and a quarter with any box that does not open (another survey secret) is not released at
//! all ([`StoreError::Sealed`]), never released in part. After a release the database drops
//! what it still keeps of the transactions that held the responses: SQLite (which runs with
//! `secure_delete`, so deleted rows are zeros) truncates its WAL, PostgreSQL vacuums the held
//! responses and the used invites (their dead rows, which shared a transaction).
//!
//! Never logs an invite, a response id or an answer.

use rand::seq::SliceRandom;

use super::insert::upsert;
use super::survey::{
    decode_answers, random_id, sealing_context, AnswerInsert, InviteUse, ResponseInsert,
};
use super::{with_pool, Backend, Pool, Result, Store, StoreError};
use crate::quarter::Quarter;
use crate::seal::SealKey;

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
    /// them, or any number once the quarter has ended at `now` (UNIX seconds), opened with
    /// `key`. Returns the responses released per quarter. Rows held in clear (from before
    /// sealing) are sealed with `key` first. A quarter whose boxes do not all open stays held
    /// and the others are released: then the first such quarter is the error.
    pub async fn release_responses(
        &self,
        min_batch: i64,
        now: i64,
        key: &SealKey,
    ) -> Result<Vec<Held>> {
        let sealed = self.seal_clear_rows(key).await?;
        let mut released = Vec::new();
        let mut refused = None;
        for held in self.held_responses().await? {
            let ended = held
                .quarter
                .parse::<Quarter>()
                .map_or(true, |q| q.end() <= now);
            let min = if ended { 1 } else { min_batch.max(1) };
            if held.responses < min {
                continue;
            }
            let n = match self.release_batch(&held.quarter, min, key).await {
                Err(e @ StoreError::Sealed { .. }) => {
                    refused.get_or_insert(e);
                    continue;
                }
                n => n?,
            };
            if n > 0 {
                released.push(Held {
                    quarter: held.quarter,
                    responses: n as i64,
                });
            }
        }
        if sealed > 0 || !released.is_empty() {
            self.scrub().await;
        }
        refused.map_or(Ok(released), Err)
    }

    /// Releases the held responses of `quarter` if at least `min` are held and all open with
    /// `key`, then writes its used invites again (PostgreSQL). Returns how many were released.
    pub(super) async fn release_batch(
        &self,
        quarter: &str,
        min: i64,
        key: &SealKey,
    ) -> Result<u64> {
        let n = self.release_quarter(quarter, min, key).await?;
        // SQLite keeps the used invites WITHOUT ROWID, in the order of their keys already.
        if n > 0 && self.backend() == Backend::Postgres {
            self.rewrite_uses(quarter).await?;
            tracing::info!(%quarter, responses = n, "survey responses released");
        }
        Ok(n)
    }

    /// Moves the held responses of `quarter` into the answers, shuffled, if at least `min`
    /// are held when the transaction takes them (another replica may have released them) and
    /// every one opens with `key`.
    async fn release_quarter(&self, quarter: &str, min: i64, key: &SealKey) -> Result<u64> {
        let take = "DELETE FROM survey_pending WHERE quarter = $1 RETURNING team, sealed";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let rows: Vec<(String, Vec<u8>)> =
                sqlx::query_as(take).bind(quarter).fetch_all(&mut *tx).await?;
            if (rows.len() as i64) < min {
                tx.rollback().await?;
                return Ok(0);
            }
            let held = rows.len();
            let mut opened: Vec<(String, Vec<u8>)> = rows
                .into_iter()
                .filter_map(|(team, sealed)| {
                    let json = key.open(&sealed, &sealing_context(quarter, &team))?;
                    Some((team, json))
                })
                .collect();
            if opened.len() < held {
                tx.rollback().await?;
                let count = held - opened.len();
                return Err(StoreError::Sealed { quarter: quarter.to_string(), count, held });
            }
            opened.shuffle(&mut rand::rng());
            let mut responses = Vec::with_capacity(opened.len());
            let mut answers = Vec::new();
            for (team, json) in opened {
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

    /// Seals with `key` the rows held in clear, from before migration 0021. Returns how many.
    pub(super) async fn seal_clear_rows(&self, key: &SealKey) -> Result<usize> {
        let find =
            "SELECT id, quarter, team, answers FROM survey_pending WHERE answers IS NOT NULL";
        let seal = "UPDATE survey_pending SET sealed = $1, answers = NULL \
                    WHERE id = $2 AND answers IS NOT NULL";
        with_pool!(self, pool => {
            let rows: Vec<(String, String, String, String)> =
                sqlx::query_as(find).fetch_all(pool).await?;
            if rows.is_empty() {
                return Ok(0);
            }
            let mut tx = pool.begin().await?;
            for (id, quarter, team, answers) in &rows {
                let sealed = key.seal(answers.as_bytes(), &sealing_context(quarter, team));
                sqlx::query(seal).bind(sealed).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            tracing::info!(responses = rows.len(), "survey responses held in clear sealed");
            Ok(rows.len())
        })
    }

    /// Drops what the database still keeps of rows deleted or rewritten by a release (or by
    /// sealing): SQLite truncates its WAL (a checkpoint first, waiting for readers up to the
    /// busy timeout), PostgreSQL vacuums the held responses and the used invites, skipping a
    /// table another vacuum holds (vacuums queued behind each other under load would hold the
    /// pool's connections). A failure is logged, not returned: what it would have removed goes
    /// with the next release.
    pub(super) async fn scrub(&self) {
        let done = match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(pool)
                    .await
                    .map(|(busy, _, _)| busy == 0)
            }
            Pool::Postgres(pool) => {
                sqlx::raw_sql("VACUUM (SKIP_LOCKED) survey_pending, survey_invite_uses")
                    .execute(pool)
                    .await
                    .map(|_| true)
            }
        };
        match done {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("SQLite WAL not truncated after a survey release: a reader held it")
            }
            Err(e) => tracing::warn!(error = %e, "database not scrubbed after a survey release"),
        }
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

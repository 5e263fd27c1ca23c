//! Bulk loading of facts into empty tables: PostgreSQL `COPY … FROM STDIN`, SQLite multi-row
//! inserts in one transaction. For imports and benchmarks of millions of rows, where the
//! upserts of [`Store::write_batch`] cost more than they protect: rows must be new.

use std::fmt::Write;

use rand::RngCore;

use super::insert::{upsert, Columns, Value};
use super::rollouts::refresh_rollouts;
use super::survey::{AnswerInsert, ResponseInsert};
use super::{with_pool, Pool, Result, Store};
use crate::model::SurveyResponse;
use crate::store::FactBatch;

/// Bytes sent to PostgreSQL per `COPY` message.
const COPY_CHUNK: usize = 1 << 20;

/// The `COPY` statement and text-format data of `rows` (the columns of [`Columns::INTO`]).
fn copy_rows<T: Columns>(rows: &[T], at: i64) -> (String, String) {
    let mut text = String::new();
    for row in rows {
        copy_row(&mut text, row.values(at));
    }
    (format!("COPY {} FROM STDIN", T::INTO), text)
}

/// Appends one `COPY` text-format row (tab-separated, `\N` for NULL, backslash escapes).
fn copy_row<'a>(out: &mut String, values: impl IntoIterator<Item = Value<'a>>) {
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match value {
            Value::Text(s) | Value::OptText(Some(s)) => {
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
            Value::Int(v) | Value::OptInt(Some(v)) => {
                let _ = write!(out, "{v}");
            }
            Value::OptFloat(Some(v)) => {
                let _ = write!(out, "{v}");
            }
            Value::Bool(v) => out.push(if v { 't' } else { 'f' }),
            Value::OptText(None) | Value::OptInt(None) | Value::OptFloat(None) => {
                out.push_str("\\N")
            }
        }
    }
    out.push('\n');
}

impl Store {
    /// Writes `batch` into tables that do not hold its rows yet (a duplicate key fails the
    /// whole load). On SQLite this is [`Store::write_batch`]; on PostgreSQL cursors, services
    /// and pull requests are not written (each commit loaded is a change of its own). The
    /// rollouts of the services loaded are derived again.
    /// Returns the rows written.
    pub async fn bulk_load(&self, batch: &FactBatch) -> Result<u64> {
        let Pool::Postgres(pool) = &self.pool else {
            return self.write_batch(batch).await;
        };
        let now = super::now();
        let mut conn = pool.acquire().await?;
        let mut rows = 0;
        // Loaded commits were never asked of GitHub: each is a change of its own.
        let shipped: Vec<crate::delivery::changes::Shipped> =
            batch.changes.iter().map(|c| c.shipped(None)).collect();
        let changes = crate::delivery::changes::derive(&shipped);
        let jobs = [
            copy_rows(&batch.teams, now),
            copy_rows(&batch.developers, now),
            copy_rows(&batch.repositories, now),
            copy_rows(&batch.commits, now),
            copy_rows(&batch.deployments, now),
            copy_rows(&batch.changes, now),
            copy_rows(&changes, now),
            copy_rows(&batch.requests, now),
        ];
        for (statement, data) in jobs.into_iter().filter(|(_, d)| !d.is_empty()) {
            rows += copy_in(&mut conn, &statement, data.as_bytes()).await?;
        }
        let touched = batch.touched_services();
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        refresh_rollouts!(tx, touched);
        tx.commit().await?;
        Ok(rows)
    }

    /// Writes survey responses (each under a new random id) with their answers. Returns the
    /// responses written.
    pub async fn bulk_load_responses(&self, responses: &[SurveyResponse]) -> Result<u64> {
        let mut rng = rand::rng();
        let ids: Vec<String> = responses
            .iter()
            .map(|_| {
                let mut id = [0u8; 16];
                rng.fill_bytes(&mut id);
                hex::encode(id)
            })
            .collect();
        let heads: Vec<ResponseInsert> = ids
            .iter()
            .zip(responses)
            .map(|(id, r)| ResponseInsert {
                id,
                quarter: &r.quarter,
                team: &r.team,
            })
            .collect();
        let answers: Vec<AnswerInsert> = ids
            .iter()
            .zip(responses)
            .flat_map(|(id, r)| {
                r.answers.iter().map(move |answer| AnswerInsert {
                    response_id: id,
                    answer,
                    quarter: &r.quarter,
                    team: &r.team,
                })
            })
            .collect();
        if let Pool::Postgres(pool) = &self.pool {
            let mut conn = pool.acquire().await?;
            for (statement, data) in [copy_rows(&heads, 0), copy_rows(&answers, 0)] {
                copy_in(&mut conn, &statement, data.as_bytes()).await?;
            }
            return Ok(responses.len() as u64);
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            upsert(&mut tx, &heads, 0).await?;
            upsert(&mut tx, &answers, 0).await?;
            tx.commit().await?;
        });
        Ok(responses.len() as u64)
    }
}

async fn copy_in(conn: &mut sqlx::PgConnection, statement: &str, data: &[u8]) -> Result<u64> {
    let mut copy = conn.copy_in_raw(statement).await?;
    for chunk in data.chunks(COPY_CHUNK) {
        copy.send(chunk).await?;
    }
    Ok(copy.finish().await?)
}

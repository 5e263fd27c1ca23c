//! Bulk loading of facts into empty tables: PostgreSQL `COPY … FROM STDIN`, SQLite multi-row
//! inserts in one transaction. For imports and benchmarks of millions of rows, where the
//! upserts of [`Store::write_batch`] cost more than they protect: rows must be new.

use std::fmt::Write;

use rand::RngCore;
use sqlx::QueryBuilder;

use super::rollouts::refresh_rollouts;
use super::{with_pool, Pool, Result, Store, CHUNK};
use crate::model::SurveyResponse;
use crate::store::FactBatch;

/// Bytes sent to PostgreSQL per `COPY` message.
const COPY_CHUNK: usize = 1 << 20;

/// One field of a `COPY` text row.
enum Field<'a> {
    Text(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl<'a> From<&'a str> for Field<'a> {
    fn from(s: &'a str) -> Self {
        Field::Text(s)
    }
}
impl From<i64> for Field<'_> {
    fn from(v: i64) -> Self {
        Field::Int(v)
    }
}
impl From<bool> for Field<'_> {
    fn from(v: bool) -> Self {
        Field::Bool(v)
    }
}
impl<'a, T: Into<Field<'a>>> From<Option<T>> for Field<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Field::Null, Into::into)
    }
}

/// Appends one `COPY` text-format row (tab-separated, `\N` for NULL, backslash escapes).
fn copy_row(out: &mut String, fields: &[Field]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match f {
            Field::Text(s) => {
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
            Field::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Field::Float(v) => {
                let _ = write!(out, "{v}");
            }
            Field::Bool(v) => out.push(if *v { 't' } else { 'f' }),
            Field::Null => out.push_str("\\N"),
        }
    }
    out.push('\n');
}

impl Store {
    /// Writes `batch` into tables that do not hold its rows yet (a duplicate key fails the
    /// whole load). On SQLite this is [`Store::write_batch`]; on PostgreSQL cursors and
    /// services are not written. The rollouts of the services loaded are derived again.
    /// Returns the rows written.
    pub async fn bulk_load(&self, batch: &FactBatch) -> Result<u64> {
        let Pool::Postgres(pool) = &self.pool else {
            return self.write_batch(batch).await;
        };
        let now = super::now();
        let mut conn = pool.acquire().await?;
        let mut rows = 0;
        let copy = |table: &str, text: &mut String| -> (String, String) {
            (format!("COPY {table} FROM STDIN"), std::mem::take(text))
        };
        let mut jobs = Vec::new();
        let mut text = String::new();
        for t in &batch.teams {
            copy_row(
                &mut text,
                &[t.name.as_str().into(), t.source.as_str().into(), now.into()],
            );
        }
        jobs.push(copy("teams (name, source, updated_at)", &mut text));
        for d in &batch.developers {
            copy_row(
                &mut text,
                &[
                    d.login.as_str().into(),
                    d.team.as_str().into(),
                    d.start_at.into(),
                    d.email.as_deref().into(),
                    now.into(),
                ],
            );
        }
        jobs.push(copy(
            "developers (login, team, start_at, email, updated_at)",
            &mut text,
        ));
        for r in &batch.repositories {
            copy_row(
                &mut text,
                &[
                    r.slug.as_str().into(),
                    r.team.as_deref().into(),
                    r.team_source.as_deref().into(),
                    r.archived.into(),
                    r.pushed_at.into(),
                    now.into(),
                ],
            );
        }
        jobs.push(copy(
            "repositories (slug, team, team_source, archived, pushed_at, updated_at)",
            &mut text,
        ));
        for c in &batch.commits {
            copy_row(
                &mut text,
                &[
                    c.repo.as_str().into(),
                    c.sha.as_str().into(),
                    c.author_login.as_deref().into(),
                    c.authored_at.into(),
                    c.committed_at.into(),
                    c.is_bot.into(),
                ],
            );
        }
        jobs.push(copy(
            "commits (repo, sha, author_login, authored_at, committed_at, is_bot)",
            &mut text,
        ));
        for d in &batch.deployments {
            copy_row(
                &mut text,
                &[
                    d.source.as_str().into(),
                    d.external_id.as_str().into(),
                    d.repo.as_str().into(),
                    d.service.as_str().into(),
                    d.sha.as_str().into(),
                    d.environment.as_str().into(),
                    d.finished_at.into(),
                ],
            );
        }
        jobs.push(copy(
            "deployments (source, external_id, repo, service, sha, environment, finished_at)",
            &mut text,
        ));
        for c in &batch.changes {
            copy_row(
                &mut text,
                &[
                    c.service.as_str().into(),
                    c.repo.as_str().into(),
                    c.sha.as_str().into(),
                    c.deployment_source.as_str().into(),
                    c.deployment_id.as_str().into(),
                    c.committed_at.into(),
                    c.deployed_at.into(),
                    c.lead_time_seconds().into(),
                ],
            );
        }
        jobs.push(copy("deployment_changes (service, repo, sha, deployment_source, deployment_id, committed_at, deployed_at, lead_time_seconds)", &mut text));
        for r in &batch.requests {
            copy_row(
                &mut text,
                &[
                    r.source.as_str().into(),
                    r.external_id.as_str().into(),
                    r.team.as_str().into(),
                    r.kind.as_str().into(),
                    r.status.as_str().into(),
                    r.human_intervention.into(),
                    r.created_at.into(),
                    r.finished_at.into(),
                ],
            );
        }
        jobs.push(copy("self_service_requests (source, external_id, team, kind, status, human_intervention, created_at, finished_at)", &mut text));
        for (statement, data) in jobs.into_iter().filter(|(_, d)| !d.is_empty()) {
            rows += copy_in(&mut conn, &statement, data.as_bytes()).await?;
        }
        let mut touched: Vec<String> = batch
            .deployments
            .iter()
            .map(|d| d.service.clone())
            .chain(batch.changes.iter().map(|c| c.service.clone()))
            .collect();
        touched.sort();
        touched.dedup();
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
        if let Pool::Postgres(pool) = &self.pool {
            let mut conn = pool.acquire().await?;
            let (mut head, mut answers) = (String::new(), String::new());
            for (id, r) in ids.iter().zip(responses) {
                copy_row(
                    &mut head,
                    &[
                        id.as_str().into(),
                        r.quarter.as_str().into(),
                        r.team.as_str().into(),
                    ],
                );
                for a in &r.answers {
                    let number = a.number.map_or(Field::Null, Field::Float);
                    copy_row(
                        &mut answers,
                        &[
                            id.as_str().into(),
                            a.question.as_str().into(),
                            number,
                            a.text.as_deref().into(),
                            r.quarter.as_str().into(),
                            r.team.as_str().into(),
                        ],
                    );
                }
            }
            let n = copy_in(
                &mut conn,
                "COPY survey_responses (id, quarter, team) FROM STDIN",
                head.as_bytes(),
            )
            .await?;
            copy_in(
                &mut conn,
                "COPY survey_answers (response_id, question, number, text, quarter, team) FROM STDIN",
                answers.as_bytes(),
            )
            .await?;
            return Ok(n);
        }
        let answers: Vec<(&String, &SurveyResponse, &crate::model::Answer)> = ids
            .iter()
            .zip(responses)
            .flat_map(|(id, r)| r.answers.iter().map(move |a| (id, r, a)))
            .collect();
        let pairs: Vec<(&String, &SurveyResponse)> = ids.iter().zip(responses).collect();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in pairs.chunks(CHUNK) {
                let mut q = QueryBuilder::new("INSERT INTO survey_responses (id, quarter, team) ");
                q.push_values(chunk, |mut b, (id, r)| {
                    b.push_bind((*id).clone()).push_bind(r.quarter.clone()).push_bind(r.team.clone());
                });
                q.build().execute(&mut *tx).await?;
            }
            for chunk in answers.chunks(CHUNK) {
                let mut q = QueryBuilder::new("INSERT INTO survey_answers (response_id, question, number, text, quarter, team) ");
                q.push_values(chunk, |mut b, (id, r, a)| {
                    b.push_bind((*id).clone()).push_bind(a.question.clone()).push_bind(a.number).push_bind(a.text.clone())
                        .push_bind(r.quarter.clone()).push_bind(r.team.clone());
                });
                q.build().execute(&mut *tx).await?;
            }
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

//! The one way rows are written in bulk: multi-row `INSERT … ON CONFLICT …` statements of at
//! most [`CHUNK`] rows, inside the caller's transaction, on either backend.
//!
//! A kind of row says once which table and columns it fills and what it binds ([`Columns`]);
//! [`upsert`] writes any number of them. A new fact
//! kind is an `impl Columns` beside its table's queries and one `upsert` call in
//! `Store::write_batch`. The PostgreSQL bulk load (`COPY`) reads the same columns and values.

use sqlx::{Database, QueryBuilder, Transaction};

use super::{Result, CHUNK};

/// One value of a row, typed for binding (a NULL keeps the type of its column).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value<'a> {
    /// Text.
    Text(&'a str),
    /// Text or NULL.
    OptText(Option<&'a str>),
    /// Integer (times, counts).
    Int(i64),
    /// Integer or NULL.
    OptInt(Option<i64>),
    /// Boolean.
    Bool(bool),
    /// Float or NULL.
    OptFloat(Option<f64>),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(v)
    }
}
impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(v)
    }
}
impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Value::OptText(v)
    }
}
impl<'a> From<&'a Option<String>> for Value<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Value::OptText(v.as_deref())
    }
}
impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<Option<i64>> for Value<'_> {
    fn from(v: Option<i64>) -> Self {
        Value::OptInt(v)
    }
}
impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Option<f64>> for Value<'_> {
    fn from(v: Option<f64>) -> Self {
        Value::OptFloat(v)
    }
}

/// A kind of row: the table and columns it fills, what it binds, and what a repeat does.
pub(super) trait Columns {
    /// The target of the `INSERT`: `table (column, …)`.
    const INTO: &'static str;
    /// What writing a row whose key is stored already does, e.g. `ON CONFLICT (name) DO
    /// NOTHING` (empty: the write fails). A
    /// write with another rule wraps the row in a kind of its own.
    const ON_CONFLICT: &'static str;
    /// The row's values in the order of [`Columns::INTO`]; `at` is the time of the write (for
    /// the `updated_at` columns).
    fn values(&self, at: i64) -> impl IntoIterator<Item = Value<'_>>;
}

/// Writes `rows` at time `at` in chunks of [`CHUNK`], a repeat as [`Columns::ON_CONFLICT`]
/// says. Returns the rows inserted or changed.
pub(super) async fn upsert<DB: Backend, T: Columns + Sync>(
    tx: &mut Transaction<'_, DB>,
    rows: &[T],
    at: i64,
) -> Result<u64> {
    DB::upsert(tx, rows, at).await
}

/// A database [`upsert`] writes to. Implemented once per backend by the same body: sqlx's
/// argument lifetimes are not expressible generically over a database, and are on its
/// concrete types.
pub(super) trait Backend: Database {
    /// See [`upsert`].
    fn upsert<T: Columns + Sync>(
        tx: &mut Transaction<'_, Self>,
        rows: &[T],
        at: i64,
    ) -> impl std::future::Future<Output = Result<u64>> + Send;
}

macro_rules! backend {
    ($db:ty) => {
        impl Backend for $db {
            async fn upsert<T: Columns + Sync>(
                tx: &mut Transaction<'_, Self>,
                rows: &[T],
                at: i64,
            ) -> Result<u64> {
                let mut written = 0;
                for chunk in rows.chunks(CHUNK) {
                    let mut q = QueryBuilder::<Self>::new(format!("INSERT INTO {} ", T::INTO));
                    q.push_values(chunk, |mut b, row| {
                        for value in row.values(at) {
                            match value {
                                Value::Text(v) => b.push_bind(v),
                                Value::OptText(v) => b.push_bind(v),
                                Value::Int(v) => b.push_bind(v),
                                Value::OptInt(v) => b.push_bind(v),
                                Value::Bool(v) => b.push_bind(v),
                                Value::OptFloat(v) => b.push_bind(v),
                            };
                        }
                    });
                    if !T::ON_CONFLICT.is_empty() {
                        q.push(" ");
                        q.push(T::ON_CONFLICT);
                    }
                    written += q.build().execute(&mut **tx).await?.rows_affected();
                }
                Ok(written)
            }
        }
    };
}
backend!(sqlx::Sqlite);
backend!(sqlx::Postgres);

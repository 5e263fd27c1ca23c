//! Streaming many rows out of either backend for scoring: PostgreSQL's binary `COPY … TO
//! STDOUT` ([`super::copy_out`]) or SQLite's C API ([`super::sqlite_scan`]), behind one row
//! accessor, so each scoring load is written once. Queries take no bind parameters (COPY takes
//! none): only numbers and [`super::copy_out::literal`]s go into them.

use super::copy_out::{copy_out, Field};
use super::sqlite_scan::{scan, ScanRow};
use super::{Pool, Result, Store, StoreError};

/// One streamed row, whichever backend: column `i` as a `BIGINT`, a `DOUBLE PRECISION` or
/// `TEXT`. Valid only inside the callback.
pub(super) trait Cells {
    /// An integer column (`None` for NULL).
    fn i64(&self, i: usize) -> Result<Option<i64>>;
    /// A real column.
    fn f64(&self, i: usize) -> Result<Option<f64>>;
    /// A text column.
    fn str(&self, i: usize) -> Result<Option<&str>>;
}

impl Cells for ScanRow {
    fn i64(&self, i: usize) -> Result<Option<i64>> {
        Ok(ScanRow::i64(self, i))
    }
    fn f64(&self, i: usize) -> Result<Option<f64>> {
        Ok(ScanRow::f64(self, i))
    }
    fn str(&self, i: usize) -> Result<Option<&str>> {
        Ok(ScanRow::str(self, i))
    }
}

/// A binary COPY tuple.
struct Tuple<'r, 'f>(&'r [Field<'f>]);

impl Cells for Tuple<'_, '_> {
    fn i64(&self, i: usize) -> Result<Option<i64>> {
        self.field(i)?.i64()
    }
    fn f64(&self, i: usize) -> Result<Option<f64>> {
        self.field(i)?.f64()
    }
    fn str(&self, i: usize) -> Result<Option<&str>> {
        self.field(i)?.str()
    }
}

impl Tuple<'_, '_> {
    fn field(&self, i: usize) -> Result<&Field<'_>> {
        self.0.get(i).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(
                format!("binary COPY: no column {i}").into(),
            ))
        })
    }
}

impl Store {
    /// Runs `sql` and calls `row` for each row, without materialising the result.
    pub(super) async fn stream(
        &self,
        sql: &str,
        mut row: impl FnMut(&dyn Cells) -> Result<()>,
    ) -> Result<()> {
        match &self.pool {
            Pool::Postgres(pool) => copy_out(pool, sql, |f| row(&Tuple(f))).await,
            Pool::Sqlite(pool) => scan(pool, sql, |r| row(r)).await,
        }
    }
}

/// A value of a NOT NULL column.
pub(super) fn required<T>(value: Option<T>) -> Result<T> {
    value.ok_or_else(|| {
        StoreError::Database(sqlx::Error::Decode(
            "unexpected NULL in a NOT NULL column".into(),
        ))
    })
}

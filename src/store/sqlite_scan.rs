//! Reading many rows out of SQLite through its C API on a pooled connection: sqlx's SQLite
//! driver hands every row from its worker thread over a channel as an owned row (about 2 µs a
//! row); stepping the statement here and reading the columns in place costs a tenth of that.
//! Used only by the scoring load, for its million-row tables.

use std::ffi::{c_int, CStr, CString};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::sqlite::SqlitePool;

use super::{Result, StoreError};

/// One row of the statement being stepped; valid only inside the callback.
pub(super) struct ScanRow {
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl ScanRow {
    fn is_null(&self, i: usize) -> bool {
        // SAFETY: `stmt` is a live statement positioned on a row (see `scan`).
        unsafe { ffi::sqlite3_column_type(self.stmt.as_ptr(), i as c_int) == ffi::SQLITE_NULL }
    }

    /// An integer column.
    pub fn i64(&self, i: usize) -> Option<i64> {
        // SAFETY: as above; any column index is accepted by SQLite.
        (!self.is_null(i))
            .then(|| unsafe { ffi::sqlite3_column_int64(self.stmt.as_ptr(), i as c_int) })
    }

    /// A real column.
    pub fn f64(&self, i: usize) -> Option<f64> {
        // SAFETY: as above.
        (!self.is_null(i))
            .then(|| unsafe { ffi::sqlite3_column_double(self.stmt.as_ptr(), i as c_int) })
    }

    /// A text column (`None` for NULL or invalid UTF-8, which dxs never writes).
    pub fn str(&self, i: usize) -> Option<&str> {
        if self.is_null(i) {
            return None;
        }
        // SAFETY: `sqlite3_column_text` returns a pointer valid until the next step or
        // column call on this column, and `sqlite3_column_bytes` (called after it, as the
        // SQLite docs require) its length; the borrow of `self` ends before the next step.
        unsafe {
            let text = ffi::sqlite3_column_text(self.stmt.as_ptr(), i as c_int);
            let len = ffi::sqlite3_column_bytes(self.stmt.as_ptr(), i as c_int);
            if text.is_null() {
                return Some("");
            }
            std::str::from_utf8(std::slice::from_raw_parts(text, len as usize)).ok()
        }
    }
}

/// Finalizes the statement whatever happens.
struct Statement(NonNull<ffi::sqlite3_stmt>);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by `scan` and is finalized once, here.
        unsafe {
            ffi::sqlite3_finalize(self.0.as_ptr());
        }
    }
}

/// Runs `sql` (no parameters: trusted literals only) and calls `row` for each row. The
/// connection stays locked (sqlx's worker idle) for the whole scan, which runs in place of the
/// async task (`block_in_place` on a multi-threaded runtime, so other tasks move on).
pub(super) async fn scan(
    pool: &SqlitePool,
    sql: &str,
    mut row: impl FnMut(&ScanRow) -> Result<()>,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let mut locked = conn.lock_handle().await?;
    let db = locked.as_raw_handle();
    let error = |db: NonNull<ffi::sqlite3>| {
        // SAFETY: `db` is the locked, open connection; the message is copied at once.
        let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) };
        StoreError::Database(sqlx::Error::Protocol(format!(
            "sqlite: {}",
            message.to_string_lossy()
        )))
    };
    let text = CString::new(sql)
        .map_err(|e| StoreError::Database(sqlx::Error::Protocol(e.to_string())))?;
    let mut raw = ptr::null_mut();
    // SAFETY: `db` stays valid and unused by sqlx while `locked` lives; `text` is NUL-terminated.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(db.as_ptr(), text.as_ptr(), -1, &mut raw, ptr::null_mut())
    };
    let stmt = match NonNull::new(raw) {
        Some(stmt) if rc == ffi::SQLITE_OK => Statement(stmt),
        _ => return Err(error(db)),
    };
    let current = ScanRow { stmt: stmt.0 };
    let mut run = || loop {
        // SAFETY: stepping the statement prepared above, on the locked connection.
        match unsafe { ffi::sqlite3_step(stmt.0.as_ptr()) } {
            ffi::SQLITE_ROW => row(&current)?,
            ffi::SQLITE_DONE => return Ok(()),
            _ => return Err(error(db)),
        }
    };
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(run)
    } else {
        run()
    }
}

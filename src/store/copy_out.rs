//! PostgreSQL `COPY (…) TO STDOUT (FORMAT binary)`: the fastest way to stream many rows out of
//! PostgreSQL (no per-row protocol message parsing into rows, no text conversion). The decoder
//! hands each tuple's raw fields to a callback; [`Field`] reads the few types scoring needs.

use futures_util::TryStreamExt;
use sqlx::postgres::PgPool;

use super::{Result, StoreError};

/// The binary COPY signature, followed by a 32-bit flags field and a header extension length.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Most columns a copied query may have.
const MAX_FIELDS: usize = 8;

/// One raw field of a binary COPY tuple (`None` is SQL NULL).
#[derive(Clone, Copy)]
pub(super) struct Field<'a>(pub Option<&'a [u8]>);

impl Field<'_> {
    /// A `BIGINT`.
    pub fn i64(&self) -> Result<Option<i64>> {
        self.0
            .map(|b| Ok(i64::from_be_bytes(fixed(b)?)))
            .transpose()
    }
    /// A `DOUBLE PRECISION`.
    pub fn f64(&self) -> Result<Option<f64>> {
        self.0
            .map(|b| Ok(f64::from_bits(u64::from_be_bytes(fixed(b)?))))
            .transpose()
    }
    /// A `TEXT`.
    pub fn str(&self) -> Result<Option<&str>> {
        self.0
            .map(|b| std::str::from_utf8(b).map_err(|e| decode(e.to_string())))
            .transpose()
    }
}

fn fixed<const N: usize>(b: &[u8]) -> Result<[u8; N]> {
    b.try_into()
        .map_err(|_| decode(format!("expected {N} bytes, got {}", b.len())))
}

fn decode(reason: String) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(format!("binary COPY: {reason}").into()))
}

/// Runs `COPY (query) TO STDOUT (FORMAT binary)` and calls `row` with the fields of each tuple.
/// `query` holds no bind parameters (COPY takes none): only trusted literals go into it.
pub(super) async fn copy_out(
    pool: &PgPool,
    query: &str,
    mut row: impl FnMut(&[Field]) -> Result<()>,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let statement = format!("COPY ({query}) TO STDOUT (FORMAT binary)");
    let mut stream = conn.copy_out_raw(&statement).await?;
    let mut decoder = Decoder::default();
    while let Some(chunk) = stream.try_next().await? {
        decoder.feed(&chunk, &mut row)?;
    }
    Ok(())
}

/// Decodes the binary COPY format from chunks cut anywhere.
#[derive(Default)]
struct Decoder {
    buf: Vec<u8>,
    header_done: bool,
}

impl Decoder {
    /// Adds `chunk` and calls `row` for every tuple now complete.
    fn feed(&mut self, chunk: &[u8], row: &mut impl FnMut(&[Field]) -> Result<()>) -> Result<()> {
        let buf = &mut self.buf;
        buf.extend_from_slice(chunk);
        let mut pos = 0;
        if !self.header_done {
            if buf.len() < SIGNATURE.len() + 8 {
                return Ok(());
            }
            if !buf.starts_with(SIGNATURE) {
                return Err(decode("bad signature".into()));
            }
            let ext = u32::from_be_bytes(fixed(&buf[15..19])?) as usize;
            if buf.len() < 19 + ext {
                return Ok(());
            }
            pos = 19 + ext;
            self.header_done = true;
        }
        // Every complete tuple in the buffer; an incomplete one waits for the next chunk.
        while let Some(count) = buf.get(pos..pos + 2) {
            let count = i16::from_be_bytes(fixed(count)?);
            if count < 0 {
                pos = buf.len(); // the trailer: nothing follows
                break;
            }
            let count = count as usize;
            if count > MAX_FIELDS {
                return Err(decode(format!("{count} columns, at most {MAX_FIELDS}")));
            }
            let mut at = pos + 2;
            let mut spans = [None; MAX_FIELDS];
            let mut complete = true;
            for span in spans.iter_mut().take(count) {
                let Some(len) = buf.get(at..at + 4) else {
                    complete = false;
                    break;
                };
                let len = i32::from_be_bytes(fixed(len)?);
                at += 4;
                if len < 0 {
                    continue;
                }
                let end = at + len as usize;
                if end > buf.len() {
                    complete = false;
                    break;
                }
                *span = Some((at, end));
                at = end;
            }
            if !complete {
                break;
            }
            let fields = spans.map(|s| Field(s.map(|(a, b)| &buf[a..b])));
            row(&fields[..count])?;
            pos = at;
        }
        buf.drain(..pos);
        Ok(())
    }
}

/// `s` as a SQL string literal.
pub(super) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header, ("a", 5), (NULL, -1, 2.5), trailer.
    fn payload() -> Vec<u8> {
        let mut p = SIGNATURE.to_vec();
        p.extend(0u32.to_be_bytes());
        p.extend(0u32.to_be_bytes());
        p.extend(2i16.to_be_bytes());
        p.extend(1i32.to_be_bytes());
        p.extend(b"a");
        p.extend(8i32.to_be_bytes());
        p.extend(5i64.to_be_bytes());
        p.extend(3i16.to_be_bytes());
        p.extend((-1i32).to_be_bytes());
        p.extend(8i32.to_be_bytes());
        p.extend((-1i64).to_be_bytes());
        p.extend(8i32.to_be_bytes());
        p.extend(2.5f64.to_bits().to_be_bytes());
        p.extend((-1i16).to_be_bytes());
        p
    }

    fn decode_in(chunk: usize) -> Vec<String> {
        let mut rows = Vec::new();
        let mut d = Decoder::default();
        let mut row = |f: &[Field]| {
            let text = f[0].str()?.unwrap_or("NULL").to_string();
            let extra = f.get(2).map(|x| x.f64().unwrap().unwrap()).unwrap_or(0.0);
            rows.push(format!("{text} {} {extra}", f[1].i64()?.unwrap()));
            Ok(())
        };
        for c in payload().chunks(chunk) {
            d.feed(c, &mut row).unwrap();
        }
        rows
    }

    #[test]
    fn tuples_decode_whatever_the_chunking() {
        let expected = ["a 5 0", "NULL -1 2.5"];
        for chunk in [1, 2, 3, 7, 19, 1000] {
            assert_eq!(decode_in(chunk), expected, "chunks of {chunk}");
        }
        assert_eq!(literal("it's"), "'it''s'");
    }
}

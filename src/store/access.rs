//! Access state shared by every replica: `/login` sessions (only the SHA-256 of each random
//! session id is stored). The webhook deliveries already handled are written with the facts
//! they brought ([`super::FactBatch::delivery`]).

use super::{now, with_pool, Result, Store};

/// How long a handled delivery id is remembered (30 days; a replay that old changes nothing
/// either: facts are upserts and a request's status never goes back).
pub const DELIVERY_MEMORY_SECS: i64 = 30 * 86_400;

impl Store {
    /// Stores a session `id_hash` for `name` that ends at `expires_at` (UNIX seconds), and
    /// forgets the sessions that have ended.
    pub async fn create_session(&self, id_hash: &str, name: &str, expires_at: i64) -> Result<()> {
        let sweep = "DELETE FROM admin_sessions WHERE expires_at <= $1";
        let insert = "INSERT INTO admin_sessions (id_hash, name, expires_at) VALUES ($1, $2, $3)";
        with_pool!(self, pool => {
            sqlx::query(sweep).bind(now()).execute(pool).await?;
            sqlx::query(insert).bind(id_hash).bind(name).bind(expires_at).execute(pool).await?;
        });
        Ok(())
    }

    /// The name of the session `id_hash` if it has not ended at `at` (UNIX seconds).
    pub async fn session(&self, id_hash: &str, at: i64) -> Result<Option<String>> {
        let sql = "SELECT name FROM admin_sessions WHERE id_hash = $1 AND expires_at > $2";
        let row: Option<(String,)> = with_pool!(self, pool =>
            sqlx::query_as(sql).bind(id_hash).bind(at).fetch_optional(pool).await?);
        Ok(row.map(|(name,)| name))
    }

    /// Ends the session `id_hash` (nothing happens when there is none).
    pub async fn end_session(&self, id_hash: &str) -> Result<()> {
        let sql = "DELETE FROM admin_sessions WHERE id_hash = $1";
        with_pool!(self, pool => sqlx::query(sql).bind(id_hash).execute(pool).await.map(|_| ())?);
        Ok(())
    }
}

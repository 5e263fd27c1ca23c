//! GitOps bookkeeping (`gitops_revisions`): the images of each config-repository revision of an
//! Application, read from ArgoCD once, ever; and short-SHA lookups in `commits`.

use super::{now, with_pool, Result, Store};

impl Store {
    /// The images stored for `revision` of Application `app`, if it was read before.
    pub async fn gitops_images(&self, app: &str, revision: &str) -> Result<Option<Vec<String>>> {
        let sql = "SELECT images FROM gitops_revisions WHERE app = $1 AND revision = $2";
        let row: Option<(String,)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(app).bind(revision).fetch_optional(pool).await?);
        Ok(row.and_then(|(json,)| serde_json::from_str(&json).ok()))
    }

    /// Stores the images of `revision` of Application `app` (a revision's manifests never
    /// change, so they are kept for good).
    pub async fn save_gitops_images(
        &self,
        app: &str,
        revision: &str,
        images: &[String],
    ) -> Result<()> {
        let json = serde_json::to_string(images).unwrap_or_else(|_| "[]".into());
        let sql = "INSERT INTO gitops_revisions (app, revision, images, fetched_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (app, revision) DO NOTHING";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(app).bind(revision).bind(json).bind(now())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// The full SHA of the one stored commit of `repo` starting with `prefix`; `None` when no
    /// commit, or more than one, does.
    pub async fn commit_by_prefix(&self, repo: &str, prefix: &str) -> Result<Option<String>> {
        if !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let sql = "SELECT sha FROM commits WHERE repo = $1 AND sha LIKE $2 ORDER BY sha LIMIT 2";
        let rows: Vec<(String,)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(repo).bind(format!("{prefix}%")).fetch_all(pool).await?);
        Ok(match rows.as_slice() {
            [(sha,)] => Some(sha.clone()),
            _ => None,
        })
    }
}

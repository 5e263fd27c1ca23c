//! GitOps bookkeeping: the images of each config-repository revision of an Application, read
//! from ArgoCD once, ever (`gitops_revisions`); image tags resolved as git refs once, ever
//! (`image_tags`); and short-SHA lookups in `commits`.

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

    /// The commit an image tag of `repo` was resolved to, if it was before.
    pub async fn image_tag(&self, repo: &str, tag: &str) -> Result<Option<String>> {
        let sql = "SELECT sha FROM image_tags WHERE repo = $1 AND tag = $2";
        let row: Option<(String,)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(repo).bind(tag).fetch_optional(pool).await?);
        Ok(row.map(|(sha,)| sha))
    }

    /// Stores the commit image tag `tag` of `repo` names (kept for good: a release tag does not
    /// move).
    pub async fn save_image_tag(&self, repo: &str, tag: &str, sha: &str) -> Result<()> {
        let sql = "INSERT INTO image_tags (repo, tag, sha, resolved_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (repo, tag) DO NOTHING";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(repo).bind(tag).bind(sha).bind(now())
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

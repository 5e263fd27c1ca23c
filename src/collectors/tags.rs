//! Image tags to commits (DESIGN §5, GitOps): a tag matching `argocd.image_tag_pattern` names
//! the commit (a full SHA, or a short one resolved through GitHub,
//! `GET /repos/{r}/commits/{short}`); any other tag (`v1.4.2`, `main-abc1234`) is a git ref of
//! the image's repository, resolved with the same endpoint once, ever (kept in `image_tags`).
//! A ref GitHub does not know whose last `-` part is 7 to 40 hex digits (`main-abc1234`, a
//! branch and a short SHA) names that commit.

use super::changes::ApiCommit;
use super::gitops::Linker;
use super::http::{encode, Api, HttpError};
use super::{CollectError, Run};
use crate::model::Commit;

/// A tag resolved: the full SHA, and the commit when GitHub was asked (to be stored).
pub type Resolved = (String, Option<Commit>);

/// The commit `tag` of an image of `repo` names; `Ok(Err(reason))` when none can be found (a
/// warning: the next run asks again).
pub async fn resolve(
    run: &Run<'_>,
    github: &Api,
    linker: &Linker<'_>,
    repo: &str,
    tag: &str,
) -> Result<Result<Resolved, String>, CollectError> {
    if let Some(sha) = linker.sha_of(tag) {
        return by_sha(run, github, repo, sha).await;
    }
    if let Some(sha) = run.store.image_tag(repo, tag).await? {
        return Ok(Ok((sha, None)));
    }
    let found = match commit(run, github, repo, tag).await? {
        Some(commit) => Ok((commit.sha.clone(), Some(commit))),
        None => match sha_suffix(tag) {
            Some(short) => by_sha(run, github, repo, short).await?,
            None => Err(format!("{repo}: tag {tag} names no git ref or commit")),
        },
    };
    if let Ok((sha, _)) = &found {
        run.store.save_image_tag(repo, tag, sha).await?;
    }
    Ok(found)
}

/// The full SHA of `sha` (full or short) in `repo`: a stored commit, else GitHub's.
async fn by_sha(
    run: &Run<'_>,
    github: &Api,
    repo: &str,
    sha: &str,
) -> Result<Result<Resolved, String>, CollectError> {
    if sha.len() == 40 {
        return Ok(Ok((sha.to_ascii_lowercase(), None)));
    }
    if let Some(full) = run.store.commit_by_prefix(repo, sha).await? {
        return Ok(Ok((full, None)));
    }
    Ok(match commit(run, github, repo, sha).await? {
        Some(commit) => Ok((commit.sha.clone(), Some(commit))),
        None => Err(format!("{repo}: tag names no commit {sha}")),
    })
}

/// `GET /repos/{repo}/commits/{reference}`: the commit, `None` when GitHub knows no such
/// reference (404, 422) or gave no dates.
async fn commit(
    run: &Run<'_>,
    github: &Api,
    repo: &str,
    reference: &str,
) -> Result<Option<Commit>, CollectError> {
    let config = &run.config.github;
    let url = format!(
        "{}/repos/{repo}/commits/{}",
        config.api_url,
        encode(reference)
    );
    match github.get::<ApiCommit>(&url).await {
        Ok(page) => Ok(page.body.into_commit(repo, &config.bot_logins)),
        Err(e) if e.is_not_found() || matches!(e, HttpError::Status { status: 422, .. }) => {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The short SHA ending a tag such as `main-abc1234`: its last `-` part, 7 to 40 hex digits.
fn sha_suffix(tag: &str) -> Option<&str> {
    let (_, last) = tag.rsplit_once('-')?;
    ((7..=40).contains(&last.len()) && last.chars().all(|c| c.is_ascii_hexdigit())).then_some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_branch_and_short_sha_tag_names_its_commit() {
        assert_eq!(sha_suffix("main-abc1234"), Some("abc1234"));
        assert_eq!(
            sha_suffix("release-1.4-0123456789abcdef"),
            Some("0123456789abcdef")
        );
        assert_eq!(sha_suffix("v1.4.2"), None);
        assert_eq!(sha_suffix("main-abc12"), None);
        assert_eq!(sha_suffix("main-xyz1234"), None);
        assert_eq!(sha_suffix("abc1234"), None);
    }
}

//! Delivery shapes in the configuration: `[[services]]` (paths of repositories deployed on their
//! own) and the GitOps keys of `[argocd]` (`image_tag_pattern`, `images`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{invalid, ConfigError};
use crate::model::Service;
use crate::names::RepoSlug;

/// The default `argocd.image_tag_pattern`: a tag that is a commit SHA, optionally `sha-`.
pub const DEFAULT_IMAGE_TAG_PATTERN: &str = r"^(?:sha-)?(?P<sha>[0-9a-f]{7,40})$";

/// One `[[services]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    name: String,
    repo: String,
    path: String,
    #[serde(default)]
    team: Option<String>,
}

/// GitOps settings of `[argocd]`.
#[derive(Debug, Clone)]
pub struct GitOps {
    /// A tag naming the app commit; its `sha` group is the (full or short) SHA.
    pub image_tag_pattern: regex::Regex,
    /// Image (without tag) → `owner/repo`, or a service name; `""` ignores the image.
    pub images: BTreeMap<String, String>,
}

/// Validates `[[services]]`: each needs a unique name, an `owner/name` repository and a
/// relative path (kept with a trailing `/`).
pub(super) fn services(raw: Vec<RawService>) -> Result<Vec<Service>, ConfigError> {
    let mut out: Vec<Service> = Vec::with_capacity(raw.len());
    for (i, s) in raw.into_iter().enumerate() {
        let key = |field: &str| format!("services[{i}].{field}");
        let name = s.name.trim().to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(invalid(
                key("name"),
                format!("expected a service name without spaces, got {:?}", s.name),
            ));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(invalid(key("name"), format!("{name:?} is named twice")));
        }
        if let Err(e) = s.repo.parse::<RepoSlug>() {
            return Err(invalid(key("repo"), e.to_string()));
        }
        let path = s.path.trim().trim_start_matches("./");
        if path.is_empty() || path.starts_with('/') || path.split('/').any(|p| p == "..") {
            return Err(invalid(
                key("path"),
                format!(
                    "expected a path inside the repository such as services/web/, got {:?}",
                    s.path
                ),
            ));
        }
        let team = s.team.map(|t| t.trim().to_string());
        if team.as_deref() == Some("") {
            return Err(invalid(key("team"), "expected a team name (or no key)"));
        }
        out.push(Service {
            name,
            repo: s.repo,
            path: format!("{}/", path.trim_end_matches('/')),
            team,
            source: "config".into(),
        });
    }
    Ok(out)
}

/// Validates the GitOps keys of `[argocd]`.
pub(super) fn gitops(
    pattern: &str,
    images: BTreeMap<String, String>,
) -> Result<GitOps, ConfigError> {
    let key = "argocd.image_tag_pattern";
    let image_tag_pattern = regex::Regex::new(pattern)
        .map_err(|e| invalid(key, format!("not a regular expression: {e}")))?;
    if !image_tag_pattern.capture_names().any(|n| n == Some("sha")) {
        return Err(invalid(
            key,
            "expected a group (?P<sha>...) naming the commit",
        ));
    }
    for (image, target) in &images {
        let valid = target.is_empty()
            || target.parse::<RepoSlug>().is_ok()
            || !target.contains(['/', ' ', ':']);
        if image.is_empty() || image.contains(char::is_whitespace) || !valid {
            return Err(invalid(
                format!("argocd.images.{image}"),
                format!("expected \"owner/repo\", a service name or \"\", got {target:?}"),
            ));
        }
    }
    Ok(GitOps {
        image_tag_pattern,
        images,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, repo: &str, path: &str) -> RawService {
        RawService {
            name: name.into(),
            repo: repo.into(),
            path: path.into(),
            team: None,
        }
    }

    fn error_key(e: ConfigError) -> String {
        match e {
            ConfigError::Invalid { key, .. } => key,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn services_are_checked_and_paths_end_in_a_slash() {
        let s = services(vec![raw("web", "acme/shop", "./services/web")]).unwrap();
        assert_eq!(s[0].path, "services/web/");
        assert_eq!(s[0].source, "config");
        for (bad, key) in [
            (vec![raw("", "acme/shop", "a/")], "services[0].name"),
            (vec![raw("web", "shop", "a/")], "services[0].repo"),
            (vec![raw("web", "acme/shop", "/abs")], "services[0].path"),
            (vec![raw("web", "acme/shop", "../up")], "services[0].path"),
            (
                vec![raw("web", "acme/shop", "a/"), raw("web", "acme/shop", "b/")],
                "services[1].name",
            ),
        ] {
            assert_eq!(error_key(services(bad).unwrap_err()), key);
        }
    }

    #[test]
    fn the_tag_pattern_needs_a_sha_group_and_images_a_target() {
        let g = gitops(DEFAULT_IMAGE_TAG_PATTERN, BTreeMap::new()).unwrap();
        let sha = |tag: &str| {
            g.image_tag_pattern
                .captures(tag)
                .map(|c| c["sha"].to_string())
        };
        assert_eq!(
            sha("sha-0123456789abcdef0123456789abcdef01234567")
                .unwrap()
                .len(),
            40
        );
        assert_eq!(sha("a84d88e").as_deref(), Some("a84d88e"));
        assert_eq!(sha("v1.2.3"), None);
        assert_eq!(
            error_key(gitops("^(", BTreeMap::new()).unwrap_err()),
            "argocd.image_tag_pattern"
        );
        assert_eq!(
            error_key(gitops("^[0-9a-f]+$", BTreeMap::new()).unwrap_err()),
            "argocd.image_tag_pattern"
        );
        let images = BTreeMap::from([("ghcr.io/acme/x".to_string(), "acme/x/y".to_string())]);
        assert_eq!(
            error_key(gitops(DEFAULT_IMAGE_TAG_PATTERN, images).unwrap_err()),
            "argocd.images.ghcr.io/acme/x"
        );
    }
}

//! GitOps (DESIGN §5): an ArgoCD Application whose source is a config repository deploys the
//! images its manifests name. Each history revision's rendered manifests
//! (`GET /api/v1/applications/{name}/manifests?revision=R`, per source position for
//! multi-source Applications) are read once, ever (their images are kept in `gitops_revisions`);
//! each container image (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, Argo Rollouts,
//! Pods, init containers too) maps to a service (`argocd.images`, else the image path's last
//! segment naming a service or a repository of the org) and its tag to the commit
//! ([`super::tags`]).
//!
//! A source is a config repository when `argocd.config_repos` lists it, or when the images the
//! Application runs map to other repositories ([`Linker::is_config_repository`]); otherwise it is
//! the service's own repository, deployed at the revision, whatever its images are called.
//!
//! What cannot be linked (a revision ArgoCD cannot render, a manifest that does not parse, an
//! image of no known repository, a tag naming no commit) is a warning of the run and leaves its
//! history entry unsettled: the next run tries it again. A digest-only image can never name a
//! commit: it is a warning, once.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use serde_json::Value;

use super::http::{encode, Api};
use super::{CollectError, Run};
use crate::config::GitOps;
use crate::delivery::services::Services;
use crate::model::Repository;

#[derive(Debug, Deserialize)]
struct Manifests {
    #[serde(default)]
    manifests: Vec<String>,
}

/// Where the images of a manifest's kind are: the pod spec's path. An Argo Rollout
/// (`argoproj.io/v1alpha1`) has a Deployment's; one that refers to a Deployment
/// (`spec.workloadRef`) has none of its own, the Deployment's are read.
fn pod_spec(object: &Value) -> Option<&Value> {
    let kind = object.get("kind")?.as_str()?;
    let api = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            object.pointer("/spec/template/spec")
        }
        "Rollout" if api.starts_with("argoproj.io/") => object.pointer("/spec/template/spec"),
        "CronJob" => object.pointer("/spec/jobTemplate/spec/template/spec"),
        "Pod" => object.get("spec"),
        _ => None,
    }
}

/// The container images of rendered manifests (each a JSON document as ArgoCD returns them),
/// sorted and once each; `Err` names the first manifest that does not parse.
pub fn images_of(manifests: &[String]) -> Result<Vec<String>, String> {
    let mut images = BTreeSet::new();
    for (i, text) in manifests.iter().enumerate() {
        let object: Value =
            serde_json::from_str(text).map_err(|e| format!("manifest {i} does not parse: {e}"))?;
        let Some(spec) = pod_spec(&object) else {
            continue;
        };
        for list in ["initContainers", "containers"] {
            let containers = spec.get(list).and_then(Value::as_array);
            for image in containers
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("image"))
            {
                if let Some(image) = image.as_str() {
                    images.insert(image.to_string());
                }
            }
        }
    }
    Ok(images.into_iter().collect())
}

/// `(name, tag)` of an image reference: `ghcr.io/acme/web:sha-abc` → (`ghcr.io/acme/web`,
/// `sha-abc`); a digest (`@sha256:…`) or no tag gives no tag.
pub fn split_image(image: &str) -> (&str, Option<&str>) {
    let image = image.split_once('@').map_or(image, |(name, _)| name);
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (image, None),
    }
}

/// Maps images to services and tags to commits.
pub struct Linker<'a> {
    gitops: &'a GitOps,
    services: &'a Services,
    repos: HashMap<String, String>,
}

impl<'a> Linker<'a> {
    /// A linker over the configured images, the known services and the org's repositories.
    pub fn new(gitops: &'a GitOps, services: &'a Services, repos: &[Repository]) -> Linker<'a> {
        Linker {
            gitops,
            services,
            repos: repos
                .iter()
                .map(|r| (r.slug.to_ascii_lowercase(), r.slug.clone()))
                .collect(),
        }
    }

    /// `(repository, service)` of image `name` (without tag): `Ok(None)` for an image
    /// configured as `""` (not ours), `Err` when nothing names it.
    pub fn target(&self, name: &str, org: &str) -> Result<Option<(String, String)>, String> {
        let by_name = |n: &str| {
            self.services
                .get(n)
                .map(|s| (s.repo.clone(), s.name.clone()))
        };
        let by_repo = |slug: &str| {
            self.repos
                .get(&slug.to_ascii_lowercase())
                .map(|s| (s.clone(), s.clone()))
        };
        if let Some(target) = self.gitops.images.get(name) {
            if target.is_empty() {
                return Ok(None);
            }
            let found = if target.contains('/') {
                Some(by_repo(target).unwrap_or((target.clone(), target.clone())))
            } else {
                by_name(target)
            };
            return found.map(Some).ok_or_else(|| {
                format!("image {name}: argocd.images names {target:?}, no known service")
            });
        }
        let last = name.rsplit('/').next().unwrap_or(name);
        by_name(last)
            .or_else(|| by_repo(&format!("{org}/{last}")))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "image {name}: no service or repository {org}/{last}; map it in argocd.images"
                )
            })
    }

    /// `slug` as GitHub spells it when it names a known repository (names compare ignoring
    /// case: an Application's `https://github.com/Acme/API.git` is `acme/api`), else as given.
    pub fn spelled(&self, slug: &str) -> String {
        self.repos
            .get(&slug.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| slug.to_string())
    }

    /// True when `repo`, the source of an Application running `images` (its
    /// `status.summary.images`), is a config repository: `config_repos` lists it, or images it
    /// runs map to repositories and none of them to `repo`. An image of no known repository says
    /// nothing: an Application over its own repository whose image is named otherwise
    /// (`ghcr.io/acme/pay-svc` built from `acme/payments-api`) is deployed at its revisions.
    pub fn is_config_repository(
        &self,
        repo: &str,
        images: &[String],
        org: &str,
        config_repos: &[String],
    ) -> bool {
        if config_repos.iter().any(|c| c.eq_ignore_ascii_case(repo)) {
            return true;
        }
        let mapped: Vec<String> = images
            .iter()
            .filter_map(|image| match self.target(split_image(image).0, org) {
                Ok(Some((r, _))) => Some(r),
                _ => None,
            })
            .collect();
        !mapped.is_empty() && !mapped.iter().any(|r| r.eq_ignore_ascii_case(repo))
    }

    /// The commit a tag names (full or short SHA), if it matches `argocd.image_tag_pattern`.
    pub fn sha_of<'t>(&self, tag: &'t str) -> Option<&'t str> {
        let captures = self.gitops.image_tag_pattern.captures(tag)?;
        captures.name("sha").map(|m| m.as_str())
    }
}

/// The images of `revision` of Application `app` (`namespace/name`), from the store when read
/// before, else from ArgoCD's rendered manifests (then stored). `position`: the source's
/// position (1-based) in a multi-source Application.
pub async fn images(
    run: &Run<'_>,
    argo: &Api,
    app: (&str, &str),
    revision: &str,
    position: Option<usize>,
) -> Result<Result<Vec<String>, String>, CollectError> {
    let (key, name) = app;
    let cache_key = match position {
        Some(p) => format!("{revision}#{p}"),
        None => revision.to_string(),
    };
    if let Some(images) = run.store.gitops_images(key, &cache_key).await? {
        return Ok(Ok(images));
    }
    let base = &run.config.argocd.url;
    let url = match position {
        Some(p) => format!(
            "{base}/api/v1/applications/{}/manifests?revisions={}&sourcePositions={p}",
            encode(name),
            encode(revision)
        ),
        None => format!(
            "{base}/api/v1/applications/{}/manifests?revision={}",
            encode(name),
            encode(revision)
        ),
    };
    let manifests = match argo.get::<Manifests>(&url).await {
        Ok(page) => page.body.manifests,
        Err(e) => return Ok(Err(format!("revision {revision} not rendered: {e}"))),
    };
    match images_of(&manifests) {
        Ok(images) => {
            run.store
                .save_gitops_images(key, &cache_key, &images)
                .await?;
            Ok(Ok(images))
        }
        Err(e) => Ok(Err(format!("revision {revision}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::DEFAULT_IMAGE_TAG_PATTERN;
    use crate::model::Service;

    fn manifest(kind: &str, spec_path: &str, images: &[&str]) -> String {
        let containers: Vec<Value> = images
            .iter()
            .map(|i| serde_json::json!({"name": "c", "image": i}))
            .collect();
        let mut pod = serde_json::json!({"containers": containers});
        if kind == "Deployment" {
            pod["initContainers"] =
                serde_json::json!([{"name": "migrate", "image": "ghcr.io/acme/migrate:v1"}]);
        }
        let mut object =
            serde_json::json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "x"}});
        let mut at = &mut object;
        for part in spec_path.split('/') {
            at = &mut at[part];
        }
        *at = pod;
        object.to_string()
    }

    /// An Argo Rollout as ArgoCD renders it (`argoproj.io/v1alpha1`, a canary strategy).
    fn rollout(images: &[&str]) -> String {
        let containers: Vec<Value> = images
            .iter()
            .map(|i| serde_json::json!({"name": "cart", "image": i}))
            .collect();
        serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "cart"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "cart"}},
                "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "1h"}}]}},
                "template": {"metadata": {"labels": {"app": "cart"}}, "spec": {"containers": containers}}}
        })
        .to_string()
    }

    #[test]
    fn a_rollout_of_another_api_group_is_no_workload() {
        let other =
            rollout(&["ghcr.io/acme/cart:1"]).replace("argoproj.io/v1alpha1", "example.com/v1");
        assert_eq!(images_of(&[other]).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn images_come_from_every_workload_kind_and_init_containers() {
        let manifests = vec![
            manifest(
                "Deployment",
                "spec/template/spec",
                &["ghcr.io/acme/web:sha-1"],
            ),
            manifest("StatefulSet", "spec/template/spec", &["ghcr.io/acme/db:2"]),
            manifest("DaemonSet", "spec/template/spec", &["ghcr.io/acme/agent:3"]),
            manifest(
                "CronJob",
                "spec/jobTemplate/spec/template/spec",
                &["ghcr.io/acme/job:4"],
            ),
            manifest("Service", "spec", &["not-an-image"]),
            rollout(&["ghcr.io/acme/cart:v1.4.2"]),
            r#"{"kind":"ConfigMap","data":{"image":"x"}}"#.to_string(),
        ];
        assert_eq!(
            images_of(&manifests).unwrap(),
            vec![
                "ghcr.io/acme/agent:3",
                "ghcr.io/acme/cart:v1.4.2",
                "ghcr.io/acme/db:2",
                "ghcr.io/acme/job:4",
                "ghcr.io/acme/migrate:v1",
                "ghcr.io/acme/web:sha-1"
            ]
        );
        let bad = vec![
            manifest("Deployment", "spec/template/spec", &["a:1"]),
            "{not json".to_string(),
        ];
        assert!(images_of(&bad)
            .unwrap_err()
            .starts_with("manifest 1 does not parse"));
    }

    #[test]
    fn image_references_split_into_name_and_tag() {
        assert_eq!(
            split_image("ghcr.io/acme/web:sha-abc"),
            ("ghcr.io/acme/web", Some("sha-abc"))
        );
        assert_eq!(
            split_image("registry:5000/acme/web"),
            ("registry:5000/acme/web", None)
        );
        assert_eq!(
            split_image("registry:5000/acme/web:1a2b3c4"),
            ("registry:5000/acme/web", Some("1a2b3c4"))
        );
        assert_eq!(
            split_image("ghcr.io/acme/web@sha256:00ff"),
            ("ghcr.io/acme/web", None)
        );
    }

    #[test]
    fn images_map_to_configured_targets_then_services_then_repositories() {
        let gitops = crate::config::GitOps {
            image_tag_pattern: regex::Regex::new(DEFAULT_IMAGE_TAG_PATTERN).unwrap(),
            images: BTreeMap::from([
                ("docker.io/library/redis".to_string(), String::new()),
                (
                    "ghcr.io/acme/storefront".to_string(),
                    "acme/shop".to_string(),
                ),
                ("ghcr.io/acme/cart-img".to_string(), "cart".to_string()),
            ]),
        };
        let services = Services::new([Service {
            name: "cart".into(),
            repo: "acme/shop".into(),
            path: "services/cart/".into(),
            team: None,
            source: "config".into(),
        }]);
        let repos = vec![Repository {
            slug: "acme/Web".into(),
            team: None,
            team_source: None,
            archived: false,
            pushed_at: None,
            ..Default::default()
        }];
        let l = Linker::new(&gitops, &services, &repos);
        let pair = |r: &str, s: &str| Ok(Some((r.to_string(), s.to_string())));
        assert_eq!(l.target("docker.io/library/redis", "acme"), Ok(None));
        assert_eq!(
            l.target("ghcr.io/acme/storefront", "acme"),
            pair("acme/shop", "acme/shop")
        );
        assert_eq!(
            l.target("ghcr.io/acme/cart-img", "acme"),
            pair("acme/shop", "cart")
        );
        assert_eq!(
            l.target("ghcr.io/acme/cart", "acme"),
            pair("acme/shop", "cart")
        );
        assert_eq!(
            l.target("ghcr.io/acme/web", "acme"),
            pair("acme/Web", "acme/Web")
        );
        // An Application's repoURL names a repository ignoring case, as GitHub does.
        assert_eq!(l.spelled("ACME/web"), "acme/Web");
        assert_eq!(l.spelled("acme/unknown"), "acme/unknown");
        assert!(l
            .target("quay.io/other/thing", "acme")
            .unwrap_err()
            .contains("argocd.images"));
        assert_eq!(
            l.sha_of("sha-0123456789abcdef0123456789abcdef01234567")
                .map(str::len),
            Some(40)
        );
        assert_eq!(l.sha_of("a84d88e"), Some("a84d88e"));
        assert_eq!(l.sha_of("latest"), None);

        // Config repositories: listed, or running images of other repositories only.
        let images = |list: &[&str]| list.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        let config = |repo: &str, list: &[&str], listed: &[String]| {
            l.is_config_repository(repo, &images(list), "acme", listed)
        };
        assert!(config("acme/deploy", &[], &["acme/Deploy".to_string()]));
        assert!(config("acme/deploy", &["ghcr.io/acme/web:1"], &[]));
        assert!(!config(
            "acme/web",
            &["ghcr.io/acme/web:1", "docker.io/library/redis:7"],
            &[]
        ));
        // Its own repository, whatever its image is called: an unmapped image says nothing.
        assert!(!config(
            "acme/payments-api",
            &["ghcr.io/acme/pay-svc:1a2b3c4"],
            &[]
        ));
        assert!(!config("acme/payments-api", &[], &[]));
    }
}

//! Services (DESIGN §5): what is deployed. A repository is one service, named by its slug,
//! unless `[[services]]` or a Backstage Component with a tree-URL `backstage.io/source-location`
//! makes a path of it a service of its own. This module maps what the sources report (a GitHub
//! deployment's payload and environment, an ArgoCD Application, a container image) to a
//! service; it reads and writes nothing.

use std::collections::BTreeMap;

use crate::glob::{any_matches, Glob};
use crate::model::Service;

/// The known path services, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Services {
    by_name: BTreeMap<String, Service>,
}

impl Services {
    /// The catalogue of `services`.
    pub fn new(services: impl IntoIterator<Item = Service>) -> Services {
        Services {
            by_name: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
        }
    }

    /// The service named `name`, if known.
    pub fn get(&self, name: &str) -> Option<&Service> {
        self.by_name.get(name)
    }

    /// The path of `service` inside its repository; `None` when the service is a whole
    /// repository (or not known: its changes are then the repository's).
    pub fn path_of(&self, service: &str) -> Option<&str> {
        self.get(service)
            .map(|s| s.path.as_str())
            .filter(|p| !p.is_empty())
    }

    /// The service an ArgoCD Application deploys from `repo` (its own repository): the path
    /// service of that repository named like the Application, else the repository.
    pub fn of_application(&self, repo: &str, app: &str) -> String {
        match self.get(app) {
            Some(s) if s.repo.eq_ignore_ascii_case(repo) => s.name.clone(),
            _ => repo.to_string(),
        }
    }
}

impl Services {
    /// The path service of `repo` named `name` (ASCII case ignored), as it is spelled.
    fn of_repo_named(&self, repo: &str, name: &str) -> Option<&Service> {
        self.by_name
            .values()
            .find(|s| s.name.eq_ignore_ascii_case(name) && s.repo.eq_ignore_ascii_case(repo))
    }

    /// The service of a production GitHub deployment of `repo` to `environment`: the one its
    /// `payload.service` names (kept as given, even when not known yet), else the path service
    /// of `repo` that the environment's part after `/` names (`production/checkout-web`), else
    /// the repository. A part after `/` that names no service of the repository is a target
    /// (`production/us-east-1`, see [`crate::delivery::rollouts::target`]), never a service.
    pub fn of_github(&self, repo: &str, environment: &str, payload: &serde_json::Value) -> String {
        let payload = match payload {
            // GitHub keeps a payload sent as a string as a string: it may hold JSON.
            serde_json::Value::String(text) => serde_json::from_str(text).unwrap_or_default(),
            other => other.clone(),
        };
        let named = payload
            .get("service")
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let by_part = || {
            let (_, part) = environment.trim().split_once('/')?;
            self.of_repo_named(repo, part)
        };
        match named {
            Some(n) => n.to_string(),
            None => by_part().map_or_else(|| repo.to_string(), |s| s.name.clone()),
        }
    }
}

/// True when a GitHub environment is production: it, or its part before `/`, matches one of
/// the `production` globs (ASCII case ignored).
pub fn is_production(environment: &str, production: &[Glob]) -> bool {
    let base = environment.split_once('/').map_or(environment, |(e, _)| e);
    any_matches(production, environment) || any_matches(production, base)
}

/// `(owner/name, path/)` of a Backstage `backstage.io/source-location` that is a tree URL inside
/// a repository: `url:https://github.com/acme/shop/tree/main/services/checkout-web/`. `None` for
/// a repository root (the repository is then the service) or any other location.
pub fn tree_location(location: &str) -> Option<(String, String)> {
    let url = location.strip_prefix("url:").unwrap_or(location);
    let rest = url.split_once("://").map(|(_, r)| r)?;
    let mut parts = rest.split('/');
    let _host = parts.next()?;
    let (owner, name) = (parts.next()?, parts.next()?);
    if parts.next()? != "tree" {
        return None;
    }
    let _branch = parts.next()?;
    let path: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
    if owner.is_empty() || name.is_empty() || path.is_empty() {
        return None;
    }
    Some((
        format!("{owner}/{}", name.trim_end_matches(".git")),
        format!("{}/", path.join("/")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shop() -> Services {
        Services::new([Service {
            name: "checkout-web".into(),
            repo: "acme/shop".into(),
            path: "services/checkout-web/".into(),
            team: Some("checkout".into()),
            source: "config".into(),
        }])
    }

    #[test]
    fn github_deployments_name_their_service_by_payload_then_a_known_path_service() {
        let s = shop();
        let none = json!({});
        assert_eq!(s.of_github("acme/shop", "Production", &none), "acme/shop");
        assert_eq!(
            s.of_github("acme/shop", "production/Checkout-Web", &none),
            "checkout-web"
        );
        assert_eq!(
            s.of_github("acme/shop", "production", &json!({"service": "cart"})),
            "cart"
        );
        assert_eq!(
            s.of_github("acme/shop", "prod-eu", &json!("{\"service\":\"cart\"}")),
            "cart"
        );
        assert_eq!(
            s.of_github("acme/shop", "production", &json!("")),
            "acme/shop"
        );
        assert_eq!(s.path_of("checkout-web"), Some("services/checkout-web/"));
        assert_eq!(s.path_of("acme/shop"), None);
    }

    #[test]
    fn a_part_after_the_slash_that_names_no_service_of_the_repository_is_no_service() {
        let s = shop();
        let none = json!({});
        assert_eq!(
            s.of_github("acme/shop", "production/us-east-1", &none),
            "acme/shop"
        );
        // checkout-web is a service of acme/shop, not of acme/api.
        assert_eq!(
            s.of_github("acme/api", "production/checkout-web", &none),
            "acme/api"
        );
    }

    #[test]
    fn production_environments_are_globs_over_the_whole_name_or_the_part_before_the_slash() {
        let prod: Vec<Glob> = crate::config::DEFAULT_PRODUCTION_ENVIRONMENTS
            .iter()
            .map(|g| g.parse().unwrap())
            .collect();
        for yes in [
            "production",
            "Production",
            "production-eu",
            "prod-us-east-1",
            "prd",
            "LIVE",
            "production/us-east-1",
            "prod/checkout-web",
            "prd/eu",
        ] {
            assert!(is_production(yes, &prod), "{yes}");
        }
        for no in [
            "staging",
            "staging/eu",
            "preprod",
            "production2",
            "dev-prod",
            "qa/prod",
        ] {
            assert!(!is_production(no, &prod), "{no}");
        }
        let only: Vec<Glob> = vec!["production".parse().unwrap()];
        assert!(is_production("production/checkout-web", &only));
        assert!(!is_production("production-eu", &only));
    }

    #[test]
    fn applications_are_their_repositorys_service_unless_named_like_one_of_its_paths() {
        let s = shop();
        assert_eq!(
            s.of_application("acme/shop", "checkout-web"),
            "checkout-web"
        );
        assert_eq!(s.of_application("acme/api", "checkout-web"), "acme/api");
        assert_eq!(s.of_application("acme/shop", "shop"), "acme/shop");
    }

    #[test]
    fn backstage_tree_urls_give_a_path_of_a_repository() {
        assert_eq!(
            tree_location("url:https://github.com/acme/shop/tree/main/services/checkout-web/"),
            Some(("acme/shop".into(), "services/checkout-web/".into()))
        );
        assert_eq!(
            tree_location("url:https://github.com/acme/shop/tree/main/services/cart"),
            Some(("acme/shop".into(), "services/cart/".into()))
        );
        assert_eq!(
            tree_location("url:https://github.com/acme/shop/tree/main/"),
            None
        );
        assert_eq!(tree_location("url:https://github.com/acme/shop"), None);
        assert_eq!(tree_location("file:./catalog-info.yaml"), None);
    }
}

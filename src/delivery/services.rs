//! Services (DESIGN §5): what is deployed. A repository is one service, named by its slug,
//! unless `[[services]]` or a Backstage Component with a tree-URL `backstage.io/source-location`
//! makes a path of it a service of its own. This module maps what the sources report (a GitHub
//! deployment's payload and environment, an ArgoCD Application, a container image) to a
//! service; it reads and writes nothing.

use std::collections::BTreeMap;

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

/// The service of a production GitHub deployment of `repo`: the one named by the deployment's
/// `payload.service`, else by its environment's part after `/` (`production/checkout-web`), else
/// the repository. A name not (yet) in `[[services]]` or the catalog is kept as given: its
/// changes are then its repository's.
pub fn of_github(repo: &str, environment: &str, payload: &serde_json::Value) -> String {
    let payload = match payload {
        // GitHub keeps a payload sent as a string as a string: it may hold JSON.
        serde_json::Value::String(text) => serde_json::from_str(text).unwrap_or_default(),
        other => other.clone(),
    };
    let named = payload
        .get("service")
        .and_then(|v| v.as_str())
        .or_else(|| environment.split_once('/').map(|(_, s)| s))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    named.map_or_else(|| repo.to_string(), str::to_string)
}

/// True when a GitHub environment is production: it is one of `production` (case-insensitive),
/// or one of them followed by `/<service>`.
pub fn is_production(environment: &str, production: &[String]) -> bool {
    let base = environment.split_once('/').map_or(environment, |(e, _)| e);
    production.iter().any(|p| p.eq_ignore_ascii_case(base))
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
    fn github_deployments_name_their_service_by_payload_then_environment() {
        let s = shop();
        let none = json!({});
        assert_eq!(of_github("acme/shop", "production", &none), "acme/shop");
        assert_eq!(
            of_github("acme/shop", "production/checkout-web", &none),
            "checkout-web"
        );
        assert_eq!(
            of_github("acme/shop", "production", &json!({"service": "cart"})),
            "cart"
        );
        assert_eq!(
            of_github("acme/shop", "production", &json!("{\"service\":\"cart\"}")),
            "cart"
        );
        assert_eq!(
            of_github("acme/shop", "production", &json!("")),
            "acme/shop"
        );
        assert_eq!(s.path_of("checkout-web"), Some("services/checkout-web/"));
        assert_eq!(s.path_of("acme/shop"), None);
    }

    #[test]
    fn production_environments_may_name_a_service() {
        let prod = vec!["production".to_string(), "prod".to_string()];
        assert!(is_production("Production", &prod));
        assert!(is_production("production/checkout-web", &prod));
        assert!(!is_production("staging/checkout-web", &prod));
        assert!(!is_production("production-eu", &prod));
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

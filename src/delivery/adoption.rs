//! Adoption, of services (DESIGN §5, third round): adoption's denominator is the deployable
//! services active in the window. A repository is not one when it is archived, a fork, a
//! template, a GitOps config repository (`argocd.config_repos`, or read as one by an ArgoCD
//! Application) or matched by `adoption.exclude`; with a Backstage catalog (some repository is
//! named by a Component), only the repositories of a Component whose `spec.type` is one of
//! `adoption.service_types` are. Each exclusion says why, in this order.

use serde::{Deserialize, Serialize};

use crate::config::{AdoptionConfig, Config};
use crate::model::RepoFacts;

/// What decides which repositories are deployable services.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    /// `argocd.config_repos`.
    pub config_repos: Vec<String>,
    /// `[adoption]`.
    pub adoption: AdoptionConfig,
}

impl Rule {
    /// The rule of `config`.
    pub fn of(config: &Config) -> Rule {
        Rule {
            config_repos: config.argocd.config_repos.clone(),
            adoption: config.adoption.clone(),
        }
    }

    /// Why repository `slug` is not a deployable service, or `None` when it is one; `catalog`:
    /// the Backstage catalog names repositories (their Components' types then decide).
    pub fn why_not(&self, slug: &str, repo: &RepoFacts, catalog: bool) -> Option<&'static str> {
        let config_repo = repo.config_repo
            || self
                .config_repos
                .iter()
                .any(|r| r.eq_ignore_ascii_case(slug));
        let typed = repo
            .component_type
            .as_deref()
            .is_some_and(|t| self.adoption.is_service_type(t));
        Some(if repo.archived {
            "archived"
        } else if repo.fork {
            "fork"
        } else if repo.is_template {
            "template"
        } else if config_repo {
            "config repository"
        } else if self.adoption.excluded(slug).is_some() {
            "excluded"
        } else if catalog && !typed {
            "not a service"
        } else {
            return None;
        })
    }

    /// [`Rule::why_not`] of every repository of `repos`, named by `slugs`.
    pub fn exclusions(&self, slugs: &[String], repos: &[RepoFacts]) -> Vec<Option<&'static str>> {
        let catalog = repos.iter().any(|r| r.component_type.is_some());
        slugs
            .iter()
            .zip(repos)
            .map(|(slug, repo)| self.why_not(slug, repo, catalog))
            .collect()
    }
}

/// A repository active in the window that adoption leaves out, and why (`org.adoption.excluded`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// `owner/name`.
    pub repo: String,
    /// `archived`, `fork`, `template`, `config repository`, `excluded` or `not a service`.
    pub why: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_exclusion_names_its_first_reason() {
        let rule = Rule {
            config_repos: vec!["acme/Deploy".into()],
            adoption: AdoptionConfig {
                exclude: vec!["*-docs".parse().unwrap()],
                ..AdoptionConfig::default()
            },
        };
        let repo = |f: fn(&mut RepoFacts)| {
            let mut r = RepoFacts::default();
            f(&mut r);
            r
        };
        let cases = [
            ("acme/api", repo(|_| {}), None),
            ("acme/old", repo(|r| r.archived = true), Some("archived")),
            ("acme/fork", repo(|r| r.fork = true), Some("fork")),
            ("acme/tpl", repo(|r| r.is_template = true), Some("template")),
            ("acme/deploy", repo(|_| {}), Some("config repository")),
            (
                "acme/gitops",
                repo(|r| r.config_repo = true),
                Some("config repository"),
            ),
            ("acme/api-docs", repo(|_| {}), Some("excluded")),
            // Archived and excluded: the first reason.
            ("acme/x-docs", repo(|r| r.archived = true), Some("archived")),
        ];
        for (slug, r, why) in &cases {
            assert_eq!(rule.why_not(slug, r, false), *why, "{slug}");
        }
        // With a catalog, the Components' types decide what is left.
        let service = repo(|r| r.component_type = Some("Service".into()));
        let library = repo(|r| r.component_type = Some("library".into()));
        assert_eq!(rule.why_not("acme/api", &service, true), None);
        assert_eq!(
            rule.why_not("acme/lib", &library, true),
            Some("not a service")
        );
        assert_eq!(
            rule.why_not("acme/web", &repo(|_| {}), true),
            Some("not a service")
        );
        let slugs = ["acme/api".to_string(), "acme/lib".to_string()];
        assert_eq!(
            rule.exclusions(&slugs, &[service, library]),
            [None, Some("not a service")]
        );
    }
}

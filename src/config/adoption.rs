//! `[adoption]` (DESIGN §4, §5 "Adoption, of services"): what counts as a deployable service in
//! adoption's denominator. With a Backstage catalog, Components of `service_types`; without one,
//! active repositories that are not forks, archived, templates, GitOps config repositories or
//! matched by `exclude`.

use serde::Deserialize;

use super::{invalid, ConfigError};
use crate::glob::Glob;

/// Adoption's denominator.
#[derive(Debug, Clone, PartialEq)]
pub struct AdoptionConfig {
    /// Backstage Component `spec.type`s that are deployable services (compared lower-cased).
    pub service_types: Vec<String>,
    /// Globs of repositories that are never services (`*-docs`, `terraform-*`, `acme/wiki`),
    /// matched case-insensitively against the repository's name, or its `owner/name` when the
    /// glob has a `/`.
    pub exclude: Vec<Glob>,
}

impl AdoptionConfig {
    /// The first `exclude` glob matching repository `slug`, if any.
    pub fn excluded(&self, slug: &str) -> Option<&Glob> {
        let name = slug.rsplit('/').next().unwrap_or(slug);
        self.exclude.iter().find(|g| {
            g.matches(if g.to_string().contains('/') {
                slug
            } else {
                name
            })
        })
    }

    /// True when a Backstage Component of `spec.type` `kind` is a deployable service.
    pub fn is_service_type(&self, kind: &str) -> bool {
        self.service_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(kind))
    }
}

impl Default for AdoptionConfig {
    /// DESIGN §4's defaults: Components of type `service` and `website`, nothing excluded.
    fn default() -> Self {
        AdoptionConfig {
            service_types: DEFAULT_SERVICE_TYPES.map(String::from).to_vec(),
            exclude: Vec::new(),
        }
    }
}

/// `adoption.service_types` when the configuration sets none.
const DEFAULT_SERVICE_TYPES: [&str; 2] = ["service", "website"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawAdoption {
    service_types: Vec<String>,
    exclude: Vec<String>,
}

impl Default for RawAdoption {
    fn default() -> Self {
        RawAdoption {
            service_types: DEFAULT_SERVICE_TYPES.map(String::from).to_vec(),
            exclude: Vec::new(),
        }
    }
}

impl RawAdoption {
    /// Validates the section: types are words, globs are globs.
    pub(super) fn validate(self) -> Result<AdoptionConfig, ConfigError> {
        let mut service_types = Vec::with_capacity(self.service_types.len());
        for (i, t) in self.service_types.into_iter().enumerate() {
            let t = t.trim().to_string();
            if t.is_empty() || t.contains(char::is_whitespace) {
                return Err(invalid(
                    format!("adoption.service_types[{i}]"),
                    format!("expected a Component spec.type such as \"service\", got {t:?}"),
                ));
            }
            service_types.push(t);
        }
        let exclude = self
            .exclude
            .iter()
            .enumerate()
            .map(|(i, g)| {
                g.trim()
                    .parse()
                    .map_err(|e| invalid(format!("adoption.exclude[{i}]"), format!("{e}")))
            })
            .collect::<Result<Vec<Glob>, ConfigError>>()?;
        Ok(AdoptionConfig {
            service_types,
            exclude,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::load;

    #[test]
    fn exclusions_match_names_or_slugs_case_insensitively() {
        let c = load(
            "[adoption]\nexclude = [\"*-docs\", \"acme/wiki\"]\nservice_types = [\"service\"]\n",
            &[],
        )
        .unwrap();
        let excluded = |slug: &str| c.adoption.excluded(slug).map(|g| g.to_string());
        assert_eq!(excluded("acme/API-Docs").as_deref(), Some("*-docs"));
        assert_eq!(excluded("Acme/Wiki").as_deref(), Some("acme/wiki"));
        assert_eq!(excluded("acme/api"), None);
        assert_eq!(excluded("acme/docs-api"), None);
        assert!(c.adoption.is_service_type("Service"));
        assert!(!c.adoption.is_service_type("library"));
    }

    #[test]
    fn defaults_and_bad_values_are_named() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.adoption.service_types, ["service", "website"]);
        assert!(c.adoption.exclude.is_empty());
        let env = load("", &[("DXS_ADOPTION__EXCLUDE", "[\"*-docs\"]")]).unwrap();
        assert_eq!(env.adoption.exclude[0].to_string(), "*-docs");
        for (text, key) in [
            ("[adoption]\nexclude = [\"a b\"]\n", "adoption.exclude[0]"),
            (
                "[adoption]\nservice_types = [\"\"]\n",
                "adoption.service_types[0]",
            ),
        ] {
            let err = load(text, &[]).unwrap_err().to_string();
            assert!(err.starts_with(key), "{err}");
        }
        assert!(load("[adoption]\ntypes = []\n", &[]).is_err());
    }
}

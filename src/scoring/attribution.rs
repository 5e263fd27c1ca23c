//! Which service an incident is of (DESIGN §5, "Incidents, attributed"): a GitHub incident's
//! service is the one its `service:<name>` label names (the collector keeps it as the incident's
//! service), else its repository's service when that repository has exactly one service and is
//! not a central incident repository (`incidents.repos`). An incident of the webhook names its
//! service. Anything else is unattributed, listed with its id and why: never dropped, never
//! charged to a service by guess.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::Incident;
use crate::store::ScoringFacts;

/// Why an incident naming a service dxs does not know is unattributed.
pub const NO_SERVICE: &str = "names no known service";

/// An incident no service could be charged with (`org.unattributed_incidents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnattributedIncident {
    /// The incident's id (`acme/incidents#12`, `INC-42`).
    pub id: String,
    /// Why: `central repository without a service label`, `repository with several services`
    /// or `names no known service`.
    pub why: String,
}

/// Service names, repository slugs and repository names, to resolve what an incident names.
pub struct Resolver {
    /// Lower-cased service name or repository slug → (service, team).
    known: HashMap<String, (String, Option<String>)>,
    /// Lower-cased repository name → slugs of that name.
    by_name: HashMap<String, Vec<String>>,
    /// Lower-cased repository slug → its path services.
    paths: HashMap<String, Vec<String>>,
    /// `incidents.repos`, lower-cased.
    central: Vec<String>,
}

impl Resolver {
    /// The names of `facts`; `central`: `incidents.repos`.
    pub fn new(facts: &ScoringFacts, central: &[String]) -> Resolver {
        let mut known = HashMap::new();
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        let mut paths: HashMap<String, Vec<String>> = HashMap::new();
        for (slug, repo) in facts.repo_names.values.iter().zip(&facts.repos) {
            known.insert(slug.to_lowercase(), (slug.clone(), repo.team.clone()));
            let name = slug.rsplit('/').next().unwrap_or(slug).to_lowercase();
            by_name.entry(name).or_default().push(slug.clone());
        }
        for (code, name) in facts.service_names.values.iter().enumerate() {
            let team = facts.service_team(code as u32).map(str::to_string);
            known.insert(name.to_lowercase(), (name.clone(), team));
            let repo = &facts.repo_names.values[facts.services[code].repo as usize];
            if !repo.eq_ignore_ascii_case(name) {
                paths
                    .entry(repo.to_lowercase())
                    .or_default()
                    .push(name.clone());
            }
        }
        let central = central.iter().map(|r| r.to_lowercase()).collect();
        Resolver {
            known,
            by_name,
            paths,
            central,
        }
    }

    /// The (service, team) `service` names: a service by name, a repository by slug, or the one
    /// repository of that name.
    fn resolve(&self, service: &str) -> Option<&(String, Option<String>)> {
        let key = service.to_lowercase();
        self.known
            .get(&key)
            .or_else(|| match self.by_name.get(&key) {
                Some(slugs) if slugs.len() == 1 => self.known.get(&slugs[0].to_lowercase()),
                _ => None,
            })
    }

    /// The (service, team) of incident `i`, or why it has none.
    pub fn attribute(&self, i: &Incident) -> Result<&(String, Option<String>), &'static str> {
        let repo = match i.source.as_str() {
            "github" => i.external_id.rsplit_once('#').map(|(repo, _)| repo),
            _ => None,
        };
        // A GitHub incident without a service label keeps its repository as its service.
        let Some(repo) = repo.filter(|r| r.eq_ignore_ascii_case(&i.service)) else {
            return self.resolve(&i.service).ok_or(NO_SERVICE);
        };
        let key = repo.to_lowercase();
        if self.central.contains(&key) {
            return Err("central repository without a service label");
        }
        match self.paths.get(&key).map_or(&[][..], Vec::as_slice) {
            [] => self.resolve(repo).ok_or(NO_SERVICE),
            [only] => self.resolve(only).ok_or(NO_SERVICE),
            _ => Err("repository with several services"),
        }
    }
}

//! From figures to a [`TeamScore`]: components, hiding, the DXS, tiers, rounding.

use std::collections::BTreeMap;

use super::answers::SurveyAggregates;
use super::normalise::round;
use super::rules::Rules;
use super::score::{
    Adoption, ChangeFailure, Deployments, Dora, LeadTime, Onboarding, ServiceScore, SurveyFigures,
    TeamScore,
};
use super::telemetry::{Period, ServiceTelemetry, Telemetry};
use crate::config::AdoptionBasis;

/// What is known of one team (or the organisation) before it becomes a score.
pub struct TeamFigures<'a> {
    /// Team name, `all` for the organisation.
    pub team: &'a str,
    /// Telemetry.
    pub telemetry: &'a Telemetry,
    /// Survey aggregates.
    pub survey: &'a SurveyAggregates,
    /// Responses of the closed survey whose figures are shown.
    pub responses: i64,
    /// The participation of the latest survey (no answer figure yet).
    pub participation: SurveyFigures,
    /// Hide the survey figures (see [`super::suppression`]).
    pub hidden: bool,
    /// `(service, repository)` of each service code.
    pub services: &'a [(String, String)],
}

/// Builds the score of one team or of the organisation.
pub fn team_score(f: &TeamFigures, period: &Period, rules: &Rules) -> TeamScore {
    let t = f.telemetry;
    let mut components = BTreeMap::new();
    let mut basis = BTreeMap::new();
    if let Some(median) = t.lead.median {
        components.insert("lead_time".to_string(), rules.lead_time.score(median));
        basis.insert("lead_time".to_string(), t.lead.changes);
    }
    if let Some(median) = t.onboarding.median {
        components.insert("onboarding".to_string(), rules.onboarding.score(median));
        basis.insert("onboarding".to_string(), t.onboarding.onboarded);
    }
    let self_service_rate = ratio(t.requests.succeeded, t.requests.finished);
    if let Some(rate) = self_service_rate {
        components.insert("self_service".to_string(), rate * 100.0);
        basis.insert("self_service".to_string(), t.requests.finished);
    }
    let (adopted, measured) = match rules.adoption_basis {
        AdoptionBasis::Repositories => (t.platform_repositories, t.active_repositories),
        AdoptionBasis::Namespaces => (t.managed_namespaces, t.namespaces),
    };
    let adoption = ratio(adopted, measured);
    if let Some(ratio) = adoption {
        components.insert("adoption".to_string(), ratio * 100.0);
        basis.insert("adoption".to_string(), measured);
    }
    let mut survey = f.participation.clone();
    let mut nps = None;
    if !f.hidden {
        for component in rules.survey.components() {
            let figures: Vec<_> = rules
                .survey
                .questions
                .iter()
                .filter(|q| q.component.as_deref() == Some(component.as_str()))
                .filter_map(|q| f.survey.questions.get(&q.id))
                .filter(|q| q.component.is_some())
                .collect();
            if figures.is_empty() {
                continue;
            }
            let mean =
                figures.iter().filter_map(|q| q.component).sum::<f64>() / figures.len() as f64;
            components.insert(component.clone(), mean);
            basis.insert(component, figures.iter().map(|q| q.answers).sum());
        }
        for (id, q) in &f.survey.questions {
            if let Some(mean) = q.mean {
                survey.means.insert(id.clone(), round(mean, 2));
            }
            if let (None, Some(counts)) = (&survey.nps_counts, &q.nps) {
                let n = counts.promoters + counts.passives + counts.detractors;
                nps = (n > 0)
                    .then(|| 100.0 * (counts.promoters - counts.detractors) as f64 / n as f64);
                survey.nps_counts = Some(counts.clone());
            }
        }
        survey.choices = f.survey.choices.clone();
    }
    let weeks = period.weeks();
    let per = |count: i64, of: i64| (of > 0).then(|| count as f64 / weeks / of as f64);
    let per_repository_week = per(t.deployments, t.deployed_repositories);
    let per_service_week = per(t.deployments, t.deployed_services);
    let dora = Dora {
        lead_time: t.lead.median.map(|h| rules.dora.lead_time(h)),
        deployment_frequency: per_service_week.map(|f| rules.dora.frequency(f)),
        ..Dora::default()
    };
    let mut services: Vec<ServiceScore> = t
        .services
        .iter()
        .map(|(code, s)| service_score(&f.services[*code as usize], s, weeks, rules))
        .collect();
    services.sort_by(|a, b| a.service.cmp(&b.service));
    let mut score = TeamScore {
        team: f.team.to_string(),
        components: components
            .iter()
            .map(|(k, v)| (k.clone(), round(*v, 1)))
            .collect(),
        responses: f.responses,
        lead_time_hours: LeadTime {
            median: t.lead.median.map(|h| round(h, 2)),
            p90: t.lead.p90.map(|h| round(h, 2)),
            changes: t.lead.changes,
        },
        onboarding_hours: Onboarding {
            median: t.onboarding.median.map(|h| round(h, 2)),
            open_max_hours: t.onboarding.open_max_hours.map(|h| round(h, 2)),
            ..t.onboarding.clone()
        },
        self_service_rate: self_service_rate.map(|r| round(r, 4)),
        nps: nps.map(|n| round(n, 1)),
        hidden: f.hidden,
        self_service: t.requests.clone(),
        deployments: Deployments {
            count: t.deployments,
            per_week: round(t.deployments as f64 / weeks, 2),
            repositories: t.deployed_repositories,
            per_repository_week: per_repository_week.map(|f| round(f, 3)),
            services: t.deployed_services,
            per_service_week: per_service_week.map(|f| round(f, 3)),
            rollbacks: t.rollbacks,
        },
        services,
        adoption: Adoption {
            ratio: adoption.map(|r| round(r, 4)),
            basis: rules.adoption_basis.name().to_string(),
            platform_repositories: t.platform_repositories,
            active_repositories: t.active_repositories,
            services: t.active_repositories,
            excluded: Vec::new(),
            managed_namespaces: t.managed_namespaces,
            namespaces: t.namespaces,
        },
        survey,
        basis,
        dora,
        change_failure: ChangeFailure::default(),
        ..TeamScore::default()
    };
    settle(&mut score, &components, rules);
    score
}

/// Sets the DXS of `t` from `components` (its own, or their unrounded values), with what it
/// rests on: the weighted components missing, the coverage, and whether it is partial (DESIGN
/// §5 "Coverage": below `score.min_coverage` no DXS is published).
pub fn settle(t: &mut TeamScore, components: &BTreeMap<String, f64>, rules: &Rules) {
    let coverage = rules.weights.coverage(components);
    // A coverage equal to the threshold is enough, whatever the float sum of the weights.
    t.partial = coverage < rules.min_coverage - 1e-9;
    t.coverage = round(coverage, 4);
    t.dxs = match t.partial {
        true => None,
        false => rules.weights.dxs(components).map(|d| round(d, 1)),
    };
    t.missing = rules.weights.missing(components);
}

/// The figures of one service, rounded, with its DORA tiers.
fn service_score(
    (service, repo): &(String, String),
    s: &ServiceTelemetry,
    weeks: f64,
    rules: &Rules,
) -> ServiceScore {
    let per_week = s.rollouts as f64 / weeks;
    ServiceScore {
        service: service.clone(),
        repo: repo.clone(),
        lead_time_hours: LeadTime {
            median: s.lead.median.map(|h| round(h, 2)),
            p90: s.lead.p90.map(|h| round(h, 2)),
            changes: s.lead.changes,
        },
        rollouts: s.rollouts,
        rollbacks: s.rollbacks,
        per_week: round(per_week, 3),
        dora: Dora {
            lead_time: s.lead.median.map(|h| rules.dora.lead_time(h)),
            deployment_frequency: (s.rollouts > 0).then(|| rules.dora.frequency(per_week)),
            ..Dora::default()
        },
        change_failure: ChangeFailure::default(),
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

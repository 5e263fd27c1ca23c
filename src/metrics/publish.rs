//! One publish: the latest score snapshot and the store's totals, read first, then written
//! into the published families (each cleared, then filled).

use std::collections::BTreeMap;

use super::families::{
    team, ComponentLabels, Families, NamespaceLabels, QuarterLabels, RunLabels, SourceLabels,
    StatLabels,
};
use super::score::{parse_body, TeamScore, ORG_TEAM};
use crate::store::{Store, StoreError, Totals};

/// What one publish puts in the published families, read from the store before any is cleared.
pub(super) struct Published {
    /// The latest quarter's scores by team (`all` included).
    scores: BTreeMap<String, TeamScore>,
    /// Survey responses of the organisation per quarter.
    responses: Vec<(String, f64)>,
    /// The running totals.
    totals: Totals,
}

impl Published {
    /// Reads the snapshots of every quarter and the store's totals.
    pub(super) async fn load(store: &Store) -> Result<Published, StoreError> {
        let mut scores = BTreeMap::new();
        let mut responses = Vec::new();
        for (i, quarter) in store.snapshot_quarters().await?.into_iter().enumerate() {
            let mut quarter_scores = BTreeMap::new();
            for row in store.snapshots(&quarter).await? {
                match parse_body(&row.team, &row.body) {
                    Ok(parsed) => quarter_scores.extend(parsed),
                    Err(e) => tracing::warn!(quarter = %row.quarter, team = %row.team,
                        error = %e, "score snapshot is not the JSON of DESIGN §7; skipped"),
                }
            }
            if let Some(count) = quarter_scores.get(ORG_TEAM).and_then(|s| s.responses) {
                responses.push((quarter, count));
            }
            if i == 0 {
                scores = quarter_scores;
            }
        }
        Ok(Published {
            scores,
            responses,
            totals: store.totals().await?,
        })
    }
}

impl Families {
    /// Clears every published family and fills it from `p`.
    pub(super) fn fill(&self, p: &Published) {
        self.fill_scores(&p.scores);
        self.survey_responses.clear();
        for (quarter, count) in &p.responses {
            let labels = QuarterLabels {
                quarter: quarter.clone(),
            };
            self.survey_responses
                .get_or_create(&labels)
                .inc_by(count.max(0.0).round() as u64);
        }
        self.fill_totals(&p.totals);
    }

    fn fill_scores(&self, scores: &BTreeMap<String, TeamScore>) {
        let gauges = [
            &self.score,
            &self.first_commit,
            &self.self_service,
            &self.adoption,
            &self.survey_nps,
            &self.change_failure,
        ];
        for gauge in gauges {
            gauge.clear();
        }
        self.score_component.clear();
        self.lead_time.clear();
        self.recovery.clear();
        self.incidents.clear();
        for (name, s) in scores {
            let labels = team(name);
            let onboarding = s.onboarding_hours.as_ref().and_then(|o| o.median);
            let adoption = s.component("adoption").map(|c| c / 100.0);
            let values = [
                (&self.score, s.dxs),
                (&self.first_commit, onboarding),
                (&self.self_service, s.self_service_rate),
                (&self.adoption, adoption),
                (&self.survey_nps, s.visible_nps()),
                (
                    &self.change_failure,
                    s.change_failure.as_ref().and_then(|c| c.rate),
                ),
            ];
            for (gauge, value) in values {
                if let Some(v) = value {
                    gauge.get_or_create(&labels).set(v);
                }
            }
            for (component, value) in &s.components {
                if let Some(v) = value {
                    let labels = ComponentLabels {
                        team: name.clone(),
                        component: component.clone(),
                    };
                    self.score_component.get_or_create(&labels).set(*v);
                }
            }
            if let Some(c) = &s.change_failure {
                self.incidents
                    .get_or_create(&labels)
                    .inc_by(c.incidents.max(0) as u64);
                let r = &c.recovery_hours;
                for (stat, hours) in [
                    ("median", r.median),
                    ("p90", r.p90),
                    ("open_max", r.open_max_hours),
                ] {
                    if let Some(h) = hours {
                        let labels = StatLabels {
                            team: name.clone(),
                            stat,
                        };
                        self.recovery.get_or_create(&labels).set(h);
                    }
                }
            }
            if let Some(lead) = &s.lead_time_hours {
                for (stat, hours) in [("median", lead.median), ("p90", lead.p90)] {
                    if let Some(h) = hours {
                        let labels = StatLabels {
                            team: name.clone(),
                            stat,
                        };
                        self.lead_time.get_or_create(&labels).set(h * 60.0);
                    }
                }
            }
        }
    }

    fn fill_totals(&self, t: &Totals) {
        self.deployments.clear();
        let all: i64 = t.deployments.iter().map(|(_, n)| n).sum();
        self.deployments
            .get_or_create(&team(ORG_TEAM))
            .inc_by(all as u64);
        for (name, n) in &t.deployments {
            if let Some(name) = name {
                self.deployments
                    .get_or_create(&team(name))
                    .inc_by(*n as u64);
            }
        }
        self.requests.clear();
        self.requests_success.clear();
        let finished: i64 = t.requests.iter().map(|r| r.finished).sum();
        let succeeded: i64 = t.requests.iter().map(|r| r.succeeded).sum();
        let per_team = t
            .requests
            .iter()
            .map(|r| (r.team.as_str(), r.finished, r.succeeded));
        for (name, finished, succeeded) in per_team.chain([(ORG_TEAM, finished, succeeded)]) {
            self.requests
                .get_or_create(&team(name))
                .inc_by(finished as u64);
            self.requests_success
                .get_or_create(&team(name))
                .inc_by(succeeded as u64);
        }
        self.collector_runs.clear();
        self.collector_warnings.clear();
        self.zero_collector_runs();
        for run in &t.collector_runs {
            let labels = RunLabels {
                source: run.source.clone(),
                outcome: run.outcome.clone(),
            };
            self.collector_runs
                .get_or_create(&labels)
                .inc_by(run.runs as u64);
            let labels = SourceLabels {
                source: run.source.clone(),
            };
            self.collector_warnings
                .get_or_create(&labels)
                .inc_by(run.warnings.max(0) as u64);
        }
        self.collector_last_success.clear();
        for (source, at) in &t.last_successes {
            let labels = SourceLabels {
                source: source.clone(),
            };
            self.collector_last_success.get_or_create(&labels).set(*at);
        }
        if let Some(left) = t.github_rate_limit {
            self.set_github_rate_limit(left);
        }
        self.fill_namespaces(t);
    }

    /// Namespaces per team and for the organisation (`all`, those without a team label
    /// included), managed or not; both series of a team exist once it has a namespace.
    fn fill_namespaces(&self, t: &Totals) {
        self.namespaces.clear();
        if t.namespaces.is_empty() {
            return;
        }
        let mut counts: BTreeMap<&str, [i64; 2]> = BTreeMap::new();
        for n in &t.namespaces {
            let slot = usize::from(n.managed);
            counts.entry(ORG_TEAM).or_default()[slot] += n.count;
            if let Some(name) = &n.team {
                counts.entry(name).or_default()[slot] += n.count;
            }
        }
        for (name, [unmanaged, managed]) in counts {
            for (flag, count) in [("true", managed), ("false", unmanaged)] {
                let labels = NamespaceLabels {
                    team: name.to_string(),
                    managed: flag,
                };
                self.namespaces.get_or_create(&labels).set(count);
            }
        }
    }
}

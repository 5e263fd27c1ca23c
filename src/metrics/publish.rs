//! One publish: the latest score snapshot and the store's totals, read first, then written
//! into the published families (each cleared, then filled).

use std::collections::BTreeMap;

use super::families::{
    team, ComponentLabels, Families, NamespaceLabels, QuarterLabels, RunLabels, SourceLabels,
    StatLabels,
};
use crate::scoring::{Score, SurveyStatus, TeamScore, ORG, TELEMETRY_COMPONENTS};
use crate::store::{Store, StoreError, Totals};

/// What one publish puts in the published families, read from the store before any is cleared.
pub(super) struct Published {
    /// The latest quarter's scores by team (`all` included).
    scores: BTreeMap<String, TeamScore>,
    /// Per survey quarter: the organisation's responses (none while withheld as "fewer than
    /// k") and whether the survey is open, from the newest snapshot that shows it.
    surveys: BTreeMap<String, (Option<i64>, bool)>,
    /// The running totals.
    totals: Totals,
}

impl Published {
    /// Reads the score of every quarter from its snapshot and the store's totals.
    pub(super) async fn load(store: &Store) -> Result<Published, StoreError> {
        let mut scores = BTreeMap::new();
        let mut surveys = BTreeMap::new();
        for (i, quarter) in store.snapshot_quarters().await?.into_iter().enumerate() {
            let Some(score) = read_score(store, &quarter).await? else {
                continue;
            };
            let survey = &score.org.survey;
            if let Some(q) = &survey.quarter {
                let open = survey.status == Some(SurveyStatus::Open);
                surveys.entry(q.clone()).or_insert((survey.responses, open));
            }
            if i == 0 {
                scores = std::iter::once(score.org)
                    .chain(score.teams)
                    .map(|t| (t.team.clone(), t))
                    .collect();
            }
        }
        Ok(Published {
            scores,
            surveys,
            totals: store.totals().await?,
        })
    }
}

/// The score of `quarter`: the organisation's snapshot, which holds the whole [`Score`]. A
/// body that is not a [`Score`] is logged and skipped, so one bad row never stops a publish.
async fn read_score(store: &Store, quarter: &str) -> Result<Option<Score>, StoreError> {
    let rows = store.snapshots(quarter).await?;
    let Some(row) = rows.into_iter().find(|row| row.team == ORG) else {
        return Ok(None);
    };
    match serde_json::from_str(&row.body) {
        Ok(score) => Ok(Some(score)),
        Err(e) => {
            tracing::warn!(quarter = %row.quarter, error = %e,
                "score snapshot is not the JSON of DESIGN §7; skipped");
            Ok(None)
        }
    }
}

impl Families {
    /// Clears every published family and fills it from `p`.
    pub(super) fn fill(&self, p: &Published) {
        self.fill_scores(&p.scores);
        self.survey_responses.clear();
        self.survey_open.clear();
        for (quarter, (responses, open)) in &p.surveys {
            let labels = QuarterLabels {
                quarter: quarter.clone(),
            };
            self.survey_open
                .get_or_create(&labels)
                .set(i64::from(*open));
            if let Some(count) = responses {
                self.survey_responses
                    .get_or_create(&labels)
                    .inc_by((*count).max(0) as u64);
            }
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
            &self.score_coverage,
        ];
        for gauge in gauges {
            gauge.clear();
        }
        self.score_component.clear();
        self.score_driver.clear();
        self.lead_time.clear();
        self.recovery.clear();
        self.incidents.clear();
        for (name, s) in scores {
            let labels = team(name);
            let adoption = s.components.get("adoption").map(|c| c / 100.0);
            let values = [
                (&self.score, s.dxs),
                (&self.first_commit, s.onboarding_hours.median),
                (&self.self_service, s.self_service_rate),
                (&self.adoption, adoption),
                (&self.survey_nps, s.nps),
                (&self.change_failure, s.change_failure.rate),
                (&self.score_coverage, Some(s.coverage)),
            ];
            for (gauge, value) in values {
                if let Some(v) = value {
                    gauge.get_or_create(&labels).set(v);
                }
            }
            // A hidden team's survey figures are never published, even should a snapshot
            // hold one: only its telemetry components are.
            let components = s.components.iter().filter(|(component, _)| {
                !s.hidden || TELEMETRY_COMPONENTS.contains(&component.as_str())
            });
            for (component, value) in components {
                let labels = ComponentLabels {
                    team: name.clone(),
                    component: component.clone(),
                };
                self.score_component.get_or_create(&labels).set(*value);
            }
            for driver in &s.drivers {
                let labels = ComponentLabels {
                    team: name.clone(),
                    component: driver.component.clone(),
                };
                self.score_driver
                    .get_or_create(&labels)
                    .set(driver.contribution);
            }
            let c = &s.change_failure;
            self.incidents
                .get_or_create(&labels)
                .inc_by(c.incidents.max(0) as u64);
            let (r, lead) = (&c.recovery_hours, &s.lead_time_hours);
            let stats = [
                (&self.recovery, "median", r.median, 3600.0),
                (&self.recovery, "p90", r.p90, 3600.0),
                (&self.recovery, "open_max", r.open_max_hours, 3600.0),
                (&self.lead_time, "median", lead.median, 60.0),
                (&self.lead_time, "p90", lead.p90, 60.0),
            ];
            for (gauge, stat, hours, unit) in stats {
                if let Some(h) = hours {
                    let labels = StatLabels {
                        team: name.clone(),
                        stat,
                    };
                    gauge.get_or_create(&labels).set(h * unit);
                }
            }
        }
    }

    fn fill_totals(&self, t: &Totals) {
        self.deployments.clear();
        let all: i64 = t.deployments.iter().map(|(_, n)| n).sum();
        self.deployments
            .get_or_create(&team(ORG))
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
        for (name, finished, succeeded) in per_team.chain([(ORG, finished, succeeded)]) {
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
            counts.entry(ORG).or_default()[slot] += n.count;
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

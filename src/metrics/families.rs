//! The metric families of DESIGN §8, exactly as named there, and how each one is filled.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::score::{parse_body, TeamScore, ORG_TEAM};
use crate::store::{Store, StoreError, Totals};

type F64Gauge = Gauge<f64, AtomicU64>;

/// Upper bounds of the HTTP duration histogram, seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TeamLabels {
    team: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ComponentLabels {
    team: String,
    component: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatLabels {
    team: String,
    stat: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuarterLabels {
    quarter: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    source: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// A family without labels that is absent until first set (an unknown rate limit is not 0).
type Unlabelled = Vec<(String, String)>;

type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

fn team(name: &str) -> TeamLabels {
    TeamLabels {
        team: name.to_string(),
    }
}

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

/// Every family, as registered in the registry (clones share their values).
pub(super) struct Families {
    score: Family<TeamLabels, F64Gauge>,
    score_component: Family<ComponentLabels, F64Gauge>,
    lead_time: Family<StatLabels, F64Gauge>,
    first_commit: Family<TeamLabels, F64Gauge>,
    requests: Family<TeamLabels, Counter>,
    requests_success: Family<TeamLabels, Counter>,
    self_service: Family<TeamLabels, F64Gauge>,
    adoption: Family<TeamLabels, F64Gauge>,
    survey_responses: Family<QuarterLabels, Counter>,
    survey_nps: Family<TeamLabels, F64Gauge>,
    deployments: Family<TeamLabels, Counter>,
    collector_runs: Family<RunLabels, Counter>,
    collector_last_success: Family<SourceLabels, Gauge>,
    github_rate_limit: Family<Unlabelled, Gauge>,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: DurationFamily,
}

impl Families {
    /// Creates every family and registers it in `r` (counters without `_total`: the encoder
    /// adds it).
    pub(super) fn register(r: &mut Registry) -> Families {
        let f = Families {
            score: Family::default(),
            score_component: Family::default(),
            lead_time: Family::default(),
            first_commit: Family::default(),
            requests: Family::default(),
            requests_success: Family::default(),
            self_service: Family::default(),
            adoption: Family::default(),
            survey_responses: Family::default(),
            survey_nps: Family::default(),
            deployments: Family::default(),
            collector_runs: Family::default(),
            collector_last_success: Family::default(),
            github_rate_limit: Family::default(),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(duration_histogram),
        };
        r.register(
            "dxs_score",
            "Developer Experience Score 0-100 of the latest scored quarter (team=all: the organisation)",
            f.score.clone(),
        );
        r.register(
            "dxs_score_component",
            "DXS component score 0-100 of the latest scored quarter",
            f.score_component.clone(),
        );
        r.register(
            "deployment_lead_time_minutes",
            "Lead time for changes, commit to production, in minutes (stat=median or p90)",
            f.lead_time.clone(),
        );
        r.register(
            "developer_first_commit_time_hours",
            "Median hours from a developer's start date to their first commit",
            f.first_commit.clone(),
        );
        r.register(
            "platform_requests",
            "Finished self-service requests to the platform",
            f.requests.clone(),
        );
        r.register(
            "platform_requests_success",
            "Finished self-service requests that succeeded with no human intervention",
            f.requests_success.clone(),
        );
        r.register(
            "dxs_self_service_success_ratio",
            "Share of finished self-service requests that succeeded with no help, 0-1",
            f.self_service.clone(),
        );
        r.register(
            "dxs_platform_adoption_ratio",
            "Active repositories deployed through the platform / all active repositories, 0-1",
            f.adoption.clone(),
        );
        r.register(
            "dxs_survey_responses",
            "Developer survey responses of the organisation per quarter",
            f.survey_responses.clone(),
        );
        r.register(
            "dxs_survey_nps",
            "Net Promoter Score of the platform, -100 to 100 (absent for a team below the group size)",
            f.survey_nps.clone(),
        );
        r.register(
            "dxs_deployments",
            "Successful production deployments",
            f.deployments.clone(),
        );
        r.register(
            "dxs_collector_runs",
            "Finished collector runs by source and outcome",
            f.collector_runs.clone(),
        );
        r.register(
            "dxs_collector_last_success_timestamp_seconds",
            "End of the latest successful collector run, UNIX seconds",
            f.collector_last_success.clone(),
        );
        r.register(
            "dxs_github_rate_limit_remaining",
            "GitHub API requests left in the current rate-limit window",
            f.github_rate_limit.clone(),
        );
        r.register(
            "dxs_http_requests",
            "HTTP requests answered, by route template and status",
            f.http_requests.clone(),
        );
        r.register(
            "dxs_http_request_duration_seconds",
            "HTTP request duration by route template, seconds",
            f.http_duration.clone(),
        );
        f
    }

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
        ];
        for gauge in gauges {
            gauge.clear();
        }
        self.score_component.clear();
        self.lead_time.clear();
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
        for run in &t.collector_runs {
            let labels = RunLabels {
                source: run.source.clone(),
                outcome: run.outcome.clone(),
            };
            self.collector_runs
                .get_or_create(&labels)
                .inc_by(run.runs as u64);
        }
        self.collector_last_success.clear();
        for (source, at) in &t.last_successes {
            let labels = SourceLabels {
                source: source.clone(),
            };
            self.collector_last_success.get_or_create(&labels).set(*at);
        }
    }

    pub(super) fn record_collector_run(&self, source: &str, outcome: &str, finished_at: i64) {
        let labels = RunLabels {
            source: source.to_string(),
            outcome: outcome.to_string(),
        };
        self.collector_runs.get_or_create(&labels).inc();
        if outcome == "success" {
            let labels = SourceLabels {
                source: source.to_string(),
            };
            let last = self.collector_last_success.get_or_create(&labels);
            if finished_at > last.get() {
                last.set(finished_at);
            }
        }
    }

    pub(super) fn set_github_rate_limit(&self, remaining: i64) {
        self.github_rate_limit
            .get_or_create(&Vec::new())
            .set(remaining);
    }

    pub(super) fn observe_http(&self, route: &str, status: u16, elapsed: Duration) {
        let labels = HttpLabels {
            route: route.to_string(),
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
        let labels = RouteLabels {
            route: labels.route,
        };
        self.http_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }
}

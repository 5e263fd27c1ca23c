//! The metric families of DESIGN §8, exactly as named there, and the live updates.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type F64Gauge = Gauge<f64, AtomicU64>;

/// Upper bounds of the HTTP duration histogram, seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct TeamLabels {
    pub(super) team: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ComponentLabels {
    pub(super) team: String,
    pub(super) component: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct StatLabels {
    pub(super) team: String,
    pub(super) stat: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct QuarterLabels {
    pub(super) quarter: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RunLabels {
    pub(super) source: String,
    pub(super) outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct SourceLabels {
    pub(super) source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct IgnoredLabels {
    pub(super) source: String,
    pub(super) reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct NamespaceLabels {
    pub(super) team: String,
    pub(super) managed: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct HttpLabels {
    pub(super) route: String,
    pub(super) status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RouteLabels {
    pub(super) route: String,
}

/// A family without labels that is absent until first set (an unknown rate limit is not 0).
type Unlabelled = Vec<(String, String)>;

type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

pub(super) fn team(name: &str) -> TeamLabels {
    TeamLabels {
        team: name.to_string(),
    }
}

/// Every family, as registered in the registry (clones share their values).
pub(super) struct Families {
    pub(super) score: Family<TeamLabels, F64Gauge>,
    pub(super) score_component: Family<ComponentLabels, F64Gauge>,
    pub(super) score_driver: Family<ComponentLabels, F64Gauge>,
    pub(super) score_coverage: Family<TeamLabels, F64Gauge>,
    pub(super) lead_time: Family<StatLabels, F64Gauge>,
    pub(super) first_commit: Family<TeamLabels, F64Gauge>,
    pub(super) requests: Family<TeamLabels, Counter>,
    pub(super) requests_success: Family<TeamLabels, Counter>,
    pub(super) self_service: Family<TeamLabels, F64Gauge>,
    pub(super) adoption: Family<TeamLabels, F64Gauge>,
    pub(super) survey_responses: Family<QuarterLabels, Counter>,
    pub(super) survey_open: Family<QuarterLabels, Gauge>,
    pub(super) survey_nps: Family<TeamLabels, F64Gauge>,
    pub(super) deployments: Family<TeamLabels, Counter>,
    pub(super) change_failure: Family<TeamLabels, F64Gauge>,
    pub(super) recovery: Family<StatLabels, F64Gauge>,
    pub(super) incidents: Family<TeamLabels, Counter>,
    pub(super) namespaces: Family<NamespaceLabels, Gauge>,
    pub(super) collector_runs: Family<RunLabels, Counter>,
    pub(super) collector_last_success: Family<SourceLabels, Gauge>,
    pub(super) collector_warnings: Family<SourceLabels, Counter>,
    pub(super) github_rate_limit: Family<Unlabelled, Gauge>,
    pub(super) http_requests: Family<HttpLabels, Counter>,
    pub(super) http_duration: DurationFamily,
    pub(super) webhook_ignored: Family<IgnoredLabels, Counter>,
    /// The configured collector sources: their run counters exist from the start, at 0.
    sources: Vec<String>,
}

impl Families {
    /// Creates every family and registers it: those filled only by a publish in `published`,
    /// those also updated live in `live` (counters without `_total`: the encoder adds it).
    pub(super) fn register(
        published: &mut Registry,
        live: &mut Registry,
        sources: &[&str],
    ) -> Families {
        let f = Families {
            score: Family::default(),
            score_component: Family::default(),
            score_driver: Family::default(),
            score_coverage: Family::default(),
            lead_time: Family::default(),
            first_commit: Family::default(),
            requests: Family::default(),
            requests_success: Family::default(),
            self_service: Family::default(),
            adoption: Family::default(),
            survey_responses: Family::default(),
            survey_open: Family::default(),
            survey_nps: Family::default(),
            deployments: Family::default(),
            change_failure: Family::default(),
            recovery: Family::default(),
            incidents: Family::default(),
            namespaces: Family::default(),
            collector_runs: Family::default(),
            collector_last_success: Family::default(),
            collector_warnings: Family::default(),
            github_rate_limit: Family::default(),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(duration_histogram),
            webhook_ignored: Family::default(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
        };
        f.zero_collector_runs();
        for reason in super::WEBHOOK_IGNORED_REASONS {
            f.webhook_event_ignored("github", reason, 0);
        }
        published.register(
            "dxs_score",
            "Developer Experience Score 0-100 of the latest scored quarter (team=all: the organisation)",
            f.score.clone(),
        );
        published.register(
            "dxs_score_component",
            "DXS component score 0-100 of the latest scored quarter",
            f.score_component.clone(),
        );
        published.register(
            "dxs_score_driver",
            "Contribution of a component to the DXS change since the previous quarter, in points (absent without a DXS in both quarters)",
            f.score_driver.clone(),
        );
        published.register(
            "dxs_score_coverage_ratio",
            "Share of the DXS weight whose components had data, 0-1 (below score.min_coverage the team has no dxs_score sample)",
            f.score_coverage.clone(),
        );
        published.register(
            "deployment_lead_time_minutes",
            "Lead time for changes, commit to production, in minutes (stat=median or p90)",
            f.lead_time.clone(),
        );
        published.register(
            "developer_first_commit_time_hours",
            "Median hours from a developer's start date to their first commit",
            f.first_commit.clone(),
        );
        published.register(
            "platform_requests",
            "Finished self-service requests to the platform",
            f.requests.clone(),
        );
        published.register(
            "platform_requests_success",
            "Finished self-service requests that succeeded with no human intervention",
            f.requests_success.clone(),
        );
        published.register(
            "dxs_self_service_success_ratio",
            "Share of finished self-service requests that succeeded with no help, 0-1",
            f.self_service.clone(),
        );
        published.register(
            "dxs_platform_adoption_ratio",
            "Active repositories deployed through the platform / all active repositories, 0-1",
            f.adoption.clone(),
        );
        published.register(
            "dxs_survey_responses",
            "Developer survey responses of the organisation per survey quarter (absent while an open survey has fewer than the group size)",
            f.survey_responses.clone(),
        );
        published.register(
            "dxs_survey_open",
            "1 while the quarter's survey takes answers (only participation is published), 0 once closed and its figures published",
            f.survey_open.clone(),
        );
        published.register(
            "dxs_survey_nps",
            "Net Promoter Score of the platform, -100 to 100 (absent for a team below the group size)",
            f.survey_nps.clone(),
        );
        published.register(
            "dxs_deployments",
            "Production rollouts: one per service and commit, whichever sources saw it (re-syncs, redeploys and rollbacks not counted)",
            f.deployments.clone(),
        );
        published.register(
            "dxs_change_failure_ratio",
            "Change failure rate of the latest scored quarter: failed rollouts / rollouts, 0-1",
            f.change_failure.clone(),
        );
        published.register(
            "dxs_failed_deployment_recovery_seconds",
            "Failed deployment recovery time of the latest scored quarter, seconds (stat=median, p90, or open_max: age of the oldest failure still open)",
            f.recovery.clone(),
        );
        published.register(
            "dxs_incidents",
            "Incidents opened in the latest scored quarter (team=all also counts incidents of services dxs does not know)",
            f.incidents.clone(),
        );
        published.register(
            "dxs_platform_namespaces",
            "Kubernetes namespaces in the cluster, by team label and managed by the platform (true|false)",
            f.namespaces.clone(),
        );
        live.register(
            "dxs_collector_runs",
            "Finished collector runs by source and outcome",
            f.collector_runs.clone(),
        );
        live.register(
            "dxs_collector_last_success_timestamp_seconds",
            "End of the latest successful collector run, UNIX seconds",
            f.collector_last_success.clone(),
        );
        live.register(
            "dxs_collector_warnings",
            "Problems collector runs noted without failing (an unlinkable GitOps revision, an unmapped image, a bad roster line), by source",
            f.collector_warnings.clone(),
        );
        live.register(
            "dxs_github_rate_limit_remaining",
            "GitHub API requests left in the current rate-limit window",
            f.github_rate_limit.clone(),
        );
        live.register(
            "dxs_http_requests",
            "HTTP requests answered, by route template and status",
            f.http_requests.clone(),
        );
        live.register(
            "dxs_webhook_events_ignored",
            "Webhook events acknowledged without being stored, by source and reason (out_of_scope: a repository dxs does not measure; event, state, environment: not a successful production deployment status)",
            f.webhook_ignored.clone(),
        );
        live.register(
            "dxs_http_request_duration_seconds",
            "HTTP request duration by route template, seconds",
            f.http_duration.clone(),
        );
        f
    }

    /// Creates the run counter of every configured source and outcome, and its warning counter,
    /// at 0 where it is new, so `rate()` and the collector dashboard work before the first run.
    pub(super) fn zero_collector_runs(&self) {
        for source in &self.sources {
            let labels = SourceLabels {
                source: source.clone(),
            };
            self.collector_warnings.get_or_create(&labels).inc_by(0);
            for outcome in ["success", "error"] {
                let labels = RunLabels {
                    source: source.clone(),
                    outcome: outcome.to_string(),
                };
                self.collector_runs.get_or_create(&labels).inc_by(0);
            }
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

    pub(super) fn webhook_event_ignored(&self, source: &str, reason: &str, by: u64) {
        let labels = IgnoredLabels {
            source: source.to_string(),
            reason: reason.to_string(),
        };
        self.webhook_ignored.get_or_create(&labels).inc_by(by);
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

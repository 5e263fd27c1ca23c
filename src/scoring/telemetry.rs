//! Telemetry figures per team and for the organisation: lead time, deployments, onboarding,
//! self-service and adoption, each one polars query over its frame.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::frames::Frames;
use super::group::by_team;
use super::score::{LeadTime, Onboarding, Requests};

const HOUR: f64 = 3600.0;

/// The scored period and the trailing window, UNIX seconds, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Start of the quarter.
    pub start: i64,
    /// End of the quarter, or now for the current quarter.
    pub end: i64,
    /// Start of the trailing window that ends at `end`.
    pub window_start: i64,
}

impl Period {
    /// Weeks in the period (at least one hour's worth, never zero).
    pub fn weeks(&self) -> f64 {
        ((self.end - self.start).max(3600)) as f64 / (7.0 * 86_400.0)
    }
}

/// Delivery figures of one service of a team (or of the organisation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceTelemetry {
    /// Lead time of the service's changes, hours.
    pub lead: LeadTime,
    /// Rollouts in the period.
    pub rollouts: i64,
    /// Rollbacks in the period.
    pub rollbacks: i64,
}

/// Telemetry of one team or of the organisation (unrounded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Telemetry {
    /// Lead time, hours.
    pub lead: LeadTime,
    /// Rollouts in the period (one per service and commit; rollbacks apart).
    pub deployments: i64,
    /// Rollbacks in the period.
    pub rollbacks: i64,
    /// Repositories rolled out in the period.
    pub deployed_repositories: i64,
    /// Services rolled out in the period.
    pub deployed_services: i64,
    /// Per service code.
    pub services: BTreeMap<u32, ServiceTelemetry>,
    /// Onboarding of the cohort, hours.
    pub onboarding: Onboarding,
    /// Finished requests.
    pub requests: Requests,
    /// Deployable services (repositories not archived, forks, templates, config repositories,
    /// excluded, nor of a catalog type that is not a service) active in the window.
    pub active_repositories: i64,
    /// Of which deployed through the platform in the window.
    pub platform_repositories: i64,
    /// Namespaces with a team label at the period's end.
    pub namespaces: i64,
    /// Of which managed by the platform.
    pub managed_namespaces: i64,
}

/// Computes the telemetry of every team (by code) and of the organisation (`ORG_CODE`).
pub fn telemetry(frames: &Frames, period: &Period) -> PolarsResult<BTreeMap<u32, Telemetry>> {
    let mut out: BTreeMap<u32, Telemetry> = BTreeMap::new();
    for row in by_team(
        &frames.changes,
        &[],
        // On the integer seconds, converted to hours after: casting a million rows first would
        // cost more than the two aggregations.
        &[
            col("lead").median().alias("median"),
            col("lead")
                .quantile(lit(0.9), QuantileMethod::Linear)
                .alias("p90"),
            col("lead").count().alias("changes"),
        ],
    )? {
        out.entry(row.team).or_default().lead = LeadTime {
            median: row.get("median").map(|s| s / HOUR),
            p90: row.get("p90").map(|s| s / HOUR),
            changes: row.count("changes"),
        };
    }

    let forward = col("back").not();
    for row in by_team(
        &frames.rollouts,
        &[],
        &[
            col("back").not().sum().alias("count"),
            col("back").sum().alias("rollbacks"),
            col("repo")
                .filter(forward.clone())
                .n_unique()
                .alias("repos"),
            col("service")
                .filter(forward.clone())
                .n_unique()
                .alias("services"),
        ],
    )? {
        let t = out.entry(row.team).or_default();
        t.deployments = row.count("count");
        t.rollbacks = row.count("rollbacks");
        t.deployed_repositories = row.count("repos");
        t.deployed_services = row.count("services");
    }
    for row in by_team(
        &frames.changes,
        &["service"],
        &[
            col("lead").median().alias("median"),
            col("lead")
                .quantile(lit(0.9), QuantileMethod::Linear)
                .alias("p90"),
            col("lead").count().alias("changes"),
        ],
    )? {
        let Some(service) = row.keys[0] else { continue };
        out.entry(row.team)
            .or_default()
            .services
            .entry(service)
            .or_default()
            .lead = LeadTime {
            median: row.get("median").map(|s| s / HOUR),
            p90: row.get("p90").map(|s| s / HOUR),
            changes: row.count("changes"),
        };
    }
    for row in by_team(
        &frames.rollouts,
        &["service"],
        &[
            col("back").not().sum().alias("count"),
            col("back").sum().alias("rollbacks"),
        ],
    )? {
        let Some(service) = row.keys[0] else { continue };
        let s = out
            .entry(row.team)
            .or_default()
            .services
            .entry(service)
            .or_default();
        s.rollouts = row.count("count");
        s.rollbacks = row.count("rollbacks");
    }

    let done = col("first")
        .is_not_null()
        .and(col("first").lt(lit(period.end)));
    let cohort = frames
        .cohort
        .clone()
        .lazy()
        .with_columns([
            done.alias("done"),
            ((col("first") - col("start")).cast(DataType::Float64) / lit(HOUR)).alias("hours"),
            ((lit(period.end) - col("start")).cast(DataType::Float64) / lit(HOUR)).alias("age"),
        ])
        .collect()?;
    for row in by_team(
        &cohort,
        &[],
        &[
            col("hours").filter(col("done")).median().alias("median"),
            col("done").sum().alias("onboarded"),
            col("done").not().sum().alias("open"),
            col("age").filter(col("done").not()).max().alias("open_max"),
        ],
    )? {
        out.entry(row.team).or_default().onboarding = Onboarding {
            median: row.get("median"),
            open: row.count("open"),
            onboarded: row.count("onboarded"),
            open_max_hours: row.get("open_max"),
        };
    }

    for row in by_team(
        &frames.requests,
        &[],
        &[
            col("ok").count().alias("finished"),
            col("ok").sum().alias("succeeded"),
        ],
    )? {
        out.entry(row.team).or_default().requests = Requests {
            finished: row.count("finished"),
            succeeded: row.count("succeeded"),
        };
    }

    for row in by_team(
        &adoption_frame(frames, period)?,
        &[],
        &[
            col("active").sum().alias("active"),
            col("platform").sum().alias("platform"),
        ],
    )? {
        let t = out.entry(row.team).or_default();
        t.active_repositories = row.count("active");
        t.platform_repositories = row.count("platform");
    }

    for row in by_team(
        &frames.namespaces,
        &[],
        &[
            col("managed").count().alias("namespaces"),
            col("managed").sum().alias("managed"),
        ],
    )? {
        let t = out.entry(row.team).or_default();
        t.namespaces = row.count("namespaces");
        t.managed_namespaces = row.count("managed");
    }
    Ok(out)
}

/// One row per repository that is a deployable service: `team, active, platform`, where a repository
/// deployed in the window counts as active, and `platform` means deployed through the platform
/// in the window.
fn adoption_frame(frames: &Frames, period: &Period) -> PolarsResult<DataFrame> {
    let deployed = frames
        .deployments
        .clone()
        .lazy()
        .filter(col("at").gt_eq(lit(period.window_start)))
        .group_by([col("repo")])
        .agg([
            col("at").count().alias("deploys"),
            col("platform").sum().alias("platform_deploys"),
        ]);
    frames
        .repos
        .clone()
        .lazy()
        .filter(col("service"))
        .left_join(deployed, col("repo"), col("repo"))
        .select([
            col("team"),
            col("active")
                .or(col("deploys").fill_null(lit(0)).gt(lit(0)))
                .alias("active"),
            col("platform_deploys")
                .fill_null(lit(0))
                .gt(lit(0))
                .alias("platform"),
        ])
        .collect()
}

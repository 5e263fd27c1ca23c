//! The quarterly DXS report for platform leads: how are we doing, where does it hurt, is it
//! getting better. Built from the score snapshots and the evidence scoring wrote beside them
//! (pain-point themes, the onboarding cohort, collector freshness): never recomputed here, and
//! never a fact read. Rendered by one askama template, served at `/report` and written by
//! `dxs report`.

pub mod charts;
mod failures;
mod quality;
mod summary;
mod table;

use askama::Template;

use crate::config::{AdoptionBasis, Config};
use crate::quarter::Quarter;
use crate::scoring::{self, Rules, TeamScore, TeamThemes, Theme, TELEMETRY_COMPONENTS};
use crate::store::Store;
use crate::survey::definition::QuestionKind;

pub use failures::FailureSummary;
pub use quality::ExclusionCount;
pub use summary::{DriverRow, KeyRow};
pub use table::{ServiceRow, SortKey, TeamRow};

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the snapshot or its evidence failed.
    #[error(transparent)]
    Scoring(#[from] scoring::ScoringError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The configuration is wrong (weights, survey).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The template failed.
    #[error("report template: {0}")]
    Render(#[from] askama::Error),
}

/// How the report is asked for.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The quarter.
    pub quarter: Quarter,
    /// Team table order.
    pub sort: SortKey,
    /// Show the names of open onboarding developers.
    pub detail: bool,
    /// A file for sharing (no links back to a server) rather than a served page.
    pub standalone: bool,
}

/// One score component of the organisation.
pub struct ComponentRow {
    /// Component id.
    pub name: String,
    /// What it measures.
    pub label: String,
    /// Value 0–100, formatted, or "no data".
    pub value: String,
    /// Share of the weight, in percent.
    pub weight: String,
    /// What the value rests on.
    pub basis: String,
    /// Change since the previous quarter.
    pub delta: String,
}

/// A developer of the onboarding cohort still without a first commit.
pub struct OpenOnboarding {
    /// Login (detailed view) or their team only.
    pub who: String,
    /// Days since their start.
    pub age_days: i64,
}

/// One collector's freshness.
pub struct Freshness {
    /// Source name.
    pub source: String,
    /// Last success, UTC, or "never".
    pub last_success: String,
    /// Outcome of the latest run.
    pub latest: String,
}

/// A choice question's answer distribution.
pub struct ChoiceChart {
    /// The question.
    pub question: String,
    /// Stacked bar.
    pub svg: String,
}

/// The whole report page.
#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    /// Quarter shown.
    pub quarter: String,
    /// When the snapshot was computed.
    pub computed_at: String,
    /// Quarters with a snapshot, newest first.
    pub quarters: Vec<String>,
    /// File mode: no server links.
    pub standalone: bool,
    /// Organisation DXS, "partial" or "no data".
    pub org_dxs: String,
    /// Share of the weight with data, percent.
    pub org_coverage: String,
    /// Change since the previous quarter, signed.
    pub org_delta: String,
    /// The previous quarter's name.
    pub previous_quarter: String,
    /// DXS over the last four quarters.
    pub trend_svg: String,
    /// What moved the organisation's DXS.
    pub drivers: Vec<DriverRow>,
    /// Why there are no drivers, when there are none.
    pub no_drivers: String,
    /// The four DORA keys of the organisation.
    pub keys: Vec<KeyRow>,
    /// Participation and status of the survey the organisation's score shows.
    pub participation: String,
    /// Which closed survey the survey figures are from.
    pub figures_note: String,
    /// Components of the organisation.
    pub components: Vec<ComponentRow>,
    /// Weighted components without data.
    pub missing: Vec<String>,
    /// Team list, sorted.
    pub teams: Vec<TeamRow>,
    /// Current sort (for the header links).
    pub sort: SortKey,
    /// The hiding threshold.
    pub min_group_size: i64,
    /// NPS of the organisation, formatted.
    pub nps: String,
    /// NPS groups chart.
    pub nps_svg: String,
    /// Choice distributions (the wait for infrastructure).
    pub choices: Vec<ChoiceChart>,
    /// Organisation pain-point themes.
    pub themes: Vec<Theme>,
    /// Themes of the teams large enough.
    pub team_themes: Vec<TeamThemes>,
    /// Responses and response rate of the organisation.
    pub responses: String,
    /// Onboarding cohort size.
    pub cohort: i64,
    /// Median onboarding hours.
    pub onboarding_median: String,
    /// Open onboardings.
    pub open: Vec<OpenOnboarding>,
    /// Names shown.
    pub detail: bool,
    /// Collector freshness.
    pub freshness: Vec<Freshness>,
    /// Which rollouts failed and why, in full (folded).
    pub failed: Vec<failures::FailedRow>,
    /// Failed rollouts by team and cause.
    pub failure_summary: Vec<FailureSummary>,
    /// Incidents naming a service dxs does not know (data quality).
    pub unknown_services: Vec<String>,
    /// Active repositories adoption does not count as services, by reason.
    pub exclusion_counts: Vec<ExclusionCount>,
    /// Each of them with its reason (folded).
    pub exclusions: Vec<String>,
}

impl ReportPage {
    /// The page as one self-contained HTML document.
    pub fn to_html(&self) -> Result<String, ReportError> {
        Ok(self.render()?)
    }
}

/// Builds the report of `options.quarter` from its snapshot; `None` when it has none.
pub async fn build(
    store: &Store,
    config: &Config,
    options: &ReportOptions,
) -> Result<Option<ReportPage>, ReportError> {
    let Some(score) = scoring::read_snapshot(store, options.quarter).await? else {
        return Ok(None);
    };
    let rules = Rules::load(config)?;
    let previous = scoring::read_snapshot(store, options.quarter.prev()).await?;
    let mut trend = Vec::new();
    for quarter in options.quarter.last_four() {
        let dxs = if quarter == options.quarter {
            score.org.dxs
        } else if quarter == options.quarter.prev() {
            previous.as_ref().and_then(|s| s.org.dxs)
        } else {
            scoring::read_snapshot(store, quarter)
                .await?
                .and_then(|s| s.org.dxs)
        };
        trend.push((quarter.to_string(), dxs));
    }
    let org = &score.org;
    let then = previous.as_ref().map(|p| &p.org);
    let previous_quarter = options.quarter.prev().to_string();
    let components = rules_components(&rules);
    let evidence = scoring::read_evidence(store, options.quarter)
        .await?
        .unwrap_or_default();
    let summary = scoring::read_summary(store).await?.unwrap_or_default();
    let open = evidence
        .open
        .into_iter()
        .map(|d| OpenOnboarding {
            who: if options.detail { d.login } else { d.team },
            age_days: d.age_days,
        })
        .collect();
    Ok(Some(ReportPage {
        quarter: score.quarter.clone(),
        computed_at: score.computed_at.clone(),
        quarters: store.snapshot_quarters().await?,
        standalone: options.standalone,
        org_dxs: match org.dxs {
            Some(v) => format!("{v:.1}"),
            None if org.partial && !org.components.is_empty() => "partial".into(),
            None => "no data".into(),
        },
        org_coverage: format!("{:.0}%", org.coverage * 100.0),
        org_delta: org
            .delta
            .as_ref()
            .and_then(|d| d.dxs)
            .map_or(String::new(), signed),
        no_drivers: summary::why_no_drivers(org, then, &previous_quarter),
        drivers: summary::driver_rows(&org.drivers, &rules),
        keys: summary::keys(org, then),
        participation: summary::participation(org),
        figures_note: summary::figures_note(org, rules.min_group_size),
        previous_quarter,
        trend_svg: charts::trend(&trend),
        components: component_rows(org, &rules, &components),
        missing: org.missing.clone(),
        teams: table::rows(
            &score,
            previous.as_ref(),
            &options.sort,
            &components,
            &rules,
        ),
        sort: options.sort.clone(),
        min_group_size: rules.min_group_size,
        nps: fmt1(org.nps),
        nps_svg: nps_chart(org),
        choices: choice_charts(org, &rules),
        themes: evidence.themes,
        team_themes: evidence.team_themes,
        responses: match &org.survey.figures_quarter {
            Some(quarter) => format!("Survey {quarter} (closed): {} responses", org.responses),
            None => "No survey has closed yet: its figures publish at its close".into(),
        },
        cohort: evidence.cohort,
        onboarding_median: org
            .onboarding_hours
            .median
            .map_or("no data".into(), |h| format!("{h:.1} h")),
        open,
        detail: options.detail,
        freshness: summary.freshness.into_iter().map(freshness).collect(),
        failed: failures::failed_rows(org),
        failure_summary: failures::summary(&score),
        unknown_services: failures::unknown_services(org),
        exclusion_counts: quality::exclusion_counts(org),
        exclusions: quality::exclusions(org),
    }))
}

fn fmt1(value: Option<f64>) -> String {
    value.map_or("no data".into(), |v| format!("{v:.1}"))
}

/// Components shown whatever their weight.
const STABILITY_COMPONENTS: [&str; 2] = ["change_failure", "recovery"];

fn signed(value: f64) -> String {
    format!("{value:+.1}")
}

/// Weighted components in table order: the survey's, then telemetry. The stability components
/// are shown even at weight 0 (their default).
fn rules_components(rules: &Rules) -> Vec<String> {
    let mut names: Vec<String> = rules
        .survey
        .questions
        .iter()
        .filter_map(|q| q.component.clone())
        .collect();
    names.extend(TELEMETRY_COMPONENTS.iter().map(|c| c.to_string()));
    names.retain(|c| rules.weights.of(c) > 0.0 || STABILITY_COMPONENTS.contains(&c.as_str()));
    names.dedup();
    names
}

fn component_rows(org: &TeamScore, rules: &Rules, names: &[String]) -> Vec<ComponentRow> {
    let total: f64 = names.iter().map(|c| rules.weights.of(c)).sum();
    names
        .iter()
        .cloned()
        .map(|name| {
            let value = org.components.get(&name).copied();
            let n = org.basis.get(&name).copied().unwrap_or(0);
            let (label, basis) = match name.as_str() {
                "lead_time" => ("Lead time for changes".to_string(), format!("{n} changes")),
                "onboarding" => (
                    "Onboarding time".to_string(),
                    format!("{n} developers onboarded"),
                ),
                "self_service" => (
                    "Self-service success".to_string(),
                    format!("{n} finished requests"),
                ),
                "change_failure" => (
                    "Change failure rate (100 = none failed)".to_string(),
                    format!("{} rollouts", org.change_failure.rollouts),
                ),
                "recovery" => (
                    "Failed deployment recovery time".to_string(),
                    format!("{} failed rollouts", org.change_failure.failed),
                ),
                "adoption" => (
                    "Platform adoption".to_string(),
                    match rules.adoption_basis {
                        AdoptionBasis::Repositories => format!("{n} active repositories"),
                        AdoptionBasis::Namespaces => format!("{n} namespaces"),
                    },
                ),
                other => {
                    let question = rules
                        .survey
                        .questions
                        .iter()
                        .find(|q| q.component.as_deref() == Some(other));
                    (
                        question.map_or(other.to_string(), |q| q.text.clone()),
                        format!("{n} answers"),
                    )
                }
            };
            ComponentRow {
                weight: format!("{:.0}%", rules.weights.of(&name) / total * 100.0),
                delta: org
                    .delta
                    .as_ref()
                    .and_then(|d| d.components.get(&name))
                    .map_or(String::new(), |d| signed(*d)),
                value: fmt1(value),
                label,
                basis,
                name,
            }
        })
        .collect()
}

fn nps_chart(org: &TeamScore) -> String {
    let counts = org.survey.nps_counts.clone().unwrap_or_default();
    charts::stacked(
        "Net Promoter Score groups",
        &[
            charts::Segment {
                label: "Promoters",
                count: counts.promoters,
                class: "good",
            },
            charts::Segment {
                label: "Passives",
                count: counts.passives,
                class: "neutral",
            },
            charts::Segment {
                label: "Detractors",
                count: counts.detractors,
                class: "bad",
            },
        ],
    )
}

fn choice_charts(org: &TeamScore, rules: &Rules) -> Vec<ChoiceChart> {
    let classes = ["good", "neutral", "bad", "other"];
    rules
        .survey
        .questions
        .iter()
        .filter(|q| q.kind == QuestionKind::Choice)
        .map(|q| {
            let counts = org.survey.choices.get(&q.id);
            let segments: Vec<charts::Segment<'_>> = q
                .choices
                .iter()
                .enumerate()
                .map(|(i, c)| charts::Segment {
                    label: &c.label,
                    count: counts.and_then(|m| m.get(&c.value)).copied().unwrap_or(0),
                    class: classes[i.min(classes.len() - 1)],
                })
                .collect();
            ChoiceChart {
                question: q.text.clone(),
                svg: charts::stacked(&q.text, &segments),
            }
        })
        .collect()
}

/// A source's freshness as the report shows it.
fn freshness(f: scoring::Freshness) -> Freshness {
    let last_success = f
        .last_success
        .and_then(|at| chrono::DateTime::from_timestamp(at, 0))
        .map_or("never".into(), |at| {
            at.format("%Y-%m-%d %H:%M UTC").to_string()
        });
    Freshness {
        source: f.source,
        last_success,
        latest: f.latest,
    }
}

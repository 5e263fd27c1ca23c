//! The participation half of DESIGN §7 `survey`: which survey a quarter shows, its status, and
//! its responses and invites per team and for the organisation. While a survey is open this is
//! all that is published of it, and a group with 1 to k − 1 responses shows "fewer than k"
//! (`responses` none, `fewer_than` k), never its count. Never an answer figure.

use std::collections::BTreeMap;

use super::normalise::round;
use super::score::{SurveyFigures, SurveyStatus};
use super::suppression::too_small;
use crate::store::SurveyShown;

/// The participation of the survey a quarter shows, ready to be put on each group.
pub struct Participations {
    /// What every group shares: quarter, status, close, figures' quarter.
    common: SurveyFigures,
    /// `(responses, invites)` by team.
    teams: BTreeMap<String, (i64, i64)>,
    /// `score.min_group_size` now (an open survey's groups are judged with it).
    k: i64,
}

impl Participations {
    /// The participation of `shown.latest`, its close `window_days` after its first invite
    /// unless closed sooner, with the current `k`.
    pub fn new(shown: &SurveyShown, k: i64, window_days: i64) -> Participations {
        let latest = shown.latest.as_ref();
        let common = SurveyFigures {
            quarter: latest.map(|w| w.quarter.clone()),
            status: latest.map(|w| match w.is_closed() {
                true => SurveyStatus::Closed,
                false => SurveyStatus::Open,
            }),
            closes_at: latest.map(|w| super::rfc3339(w.closes_at(window_days))),
            figures_quarter: shown.closed.as_ref().map(|w| w.quarter.clone()),
            ..SurveyFigures::default()
        };
        let teams = shown
            .participation
            .iter()
            .map(|p| (p.team.clone(), (p.responses, p.invites)))
            .collect();
        Participations { common, teams, k }
    }

    /// The participation of `team`, or of the organisation for `None`.
    pub fn of(&self, team: Option<&str>) -> SurveyFigures {
        let (responses, invites) = match team {
            Some(team) => self.teams.get(team).copied().unwrap_or((0, 0)),
            None => self
                .teams
                .values()
                .fold((0, 0), |(r, i), (a, b)| (r + a, i + b)),
        };
        let mut figures = SurveyFigures {
            invites,
            ..self.common.clone()
        };
        if self.common.status.is_none() {
            return figures;
        }
        if self.common.status == Some(SurveyStatus::Open) && too_small(responses, self.k) {
            figures.fewer_than = Some(self.k);
        } else {
            figures.responses = Some(responses);
            figures.response_rate =
                (invites > 0).then(|| round(responses as f64 / invites as f64, 4));
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Participation, SurveyWindow};

    fn shown(closed: bool) -> SurveyShown {
        let window = |quarter: &str, closed: bool| SurveyWindow {
            quarter: quarter.into(),
            opened_at: 1_790_000_000,
            closed_at: closed.then_some(1_791_000_000),
            frozen_k: closed.then_some(5),
        };
        let p = |team: &str, responses, invites| Participation {
            team: team.into(),
            responses,
            invites,
        };
        SurveyShown {
            latest: Some(window("2026-Q4", closed)),
            participation: vec![p("api", 3, 4), p("web", 6, 10)],
            closed: Some(window("2026-Q3", true)),
        }
    }

    #[test]
    fn an_open_survey_shows_fewer_than_k_for_a_small_group_and_counts_for_the_others() {
        let p = Participations::new(&shown(false), 5, 21);
        let api = p.of(Some("api"));
        assert_eq!(api.quarter.as_deref(), Some("2026-Q4"));
        assert_eq!(api.status, Some(SurveyStatus::Open));
        assert_eq!(
            (api.responses, api.fewer_than, api.invites),
            (None, Some(5), 4)
        );
        assert_eq!(api.response_rate, None);
        assert_eq!(api.figures_quarter.as_deref(), Some("2026-Q3"));
        assert_eq!(api.closes_at.as_deref(), Some("2026-10-12T14:13:20Z"));
        let web = p.of(Some("web"));
        assert_eq!(
            (web.responses, web.fewer_than, web.response_rate),
            (Some(6), None, Some(0.6))
        );
        let org = p.of(None);
        assert_eq!((org.responses, org.invites), (Some(9), 14));
        assert!(org.means.is_empty() && org.nps_counts.is_none() && org.choices.is_empty());
    }

    #[test]
    fn a_closed_survey_shows_every_count() {
        let p = Participations::new(&shown(true), 5, 21);
        let api = p.of(Some("api"));
        assert_eq!(api.status, Some(SurveyStatus::Closed));
        assert_eq!((api.responses, api.fewer_than), (Some(3), None));
        assert_eq!(api.closes_at.as_deref(), Some("2026-10-03T04:00:00Z"));
        let none = Participations::new(&SurveyShown::default(), 5, 21).of(None);
        assert_eq!(
            (none.quarter, none.status, none.responses),
            (None, None, None)
        );
    }
}

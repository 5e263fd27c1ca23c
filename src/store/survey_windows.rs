//! Survey windows (DESIGN §10 "Publish once, at close"): a quarter's survey opens at its first
//! invite and takes answers until it is closed (`dxs survey close`, or its window passing).
//! Closing marks the window closed (no post is taken from then on), releases every held
//! response of the quarter, forgets which invites answered, then freezes the survey with the
//! `min_group_size` of that moment.
//! Only a frozen survey's answers are ever read for figures, so they are read complete, once
//! decided, and never change again. Participation (responses and invites per team) is all that
//! is read of a survey before.

use super::{with_pool, Result, Store};
use crate::seal::SealKey;

/// One quarter's survey window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SurveyWindow {
    /// Quarter, e.g. `2026-Q4`.
    pub quarter: String,
    /// When its first invite was stored (UNIX seconds).
    pub opened_at: i64,
    /// When it was closed: no post is taken from then on.
    pub closed_at: Option<i64>,
    /// Set once every held response is released: the `min_group_size` its figures are
    /// suppressed with. A survey is closed (its figures publish) exactly when this is set.
    pub frozen_k: Option<i64>,
}

impl SurveyWindow {
    /// Its figures are frozen and published.
    pub fn is_closed(&self) -> bool {
        self.frozen_k.is_some()
    }

    /// When it closes (or closed): its close, else `window_days` after its first invite.
    pub fn closes_at(&self, window_days: i64) -> i64 {
        self.closed_at
            .unwrap_or(self.opened_at + window_days * 86_400)
    }

    /// It takes answers at `now`: not closed, and its window has not passed.
    pub fn takes_answers(&self, window_days: i64, now: i64) -> bool {
        self.closed_at.is_none() && now < self.closes_at(window_days)
    }

    /// It is due to close at `now`: its window has passed, or it was closed and is not frozen
    /// yet (a close that stopped half way is finished).
    pub fn due(&self, window_days: i64, now: i64) -> bool {
        !self.is_closed() && !self.takes_answers(window_days, now)
    }

    /// What a score of `quarter` shows of `windows` (sorted by quarter): the latest survey at
    /// or before it (its participation and status), and the latest closed one at or before it
    /// (its figures).
    pub fn shown_by<'a>(
        windows: &'a [SurveyWindow],
        quarter: &str,
    ) -> (Option<&'a SurveyWindow>, Option<&'a SurveyWindow>) {
        // "YYYY-Qn" sorts as the quarters do.
        let before = windows.iter().filter(|w| w.quarter.as_str() <= quarter);
        let latest = before.clone().max_by(|a, b| a.quarter.cmp(&b.quarter));
        let closed = before
            .filter(|w| w.is_closed())
            .max_by(|a, b| a.quarter.cmp(&b.quarter));
        (latest, closed)
    }
}

/// A survey's participation of one team: responses (held ones included) and invites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participation {
    /// Team.
    pub team: String,
    /// Responses, held or released.
    pub responses: i64,
    /// Invites.
    pub invites: i64,
}

/// The surveys a score of one quarter shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurveyShown {
    /// The latest survey at or before the quarter, open or closed: its participation and
    /// status are shown.
    pub latest: Option<SurveyWindow>,
    /// The participation of `latest`.
    pub participation: Vec<Participation>,
    /// The latest closed survey at or before the quarter: its figures are shown.
    pub closed: Option<SurveyWindow>,
}

impl Store {
    /// The surveys a score of `quarter` shows ([`SurveyWindow::shown_by`]).
    pub async fn survey_shown(&self, quarter: &str) -> Result<SurveyShown> {
        let windows = self.survey_windows().await?;
        let (latest, closed) = SurveyWindow::shown_by(&windows, quarter);
        let participation = match latest {
            Some(w) => self.participation(&w.quarter).await?,
            None => Vec::new(),
        };
        Ok(SurveyShown {
            latest: latest.cloned(),
            participation,
            closed: closed.cloned(),
        })
    }

    /// Every survey window, oldest quarter first.
    pub async fn survey_windows(&self) -> Result<Vec<SurveyWindow>> {
        let sql =
            "SELECT quarter, opened_at, closed_at, frozen_k FROM survey_windows ORDER BY quarter";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// The survey window of `quarter`, if it has had an invite.
    pub async fn survey_window(&self, quarter: &str) -> Result<Option<SurveyWindow>> {
        let sql =
            "SELECT quarter, opened_at, closed_at, frozen_k FROM survey_windows WHERE quarter = $1";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).bind(quarter).fetch_optional(pool).await?))
    }

    /// Opens the survey of `quarter` at `at` (UNIX seconds) unless it has opened already
    /// (storing an invite does it; the demo opens its quarters at the day it tells).
    pub async fn open_survey(&self, quarter: &str, at: i64) -> Result<()> {
        let sql = "INSERT INTO survey_windows (quarter, opened_at) VALUES ($1, $2) \
                   ON CONFLICT (quarter) DO NOTHING";
        with_pool!(self, pool => {
            sqlx::query(sql).bind(quarter).bind(at).execute(pool).await?;
        });
        Ok(())
    }

    /// Closes the survey of `quarter` at `now`: no post is taken from then on, every held
    /// response is released (opened with `key`), the record of who answered is deleted (each
    /// invite's use key becomes its own hash again), then the survey is frozen with `k`, and
    /// the database scrubbed of what it kept of the deleted rows. Returns true when this call
    /// froze it (false when it was frozen already, or has no window). Safe to run again and on
    /// several replicas at once: a close stopped half way (a held box that does not open with
    /// `key` stops it before anything is released) is finished by the next.
    pub async fn close_survey(
        &self,
        quarter: &str,
        now: i64,
        k: i64,
        key: &SealKey,
    ) -> Result<bool> {
        // A submission holds the window's row (see `submit_response`): this waits for it, and
        // any submission after this sees the survey closed.
        let close =
            "UPDATE survey_windows SET closed_at = $2 WHERE quarter = $1 AND closed_at IS NULL";
        with_pool!(self, pool => {
            sqlx::query(close).bind(quarter).bind(now).execute(pool).await?;
        });
        self.seal_clear_rows(key).await?;
        self.release_batch(quarter, 1, key).await?;
        // A closed survey takes no answer: who answered it is no longer needed, nor kept.
        let forget = "DELETE FROM survey_invite_uses WHERE use_key IN \
                      (SELECT use_key FROM survey_invites WHERE quarter = $1)";
        let unkey = "UPDATE survey_invites SET use_key = invite_hash WHERE quarter = $1";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(forget).bind(quarter).execute(&mut *tx).await?;
            sqlx::query(unkey).bind(quarter).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        let freeze = "UPDATE survey_windows SET frozen_k = $2 \
                      WHERE quarter = $1 AND closed_at IS NOT NULL AND frozen_k IS NULL";
        let frozen = with_pool!(self, pool => {
            sqlx::query(freeze).bind(quarter).bind(k).execute(pool).await?.rows_affected() > 0
        });
        if frozen {
            tracing::info!(%quarter, "survey closed: its figures are frozen");
        }
        self.scrub().await;
        Ok(frozen)
    }

    /// The participation of `quarter`'s survey per team: responses (held or released) and
    /// invites, sorted by team.
    pub async fn participation(&self, quarter: &str) -> Result<Vec<Participation>> {
        let sql =
            "SELECT team, CAST(SUM(responses) AS BIGINT), CAST(SUM(invites) AS BIGINT) FROM ( \
                   SELECT team, COUNT(*) AS responses, 0 AS invites FROM survey_responses \
                   WHERE quarter = $1 GROUP BY team UNION ALL \
                   SELECT team, COUNT(*), 0 FROM survey_pending WHERE quarter = $1 GROUP BY team \
                   UNION ALL \
                   SELECT team, 0, COUNT(*) FROM survey_invites WHERE quarter = $1 GROUP BY team \
                   ) t GROUP BY team ORDER BY team";
        let rows: Vec<(String, i64, i64)> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(quarter).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(team, responses, invites)| Participation {
                team,
                responses,
                invites,
            })
            .collect())
    }

    /// The random key of this database that a developer's invite-use key is derived with
    /// (made at its first use, then kept): the same for every survey secret.
    pub async fn survey_salt(&self) -> Result<String> {
        let salt = super::survey::random_id() + &super::survey::random_id();
        let insert =
            "INSERT INTO survey_salt (id, salt) VALUES (1, $1) ON CONFLICT (id) DO NOTHING";
        let read = "SELECT salt FROM survey_salt WHERE id = 1";
        with_pool!(self, pool => {
            sqlx::query(insert).bind(&salt).execute(pool).await?;
            let (salt,): (String,) = sqlx::query_as(read).fetch_one(pool).await?;
            Ok(salt)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(quarter: &str, closed: bool) -> SurveyWindow {
        SurveyWindow {
            quarter: quarter.into(),
            opened_at: 1_000,
            closed_at: closed.then_some(2_000),
            frozen_k: closed.then_some(5),
        }
    }

    #[test]
    fn a_quarter_shows_the_latest_survey_and_the_latest_closed_one_at_or_before_it() {
        let w = [
            window("2026-Q2", true),
            window("2026-Q3", true),
            window("2026-Q4", false),
        ];
        let shown = |q| {
            let (latest, closed) = SurveyWindow::shown_by(&w, q);
            (
                latest.map(|w| w.quarter.as_str()),
                closed.map(|w| w.quarter.as_str()),
            )
        };
        assert_eq!(shown("2027-Q1"), (Some("2026-Q4"), Some("2026-Q3")));
        assert_eq!(shown("2026-Q4"), (Some("2026-Q4"), Some("2026-Q3")));
        assert_eq!(shown("2026-Q3"), (Some("2026-Q3"), Some("2026-Q3")));
        assert_eq!(shown("2026-Q1"), (None, None));
    }

    #[test]
    fn a_window_takes_answers_until_it_passes_or_closes() {
        let day = 86_400;
        let mut w = window("2026-Q4", false);
        assert!(w.takes_answers(21, 1_000 + 21 * day - 1));
        assert!(!w.takes_answers(21, 1_000 + 21 * day));
        assert!(!w.due(21, 1_000 + 21 * day - 1));
        assert!(w.due(21, 1_000 + 21 * day));
        w.closed_at = Some(5_000);
        assert!(
            !w.takes_answers(21, 5_001) && w.due(21, 5_001),
            "closed, not frozen yet"
        );
        assert_eq!(w.closes_at(21), 5_000);
        w.frozen_k = Some(5);
        assert!(w.is_closed() && !w.due(21, 5_001));
    }
}

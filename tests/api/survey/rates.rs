//! Response rate per team: responses of the quarter over the roster at the quarter's end.

use dxs::model::invite_hash;
use dxs::store::{ResponseRate, SubmitOutcome};

use super::{invite, roster, sealing_key, valid_form, QUARTER};
use crate::helpers::TestDb;

#[tokio::test]
async fn response_rate_is_responses_over_roster_per_team() {
    for db in TestDb::all().await {
        let store = &db.store;
        roster(
            store,
            &[
                ("ann", "payments", "2024-03-01"),
                ("ben", "payments", "2026-10-01"),
                ("cat", "payments", "2026-12-31"),
                ("dan", "payments", "2027-01-01"), // starts after 2026-Q4: not counted
                ("eve", "search", "2025-06-01"),
                ("fay", "search", "2025-06-01"),
            ],
        )
        .await;
        let answers = dxs::survey::validation::validate(
            &dxs::survey::SurveyDefinition::embedded(),
            &dxs::survey::validation::Entered::from_pairs(valid_form("t", "")),
        )
        .unwrap();
        for (login, team) in [
            ("ann", "payments"),
            ("ben", "payments"),
            ("eve", "search"),
            ("old", "legacy"),
        ] {
            let hash = invite_hash(&invite(store, login, team).await);
            let outcome = store
                .submit_response(&hash, &answers, &sealing_key())
                .await
                .unwrap();
            assert_eq!(outcome, SubmitOutcome::Stored);
        }
        let released = store.release_responses(1, 0, &sealing_key()).await;
        assert_eq!(released.unwrap()[0].responses, 4);
        let rates = store
            .response_rates(QUARTER.parse().unwrap())
            .await
            .unwrap();
        let rate = |team: &str, responses, roster| ResponseRate {
            team: team.into(),
            responses,
            roster,
        };
        assert_eq!(
            rates,
            [
                rate("legacy", 1, 0),
                rate("payments", 2, 3),
                rate("search", 1, 2)
            ],
            "{:?}",
            store.backend()
        );
        let shown: Vec<f64> = rates
            .iter()
            .map(|r| (r.rate() * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(shown, [0.0, 0.667, 0.5]);
        assert!(store
            .response_rates("2026-Q3".parse().unwrap())
            .await
            .unwrap()
            .iter()
            .all(|r| r.responses == 0));
        db.cleanup().await;
    }
}

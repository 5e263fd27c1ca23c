//! Concurrent submissions: 2,000 from 50 clients, on SQLite and PostgreSQL, lose none and
//! duplicate none.

use std::collections::BTreeMap;
use std::sync::Arc;

use dxs::config::Secret;
use dxs::model::invite_hash;
use dxs::survey::invites;

use dxs::web::{Limits, ServerLimits};

use super::{release_held, survey_config, valid_form, QUARTER, SECRET};
use crate::helpers::{TestApp, TestDb};

const CLIENTS: usize = 50;
const INVITES: usize = 1600;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_concurrent_submissions_lose_none_and_duplicate_none() {
    for db in TestDb::all().await {
        // 50 clients on one address: the per-address limit of POST /survey is not under test.
        let limits = Limits::per_minute(5, u32::MAX, 600);
        let app = TestApp::spawn_with(
            survey_config(),
            db.store.clone(),
            limits,
            ServerLimits::default(),
        )
        .await;
        let quarter = QUARTER.parse().unwrap();
        let tokens: Vec<String> = (0..INVITES)
            .map(|i| invites::token(&Secret::new(SECRET), quarter, &format!("dev{i}")))
            .collect();
        let rows: Vec<(String, String, String)> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (invite_hash(t), QUARTER.into(), format!("team{}", i % 8)))
            .collect();
        assert_eq!(
            app.store.create_invites(&rows).await.unwrap(),
            INVITES as u64
        );
        // Every fourth invite is sent twice in a row, so two clients race with the same invite:
        // 1,600 + 400 = 2,000 submissions.
        let mut submissions = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            submissions.push(token.clone());
            if i % 4 == 0 {
                submissions.push(token.clone());
            }
        }
        assert_eq!(submissions.len(), 2000);
        let submissions = Arc::new(submissions);
        let url = app.url("/survey");
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let submissions = submissions.clone();
                let url = url.clone();
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let mut statuses = Vec::new();
                    for token in submissions.iter().skip(c).step_by(CLIENTS) {
                        let form = valid_form(token, &format!("pain of {token}"));
                        let response = client.post(&url).form(&form).send().await.unwrap();
                        statuses.push(response.status().as_u16());
                    }
                    statuses
                })
            })
            .collect();
        let mut by_status = BTreeMap::new();
        for client in clients {
            for status in client.await.unwrap() {
                *by_status.entry(status).or_insert(0) += 1;
            }
        }
        let backend = format!("{:?}", app.store.backend());
        // Batches of 5 were released as they formed; what is left goes at the quarter's end.
        let left = release_held(&app.store).await;
        assert!(
            left < 1600,
            "batches were released during the load: {left} left, {backend}"
        );
        assert_eq!(
            by_status,
            BTreeMap::from([(200, 1600), (409, 400)]),
            "{backend}"
        );
        assert_eq!(
            app.store.counts().await.unwrap().responses,
            1600,
            "{backend}"
        );
        let answers = app.store.answers(QUARTER).await.unwrap();
        assert_eq!(answers.len(), 1600 * 5, "{backend}");
        let mut per_response: BTreeMap<&str, usize> = BTreeMap::new();
        for answer in &answers {
            *per_response.entry(&answer.response_id).or_default() += 1;
        }
        assert_eq!(per_response.len(), 1600, "{backend}");
        assert!(per_response.values().all(|n| *n == 5), "{backend}");
        let mut texts: Vec<&str> = answers
            .iter()
            .filter(|a| a.question == "pain_point")
            .filter_map(|a| a.text.as_deref())
            .collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), 1600, "one response per invite, {backend}");
        drop(app);
        db.cleanup().await;
    }
}

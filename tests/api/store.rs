//! The store suite: every test runs against SQLite and, when configured, PostgreSQL.

use dxs::model::{
    Answer, Commit, CommitRevert, Cursor, Delivery, Deployment, DeploymentChange, Developer,
    Incident, Namespace, Repository, RequestStatus, SelfServiceRequest, Team,
};
use dxs::store::{FactBatch, Held, Snapshot, Store, SubmitOutcome, TableCounts};

use crate::helpers::TestDb;

fn team(name: &str) -> Team {
    Team {
        name: name.into(),
        source: "roster".into(),
    }
}

fn commit(repo: &str, sha: &str, author: &str, at: i64) -> Commit {
    Commit {
        repo: repo.into(),
        sha: sha.into(),
        author_login: Some(author.into()),
        authored_at: at,
        committed_at: at,
        is_bot: author.ends_with("[bot]"),
    }
}

fn change(sha: &str, deployment: &str, committed_at: i64, deployed_at: i64) -> DeploymentChange {
    DeploymentChange {
        service: "acme/api".into(),
        repo: "acme/api".into(),
        sha: sha.into(),
        deployment_source: "github".into(),
        deployment_id: deployment.into(),
        committed_at,
        deployed_at,
    }
}

fn request(id: &str, status: RequestStatus, finished_at: Option<i64>) -> SelfServiceRequest {
    SelfServiceRequest {
        source: "webhook".into(),
        external_id: id.into(),
        team: "payments".into(),
        kind: "create-service".into(),
        status,
        human_intervention: false,
        created_at: 1_000,
        finished_at,
    }
}

fn sample_batch() -> FactBatch {
    FactBatch {
        teams: vec![team("payments"), team("search")],
        developers: vec![Developer {
            login: "ada".into(),
            team: "payments".into(),
            start_at: 1_000,
            email: None,
        }],
        repositories: vec![Repository {
            slug: "acme/api".into(),
            team: Some("payments".into()),
            team_source: Some("catalog".into()),
            archived: false,
            pushed_at: Some(5_000),
            ..Default::default()
        }],
        services: vec![],
        commits: vec![
            commit("acme/api", "a1", "ada", 2_000),
            commit("acme/api", "a2", "renovate[bot]", 2_500),
        ],
        deployments: vec![Deployment {
            source: "github".into(),
            external_id: "77".into(),
            repo: "acme/api".into(),
            service: "acme/api".into(),
            sha: "a2".into(),
            environment: "production".into(),
            finished_at: 9_000,
        }],
        changes: vec![change("a1", "77", 2_000, 9_000)],
        pulls: vec![],
        requests: vec![request("r1", RequestStatus::Succeeded, Some(2_000))],
        namespaces: vec![Namespace {
            name: "payments-api".into(),
            team: Some("payments".into()),
            managed: true,
            created_at: 1_000,
            deleted_at: None,
        }],
        incidents: vec![Incident {
            source: "webhook".into(),
            external_id: "INC-1".into(),
            service: "acme/api".into(),
            opened_at: 9_100,
            resolved_at: None,
            severity: None,
        }],
        reverts: vec![CommitRevert {
            repo: "acme/api".into(),
            sha: "a2".into(),
            reverted: "a1a1a1a".into(),
        }],
        cursors: vec![Cursor {
            source: "github".into(),
            scope: "acme/api".into(),
            value: "77".into(),
        }],
        delivery: None,
    }
}

async fn for_each_db<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in TestDb::all().await {
        test(db.store.clone()).await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn migrations_apply_twice_and_start_empty() {
    for_each_db(|store| async move {
        store.migrate().await.unwrap();
        assert_eq!(store.counts().await.unwrap(), TableCounts::default());
        store.ping().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_batch_written_twice_is_stored_once() {
    for_each_db(|store| async move {
        let batch = sample_batch();
        let first = store.write_batch(&batch).await.unwrap();
        assert_eq!(first, 12, "every fact is new");
        let second = store.write_batch(&batch).await.unwrap();
        assert_eq!(second, 0, "nothing is new the second time");
        let counts = store.counts().await.unwrap();
        assert_eq!(
            counts,
            TableCounts {
                teams: 2,
                developers: 1,
                repositories: 1,
                commits: 2,
                deployments: 1,
                changes: 1,
                requests: 1,
                responses: 0
            }
        );
        assert_eq!(
            store.cursor("github", "acme/api").await.unwrap().as_deref(),
            Some("77")
        );
        assert_eq!(store.cursor("github", "other").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_change_counts_at_its_first_deployment() {
    for_each_db(|store| async move {
        let mut batch = FactBatch {
            changes: vec![change("c1", "late", 1_000, 8_000)],
            ..Default::default()
        };
        store.write_batch(&batch).await.unwrap();
        batch.changes = vec![change("c1", "early", 1_000, 4_000)];
        assert_eq!(store.write_batch(&batch).await.unwrap(), 1);
        batch.changes = vec![change("c1", "later", 1_000, 9_000)];
        assert_eq!(store.write_batch(&batch).await.unwrap(), 0);
        let changes = store.changes_deployed_between(0, 10_000).await.unwrap();
        assert_eq!(changes.len(), 1);
        let (team, stored) = &changes[0];
        assert_eq!(team, &None, "no repository row: team unknown");
        assert_eq!(stored.deployment_id, "early");
        assert_eq!(stored.lead_time_seconds(), 3_000);
        assert!(store
            .changes_deployed_between(4_001, 10_000)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn upserts_update_what_changes_and_keep_what_is_unknown() {
    for_each_db(|store| async move {
        store.write_batch(&sample_batch()).await.unwrap();
        let update = FactBatch {
            developers: vec![Developer {
                login: "ada".into(),
                team: "search".into(),
                start_at: 1_000,
                email: Some("ada@x".into()),
            }],
            repositories: vec![Repository {
                slug: "acme/api".into(),
                team: None,
                team_source: None,
                archived: true,
                pushed_at: None,
                ..Default::default()
            }],
            requests: vec![request("r2", RequestStatus::Running, None)],
            ..Default::default()
        };
        store.write_batch(&update).await.unwrap();
        let finished = FactBatch {
            requests: vec![request("r2", RequestStatus::Failed, Some(3_000))],
            ..Default::default()
        };
        assert_eq!(store.write_batch(&finished).await.unwrap(), 1);

        let devs = store.developers().await.unwrap();
        assert_eq!(
            (devs[0].team.as_str(), devs[0].email.as_deref()),
            ("search", Some("ada@x"))
        );
        let repos = store.repositories().await.unwrap();
        assert_eq!(
            repos[0].team.as_deref(),
            Some("payments"),
            "an unknown owner keeps the known one"
        );
        assert_eq!(repos[0].team_source.as_deref(), Some("catalog"));
        assert!(repos[0].archived);
        assert_eq!(repos[0].pushed_at, Some(5_000));
        let requests = store.requests().await.unwrap();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[1].status, RequestStatus::Failed);
        assert_eq!(requests[1].finished_at, Some(3_000));
    })
    .await;
}

#[tokio::test]
async fn onboarding_is_the_first_human_commit_since_the_start() {
    for_each_db(|store| async move {
        let batch = FactBatch {
            developers: vec![
                Developer {
                    login: "ada".into(),
                    team: "payments".into(),
                    start_at: 10_000,
                    email: None,
                },
                Developer {
                    login: "bob".into(),
                    team: "payments".into(),
                    start_at: 10_000,
                    email: None,
                },
            ],
            commits: vec![
                commit("acme/api", "old", "ada", 9_000),
                commit("acme/api", "first", "ada", 12_000),
                commit("acme/web", "second", "ada", 15_000),
                commit("acme/web", "bot", "renovate[bot]", 11_000),
                // bob's login on a bot commit (github.bot_logins): never his first commit.
                Commit {
                    is_bot: true,
                    ..commit("acme/web", "bot2", "bob", 11_500)
                },
            ],
            ..Default::default()
        };
        store.write_batch(&batch).await.unwrap();
        let onboarding = store.onboarding().await.unwrap();
        assert_eq!(onboarding.len(), 2);
        assert_eq!(
            (onboarding[0].login.as_str(), onboarding[0].first_commit_at),
            ("ada", Some(12_000))
        );
        assert_eq!(
            (onboarding[1].login.as_str(), onboarding[1].first_commit_at),
            ("bob", None),
            "open, not dropped"
        );
    })
    .await;
}

#[tokio::test]
async fn an_invite_answers_once_and_anonymously() {
    for_each_db(|store| async move {
        let invites = vec![(
            "h1".to_string(),
            "2026-Q4".to_string(),
            "payments".to_string(),
        )];
        assert_eq!(store.create_invites(&invites).await.unwrap(), 1);
        assert_eq!(store.create_invites(&invites).await.unwrap(), 0);
        let answers = vec![
            Answer {
                question: "deploy_ease".into(),
                number: Some(7.0),
                text: None,
            },
            Answer {
                question: "pain_point".into(),
                number: None,
                text: Some("<script>x</script>".into()),
            },
        ];
        let key = dxs::seal::SealKey::random();
        assert_eq!(
            store.submit_response("h1", &answers, &key).await.unwrap(),
            SubmitOutcome::Stored
        );
        assert_eq!(
            store.submit_response("h1", &answers, &key).await.unwrap(),
            SubmitOutcome::AlreadyUsed
        );
        assert_eq!(
            store.submit_response("nope", &answers, &key).await.unwrap(),
            SubmitOutcome::UnknownInvite
        );
        let invite = store.invite("h1").await.unwrap().unwrap();
        assert!(invite.used);
        assert_eq!(invite.team, "payments");
        // Held until a batch of 5 forms or the quarter ends (2027-01-01 00:00 UTC).
        assert!(store.answers("2026-Q4").await.unwrap().is_empty());
        let q4_end = 1_798_761_600;
        assert!(store
            .release_responses(5, q4_end - 1, &key)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.held_responses().await.unwrap()[0].responses, 1);
        assert_eq!(
            store.release_responses(5, q4_end, &key).await.unwrap(),
            [Held {
                quarter: "2026-Q4".into(),
                responses: 1
            }]
        );
        assert!(store.held_responses().await.unwrap().is_empty());
        let stored = store.answers("2026-Q4").await.unwrap();
        assert_eq!(stored.len(), 2);
        let id = &stored[0].response_id;
        assert_eq!(id.len(), 32);
        assert!(stored
            .iter()
            .all(|a| a.team == "payments" && &a.response_id == id));
        assert_eq!(
            stored[1].text.as_deref(),
            Some("<script>x</script>"),
            "stored as written"
        );
        assert!(store.answers("2026-Q3").await.unwrap().is_empty());
        assert_eq!(store.counts().await.unwrap().responses, 1);
    })
    .await;
}

#[tokio::test]
async fn collector_runs_are_recorded() {
    for_each_db(|store| async move {
        let ok = store.start_run("github").await.unwrap();
        store.finish_run(ok, 12, None, Some(4_321)).await.unwrap();
        let failed = store.start_run("argocd").await.unwrap();
        store
            .finish_run(failed, 0, Some("502 Bad Gateway"), None)
            .await
            .unwrap();
        let runs = store.recent_runs(10).await.unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(
            (runs[0].source.as_str(), runs[0].outcome.as_str()),
            ("argocd", "error")
        );
        assert_eq!(runs[0].error.as_deref(), Some("502 Bad Gateway"));
        assert_eq!((runs[1].outcome.as_str(), runs[1].items), ("success", 12));
        assert!(runs[1].finished_at.is_some());
        // The rate limit the GitHub run left is what /metrics shows after a restart.
        assert_eq!(store.totals().await.unwrap().github_rate_limit, Some(4_321));
    })
    .await;
}

#[tokio::test]
async fn snapshots_are_replaced_per_quarter() {
    for_each_db(|store| async move {
        let snap = |quarter: &str, team: &str, body: &str| Snapshot {
            quarter: quarter.into(),
            team: team.into(),
            computed_at: 1,
            body: body.into(),
        };
        store
            .replace_snapshots("2026-Q3", &[snap("2026-Q3", "all", "{}")], "{\"e\":3}")
            .await
            .unwrap();
        store
            .replace_snapshots(
                "2026-Q4",
                &[
                    snap("2026-Q4", "search", "{\"s\":1}"),
                    snap("2026-Q4", "all", "{\"a\":1}"),
                ],
                "{\"e\":1}",
            )
            .await
            .unwrap();
        store
            .replace_snapshots(
                "2026-Q4",
                &[
                    snap("2026-Q4", "all", "{\"a\":2}"),
                    snap("2026-Q4", "payments", "{}"),
                ],
                "{\"e\":2}",
            )
            .await
            .unwrap();
        let q4 = store.snapshots("2026-Q4").await.unwrap();
        let teams: Vec<&str> = q4.iter().map(|s| s.team.as_str()).collect();
        assert_eq!(teams, ["all", "payments"], "all first, the old rows gone");
        assert_eq!(q4[0].body, "{\"a\":2}");
        let evidence = |quarter| store.evidence(quarter);
        assert_eq!(
            evidence("2026-Q4").await.unwrap().as_deref(),
            Some("{\"e\":2}")
        );
        assert_eq!(
            evidence("2026-Q3").await.unwrap().as_deref(),
            Some("{\"e\":3}")
        );
        assert_eq!(evidence("2026-Q2").await.unwrap(), None);
        assert_eq!(store.summary().await.unwrap(), None, "no pass yet");
        store.replace_summary("{\"s\":1}").await.unwrap();
        store.replace_summary("{\"s\":2}").await.unwrap();
        assert_eq!(store.summary().await.unwrap().as_deref(), Some("{\"s\":2}"));
        assert_eq!(
            store.snapshot_quarters().await.unwrap(),
            ["2026-Q4", "2026-Q3"]
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_snapshot_writers_of_a_quarter_queue_and_the_last_one_wins() {
    // Two replicas, or the first score and a pipeline pass, may write the same quarter at once:
    // each writer replaces the quarter whole, none fails on the other's rows.
    for_each_db(|store| async move {
        let writers = (0..8).map(|i| {
            let store = store.clone();
            async move {
                let snaps: Vec<Snapshot> = ["all", "payments", "search"]
                    .iter()
                    .map(|team| Snapshot {
                        quarter: "2026-Q4".into(),
                        team: (*team).into(),
                        computed_at: i,
                        body: format!("{{\"w\":{i}}}"),
                    })
                    .collect();
                store.replace_snapshots("2026-Q4", &snaps, "{}").await
            }
        });
        for result in futures_util::future::join_all(writers).await {
            result.unwrap();
        }
        let q4 = store.snapshots("2026-Q4").await.unwrap();
        assert_eq!(q4.len(), 3, "one writer's rows, whole: {q4:?}");
        let computed: std::collections::BTreeSet<i64> = q4.iter().map(|s| s.computed_at).collect();
        assert_eq!(
            computed.len(),
            1,
            "never two writers' rows side by side: {q4:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_demo_is_written_once_and_never_into_other_data() {
    let day = "2026-11-25".parse().unwrap();
    for_each_db(|store| async move {
        let first = dxs::demo::fill(&store, 42, day).await.unwrap();
        let dxs::demo::DemoSummary::Filled { rows, responses } = first else {
            panic!("{first:?}")
        };
        let counts = store.counts().await.unwrap();
        assert_eq!(counts.teams, 6);
        assert_eq!(counts.developers, 120);
        assert_eq!(counts.repositories, 43);
        assert_eq!(counts.responses as u64, responses);
        let generated = dxs::demo::generate(42, day);
        assert_eq!(
            rows as usize,
            generated.facts.len(),
            "every generated fact is a row"
        );
        assert_eq!(counts.commits as usize, generated.facts.commits.len());
        assert_eq!(
            dxs::demo::fill(&store, 42, day).await.unwrap(),
            dxs::demo::DemoSummary::AlreadyThere
        );
        assert_eq!(store.counts().await.unwrap(), counts);
    })
    .await;
    for_each_db(|store| async move {
        store.write_batch(&sample_batch()).await.unwrap();
        assert_eq!(
            dxs::demo::fill(&store, 42, day).await.unwrap(),
            dxs::demo::DemoSummary::NotEmpty
        );
        assert_eq!(store.counts().await.unwrap().teams, 2);
    })
    .await;
}

#[tokio::test]
async fn a_group_commits_its_batches_in_order_and_a_delivery_writes_once() {
    for_each_db(|store| async move {
        let batch = |id: &str, status, finished_at, delivery: Option<&str>| FactBatch {
            requests: vec![request(id, status, finished_at)],
            delivery: delivery.map(|d| Delivery {
                source: "github".into(),
                id: d.into(),
            }),
            ..FactBatch::default()
        };
        let running = batch("r1", RequestStatus::Running, None, None);
        let done = batch("r1", RequestStatus::Succeeded, Some(2_000), None);
        let first = batch("r2", RequestStatus::Failed, Some(2_000), Some("d-1"));
        let again = batch("r3", RequestStatus::Failed, Some(2_000), Some("d-1"));
        // One transaction, each batch in turn: r1 inserted then updated; the delivery d-1
        // brings r2, and its redelivery in the same group writes nothing (not r3).
        let rows = store
            .write_batches(&[&running, &done, &first, &again])
            .await
            .unwrap();
        assert_eq!(rows, vec![1, 1, 1, 0]);
        let requests = store.requests().await.unwrap();
        let ids: Vec<(&str, RequestStatus)> = requests
            .iter()
            .map(|r| (r.external_id.as_str(), r.status))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("r1", RequestStatus::Succeeded),
                ("r2", RequestStatus::Failed)
            ]
        );
        // A later group: the delivery is remembered.
        assert_eq!(store.write_batches(&[&again]).await.unwrap(), vec![0]);
    })
    .await;
}

#[tokio::test]
async fn a_group_derives_rollouts_and_changes_once_from_all_its_batches() {
    for_each_db(|store| async move {
        let deploy = |id: &str, sha: &str, at: i64, shipped: Option<i64>| FactBatch {
            commits: shipped
                .map(|c| vec![commit("acme/api", sha, "ada", c)])
                .unwrap_or_default(),
            deployments: vec![Deployment {
                source: "github".into(),
                external_id: id.into(),
                repo: "acme/api".into(),
                service: "acme/api".into(),
                sha: sha.into(),
                environment: "production".into(),
                finished_at: at,
            }],
            changes: shipped
                .map(|c| vec![change(sha, id, c, at)])
                .unwrap_or_default(),
            ..FactBatch::default()
        };
        // One group: c1 goes live, then c2, then c1 again (a rollback: nothing new shipped).
        let first = deploy("1", "c1", 10_000, Some(4_000));
        let second = deploy("2", "c2", 20_000, Some(8_000));
        let back = deploy("3", "c1", 30_000, None);
        let rows = store
            .write_batches(&[&first, &second, &back])
            .await
            .unwrap();
        assert_eq!(rows, vec![3, 3, 1]);
        // Derived once, after the last batch, from all three: the third is seen as a rollback.
        let rollouts: Vec<(String, dxs::model::RolloutKind, i64)> = store
            .rollouts_between(0, 40_000)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, r)| (r.sha, r.kind, r.finished_at))
            .collect();
        use dxs::model::RolloutKind::{Rollback, Rollout};
        assert_eq!(
            rollouts,
            vec![
                ("c1".into(), Rollout, 10_000),
                ("c2".into(), Rollout, 20_000),
                ("c1".into(), Rollback, 30_000)
            ]
        );
        let leads: Vec<(String, i64)> = store
            .changes_deployed_between(0, 40_000)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, c)| (c.change_id.clone(), c.lead_time_seconds()))
            .collect();
        assert_eq!(leads, vec![("c1".into(), 6_000), ("c2".into(), 12_000)]);
    })
    .await;
}

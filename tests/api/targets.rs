//! Production environments as globs and services on several production targets (DESIGN §5,
//! third round), against the local stubs, on SQLite and PostgreSQL: a staggered two-region
//! rollout has no rollback and a 0 % change failure rate, beside a real rollback on one target.

use dxs::model::RolloutKind;
use dxs::scoring::{self, Rules, Tier};

use crate::collectors::{assert_all_succeeded, at, Env};
use crate::helpers::TestDb;
use crate::scenario::{sha, App, Scenario, C, D};

/// `production/*` and `prod-*` match; `prd` matches nothing this organisation deploys to.
const CONFIG: &str = r#"
[github]
production_environments = ["production/*", "prod-*", "prd"]
"#;

fn ok(at: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("success", at)]
}

/// * acme/api runs on two ArgoCD Applications over its own repository, `api-eu` and `api-us`:
///   c1, c2, c3 reach eu a day apart at 10:00, and us a day later each at 12:00.
/// * acme/pay deploys through GitHub to `production/eu` and `production/us-east-1`: p1 and p2
///   reach eu (05 and 06 09:00), us gets p1 after eu has p2 (06 11:00), then p2 (07 11:00);
///   p3 reaches eu (`Production/EU`, 08 09:00) and eu goes back to p2 at 15:00, while us never
///   had p3. A staging deployment of p3 is no production deployment.
/// * acme/web deploys w1 to `prod-us-east-1`.
/// * Backstage's Component `pay` names acme/pay by its slug, owned by payments.
fn scenario() -> Scenario {
    let c = |repo, name, at| C(repo, name, "ada", at, at);
    let api = "https://github.com/acme/api.git";
    Scenario {
        repos: vec![
            ("acme/api", "2026-10-07T09:00:00Z", false),
            ("acme/pay", "2026-10-07T21:00:00Z", false),
            ("acme/web", "2026-10-05T07:00:00Z", false),
        ],
        commits: vec![
            c("acme/api", "c1", "2026-10-05T09:00:00Z"),
            c("acme/api", "c2", "2026-10-06T09:00:00Z"),
            c("acme/api", "c3", "2026-10-07T09:00:00Z"),
            c("acme/pay", "p1", "2026-10-05T08:00:00Z"),
            c("acme/pay", "p2", "2026-10-06T08:00:00Z"),
            c("acme/pay", "p3", "2026-10-07T21:00:00Z"),
            c("acme/web", "w1", "2026-10-05T07:00:00Z"),
        ],
        apps: vec![
            App(
                "api-eu",
                api,
                vec![
                    (1, "c1", "2026-10-05T10:00:00Z"),
                    (2, "c2", "2026-10-06T10:00:00Z"),
                    (3, "c3", "2026-10-07T10:00:00Z"),
                ],
            ),
            App(
                "api-us",
                api,
                vec![
                    (1, "c1", "2026-10-06T12:00:00Z"),
                    (2, "c2", "2026-10-07T12:00:00Z"),
                    (3, "c3", "2026-10-08T12:00:00Z"),
                ],
            ),
        ],
        deployments: vec![
            D(
                "acme/pay",
                601,
                "p1",
                "production/eu",
                "2026-10-05T08:50:00Z",
                ok("2026-10-05T09:00:00Z"),
            ),
            D(
                "acme/pay",
                602,
                "p2",
                "production/eu",
                "2026-10-06T08:50:00Z",
                ok("2026-10-06T09:00:00Z"),
            ),
            D(
                "acme/pay",
                603,
                "p1",
                "production/us-east-1",
                "2026-10-06T10:50:00Z",
                ok("2026-10-06T11:00:00Z"),
            ),
            D(
                "acme/pay",
                604,
                "p2",
                "production/us-east-1",
                "2026-10-07T10:50:00Z",
                ok("2026-10-07T11:00:00Z"),
            ),
            D(
                "acme/pay",
                605,
                "p3",
                "Production/EU",
                "2026-10-08T08:50:00Z",
                ok("2026-10-08T09:00:00Z"),
            ),
            D(
                "acme/pay",
                606,
                "p2",
                "production/eu",
                "2026-10-08T14:50:00Z",
                ok("2026-10-08T15:00:00Z"),
            ),
            D(
                "acme/pay",
                607,
                "p3",
                "staging",
                "2026-10-08T08:20:00Z",
                ok("2026-10-08T08:30:00Z"),
            ),
            D(
                "acme/web",
                701,
                "w1",
                "prod-us-east-1",
                "2026-10-05T07:50:00Z",
                ok("2026-10-05T08:00:00Z"),
            ),
        ],
        team_repos: vec![
            ("platform", "acme/api", true),
            ("platform", "acme/pay", true),
            ("platform", "acme/web", true),
        ],
        // Backstage's source location of pay is where its catalog-info.yaml lives, in a
        // catalog repository: the slug still names the repository, payments owns it.
        components: vec![("pay", "acme/pay", "group:default/payments")],
        locations: vec![(
            "pay",
            "url:https://github.com/acme/catalog/tree/main/components/pay/",
        )],
        ..Scenario::default()
    }
}

#[tokio::test]
async fn a_staggered_two_region_rollout_has_no_rollback_beside_a_real_rollback_on_one_target() {
    for db in TestDb::all().await {
        let env = Env::serve(scenario(), CONFIG, &[]).await;
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        let warnings: Vec<&String> = summaries.iter().flat_map(|s| &s.warnings).collect();
        // The roster's bad line 5, and the glob that matched nothing, by name.
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[1].starts_with("github.production_environments: \"prd\" matched none"),
            "{warnings:?}"
        );

        // Rollouts by hand: each commit once, at its earliest finish on any target; the one
        // rollback is eu's p3 → p2. us receiving p1 after eu had p2 is no rollback.
        let rollouts: Vec<(String, String, RolloutKind, i64, Option<String>)> = db
            .store
            .rollouts_between(0, i64::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, r)| {
                let name = |s: &str| {
                    ["c1", "c2", "c3", "p1", "p2", "p3", "w1"]
                        .into_iter()
                        .find(|n| sha(n) == s)
                        .unwrap()
                        .to_string()
                };
                (
                    r.service,
                    name(&r.sha),
                    r.kind,
                    r.finished_at,
                    r.previous_sha.map(|p| name(&p)),
                )
            })
            .collect();
        use RolloutKind::{Rollback, Rollout};
        let r = |service: &str, commit: &str, kind, when: &str, previous: Option<&str>| {
            (
                service.to_string(),
                commit.to_string(),
                kind,
                at(when),
                previous.map(str::to_string),
            )
        };
        assert_eq!(
            rollouts,
            vec![
                r("acme/web", "w1", Rollout, "2026-10-05T08:00:00Z", None),
                r("acme/pay", "p1", Rollout, "2026-10-05T09:00:00Z", None),
                r("acme/api", "c1", Rollout, "2026-10-05T10:00:00Z", None),
                r(
                    "acme/pay",
                    "p2",
                    Rollout,
                    "2026-10-06T09:00:00Z",
                    Some("p1")
                ),
                r(
                    "acme/api",
                    "c2",
                    Rollout,
                    "2026-10-06T10:00:00Z",
                    Some("c1")
                ),
                r(
                    "acme/api",
                    "c3",
                    Rollout,
                    "2026-10-07T10:00:00Z",
                    Some("c2")
                ),
                r(
                    "acme/pay",
                    "p3",
                    Rollout,
                    "2026-10-08T09:00:00Z",
                    Some("p2")
                ),
                r(
                    "acme/pay",
                    "p2",
                    Rollback,
                    "2026-10-08T15:00:00Z",
                    Some("p3")
                ),
            ]
        );
        // `production/us-east-1` is a target of acme/pay, never a service of its own; the
        // staging deployment is not stored; every environment kept as GitHub names it.
        let counts = db.store.counts().await.unwrap();
        assert_eq!(counts.deployments, 6 + 6 + 1);
        assert_eq!(db.store.services().await.unwrap(), vec![]);
        let teams: Vec<(Option<String>, String)> = db
            .store
            .rollouts_between(0, i64::MAX)
            .await
            .unwrap()
            .into_iter()
            .filter(|(_, r)| r.repo == "acme/pay")
            .map(|(team, r)| (team, r.service))
            .collect();
        assert!(
            teams.iter().all(|t| t.0.as_deref() == Some("payments")),
            "{teams:?}"
        );

        // Change failure rate: api 0 of 3, pay 1 of 3 (p3, by the rollback, recovered in 6 h),
        // web 0 of 1; the organisation 1 of 7.
        let rules = Rules::load(&env.config).unwrap();
        let s = scoring::compute(
            &db.store,
            &rules,
            "2026-Q4".parse().unwrap(),
            at("2026-10-20T00:00:00Z"),
        )
        .await
        .unwrap();
        let of = |name: &str| {
            let s = s.org.services.iter().find(|s| s.service == name).unwrap();
            (
                s.rollouts,
                s.rollbacks,
                s.change_failure.failed,
                s.change_failure.rate,
            )
        };
        assert_eq!(of("acme/api"), (3, 0, 0, Some(0.0)));
        assert_eq!(of("acme/pay"), (3, 1, 1, Some(0.3333)));
        assert_eq!(of("acme/web"), (1, 0, 0, Some(0.0)));
        let api = s
            .org
            .services
            .iter()
            .find(|s| s.service == "acme/api")
            .unwrap();
        assert_eq!(api.change_failure.tier, Some(Tier::Elite));
        let org = &s.org.change_failure;
        assert_eq!((org.rollouts, org.failed, org.rate), (7, 1, Some(0.1429)));
        assert_eq!(org.recovery_hours.median, Some(6.0));
        assert_eq!(s.org.deployments.rollbacks, 1);
        assert_eq!(s.org.services.len(), 3);
        db.cleanup().await;
    }
}

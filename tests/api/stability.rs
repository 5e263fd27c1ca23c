//! The change failure rate and recovery time computed by hand: three services (repositories
//! `acme/pay`, `acme/shop`, `acme/ledger`) with 20 rollouts from the GitHub stub, incidents from
//! a labelled GitHub issue and the signed incident webhook, a rollback and a revert.
//!
//! Each service rolls out one commit a day at 12:00 from 2026-10-01: pay p1…p8, shop s1…s7,
//! ledger l1…l5 (8 + 7 + 5 = 20 rollouts). Besides:
//! * pay goes back to p4 on 10-05 at 18:00: a rollback, so p5 (live 10-05 12:00) failed,
//!   recovered 6 h later;
//! * shop's s4 reverts s2: s2 (live 10-02 12:00) failed, recovered when s4 went live on
//!   10-04 12:00, 48 h later;
//! * ledger's l2 (10-02 12:00) has two incidents before l3: webhook INC-1 (14:00–16:00) and
//!   issue acme/ledger#5 (15:00–20:00): one failure, 14:00 → 20:00 = 6 h;
//! * INC-2 on `acme/pay` opened 10-08 13:00 after p8 is still open (p8 failed, open);
//! * INC-3 names `billing-legacy`, a service dxs does not know: an incident, no failure.
//!
//! Ownership (Backstage): pay and ledger are payments', shop is storefront's. So:
//!
//! | group      | rollouts | failed | rate   | recovery median / p90 | open | incidents |
//! |------------|----------|--------|--------|-----------------------|------|-----------|
//! | pay        | 8        | 2      | 0.25   | 6 / 6                 | 1    | 1         |
//! | shop       | 7        | 1      | 0.1429 | 48 / 48               | 0    | 0         |
//! | ledger     | 5        | 1      | 0.2    | 6 / 6                 | 0    | 2         |
//! | payments   | 13       | 3      | 0.2308 | 6 / 6                 | 1    | 3         |
//! | storefront | 7        | 1      | 0.1429 | 48 / 48               | 0    | 0         |
//! | org        | 20       | 4      | 0.2    | 6 / 39.6 (6, 6, 48)   | 1    | 4         |

use dxs::delivery::failures::Cause;
use dxs::quarter::Quarter;
use dxs::scoring::{self, ChangeFailure, Rules, Score, Tier};

use crate::collectors::{assert_all_succeeded, at, facts, Env};
use crate::helpers::{config, TestApp, TestDb};
use crate::scenario::{Issue, Scenario, C, D};
use crate::webhooks::{post, sign, SECRET};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn day(d: u32, hour: u32) -> &'static str {
    leak(format!("2026-10-{d:02}T{hour:02}:00:00Z"))
}

fn scenario() -> Scenario {
    let mut s = Scenario {
        repos: vec![
            ("acme/pay", "2026-10-08T12:00:00Z", false),
            ("acme/shop", "2026-10-07T12:00:00Z", false),
            ("acme/ledger", "2026-10-05T12:00:00Z", false),
        ],
        components: vec![
            ("pay", "acme/pay", "payments"),
            ("ledger", "acme/ledger", "payments"),
            ("shop", "acme/shop", "storefront"),
        ],
        issues: vec![Issue(
            "acme/ledger",
            5,
            "incident",
            day(2, 15),
            Some(day(2, 20)),
            day(2, 20),
            false,
        )],
        reverts: vec![("s4", "s2")],
        ..Scenario::default()
    };
    let mut id = 500;
    for (repo, prefix, count) in [
        ("acme/pay", "p", 8),
        ("acme/shop", "s", 7),
        ("acme/ledger", "l", 5),
    ] {
        for i in 1..=count {
            let name = leak(format!("{prefix}{i}"));
            s.commits.push(C(repo, name, "ada", day(i, 9), day(i, 9)));
            id += 1;
            s.deployments.push(D(
                repo,
                id,
                name,
                "production",
                day(i, 11),
                vec![("success", day(i, 12))],
            ));
        }
    }
    s.deployments.push(D(
        "acme/pay",
        600,
        "p4",
        "production",
        day(5, 17),
        vec![("success", day(5, 18))],
    ));
    s
}

fn incident(id: &str, service: &str, opened: &str, resolved: Option<&str>) -> String {
    let resolved = resolved.map_or("null".to_string(), |r| format!("\"{r}\""));
    format!(
        r#"{{"id": "{id}", "service": "{service}", "opened_at": "{opened}", "resolved_at": {resolved}}}"#
    )
}

fn webhooks() -> Vec<String> {
    vec![
        incident("INC-1", "ledger", day(2, 14), None),
        incident("INC-1", "ledger", day(2, 14), Some(day(2, 16))),
        incident("INC-2", "acme/pay", day(8, 13), None),
        incident("INC-3", "billing-legacy", day(3, 10), Some(day(3, 11))),
    ]
}

fn figures(c: &ChangeFailure) -> (i64, i64, Option<f64>, Option<f64>, Option<f64>, i64, i64) {
    let r = &c.recovery_hours;
    (
        c.rollouts,
        c.failed,
        c.rate,
        r.median,
        r.p90,
        r.open,
        c.incidents,
    )
}

async fn score(store: &dxs::store::Store, env: &Env) -> Score {
    let rules = Rules::load(&env.config).unwrap();
    let quarter: Quarter = "2026-Q4".parse().unwrap();
    scoring::compute(store, &rules, quarter, at("2026-10-20T00:00:00Z"))
        .await
        .unwrap()
}

#[tokio::test]
async fn change_failure_and_recovery_equal_the_figures_computed_by_hand() {
    for db in TestDb::all().await {
        let env = Env::with_scenario(scenario(), &[]).await;
        let app = TestApp::spawn(config(&[("DXS_WEBHOOK_SECRET", SECRET)]), db.store.clone()).await;
        let send = || async {
            for body in webhooks() {
                let (code, text) = post(
                    &app,
                    "/webhooks/incident",
                    "x-dxs-signature",
                    Some(sign(&body)),
                    &body,
                )
                .await;
                assert_eq!(code, 202, "{text}");
            }
        };
        send().await;
        assert_all_succeeded(&env.collect(&db.store).await);
        let first = score(&db.store, &env).await;

        let org = &first.org.change_failure;
        assert_eq!(
            figures(org),
            (20, 4, Some(0.2), Some(6.0), Some(39.6), 1, 4)
        );
        assert_eq!(org.recovery_hours.open_max_hours, Some(275.0));
        assert_eq!(
            (org.tier, org.recovery_tier),
            (Some(Tier::Low), Some(Tier::High))
        );
        assert_eq!(org.unknown_services.len(), 1);
        assert_eq!(org.unknown_services[0].service, "billing-legacy");
        let team = |name: &str| &first.team(name).unwrap().change_failure;
        assert_eq!(
            figures(team("payments")),
            (13, 3, Some(0.2308), Some(6.0), Some(6.0), 1, 3)
        );
        assert_eq!(
            figures(team("storefront")),
            (7, 1, Some(0.1429), Some(48.0), Some(48.0), 0, 0)
        );
        let service = |name: &str| {
            let s = first
                .org
                .services
                .iter()
                .find(|s| s.service == name)
                .unwrap();
            figures(&s.change_failure)
        };
        assert_eq!(
            service("acme/pay"),
            (8, 2, Some(0.25), Some(6.0), Some(6.0), 1, 1)
        );
        assert_eq!(
            service("acme/shop"),
            (7, 1, Some(0.1429), Some(48.0), Some(48.0), 0, 0)
        );
        assert_eq!(
            service("acme/ledger"),
            (5, 1, Some(0.2), Some(6.0), Some(6.0), 0, 2)
        );

        // Why each failed: the two ledger incidents count once; the rollback; the revert.
        let why: Vec<(String, Vec<Cause>)> = org
            .failures
            .iter()
            .map(|f| (f.service.clone(), f.causes.clone()))
            .collect();
        assert_eq!(why.len(), 4);
        assert!(why.contains(&(
            "acme/ledger".into(),
            vec![
                Cause::Incident { id: "INC-1".into() },
                Cause::Incident {
                    id: "acme/ledger#5".into()
                },
            ]
        )));
        assert!(why.iter().any(|(s, c)| s == "acme/pay"
            && matches!(c.as_slice(), [Cause::Rollback { at: t, .. }] if *t == at(day(5, 18)))));
        assert!(why.iter().any(|(s, c)| s == "acme/shop"
            && matches!(c.as_slice(), [Cause::Revert { at: t, .. }] if *t == at(day(4, 12)))));
        // Components, weighing 0: shown, the DXS unmoved.
        assert_eq!(first.org.components["change_failure"], 80.0);
        assert!(!first.org.missing.contains(&"change_failure".to_string()));

        // Every webhook again and a new collection: nothing changes.
        let before = (facts(&db.store).await, db.store.incidents().await.unwrap());
        send().await;
        assert_all_succeeded(&env.collect(&db.store).await);
        assert_eq!(
            (facts(&db.store).await, db.store.incidents().await.unwrap()),
            before
        );
        let again = score(&db.store, &env).await;
        assert_eq!(again.org.change_failure, first.org.change_failure);
        assert_eq!(again.teams, first.teams);
        db.cleanup().await;
    }
}

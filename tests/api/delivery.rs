//! Delivery shapes against the local stubs (`delivery_scenario.rs`): monorepo services, one
//! rollout counted once whichever sources saw it, re-syncs, redeploys and rollbacks; the
//! figures computed by hand, on SQLite and PostgreSQL, and a rerun that adds nothing.

use dxs::model::RolloutKind;
use dxs::report::{self, ReportOptions, SortKey};
use dxs::scoring::{self, Evidence, Rules, Score, Tier};
use dxs::store::Store;

use crate::collectors::{assert_all_succeeded, facts, Env};
use crate::delivery_scenario::{delivery, CONFIG};
use crate::helpers::TestDb;
use crate::scenario::sha;

/// Every commit name of the scenario, to read SHAs back as names.
const NAMES: [&str; 12] = [
    "s1", "s2", "s3", "s4", "s5", "a1", "a2", "a3", "w1", "w2", "k1", "k2",
];

fn name(full: &str) -> String {
    NAMES
        .iter()
        .find(|n| sha(n) == full)
        .map_or_else(|| full.to_string(), |n| n.to_string())
}

fn at(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp()
}

/// The changes, by hand (UTC, October 2026):
///
/// * cart (`[[services]]`, path services/cart/): GitHub 401 deploys s1 at 05 08:30, its first
///   deployment: head s1, 30 min. 404 deploys s5 at 07 10:00: compare s1...s5 = s2..s5, of
///   which only s3 touches services/cart/: 07 10:00 − 05 10:00 = 48 h.
/// * checkout-web (Backstage tree URL; payload.service): 402 deploys s2 at 05 09:30 (head,
///   30 min); 403 deploys s5 at 06 11:00: compare s2...s5 = s3, s4, s5, of which s3 (touching
///   both services: a change of each) 25 h and s5 2 h; s4 touches docs/ only.
/// * acme/api: ArgoCD history 1 deploys a1 at 07 10:00, before GitHub 501 (10:30): 1 h. 502
///   deploys a2 at 08 10:00 (1 h), 503 redeploys a2, 504 deploys a3 at 09 10:00 (1 h). History
///   2 re-syncs a1; history 3 brings a3 to ArgoCD's target at 10:10 (rolled out at 10:00
///   already); history 4 goes back to a2 at 09 12:00: a rollback on that target, no change.
/// * storefront (GitOps over acme/deploy): revision d1 at 10 12:00 runs web sha-w1 (first:
///   head, 4 h) and worker k1 by its short SHA (3 h); d2 at 11 12:00 changes only the worker to
///   k2 (3 h; web re-synced); d3 at 12 12:00 moves web to w2 (4 h).
const CHANGES: [(&str, &str, i64, &str); 12] = [
    ("acme/api", "a1", 3_600, "argocd"),
    ("acme/api", "a2", 3_600, "github"),
    ("acme/api", "a3", 3_600, "github"),
    ("acme/web", "w1", 14_400, "argocd"),
    ("acme/web", "w2", 14_400, "argocd"),
    ("acme/worker", "k1", 10_800, "argocd"),
    ("acme/worker", "k2", 10_800, "argocd"),
    ("cart", "s1", 1_800, "github"),
    ("cart", "s3", 172_800, "github"),
    ("checkout-web", "s2", 1_800, "github"),
    ("checkout-web", "s3", 90_000, "github"),
    ("checkout-web", "s5", 7_200, "github"),
];

/// Rollouts and rollbacks with their teams: cart's team is configured, checkout-web's is its
/// catalog owner, acme/api's its repository's (catalog).
fn expected_rollouts() -> Vec<(String, String, String, RolloutKind, i64)> {
    let r = |team: &str, service: &str, commit: &str, kind, when: &str| {
        (
            team.to_string(),
            service.to_string(),
            commit.to_string(),
            kind,
            at(when),
        )
    };
    use RolloutKind::{Rollback, Rollout};
    vec![
        r("checkout", "cart", "s1", Rollout, "2026-10-05T08:30:00Z"),
        r(
            "storefront",
            "checkout-web",
            "s2",
            Rollout,
            "2026-10-05T09:30:00Z",
        ),
        r(
            "storefront",
            "checkout-web",
            "s5",
            Rollout,
            "2026-10-06T11:00:00Z",
        ),
        r(
            "payments",
            "acme/api",
            "a1",
            Rollout,
            "2026-10-07T10:00:00Z",
        ),
        r("checkout", "cart", "s5", Rollout, "2026-10-07T10:00:00Z"),
        r(
            "payments",
            "acme/api",
            "a2",
            Rollout,
            "2026-10-08T10:00:00Z",
        ),
        r(
            "payments",
            "acme/api",
            "a3",
            Rollout,
            "2026-10-09T10:00:00Z",
        ),
        r(
            "payments",
            "acme/api",
            "a2",
            Rollback,
            "2026-10-09T12:00:00Z",
        ),
        r(
            "platform",
            "acme/web",
            "w1",
            Rollout,
            "2026-10-10T12:00:00Z",
        ),
        r(
            "platform",
            "acme/worker",
            "k1",
            Rollout,
            "2026-10-10T12:00:00Z",
        ),
        r(
            "platform",
            "acme/worker",
            "k2",
            Rollout,
            "2026-10-11T12:00:00Z",
        ),
        r(
            "platform",
            "acme/web",
            "w2",
            Rollout,
            "2026-10-12T12:00:00Z",
        ),
    ]
}

/// Asserts the changes and rollouts computed by hand.
pub async fn assert_delivery(store: &Store) {
    let mut changes: Vec<(String, String, i64, String)> = store
        .changes_deployed_between(0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, c)| {
            let lead = c.lead_time_seconds();
            (c.service, name(&c.change_id), lead, c.deployment_source)
        })
        .collect();
    changes.sort();
    let expected: Vec<(String, String, i64, String)> = CHANGES
        .iter()
        .map(|(s, c, l, src)| (s.to_string(), c.to_string(), *l, src.to_string()))
        .collect();
    assert_eq!(changes, expected);

    let mut rollouts: Vec<(String, String, String, RolloutKind, i64)> = store
        .rollouts_between(0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|(team, r)| {
            (
                team.unwrap_or_default(),
                r.service,
                name(&r.sha),
                r.kind,
                r.finished_at,
            )
        })
        .collect();
    rollouts.sort_by_key(|r| (r.4, r.1.clone()));
    assert_eq!(rollouts, expected_rollouts());
    let rollback = store
        .rollouts_between(at("2026-10-09T12:00:00Z"), at("2026-10-09T12:00:01Z"))
        .await
        .unwrap();
    assert_eq!(
        rollback[0].1.previous_sha.as_deref(),
        Some(sha("a3").as_str())
    );
    assert_eq!(rollback[0].1.source, "argocd");

    // dxs_deployments_total counts rollouts: 8 GitHub production deployments, 4 ArgoCD history
    // entries of api and 3 revisions of two images each are 11 rollouts.
    let mut totals = store.totals().await.unwrap().deployments;
    totals.sort();
    let some = |t: &str, n| (Some(t.to_string()), n);
    assert_eq!(
        totals,
        vec![
            some("checkout", 2),
            some("payments", 3),
            some("platform", 4),
            some("storefront", 2)
        ]
    );
    assert_eq!(store.counts().await.unwrap().deployments, 8 + 4 + 6);
}

/// The quarter scored as of 18 October 12:00: 17.5 days, 2.5 weeks.
async fn score(store: &Store, env: &Env) -> Score {
    let rules = Rules::load(&env.config).unwrap();
    scoring::compute(
        store,
        &rules,
        "2026-Q4".parse().unwrap(),
        at("2026-10-18T12:00:00Z"),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn gitops_monorepo_services_and_rollouts_counted_once_match_the_figures_computed_by_hand() {
    for db in TestDb::all().await {
        let env = Env::serve(delivery(), CONFIG, &[]).await;
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        // Everything linked: no warning but the shared roster's bad line 5.
        let warnings: Vec<&String> = summaries.iter().flat_map(|s| &s.warnings).collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_delivery(&db.store).await;
        // Each config-repository revision's manifests were read once; the short tag once.
        let hits = env.stub.hits();
        let manifests = hits
            .iter()
            .filter(|h| h.path.contains("/manifests?revision="))
            .count();
        assert_eq!(manifests, 3);

        let s = score(&db.store, &env).await;
        let team = |name: &str| s.team(name).unwrap();
        // payments: 3 rollouts / 2.5 weeks / 1 service = 1.2 a week: high (≥ 1); the rollback
        // is not one. Lead times 1 h: elite.
        let payments = team("payments");
        assert_eq!(payments.deployments.count, 3);
        assert_eq!(payments.deployments.rollbacks, 1);
        assert_eq!(payments.deployments.per_service_week, Some(1.2));
        assert_eq!(payments.dora.deployment_frequency, Some(Tier::High));
        assert_eq!(payments.lead_time_hours.median, Some(1.0));
        // checkout (cart): 2 rollouts: 0.8 a week, medium; lead 0.5 h and 48 h: median 24.25 h,
        // high (over a day).
        let cart = &team("checkout").services[0];
        assert_eq!(
            (cart.service.as_str(), cart.repo.as_str()),
            ("cart", "acme/shop")
        );
        assert_eq!((cart.rollouts, cart.per_week), (2, 0.8));
        assert_eq!(cart.lead_time_hours.median, Some(24.25));
        assert_eq!(cart.dora.lead_time, Some(Tier::High));
        assert_eq!(cart.dora.deployment_frequency, Some(Tier::Medium));
        // storefront (checkout-web): 0.5 h, 25 h, 2 h: median 2 h, elite; 2 rollouts: medium.
        let web = &team("storefront").services[0];
        assert_eq!(web.service, "checkout-web");
        assert_eq!(
            (web.lead_time_hours.median, web.lead_time_hours.changes),
            (Some(2.0), 3)
        );
        assert_eq!(web.dora.lead_time, Some(Tier::Elite));
        assert_eq!(
            team("storefront").dora.deployment_frequency,
            Some(Tier::Medium)
        );
        // platform (GitOps): web 2 and worker 2 rollouts: 4 / 2.5 / 2 = 0.8, medium; lead
        // times 4, 4, 3, 3 h: median 3.5 h.
        let platform = team("platform");
        assert_eq!(
            (platform.deployments.count, platform.deployments.services),
            (4, 2)
        );
        assert_eq!(platform.dora.deployment_frequency, Some(Tier::Medium));
        assert_eq!(platform.lead_time_hours.median, Some(3.5));
        let names: Vec<&str> = platform
            .services
            .iter()
            .map(|s| s.service.as_str())
            .collect();
        assert_eq!(names, ["acme/web", "acme/worker"]);
        assert_eq!(platform.services[1].lead_time_hours.median, Some(3.0));
        // The organisation: 11 rollouts of 5 services in 4 repositories: 11 / 2.5 / 5 = 0.88 a
        // week, medium; 12 changes, median of 0.5, 0.5, 1, 1, 1, 2, 3, 3, 4, 4, 25, 48 h = 2.5 h.
        assert_eq!(s.org.deployments.count, 11);
        assert_eq!(s.org.deployments.services, 5);
        assert_eq!(s.org.deployments.repositories, 4);
        assert_eq!(s.org.deployments.per_service_week, Some(0.88));
        assert_eq!(s.org.dora.deployment_frequency, Some(Tier::Medium));
        assert_eq!(s.org.lead_time_hours.median, Some(2.5));
        assert_eq!(s.org.lead_time_hours.changes, 12);

        // The report's team table shows each service under its team, with its own tiers.
        scoring::write_snapshot(
            &db.store,
            &s,
            &Evidence::default(),
            at("2026-10-18T12:00:00Z"),
        )
        .await
        .unwrap();
        let options = ReportOptions {
            quarter: "2026-Q4".parse().unwrap(),
            sort: SortKey::default(),
            detail: false,
            standalone: true,
        };
        let html = report::build(&db.store, &env.config, &options)
            .await
            .unwrap()
            .unwrap()
            .to_html()
            .unwrap();
        for service in [
            "cart",
            "checkout-web",
            "acme/api",
            "acme/web",
            "acme/worker",
        ] {
            assert!(
                html.contains(&format!("data-service=\"{service}\"")),
                "{service}"
            );
        }
        let cart = &html[html.find("data-service=\"cart\"").unwrap()..];
        let cart = &cart[..cart.find("</tr>").unwrap()];
        // Its row under its team: 2 rollouts (0.8 a week, medium), lead time 24.2 h (high).
        assert!(
            cart.contains("<td>24.2 h / 43.2 h, high</td>")
                && cart.contains("<td>2 (0.8/wk), medium</td>"),
            "{cart}"
        );
        assert!(html.contains("<td>3 (1.2/wk), 1 rolled back, high</td>"));

        // A rerun (nothing new upstream) adds nothing, and costs one conditional request per
        // repository, team and Application list: no manifests are read again.
        env.stub.reset_hits();
        let before = (
            facts(&db.store).await,
            db.store.rollouts_between(0, i64::MAX).await.unwrap(),
        );
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        assert_eq!(summaries.iter().map(|s| s.items).sum::<u64>(), 0);
        let after = (
            facts(&db.store).await,
            db.store.rollouts_between(0, i64::MAX).await.unwrap(),
        );
        assert_eq!(after, before);
        // So does a full re-read from a date (ETags and cursors ignored); a revision's
        // manifests are still never read twice.
        env.stub.reset_hits();
        assert_all_succeeded(
            &env.collect_since(&db.store, Some(at("2026-10-01T00:00:00Z")))
                .await,
        );
        assert_delivery(&db.store).await;
        assert!(!env
            .stub
            .hits()
            .iter()
            .any(|h| h.path.contains("/manifests")));
        assert_eq!(score(&db.store, &env).await.teams, s.teams);
        db.cleanup().await;
    }
}

/// The storefront Application as a multi-source one: its config repository `acme/deploy` first,
/// a values-only `ref` source second (`acme/helm-values`, no path), a Bitnami Redis chart third
/// (`revisions[]`, `sources[]`). Each revision's manifests are read once, for the config
/// repository's source (`sourcePositions=1`); neither the values source (ArgoCD renders nothing
/// from it) nor the chart's version is a deployment, and neither is read. The lead times through the config repository are those
/// computed by hand for the single-source Application.
#[tokio::test]
async fn a_multi_source_application_links_lead_times_through_its_config_repository_source() {
    for db in TestDb::all().await {
        let mut scenario = delivery();
        scenario.charts = vec![(
            "storefront",
            "https://charts.bitnami.com/bitnami",
            "redis",
            "18.19.2",
        )];
        let env = Env::serve(scenario, CONFIG, &[]).await;
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        let warnings: Vec<&String> = summaries.iter().flat_map(|s| &s.warnings).collect();
        assert_eq!(warnings.len(), 1, "only the roster's line 5: {warnings:?}");
        assert_delivery(&db.store).await;
        let repos = db.store.rollouts_between(0, i64::MAX).await.unwrap();
        assert!(repos.iter().all(|(_, r)| r.repo != "acme/helm-values"));
        let hits = env.stub.hits();
        let manifests: Vec<&str> = hits
            .iter()
            .filter(|h| h.path.contains("/manifests?"))
            .map(|h| h.path.as_str())
            .collect();
        assert_eq!(manifests.len(), 3, "{manifests:?}");
        for (path, revision) in manifests.iter().zip(["d1", "d2", "d3"]) {
            assert_eq!(
                *path,
                format!(
                    "/argo/api/v1/applications/storefront/manifests?revisions={}&sourcePositions=1",
                    sha(revision)
                )
            );
        }
        db.cleanup().await;
    }
}

//! GitOps as real organisations run it (DESIGN §5, third round "GitOps, robust"), against the
//! local stubs, on SQLite and PostgreSQL: an Application over its own repository whose image is
//! named otherwise keeps its history; an Argo Rollout, a semver tag and a branch-and-SHA tag link
//! through a listed config repository, each tag resolved once, ever; a digest-only image is
//! named in one warning.

use serde_json::{json, Value};

use crate::collectors::{assert_all_succeeded, at, Env};
use crate::helpers::TestDb;
use crate::scenario::{sha, App, Scenario, C};

/// `acme/gitops-config` is listed: a config repository whatever its images.
const CONFIG: &str = r#"
[argocd]
config_repos = ["acme/gitops-config"]
"#;

/// A digest, as registries write them.
const DIGEST: &str = "sha256:4f2c1bd1a9e0f6a4a8d2e5c7b3f9a1c0d8e6b4a2c0e8f6d4b2a0c8e6f4d2b0a9";

/// An Argo Rollout (`argoproj.io/v1alpha1`, canary) running `image`, as ArgoCD renders it.
fn rollout(name: &str, image: &str) -> String {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "replicas": 3, "revisionHistoryLimit": 2,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "10m"}}]}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image}]}}
        }
    })
    .to_string()
}

/// A Deployment running `images`, the first its main container.
fn deployment(name: &str, images: &[String]) -> String {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| json!({"name": format!("{name}-{i}"), "image": image}))
        .collect();
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}}
    })
    .to_string()
}

/// The shop's manifests at one revision: cart's Rollout at its release tag, search at
/// `main-<short sha>` beside a sidecar of the same image pinned by digest only.
fn shop(cart_tag: &str, search: &str) -> Vec<String> {
    vec![
        rollout("cart", &format!("ghcr.io/acme/cart:{cart_tag}")),
        deployment(
            "search",
            &[
                format!("ghcr.io/acme/search:main-{}", &sha(search)[..7]),
                format!("ghcr.io/acme/search@{DIGEST}"),
            ],
        ),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "cart"}}).to_string(),
    ]
}

/// * `payments` tracks its own repository `acme/payments-api`, and runs an image named
///   `ghcr.io/acme/pay-svc`: y1 (05 08:00) synced 05 09:00, y2 (06 08:00) synced 06 10:00.
/// * `shop` tracks the config repository `acme/gitops-config`: g1 (05 12:00) runs cart v1.4.1
///   (k1, 05 09:00) and search main-r1 (r1, 05 10:00); g2 (06 12:00) cart v1.4.2 (k2, 06 09:00)
///   and search main-r2 (r2, 06 10:00).
fn scenario() -> Scenario {
    let c = |repo, name, at| C(repo, name, "ada", at, at);
    Scenario {
        repos: vec![
            ("acme/payments-api", "2026-10-06T08:00:00Z", false),
            ("acme/cart", "2026-10-06T09:00:00Z", false),
            ("acme/search", "2026-10-06T10:00:00Z", false),
            ("acme/gitops-config", "2026-10-06T11:00:00Z", false),
        ],
        commits: vec![
            c("acme/payments-api", "y1", "2026-10-05T08:00:00Z"),
            c("acme/payments-api", "y2", "2026-10-06T08:00:00Z"),
            c("acme/cart", "k1", "2026-10-05T09:00:00Z"),
            c("acme/cart", "k2", "2026-10-06T09:00:00Z"),
            c("acme/search", "r1", "2026-10-05T10:00:00Z"),
            c("acme/search", "r2", "2026-10-06T10:00:00Z"),
        ],
        tags: vec![("acme/cart", "v1.4.1", "k1"), ("acme/cart", "v1.4.2", "k2")],
        apps: vec![
            App(
                "payments",
                "https://github.com/acme/payments-api.git",
                vec![
                    (1, "y1", "2026-10-05T09:00:00Z"),
                    (2, "y2", "2026-10-06T10:00:00Z"),
                ],
            ),
            App(
                "shop",
                "https://github.com/acme/gitops-config.git",
                vec![
                    (1, "g1", "2026-10-05T12:00:00Z"),
                    (2, "g2", "2026-10-06T12:00:00Z"),
                ],
            ),
        ],
        images: vec![("payments", "ghcr.io/acme/pay-svc")],
        manifests: vec![
            ("shop", "g1", shop("v1.4.1", "r1")),
            ("shop", "g2", shop("v1.4.2", "r2")),
        ],
        team_repos: ["acme/payments-api", "acme/cart", "acme/search"]
            .into_iter()
            .map(|r| ("platform", r, true))
            .collect(),
        ..Scenario::default()
    }
}

/// Rollouts `(service, commit, finish)` and changes `(service, commit, lead seconds)`.
async fn delivery(
    store: &dxs::store::Store,
) -> (Vec<(String, String, i64)>, Vec<(String, String, i64)>) {
    let names = ["y1", "y2", "k1", "k2", "r1", "r2"];
    let name = |s: &str| {
        names
            .into_iter()
            .find(|n| sha(n) == s)
            .unwrap_or(s)
            .to_string()
    };
    let mut rollouts: Vec<(String, String, i64)> = store
        .rollouts_between(0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, r)| (r.service, name(&r.sha), r.finished_at))
        .collect();
    rollouts.sort();
    let mut changes: Vec<(String, String, i64)> = store
        .changes_deployed_between(0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, c)| {
            let lead = c.lead_time_seconds();
            (c.service, name(&c.change_id), lead)
        })
        .collect();
    changes.sort();
    (rollouts, changes)
}

#[tokio::test]
async fn own_repositories_rollouts_semver_and_branch_tags_link_and_digests_are_named() {
    for db in TestDb::all().await {
        let env = Env::serve(scenario(), CONFIG, &[]).await;
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        let warnings: Vec<&String> = summaries.iter().flat_map(|s| &s.warnings).collect();
        // The roster's bad line 5, and the digest, once though both revisions run it.
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert_eq!(
            *warnings[1],
            format!(
                "app argocd/shop: image ghcr.io/acme/search@{DIGEST}: a digest only names no \
                 commit; tag the image with its commit or version"
            )
        );

        // By hand: payments-api at its revisions (y1 1 h, y2 2 h); cart through its Rollout's
        // release tags (k1, k2: 3 h each); search through main-<sha> (r1, r2: 2 h each).
        let r = |service: &str, commit: &str, when: &str| {
            (service.to_string(), commit.to_string(), at(when))
        };
        let l = |service: &str, commit: &str, hours: i64| {
            (service.to_string(), commit.to_string(), hours * 3_600)
        };
        let expected = (
            vec![
                r("acme/cart", "k1", "2026-10-05T12:00:00Z"),
                r("acme/cart", "k2", "2026-10-06T12:00:00Z"),
                r("acme/payments-api", "y1", "2026-10-05T09:00:00Z"),
                r("acme/payments-api", "y2", "2026-10-06T10:00:00Z"),
                r("acme/search", "r1", "2026-10-05T12:00:00Z"),
                r("acme/search", "r2", "2026-10-06T12:00:00Z"),
            ],
            vec![
                l("acme/cart", "k1", 3),
                l("acme/cart", "k2", 3),
                l("acme/payments-api", "y1", 1),
                l("acme/payments-api", "y2", 2),
                l("acme/search", "r1", 2),
                l("acme/search", "r2", 2),
            ],
        );
        assert_eq!(delivery(&db.store).await, expected);
        // The listed config repository is never a service.
        let counts = db.store.counts().await.unwrap();
        assert_eq!(counts.deployments, 2 + 4);

        // Each tag was asked once: the release tags as refs, main-<sha> as a ref GitHub does
        // not know, then as the short SHA it ends with.
        let asked = |hits: &[crate::stub::Hit], part: &str| {
            hits.iter().filter(|h| h.path.contains(part)).count()
        };
        let hits = env.stub.hits();
        assert_eq!(asked(&hits, "/commits/v1.4."), 2);
        assert_eq!(asked(&hits, "/search/commits/main-"), 2);
        let refused: Vec<u16> = hits
            .iter()
            .filter(|h| h.path.contains("/search/commits/main-"))
            .map(|h| h.status)
            .collect();
        assert_eq!(refused, [404, 404]);

        // A full re-read (cursors and ETags ignored) asks no tag again and changes nothing.
        env.stub.reset_hits();
        let summaries = env
            .collect_since(&db.store, Some(at("2026-10-01T00:00:00Z")))
            .await;
        assert_all_succeeded(&summaries);
        let hits = env.stub.hits();
        assert_eq!(asked(&hits, "/commits/v1.4."), 0);
        assert_eq!(asked(&hits, "/commits/main-"), 0);
        assert_eq!(delivery(&db.store).await, expected);
        db.cleanup().await;
    }
}

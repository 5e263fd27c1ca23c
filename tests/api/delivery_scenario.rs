//! The delivery scenario: a monorepo `acme/shop` with two services deployed separately (`cart`
//! from `[[services]]`, `checkout-web` from a Backstage tree URL), `acme/api` deployed through
//! both GitHub and ArgoCD with a re-sync, a redeploy and a rollback (seen by ArgoCD), and a GitOps Application
//! `storefront` over the config repository `acme/deploy` that deploys `acme/web` (tags
//! `sha-<40>`) and `acme/worker` (7-character tags). The figures computed by hand from it are in
//! `delivery.rs`.

use serde_json::json;

use crate::scenario::{sha, App, Scenario, C, D};

/// A rendered Deployment (or, with `cron`, a CronJob) running `image`, as ArgoCD returns it.
pub fn workload(name: &str, image: &str, cron: bool) -> String {
    let pod = json!({
        "containers": [{"name": name, "image": image, "ports": [{"containerPort": 8080}]}],
        "initContainers": [],
        "serviceAccountName": name
    });
    let template = json!({"metadata": {"labels": {"app": name}}, "spec": pod});
    let (kind, api, spec) = if cron {
        (
            "CronJob",
            "batch/v1",
            json!({"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}),
        )
    } else {
        (
            "Deployment",
            "apps/v1",
            json!({"replicas": 2, "selector": {"matchLabels": {"app": name}}, "template": template}),
        )
    };
    json!({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "storefront"}, "spec": spec})
        .to_string()
}

/// The config repository's rendered manifests at one revision: web at `web` (full SHA), the
/// worker at `worker` (its first 7 characters), and a Service.
fn storefront(web: &str, worker: &str) -> Vec<String> {
    vec![
        workload("web", &format!("ghcr.io/acme/web:sha-{}", sha(web)), false),
        workload("worker", &format!("ghcr.io/acme/worker:{}", &sha(worker)[..7]), true),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}).to_string(),
    ]
}

/// The `dxs.toml` of the scenario.
pub const CONFIG: &str = r#"
[[services]]
name = "cart"
repo = "acme/shop"
path = "services/cart/"
team = "checkout"
"#;

fn ok(at: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("success", at)]
}

/// The scenario.
pub fn delivery() -> Scenario {
    let c = |repo, name, author, at| C(repo, name, author, at, at);
    Scenario {
        repos: vec![
            ("acme/shop", "2026-10-06T09:00:00Z", false),
            ("acme/api", "2026-10-09T09:00:00Z", false),
            ("acme/web", "2026-10-12T08:00:00Z", false),
            ("acme/worker", "2026-10-11T09:00:00Z", false),
            ("acme/deploy", "2026-10-12T11:00:00Z", false),
        ],
        commits: vec![
            c("acme/shop", "s1", "ada", "2026-10-05T08:00:00Z"),
            c("acme/shop", "s2", "bob", "2026-10-05T09:00:00Z"),
            c("acme/shop", "s3", "ada", "2026-10-05T10:00:00Z"),
            c("acme/shop", "s4", "bob", "2026-10-06T08:00:00Z"),
            c("acme/shop", "s5", "bob", "2026-10-06T09:00:00Z"),
            c("acme/api", "a1", "ada", "2026-10-07T09:00:00Z"),
            c("acme/api", "a2", "bob", "2026-10-08T09:00:00Z"),
            c("acme/api", "a3", "ada", "2026-10-09T09:00:00Z"),
            c("acme/web", "w1", "ada", "2026-10-10T08:00:00Z"),
            c("acme/web", "w2", "bob", "2026-10-12T08:00:00Z"),
            c("acme/worker", "k1", "bob", "2026-10-10T09:00:00Z"),
            c("acme/worker", "k2", "ada", "2026-10-11T09:00:00Z"),
        ],
        files: vec![
            ("acme/shop", "s1", vec!["services/cart/src/lib.rs"]),
            ("acme/shop", "s2", vec!["services/checkout-web/src/app.ts"]),
            (
                "acme/shop",
                "s3",
                vec![
                    "services/cart/src/api.rs",
                    "services/checkout-web/src/api.ts",
                ],
            ),
            ("acme/shop", "s4", vec!["docs/README.md"]),
            ("acme/shop", "s5", vec!["services/checkout-web/src/pay.ts"]),
        ],
        deployments: vec![
            D(
                "acme/shop",
                401,
                "s1",
                "production/cart",
                "2026-10-05T08:10:00Z",
                ok("2026-10-05T08:30:00Z"),
            ),
            D(
                "acme/shop",
                402,
                "s2",
                "production",
                "2026-10-05T09:10:00Z",
                ok("2026-10-05T09:30:00Z"),
            ),
            D(
                "acme/shop",
                403,
                "s5",
                "production",
                "2026-10-06T10:40:00Z",
                ok("2026-10-06T11:00:00Z"),
            ),
            D(
                "acme/shop",
                404,
                "s5",
                "production/cart",
                "2026-10-07T09:40:00Z",
                ok("2026-10-07T10:00:00Z"),
            ),
            D(
                "acme/api",
                501,
                "a1",
                "production",
                "2026-10-07T10:05:00Z",
                ok("2026-10-07T10:30:00Z"),
            ),
            D(
                "acme/api",
                502,
                "a2",
                "production",
                "2026-10-08T09:40:00Z",
                ok("2026-10-08T10:00:00Z"),
            ),
            D(
                "acme/api",
                503,
                "a2",
                "production",
                "2026-10-08T11:40:00Z",
                ok("2026-10-08T12:00:00Z"),
            ),
            D(
                "acme/api",
                504,
                "a3",
                "production",
                "2026-10-09T09:40:00Z",
                ok("2026-10-09T10:00:00Z"),
            ),
            D(
                "acme/api",
                505,
                "a3",
                "staging",
                "2026-10-09T08:40:00Z",
                ok("2026-10-09T08:50:00Z"),
            ),
        ],
        payloads: vec![
            ("acme/shop", 402, "checkout-web"),
            ("acme/shop", 403, "checkout-web"),
        ],
        team_repos: [
            "acme/shop",
            "acme/api",
            "acme/web",
            "acme/worker",
            "acme/deploy",
        ]
        .into_iter()
        .map(|r| ("platform", r, true))
        .collect(),
        apps: vec![
            App(
                "api",
                "https://github.com/acme/api.git",
                vec![
                    (1, "a1", "2026-10-07T10:00:00Z"),
                    (2, "a1", "2026-10-07T15:00:00Z"),
                    (3, "a3", "2026-10-09T10:10:00Z"),
                    (4, "a2", "2026-10-09T12:00:00Z"),
                ],
            ),
            App(
                "storefront",
                "https://github.com/acme/deploy.git",
                vec![
                    (1, "d1", "2026-10-10T12:00:00Z"),
                    (2, "d2", "2026-10-11T12:00:00Z"),
                    (3, "d3", "2026-10-12T12:00:00Z"),
                ],
            ),
        ],
        manifests: vec![
            ("storefront", "d1", storefront("w1", "k1")),
            ("storefront", "d2", storefront("w1", "k2")),
            ("storefront", "d3", storefront("w2", "k2")),
        ],
        components: vec![
            ("api", "acme/api", "group:default/payments"),
            ("checkout-web", "acme/shop", "group:default/storefront"),
        ],
        locations: vec![(
            "checkout-web",
            "url:https://github.com/acme/shop/tree/main/services/checkout-web/",
        )],
        ..Scenario::default()
    }
}

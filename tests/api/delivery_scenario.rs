//! The delivery scenario: a monorepo `acme/shop` with two services deployed separately (`cart`
//! from `[[services]]`, `checkout-web` from a Backstage tree URL), and `acme/api` deployed through
//! both GitHub and ArgoCD with a re-sync, a redeploy and a rollback. The figures computed by hand
//! from it are in `delivery.rs`.

use crate::scenario::{App, Scenario, C, D};

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
        team_repos: vec![
            ("platform", "acme/shop", true),
            ("platform", "acme/api", false),
        ],
        apps: vec![App(
            "api",
            "https://github.com/acme/api.git",
            vec![
                (1, "a1", "2026-10-07T10:00:00Z"),
                (2, "a1", "2026-10-07T15:00:00Z"),
                (3, "a2", "2026-10-09T12:00:00Z"),
            ],
        )],
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

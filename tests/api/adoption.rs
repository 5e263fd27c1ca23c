//! Adoption, of services (DESIGN §5, third round; §7 `org.adoption`): the denominator is the
//! deployable services active in the window. Collected from the stub (GitHub's `fork`,
//! `archived`, `is_template`; `argocd.config_repos` and an Application's config source;
//! `adoption.exclude`) and scored, on SQLite and PostgreSQL.

use dxs::delivery::adoption::Excluded;
use dxs::scoring::{self, Rules};

use crate::collectors::{assert_all_succeeded, at, Env};
use crate::helpers::TestDb;
use crate::scenario::{sha, App, Scenario};

#[tokio::test]
async fn adoption_leaves_out_a_fork_a_config_repository_an_archived_and_an_excluded_one() {
    for db in TestDb::all().await {
        // No catalog (its types would decide): the repositories' own shapes do. Besides the
        // scenario's api, web, infra and old (archived, pushed in 2025: inside the tests' ten-year
        // window), four repositories pushed on 2026-10-09: a fork, the GitOps config repository,
        // an archived one and documentation.
        let mut scenario = Scenario {
            components: vec![],
            ..Scenario::standard()
        };
        let pushed = "2026-10-09T12:00:00Z";
        scenario.repos.extend([
            ("acme/api-fork", pushed, false),
            ("acme/deploy", pushed, false),
            ("acme/legacy", pushed, true),
            ("acme/handbook-docs", pushed, false),
        ]);
        scenario.forks = vec!["acme/api-fork"];
        // And a config repository found as one: an Application over acme/web-deploy whose
        // manifests run web's image (another repository), at w2.
        scenario.repos.push(("acme/web-deploy", pushed, false));
        scenario.apps.push(App(
            "web-prod",
            "https://github.com/acme/web-deploy.git",
            vec![(1, "d1", "2026-10-03T10:30:00Z")],
        ));
        let web = format!("ghcr.io/acme/web:{}", &sha("w2")[..7]);
        let manifest = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": web}]}}}
        });
        scenario
            .manifests
            .push(("web-prod", "d1", vec![manifest.to_string()]));
        let toml = "[argocd]\nconfig_repos = [\"acme/Deploy\"]\n\
                    [adoption]\nexclude = [\"*-docs\"]\n";
        let env = Env::serve(scenario, toml, &[]).await;
        assert_all_succeeded(&env.collect(&db.store).await);

        let rules = Rules::load(&env.config).unwrap();
        let now = at("2026-12-01T00:00:00Z");
        let score = scoring::compute(&db.store, &rules, "2026-Q4".parse().unwrap(), now)
            .await
            .unwrap();
        // Services active in the window: api, web, infra (3). Through the platform (ArgoCD):
        // api, infra, and web through web-prod's config repository (3). 3 / 3.
        let adoption = &score.org.adoption;
        assert_eq!(adoption.services, 3);
        assert_eq!(adoption.platform_repositories, 3);
        assert_eq!(adoption.ratio, Some(1.0));
        let excluded = |repo: &str, why: &str| Excluded {
            repo: repo.into(),
            why: why.into(),
        };
        assert_eq!(
            adoption.excluded,
            [
                excluded("acme/api-fork", "fork"),
                excluded("acme/deploy", "config repository"),
                excluded("acme/handbook-docs", "excluded"),
                excluded("acme/legacy", "archived"),
                excluded("acme/old", "archived"),
                excluded("acme/web-deploy", "config repository"),
            ]
        );
        assert_eq!(score.org.components.get("adoption"), Some(&100.0));
        // In the JSON of the API, as DESIGN §7 writes it.
        let json = serde_json::to_value(&score).unwrap();
        assert_eq!(json["org"]["adoption"]["services"], 3);
        assert_eq!(
            json["org"]["adoption"]["excluded"][1],
            serde_json::json!({"repo": "acme/deploy", "why": "config repository"})
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn with_a_catalog_only_components_of_a_service_type_count() {
    let db = TestDb::sqlite().await;
    // The scenario's catalog: api and web are Components of type "service"; infra has none;
    // old is archived.
    let env = Env::start(&[]).await;
    assert_all_succeeded(&env.collect(&db.store).await);
    let rules = Rules::load(&env.config).unwrap();
    let now = at("2026-12-01T00:00:00Z");
    let score = scoring::compute(&db.store, &rules, "2026-Q4".parse().unwrap(), now)
        .await
        .unwrap();
    // api (ArgoCD) and web (GitHub only): 1 / 2.
    let adoption = &score.org.adoption;
    assert_eq!((adoption.services, adoption.ratio), (2, Some(0.5)));
    assert_eq!(
        adoption.excluded,
        [
            Excluded {
                repo: "acme/infra".into(),
                why: "not a service".into()
            },
            Excluded {
                repo: "acme/old".into(),
                why: "archived".into()
            }
        ]
    );
    db.cleanup().await;
}

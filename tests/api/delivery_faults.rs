//! GitOps bad input against the local stubs: a revision ArgoCD cannot render, a manifest that
//! does not parse, an image of no known repository, a tag naming no git ref (`latest`) and a
//! short SHA naming no commit are each named in the run's warnings, once, and counted in
//! `dxs_collector_warnings_total`; the rest of the run completes, and the next run retries them
//! without reading the revisions already read.

use dxs::collectors::{Outcome, Source};
use dxs::metrics::Metrics;

use crate::collectors::{assert_all_succeeded, summary, Env};
use crate::delivery_scenario::{delivery, workload, CONFIG};
use crate::helpers::TestDb;
use crate::metrics::samples;
use crate::scenario::sha;

#[tokio::test]
async fn unlinkable_revisions_are_named_the_rest_is_stored_and_the_next_run_retries_them() {
    for db in TestDb::all().await {
        let mut scenario = delivery();
        // d1: a third-party sidecar of no known repository, web's migration job tagged `latest`
        // (no git ref of acme/web) and the worker tagged with a short SHA GitHub does not know. d2: ArgoCD
        // cannot render it. d3: one manifest is not JSON.
        scenario.manifests[0]
            .2
            .push(workload("sidecar", "quay.io/other/sidecar:1.0", false));
        scenario.manifests[0]
            .2
            .push(workload("migrate", "ghcr.io/acme/web:latest", true));
        scenario.manifests[0].2[1] = workload("worker", "ghcr.io/acme/worker:deadbee", true);
        scenario.manifests.remove(1);
        scenario.manifests[1]
            .2
            .push("{\"kind\": \"Deployment\", ".to_string());
        let env = Env::serve(scenario, CONFIG, &[]).await;
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);
        let argocd = summary(&summaries, Source::Argocd);
        assert_eq!(argocd.outcome, Outcome::Success);
        let joined = argocd.warnings.join("\n");
        for named in [
            "image quay.io/other/sidecar: no service or repository acme/sidecar",
            "image ghcr.io/acme/web:latest: acme/web: tag latest names no git ref or commit",
            "tag names no commit deadbee",
            &format!("revision {} not rendered", sha("d2")),
            &format!("revision {}: manifest 3 does not parse", sha("d3")),
        ] {
            assert!(joined.contains(named), "{named} not in {joined}");
        }
        assert_eq!(argocd.warnings.len(), 5, "each once: {joined}");
        let runs = db.store.recent_runs(1).await.unwrap();
        assert_eq!((runs[0].source.as_str(), runs[0].warnings), ("argocd", 5));
        let warnings = |metrics: &Metrics| {
            let s = samples(&metrics.encode());
            ["argocd", "github", "orchestrator"]
                .map(|source| s[&format!("dxs_collector_warnings_total{{source=\"{source}\"}}")])
        };
        let metrics = Metrics::default();
        assert_eq!(warnings(&metrics), [0.0; 3], "at 0 before any run");
        metrics.publish_from_store(&db.store).await.unwrap();
        // The orchestrator's run (the first) imports the roster, whose line 5 is bad.
        assert_eq!(warnings(&metrics), [5.0, 0.0, 1.0]);

        // The rest is stored: every GitHub and api figure, and web's w1 from d1.
        let rollouts = db.store.rollouts_between(0, i64::MAX).await.unwrap();
        let services: Vec<&str> = rollouts.iter().map(|(_, r)| r.service.as_str()).collect();
        assert_eq!(services.iter().filter(|s| **s == "acme/api").count(), 4);
        assert_eq!(services.iter().filter(|s| **s == "acme/web").count(), 1);
        assert!(!services.contains(&"acme/worker"));
        let cursor = db
            .store
            .cursor("argocd", "app:argocd/storefront")
            .await
            .unwrap();
        assert_eq!(cursor.as_deref(), Some("0"), "d1 unsettled: tried again");

        // The next run asks the list again (its ETag was not kept), reads d2 and d3 again but
        // not d1 (read once, ever), reports the same five problems and duplicates nothing.
        let before = db.store.counts().await.unwrap();
        env.stub.reset_hits();
        let summaries = env.collect(&db.store).await;
        let argocd = summary(&summaries, Source::Argocd);
        assert_eq!(argocd.warnings.len(), 5, "{:?}", argocd.warnings);
        metrics.publish_from_store(&db.store).await.unwrap();
        assert_eq!(
            warnings(&metrics),
            [10.0, 0.0, 2.0],
            "counted again, once per run"
        );
        let hits = env.stub.hits();
        let manifests: Vec<&str> = hits
            .iter()
            .filter(|h| h.path.contains("/manifests?"))
            .map(|h| h.path.as_str())
            .collect();
        assert_eq!(manifests.len(), 2, "{manifests:?}");
        assert!(!manifests.iter().any(|p| p.contains(&sha("d1"))));
        assert_eq!(db.store.counts().await.unwrap(), before);
        db.cleanup().await;
    }
}

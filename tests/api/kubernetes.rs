//! The kubernetes collector against a local stub of the Kubernetes API server (real
//! `NamespaceList` JSON, paginated with `limit`/`continue`, a 403 and a 500 on demand), reached
//! through a real kubeconfig file; and adoption by namespace, computed by hand.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dxs::collectors::{self, HttpClient, Outcome, Source, SourceSummary};
use dxs::config::Config;
use dxs::model::Namespace;
use dxs::quarter::Quarter;
use dxs::scoring::{self, Rules};
use dxs::store::Store;
use serde_json::{json, Value};

use crate::collectors::failed;
use crate::helpers::{config, TestDb};

/// The service account token the stub expects.
const TOKEN: &str = "kube-test-token";

/// A namespace of the stub cluster: name, labels, creation time.
type StubNamespace = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

#[derive(Default)]
struct ClusterState {
    namespaces: Vec<StubNamespace>,
    /// Answer every list with this status.
    refuse: Option<u16>,
    /// Answer the next list with a 500.
    fail_once: bool,
    /// Requests seen: (`continue` token, authorised).
    seen: Vec<(Option<String>, bool)>,
}

/// The stub API server and a kubeconfig that points at it.
struct Cluster {
    state: Arc<Mutex<ClusterState>>,
    dir: tempfile::TempDir,
}

/// `metadata.creationTimestamp` of the namespaces made before the quarters the tests score.
const LONG_AGO: &str = "2025-01-10T08:00:00Z";

fn standard_namespaces() -> Vec<StubNamespace> {
    let team = |t: &'static str, managed: bool| {
        let mut labels = vec![("team", t), ("kubernetes.io/metadata.name", "x")];
        if managed {
            labels.push(("platform_managed", "true"));
        } else {
            labels.push(("platform_managed", "false"));
        }
        labels
    };
    vec![
        ("payments-api", team("payments", true), LONG_AGO),
        ("payments-worker", team("payments", true), LONG_AGO),
        ("payments-legacy", team("payments", false), LONG_AGO),
        ("search-web", team("search", true), LONG_AGO),
        ("search-index", team("search", false), LONG_AGO),
        (
            "kube-system",
            vec![("kubernetes.io/metadata.name", "kube-system")],
            LONG_AGO,
        ),
        ("monitoring", vec![], LONG_AGO),
    ]
}

impl Cluster {
    async fn start(namespaces: Vec<StubNamespace>) -> Cluster {
        let state = Arc::new(Mutex::new(ClusterState {
            namespaces,
            ..ClusterState::default()
        }));
        let app = axum::Router::new()
            .route("/api/v1/namespaces", axum::routing::get(list))
            .route(
                "/apis/platform.acme.io/v1alpha1/postgresqlinstances",
                axum::routing::get(claims),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: stub\n\
             clusters:\n- name: stub\n  cluster:\n    server: {server}\n\
             users:\n- name: dxs\n  user:\n    token: {TOKEN}\n\
             contexts:\n- name: stub\n  context:\n    cluster: stub\n    user: dxs\n"
        );
        std::fs::write(dir.path().join("kubeconfig"), kubeconfig).unwrap();
        Cluster { state, dir }
    }

    fn config(&self, extra: &[(&str, &str)]) -> Config {
        let path = self.dir.path().join("kubeconfig").display().to_string();
        let mut vars = vec![
            ("DXS_KUBERNETES__ENABLED", "true"),
            ("DXS_KUBERNETES__KUBECONFIG", path.as_str()),
            ("DXS_COLLECT__RETRY_BASE_MS", "1"),
        ];
        vars.extend_from_slice(extra);
        config(&vars)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ClusterState> {
        self.state.lock().unwrap()
    }
}

/// `GET /api/v1/namespaces?limit=N[&continue=T]`: two namespaces per page at most, as the API
/// server answers a `limit`, with `metadata.continue` until the last page.
async fn list(
    State(state): State<Arc<Mutex<ClusterState>>>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut s = state.lock().unwrap();
    let authorised = headers
        .get("authorization")
        .is_some_and(|v| v == format!("Bearer {TOKEN}").as_str());
    s.seen.push((query.get("continue").cloned(), authorised));
    if let Some(code) = s.refuse {
        return status(code, "Forbidden", "namespaces is forbidden: User \"system:serviceaccount:dxs:dxs\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope");
    }
    if std::mem::take(&mut s.fail_once) {
        return status(500, "InternalError", "etcdserver: request timed out");
    }
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(500)
        .min(2);
    let from: usize = query
        .get("continue")
        .and_then(|c| c.strip_prefix("page-"))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let items: Vec<Value> = s
        .namespaces
        .iter()
        .skip(from)
        .take(limit)
        .map(|(name, labels, created)| {
            let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
            json!({
                "metadata": {
                    "name": name,
                    "uid": format!("uid-{name}"),
                    "resourceVersion": "4711",
                    "creationTimestamp": created,
                    "labels": labels,
                },
                "spec": { "finalizers": ["kubernetes"] },
                "status": { "phase": "Active" }
            })
        })
        .collect();
    let next = from + limit;
    let mut metadata = json!({ "resourceVersion": "4711" });
    if next < s.namespaces.len() {
        metadata["continue"] = json!(format!("page-{next}"));
        metadata["remainingItemCount"] = json!(s.namespaces.len() - next);
    }
    Json(json!({
        "kind": "NamespaceList",
        "apiVersion": "v1",
        "metadata": metadata,
        "items": items,
    }))
    .into_response()
}

/// `GET /apis/platform.acme.io/v1alpha1/postgresqlinstances`: four claims of a Crossplane
/// composite resource, as the API server lists them across namespaces.
async fn claims() -> Json<Value> {
    let claim = |ns: &str, name: &str, generation: i64, created: &str, ready: Option<&str>| {
        let conditions = match ready {
            Some(at) => json!([
                {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": created},
                {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": at}
            ]),
            None => json!([
                {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": created},
                {"type": "Ready", "status": "False", "reason": "Creating", "lastTransitionTime": created}
            ]),
        };
        json!({
            "apiVersion": "platform.acme.io/v1alpha1",
            "kind": "PostgreSQLInstance",
            "metadata": {
                "name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}"),
                "generation": generation, "creationTimestamp": created, "resourceVersion": "900"
            },
            "spec": {
                "parameters": {"storageGB": 20},
                "compositionRef": {"name": "postgres-aws"},
                "writeConnectionSecretToRef": {"name": format!("{name}-conn")}
            },
            "status": {"conditions": conditions}
        })
    };
    Json(json!({
        "apiVersion": "platform.acme.io/v1alpha1",
        "kind": "PostgreSQLInstanceList",
        "metadata": {"resourceVersion": "901"},
        "items": [
            claim("payments-api", "orders-db", 1, "2026-10-01T10:00:00Z", Some("2026-10-01T10:12:00Z")),
            claim("payments-api", "ledger-db", 2, "2026-10-02T10:00:00Z", Some("2026-10-02T10:40:00Z")),
            claim("search-web", "index-db", 1, "2026-10-03T10:00:00Z", None),
            claim("kube-system", "scratch-db", 1, "2026-10-04T10:00:00Z", None),
        ],
    }))
}

fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    (StatusCode::from_u16(code).unwrap(), Json(body)).into_response()
}

async fn collect(config: &Config, store: &Store) -> SourceSummary {
    let http = HttpClient::new(&config.collect, store.clone()).unwrap();
    let mut summaries = collectors::collect(
        config,
        store,
        &http,
        &[Source::Kubernetes],
        None,
        Arc::new(collectors::Quiet),
    )
    .await;
    summaries.pop().unwrap()
}

fn by_name(namespaces: &[Namespace]) -> BTreeMap<&str, (Option<&str>, bool, Option<i64>)> {
    namespaces
        .iter()
        .map(|n| {
            (
                n.name.as_str(),
                (n.team.as_deref(), n.managed, n.deleted_at),
            )
        })
        .collect()
}

#[tokio::test]
async fn namespaces_are_listed_page_by_page_with_their_labels_and_kept_when_gone() {
    for db in TestDb::all().await {
        let cluster = Cluster::start(standard_namespaces()).await;
        let config = cluster.config(&[]);
        let first = collect(&config, &db.store).await;
        assert_eq!(first.outcome, Outcome::Success, "{:?}", first.error);
        // 7 namespaces, 2 a page: 4 pages, each asked with the previous page's token.
        {
            let s = cluster.state();
            let tokens: Vec<Option<&str>> = s.seen.iter().map(|(t, _)| t.as_deref()).collect();
            assert_eq!(
                tokens,
                [None, Some("page-2"), Some("page-4"), Some("page-6")]
            );
            assert!(s.seen.iter().all(|(_, authorised)| *authorised));
        }
        assert_eq!((first.stats.requests, first.stats.pages), (4, 4));
        // The two namespaces without a team label are named in the run, not dropped.
        assert_eq!(first.warnings.len(), 1, "{:?}", first.warnings);
        assert!(
            first.warnings[0].contains("2 namespaces without the team label")
                && first.warnings[0].contains("kube-system")
                && first.warnings[0].contains("monitoring"),
            "{:?}",
            first.warnings
        );
        let stored = db.store.namespaces().await.unwrap();
        let rows = by_name(&stored);
        assert_eq!(rows.len(), 7);
        assert_eq!(rows["payments-api"], (Some("payments"), true, None));
        assert_eq!(rows["payments-legacy"], (Some("payments"), false, None));
        assert_eq!(rows["kube-system"], (None, false, None));
        let created = stored.iter().find(|n| n.name == "search-web").unwrap();
        assert_eq!(created.created_at, 1_736_496_000); // 2025-01-10T08:00:00Z

        // Rerun: nothing changes, nothing is duplicated.
        let again = collect(&config, &db.store).await;
        assert_eq!((again.outcome, again.items), (Outcome::Success, 0));
        assert_eq!(db.store.namespaces().await.unwrap(), stored);

        // search-index is deleted from the cluster: kept, with the time it was found gone.
        cluster
            .state()
            .namespaces
            .retain(|(n, _, _)| *n != "search-index");
        let before = chrono::Utc::now().timestamp();
        let gone = collect(&config, &db.store).await;
        assert_eq!((gone.outcome, gone.items), (Outcome::Success, 1));
        let rows = db.store.namespaces().await.unwrap();
        let deleted = rows.iter().find(|n| n.name == "search-index").unwrap();
        assert!(
            deleted.deleted_at.is_some_and(|t| t >= before),
            "{deleted:?}"
        );

        // The metric: namespaces now, per team and for the organisation (unlabelled included).
        let totals = db.store.totals().await.unwrap();
        let count = |team: Option<&str>, managed: bool| {
            totals
                .namespaces
                .iter()
                .find(|n| n.team.as_deref() == team && n.managed == managed)
                .map_or(0, |n| n.count)
        };
        assert_eq!(
            (
                count(Some("payments"), true),
                count(Some("payments"), false)
            ),
            (2, 1)
        );
        assert_eq!(
            (count(Some("search"), true), count(Some("search"), false)),
            (1, 0)
        );
        assert_eq!(count(None, false), 2);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_forbidden_list_fails_the_source_by_name_and_a_500_is_retried() {
    let db = TestDb::sqlite().await;
    let cluster = Cluster::start(standard_namespaces()).await;
    let config = cluster.config(&[]);

    cluster.state().fail_once = true;
    let retried = collect(&config, &db.store).await;
    assert_eq!(retried.outcome, Outcome::Success, "{:?}", retried.error);
    assert_eq!(db.store.namespaces().await.unwrap().len(), 7);
    assert_eq!(retried.stats.requests, 5, "one retry, then four pages");

    cluster.state().refuse = Some(403);
    let refused = collect(&config, &db.store).await;
    let error = failed(&refused);
    assert!(
        error.starts_with("kubernetes: ") && error.contains("403") && error.contains("forbidden"),
        "{error}"
    );
    assert_eq!(refused.stats.requests, 1, "a 403 is not retried");
    // Nothing stored is lost, nothing is marked gone by a failed listing.
    let rows = db.store.namespaces().await.unwrap();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().all(|n| n.deleted_at.is_none()));
    db.cleanup().await;
}

#[tokio::test]
async fn no_reachable_cluster_fails_only_the_kubernetes_source() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    // A cluster nobody listens on (port 9 is discard, closed on loopback).
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:9\n\
         users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n",
    )
    .unwrap();
    let path = path.display().to_string();
    let config = config(&[
        ("DXS_KUBERNETES__ENABLED", "true"),
        ("DXS_KUBERNETES__KUBECONFIG", &path),
        ("DXS_COLLECT__RETRY_BASE_MS", "1"),
        ("DXS_COLLECT__MAX_RETRIES", "1"),
    ]);
    let summary = collect(&config, &db.store).await;
    assert!(failed(&summary).starts_with("kubernetes: "));
    assert_eq!(summary.stats.requests, 2, "the first try and one retry");
    let runs = db.store.recent_runs(5).await.unwrap();
    assert_eq!(
        (runs[0].source.as_str(), runs[0].outcome.as_str()),
        ("kubernetes", "error")
    );
    db.cleanup().await;
}

/// Adoption by namespace, by hand: at the end of 2026-Q3, payments has 2 managed of 3
/// namespaces, search 1 of 3 (search-old existed then; it was deleted in Q4), the organisation 3
/// of 6 (kube-system and monitoring have no team: not counted). In Q4, search-old is gone and
/// search-new (managed) was created: search 2 of 3, the organisation 4 of 6.
#[tokio::test]
async fn adoption_by_namespace_counts_what_existed_at_the_end_of_each_quarter() {
    for db in TestDb::all().await {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        let ns = |name: &str,
                  team: Option<&str>,
                  managed: bool,
                  created: &str,
                  deleted: Option<&str>| {
            Namespace {
                name: name.into(),
                team: team.map(String::from),
                managed,
                created_at: at(created),
                deleted_at: deleted.map(at),
            }
        };
        let long_ago = "2025-01-10T08:00:00Z";
        let batch = dxs::store::FactBatch {
            namespaces: vec![
                ns("payments-api", Some("payments"), true, long_ago, None),
                ns("payments-worker", Some("payments"), true, long_ago, None),
                ns("payments-legacy", Some("payments"), false, long_ago, None),
                ns("search-web", Some("search"), true, long_ago, None),
                ns("search-index", Some("search"), false, long_ago, None),
                ns(
                    "search-old",
                    Some("search"),
                    false,
                    long_ago,
                    Some("2026-10-15T00:00:00Z"),
                ),
                ns(
                    "search-new",
                    Some("search"),
                    true,
                    "2026-10-20T00:00:00Z",
                    None,
                ),
                ns("kube-system", None, false, long_ago, None),
                ns("monitoring", None, false, long_ago, None),
            ],
            ..Default::default()
        };
        db.store.write_batch(&batch).await.unwrap();
        let config = config(&[
            ("DXS_KUBERNETES__ENABLED", "true"),
            ("DXS_SCORE__ADOPTION_BASIS", "namespaces"),
        ]);
        let rules = Rules::load(&config).unwrap();
        let now = at("2026-11-20T00:00:00Z");
        let figures = |score: &scoring::Score, team: &str| {
            let t = if team == "all" {
                &score.org
            } else {
                score.teams.iter().find(|t| t.team == team).unwrap()
            };
            (
                t.adoption.basis.clone(),
                t.adoption.managed_namespaces,
                t.adoption.namespaces,
                t.adoption.ratio,
                t.components.get("adoption").copied(),
            )
        };
        let q3 = scoring::compute(
            &db.store,
            &rules,
            "2026-Q3".parse::<Quarter>().unwrap(),
            now,
        )
        .await
        .unwrap();
        let basis = || "namespaces".to_string();
        assert_eq!(
            figures(&q3, "payments"),
            (basis(), 2, 3, Some(0.6667), Some(66.7))
        );
        assert_eq!(
            figures(&q3, "search"),
            (basis(), 1, 3, Some(0.3333), Some(33.3))
        );
        assert_eq!(figures(&q3, "all"), (basis(), 3, 6, Some(0.5), Some(50.0)));
        let q4 = scoring::compute(
            &db.store,
            &rules,
            "2026-Q4".parse::<Quarter>().unwrap(),
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            figures(&q4, "search"),
            (basis(), 2, 3, Some(0.6667), Some(66.7))
        );
        assert_eq!(
            figures(&q4, "all"),
            (basis(), 4, 6, Some(0.6667), Some(66.7))
        );

        // The default basis still counts repositories (none here).
        let by_repos = Rules::load(&crate::helpers::config(&[])).unwrap();
        let q4 = scoring::compute(
            &db.store,
            &by_repos,
            "2026-Q4".parse::<Quarter>().unwrap(),
            now,
        )
        .await
        .unwrap();
        assert_eq!(q4.org.adoption.basis, "repositories");
        assert_eq!(q4.org.components.get("adoption"), None);
        db.cleanup().await;
    }
}

/// Crossplane claims, by hand (timeout 60 minutes): orders-db Ready after 12 min (success, no
/// help), ledger-db Ready after 40 min but its spec was edited (generation 2: finished with human
/// intervention), index-db never Ready (failed at creation + 60 min), scratch-db in a namespace
/// without a team (named, not counted).
#[tokio::test]
async fn crossplane_claims_become_self_service_requests() {
    for db in TestDb::all().await {
        let cluster = Cluster::start(standard_namespaces()).await;
        let config = cluster.config(&[(
            "DXS_KUBERNETES__CLAIMS",
            r#"["postgresqlinstances.platform.acme.io/v1alpha1"]"#,
        )]);
        let summary = collect(&config, &db.store).await;
        assert_eq!(summary.outcome, Outcome::Success, "{:?}", summary.error);
        assert!(
            summary.warnings.iter().any(|w| w
                .contains("1 claims in namespaces without a team label")
                && w.contains("kube-system/scratch-db")),
            "{:?}",
            summary.warnings
        );
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        let rows: Vec<(String, String, String, bool, Option<i64>)> = db
            .store
            .requests()
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.external_id,
                    r.team,
                    r.status.as_str().to_string(),
                    r.human_intervention,
                    r.finished_at,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "uid-payments-api-ledger-db".to_string(),
                    "payments".to_string(),
                    "succeeded".to_string(),
                    true,
                    Some(at("2026-10-02T10:40:00Z"))
                ),
                (
                    "uid-payments-api-orders-db".to_string(),
                    "payments".to_string(),
                    "succeeded".to_string(),
                    false,
                    Some(at("2026-10-01T10:12:00Z"))
                ),
                (
                    "uid-search-web-index-db".to_string(),
                    "search".to_string(),
                    "failed".to_string(),
                    false,
                    Some(at("2026-10-03T11:00:00Z"))
                ),
            ]
        );
        // Again: nothing new, nothing changed.
        let again = collect(&config, &db.store).await;
        assert_eq!((again.outcome, again.items), (Outcome::Success, 0));
        // The self-service figure of payments: 1 success without help of 2 finished.
        let totals = db.store.totals().await.unwrap();
        let payments = totals
            .requests
            .iter()
            .find(|r| r.team == "payments")
            .unwrap();
        assert_eq!((payments.finished, payments.succeeded), (2, 1));
        db.cleanup().await;
    }
}

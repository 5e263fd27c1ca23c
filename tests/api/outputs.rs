//! The outputs read only snapshots (DESIGN §1): with every fact table emptied after the scoring
//! pass, `/report`, `/api/v1` and the signed-in home page are byte for byte what they were.

use dxs::scoring;
use dxs::store::TableCounts;
use sqlx::Connection;

use crate::access::TOKEN;
use crate::helpers::{config, TestApp, TestDb};
use crate::report::quarters;

/// Tables an output may read: the snapshots, and the migrations' own bookkeeping.
const SNAPSHOT_TABLES: [&str; 5] = [
    "score_snapshots",
    "snapshot_evidence",
    "snapshot_version",
    "store_summary",
    "_sqlx_migrations",
];

/// Empties every other table of `db` (facts, survey, sessions, collector runs and cursors) and
/// returns their names.
async fn empty_every_fact_table(db: &TestDb) -> Vec<String> {
    let keep = |tables: Vec<(String,)>| -> Vec<String> {
        tables
            .into_iter()
            .map(|(t,)| t)
            .filter(|t| !SNAPSHOT_TABLES.contains(&t.as_str()))
            .collect()
    };
    if db.url().starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
        let sql = "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()";
        let tables = keep(sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap());
        let truncate = format!("TRUNCATE {} CASCADE", tables.join(", "));
        sqlx::query(&truncate).execute(&mut conn).await.unwrap();
        tables
    } else {
        let mut conn = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut conn)
            .await
            .unwrap();
        let sql =
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
        let tables = keep(sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap());
        for table in &tables {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        tables
    }
}

/// Status and body of each of `paths`, read with the admin token.
async fn read(app: &TestApp, paths: &[&str]) -> Vec<(u16, String)> {
    let client = reqwest::Client::new();
    let mut pages = Vec::new();
    for path in paths {
        let response = client
            .get(app.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        pages.push((response.status().as_u16(), response.text().await.unwrap()));
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_api_and_home_are_unchanged_once_every_fact_table_is_emptied() {
    for db in TestDb::all().await {
        dxs::demo::fill(&db.store, 42, "2026-11-25".parse().unwrap())
            .await
            .unwrap();
        let config = config(&[("DXS_ADMIN_TOKEN", TOKEN)]);
        scoring::refresh(&db.store, &config, &quarters())
            .await
            .unwrap();
        let app = TestApp::spawn(config, db.store.clone()).await;
        let paths = [
            "/report?quarter=2026-Q4",
            "/report?quarter=2026-Q4&detail=names",
            "/report?quarter=2026-Q3&sort=dxs",
            "/report",
            "/api/v1/score?quarter=2026-Q4",
            "/api/v1/score?quarter=2026-Q1",
            "/api/v1/quarters",
            "/",
        ];
        let before = read(&app, &paths).await;
        for ((status, _), path) in before.iter().zip(paths) {
            assert_eq!(*status, 200, "{path}");
        }
        // What the outputs showed from the facts before is in the snapshot now.
        let report = &before[0].1;
        assert!(
            report.contains("<ul class=\"themes\" id=\"themes\">"),
            "themes"
        );
        assert!(
            !report.contains("<p id=\"cohort\">0 developers"),
            "a cohort"
        );
        assert!(report.contains("<table id=\"freshness\">"), "freshness");
        let home = &before[7].1;
        assert!(home.contains("<li>payments</li>"), "team names");
        assert!(
            home.contains("<td class=\"num\">120</td>"),
            "120 developers"
        );

        let emptied = empty_every_fact_table(&db).await;
        for table in ["developers", "commits", "survey_answers", "collector_runs"] {
            assert!(emptied.iter().any(|t| t == table), "{table} emptied");
        }
        assert_eq!(db.store.counts().await.unwrap(), TableCounts::default());
        assert!(db.store.recent_runs(1).await.unwrap().is_empty());
        let after = read(&app, &paths).await;
        for ((b, a), path) in before.iter().zip(&after).zip(paths) {
            assert!(b == a, "{path} changed once the facts were gone");
        }
        drop(app);
        db.cleanup().await;
    }
}

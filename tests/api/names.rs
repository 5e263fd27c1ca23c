//! Names compare as GitHub does, and onboarding is per person (DESIGN §5, third round): an org
//! written `Acme` for GitHub's `acme`, a roster login `ADA` for GitHub's `ada`, the roster as a
//! spreadsheet writes it (BOM, quoted commas, columns by header, CRLF) with each row's time
//! zone, a bad row that loses nothing else, and a rehire searched again from the new start.

use dxs::collectors::Source;

use crate::collectors::{assert_all_succeeded, at, Env};
use crate::helpers::TestDb;

/// The roster as a spreadsheet exports it. Row 4's time zone does not exist.
const ROSTER: &str = "\u{feff}login,name,team,start_date,timezone\r\n\
                      ADA,\"Lovelace, Ada\",payments,2026-10-01,America/Los_Angeles\r\n\
                      bob,\"Smith, Bob\",search,2026-10-02,Asia/Kolkata\r\n\
                      cy,\"Young, Cy\",search,2026-10-05,Mars/Olympus\r\n";

/// `(login, start, first commit)` of every roster developer.
async fn onboarding(store: &dxs::store::Store) -> Vec<(String, i64, Option<i64>)> {
    let rows = store.onboarding().await.unwrap();
    rows.into_iter()
        .map(|o| (o.login, o.start_at, o.first_commit_at))
        .collect()
}

#[tokio::test]
async fn org_and_login_case_roster_time_zones_and_quoted_fields_and_a_rehire() {
    for db in TestDb::all().await {
        let env = Env::start(&[("DXS_GITHUB__ORG", "Acme")]).await;
        let roster = env.dir.path().join("roster.csv");
        std::fs::write(&roster, ROSTER).unwrap();
        let summaries = env.collect(&db.store).await;
        assert_all_succeeded(&summaries);

        // `Acme` collects GitHub's `acme`: its three live repositories (and the archived one)
        // and the four successful production deployments of the scenario.
        let repos: Vec<String> = db
            .store
            .repositories()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.slug)
            .collect();
        assert_eq!(repos, ["acme/api", "acme/infra", "acme/old", "acme/web"]);
        let counts = db.store.counts().await.unwrap();
        assert_eq!(counts.deployments, 4 + 4, "GitHub's four and ArgoCD's four");

        // ADA starts at midnight in Los Angeles (PDT, UTC−7): 2026-10-01 07:00 UTC; GitHub's
        // `ada` first commits a1 at 09:30 UTC: 2.5 h (9.5 h if the start were UTC). bob starts
        // at midnight in Kolkata (UTC+5:30): 2026-10-01 18:30 UTC; his first commit a3 at
        // 2026-10-02 08:00 UTC: 13.5 h (8 h in UTC). cy's row names no real time zone: it is
        // one warning naming the line and the column, the other rows loaded.
        let ada_start = at("2026-10-01T07:00:00Z");
        let bob_start = at("2026-10-01T18:30:00Z");
        assert_eq!(
            onboarding(&db.store).await,
            [
                ("ADA".into(), ada_start, Some(ada_start + 9_000)),
                ("bob".into(), bob_start, Some(bob_start + 48_600)),
            ]
        );
        let warnings: Vec<&String> = summaries.iter().flat_map(|s| &s.warnings).collect();
        let cy: Vec<&&String> = warnings
            .iter()
            .filter(|w| w.contains("line 4, column timezone: ") && w.contains("Mars/Olympus"))
            .collect();
        assert_eq!(cy.len(), 1, "{warnings:?}");

        // Found once: the idle rerun asks no search.
        env.stub.reset_hits();
        assert_all_succeeded(&env.collect(&db.store).await);
        let searched = |hits: &[crate::stub::Hit]| -> Vec<String> {
            hits.iter()
                .filter(|h| h.path.starts_with("/gh/search/commits"))
                .map(|h| h.path.clone())
                .collect()
        };
        assert_eq!(searched(&env.stub.hits()), Vec::<String>::new());

        // ADA is rehired on 2026-10-04 (UTC this time): searched again from the new start; her
        // first commit since is w3 at 09:00 UTC: 9 h.
        std::fs::write(
            &roster,
            ROSTER.replace("2026-10-01,America/Los_Angeles", "2026-10-04,"),
        )
        .unwrap();
        env.stub.reset_hits();
        assert_all_succeeded(&env.collect(&db.store).await);
        assert_eq!(
            searched(&env.stub.hits()),
            [
                "/gh/search/commits?q=author%3AADA+org%3AAcme+committer-date%3A%3E%3D\
              2026-10-04T00%3A00%3A00Z&sort=committer-date&order=asc&per_page=1"
            ]
        );
        let rehired = at("2026-10-04T00:00:00Z");
        assert_eq!(
            onboarding(&db.store).await[0],
            ("ADA".into(), rehired, Some(rehired + 9 * 3600))
        );
        assert!(summaries.iter().any(|s| s.source == Source::Github));
        db.cleanup().await;
    }
}

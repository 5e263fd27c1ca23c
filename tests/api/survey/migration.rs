//! Migration 0007 moves the survey of the shape before it (responses written in the transaction
//! that used their invite, in the order of submission, with the day) to the shape of DESIGN §10
//! without losing a response, an answer or a used invite; and the later migrations keep them
//! (0020: the quarter's survey window, the invites' use keys).

use std::borrow::Cow;
use std::fmt::Write;

use dxs::store::AnswerRow;
use sqlx::migrate::Migrator;
use sqlx::Connection;

use crate::helpers::TestDb;

const QUARTER: &str = "2026-Q3";
const RESPONSES: usize = 12;

/// The migrations up to 0006 of `migrator`.
fn before_0007(mut migrator: Migrator) -> Migrator {
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version <= 6)
            .cloned()
            .collect(),
    );
    migrator
}

/// The team of response `i`.
fn team(i: usize) -> &'static str {
    ["mobile", "payments", "payments"][i % 3]
}

/// The answers of response `i`: `(question, number, text)`.
fn answers(i: usize) -> [(&'static str, Option<f64>, Option<String>); 4] {
    [
        ("deploy_ease", Some((i % 10 + 1) as f64), None),
        ("pain_point", None, Some(format!("pain point {i}"))),
        ("recommend", Some((i % 11) as f64), None),
        ("wait_time", None, Some("often".into())),
    ]
}

/// `RESPONSES` responses in the shape of migration 0006 (with the day of submission), and one
/// more invite that has not answered.
fn old_rows() -> String {
    let mut sql = String::new();
    for i in 0..=RESPONSES {
        let team = team(i);
        let issued = 1_751_328_000 + i * 3600;
        writeln!(sql, "INSERT INTO survey_invites (invite_hash, quarter, team, issued_at) VALUES ('h{i:02}', '{QUARTER}', '{team}', {issued});").unwrap();
        if i == RESPONSES {
            break;
        }
        writeln!(
            sql,
            "INSERT INTO survey_invite_uses (invite_hash) VALUES ('h{i:02}');"
        )
        .unwrap();
        writeln!(sql, "INSERT INTO survey_responses (id, quarter, team, submitted_on) VALUES ('r{i:02}', '{QUARTER}', '{team}', '2026-09-{:02}');", 10 + i).unwrap();
        for (question, number, text) in answers(i) {
            let number = number.map_or("NULL".into(), |n| n.to_string());
            let text = text.map_or("NULL".into(), |t| format!("'{t}'"));
            writeln!(sql, "INSERT INTO survey_answers (response_id, question, number, text, quarter, team) VALUES ('r{i:02}', '{question}', {number}, {text}, '{QUARTER}', '{team}');").unwrap();
        }
    }
    sql
}

#[tokio::test]
async fn migration_0007_keeps_every_response_answer_and_used_invite() {
    for db in TestDb::all_empty().await {
        if db.url().starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
            before_0007(sqlx::migrate!("migrations/postgres"))
                .run(&mut conn)
                .await
                .unwrap();
            sqlx::raw_sql(&old_rows()).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        } else {
            let mut conn = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
            before_0007(sqlx::migrate!("migrations/sqlite"))
                .run(&mut conn)
                .await
                .unwrap();
            sqlx::raw_sql(&old_rows()).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        db.store.migrate().await.unwrap();

        let expected: Vec<AnswerRow> = (0..RESPONSES)
            .flat_map(|i| {
                answers(i).map(|(question, number, text)| AnswerRow {
                    response_id: format!("r{i:02}"),
                    team: team(i).into(),
                    question: question.into(),
                    number,
                    text,
                })
            })
            .collect();
        assert_eq!(
            db.store.answers(QUARTER).await.unwrap(),
            expected,
            "{}",
            db.url()
        );
        for i in 0..=RESPONSES {
            let invite = db.store.invite(&format!("h{i:02}")).await.unwrap().unwrap();
            assert_eq!(invite.used, i < RESPONSES, "invite {i}");
            assert_eq!(invite.team, team(i));
        }
        assert!(db.store.held_responses().await.unwrap().is_empty());
        // Migration 0020: the invited quarter's survey opened at the quarter's start, not closed
        // yet (the first tick closes it: its window has passed), each invite used under its hash.
        let window = db.store.survey_window(QUARTER).await.unwrap().unwrap();
        let start = QUARTER.parse::<dxs::quarter::Quarter>().unwrap().start();
        assert_eq!(
            (window.opened_at, window.closed_at, window.frozen_k),
            (start, None, None)
        );
        db.cleanup().await;
    }
}

//! Nothing readable links (DESIGN §10): a response posted to a served `dxs` is held sealed, so
//! no file of the data directory (the database, its WAL, its shared memory) holds its answers in
//! clear before the release. After it, no page of the database and no transaction of the WAL
//! holds both an answer and a used invite's hash, and the held box is nowhere (the WAL was
//! truncated, the deleted row zeroed by `secure_delete`). On PostgreSQL, the held row holds no
//! answer, not even in the table's raw pages (dead rows included), and the released answers share
//! no transaction with a used invite. A box that does not
//! open (another survey secret) keeps its whole quarter held, with an error naming the count;
//! a row held in clear before sealing is sealed by the next release pass.

use std::path::Path;

use dxs::config::Secret;
use dxs::model::{invite_hash, Answer};
use dxs::quarter::Quarter;
use dxs::seal::SealKey;
use dxs::store::{Held, StoreError, SubmitOutcome};
use dxs::survey::invites;
use sqlx::Connection;

use super::{csrf_of, held_rows, sealing_key, SECRET};
use crate::helpers::{rand_u64, ServeProcess, TestDb};

/// `score.min_group_size` of the default configuration: the fifth response releases the batch.
const BATCH: usize = 5;
/// Bytes of the WAL's header (SQLite's file format).
const WAL_HEADER: usize = 32;
/// Bytes of a WAL frame's header, before its page.
const FRAME_HEADER: usize = 24;

/// A complete form for `token` with distinctive numbers and `pain_point` as the free text.
fn form(token: &str, pain_point: &str) -> Vec<(String, String)> {
    [
        ("invite", token),
        ("csrf", &csrf_of(token)),
        ("deploy_ease", "3"),
        ("wait_time", "often"),
        ("docs_clarity", "2"),
        ("recommend", "1"),
        ("pain_point", pain_point),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Every file of `dir` (the database, `-wal`, `-shm`) with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

/// Where `needle` starts in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// A big-endian `u32` at `at`.
fn be32(bytes: &[u8], at: usize) -> usize {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
}

/// What a reader of `file` sees together: each page of the database (rows of one table, or a
/// free page), each transaction of the WAL (its frames up to its commit frame, which names the
/// database's size), anything else whole. A byte distance would say nothing: two pages side by
/// side in the file are nodes of unrelated tables.
fn units<'a>(file: &str, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    if file.ends_with("-wal") {
        if bytes.len() < WAL_HEADER {
            return vec![bytes];
        }
        let frame = FRAME_HEADER + be32(bytes, 8);
        let (mut units, mut start) = (Vec::new(), WAL_HEADER);
        let mut at = WAL_HEADER;
        while at + frame <= bytes.len() {
            at += frame;
            if be32(bytes, at - frame + 4) != 0 {
                units.push(&bytes[start..at]);
                start = at;
            }
        }
        units.push(&bytes[start..]);
        units
    } else if file.ends_with(".db") {
        let page = match u16::from_be_bytes([bytes[16], bytes[17]]) {
            1 => 65536,
            n => usize::from(n),
        };
        bytes.chunks(page).collect()
    } else {
        vec![bytes]
    }
}

/// The pages of PostgreSQL's `table` as its data file holds them, dead rows included
/// (`pageinspect`, which the tests' superuser may create).
async fn raw_pages(url: &str, table: &str) -> Vec<Vec<u8>> {
    let mut pg = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pageinspect")
        .execute(&mut pg)
        .await
        .unwrap();
    let sql = "SELECT get_raw_page($1, n::int) FROM generate_series(0, \
               pg_relation_size($1::regclass) / current_setting('block_size')::int - 1) n";
    let pages: Vec<(Vec<u8>,)> = sqlx::query_as(sql)
        .bind(table)
        .fetch_all(&mut pg)
        .await
        .unwrap();
    pages.into_iter().map(|(p,)| p).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_response_is_nowhere_in_clear_and_after_its_release_no_invite_lies_near_it() {
    for db in TestDb::all().await {
        let quarter = Quarter::current();
        let tokens: Vec<String> = (0..BATCH)
            .map(|i| invites::token(&Secret::new(SECRET), quarter, &format!("dev{i}")))
            .collect();
        let rows: Vec<(String, String, String)> = tokens
            .iter()
            .map(|t| (invite_hash(t), quarter.to_string(), "payments".into()))
            .collect();
        db.store.create_invites(&rows).await.unwrap();
        let serve = ServeProcess::start(
            db.url(),
            &[],
            &[
                ("DXS_SURVEY_SECRET", SECRET),
                ("DXS_ADMIN_TOKEN", "an-admin-token-of-the-sealing-test"),
                ("DXS_COLLECT__INTERVAL_SECS", "0"),
            ],
        );
        let client = reqwest::Client::new();
        let post = |i: usize, marker: String| {
            let request = client
                .post(format!("{}/survey", serve.address))
                .form(&form(&tokens[i], &marker));
            async move { request.send().await.unwrap().status() }
        };
        let marker = format!("unique pain marker {:016x}", rand_u64());
        assert_eq!(post(0, marker.clone()).await, 200);
        // The answers as they would be in clear: the free text, and a number with its question.
        let number = br#""deploy_ease","number":3.0"#;
        let plain = serde_json::to_vec(&Answer {
            question: "deploy_ease".into(),
            number: Some(3.0),
            text: None,
        })
        .unwrap();
        assert_eq!(find(&plain, number).len(), 1, "the number's clear form");

        let held = held_rows(db.url()).await;
        assert_eq!(held.len(), 1, "held, not released");
        for (row, _) in &held {
            assert!(find(row, marker.as_bytes()).is_empty(), "no free text held");
            assert!(find(row, number).is_empty(), "no number held");
        }
        let sqlite_dir = db
            .url()
            .strip_prefix("sqlite://")
            .map(|f| Path::new(f).parent().unwrap().to_path_buf());
        let boxes: Vec<&Vec<u8>> = held.iter().map(|(_, sealed)| sealed).collect();
        if sqlite_dir.is_none() {
            let pages = raw_pages(db.url(), "survey_pending").await;
            assert!(!pages.is_empty());
            for page in &pages {
                assert!(find(page, marker.as_bytes()).is_empty(), "a held page");
                assert!(find(page, number).is_empty(), "a held page");
            }
        }
        if let Some(dir) = &sqlite_dir {
            let scanned = files(dir);
            let names: Vec<&String> = scanned.iter().map(|(f, _)| f).collect();
            assert!(names.iter().any(|f| f.ends_with("-wal")), "{names:?}");
            for (file, bytes) in &scanned {
                assert!(
                    find(bytes, marker.as_bytes()).is_empty(),
                    "{file}: the free text"
                );
                assert!(find(bytes, number).is_empty(), "{file}: an answer");
            }
        }

        // The fifth response forms the batch: the server releases it before it answers.
        for i in 1..BATCH {
            assert_eq!(post(i, format!("another pain {i}")).await, 200);
        }
        assert!(held_rows(db.url()).await.is_empty(), "released");
        let hashes: Vec<String> = tokens.iter().map(|t| invite_hash(t)).collect();
        if let Some(dir) = &sqlite_dir {
            let scanned = files(dir);
            let mut seen = 0;
            for (file, bytes) in &scanned {
                for sealed in boxes.iter().copied() {
                    assert!(find(bytes, sealed).is_empty(), "{file}: the held box");
                }
                for unit in units(file, bytes) {
                    if find(unit, marker.as_bytes()).is_empty() {
                        continue;
                    }
                    seen += 1;
                    for hash in &hashes {
                        assert!(
                            find(unit, hash.as_bytes()).is_empty(),
                            "{file}: a used invite in the page or transaction of an answer"
                        );
                    }
                }
            }
            assert!(seen > 0, "the released answer is in the files, in clear");
        } else {
            let mut pg = sqlx::PgConnection::connect(db.url()).await.unwrap();
            let (answers, shared): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM survey_answers WHERE text = $1), \
                 (SELECT COUNT(*) FROM survey_answers a JOIN survey_invite_uses u \
                  ON a.xmin::text = u.xmin::text)",
            )
            .bind(&marker)
            .fetch_one(&mut pg)
            .await
            .unwrap();
            assert_eq!(answers, 1, "released in clear");
            assert_eq!(
                shared, 0,
                "no answer shares a transaction with a used invite"
            );
            // The held row is dead, or vacuumed away: its page never holds the answers.
            for page in raw_pages(db.url(), "survey_pending").await {
                assert!(find(&page, marker.as_bytes()).is_empty(), "a dead held row");
                assert!(find(&page, number).is_empty(), "a dead held row");
            }
        }
        serve.stop();
        db.cleanup().await;
    }
}

/// An answer of one number.
fn answer(question: &str, number: f64) -> Vec<Answer> {
    vec![Answer {
        question: question.into(),
        number: Some(number),
        text: None,
    }]
}

#[tokio::test]
async fn a_box_of_another_secret_keeps_its_quarter_held_until_the_previous_secret_is_given() {
    for db in TestDb::all().await {
        let store = &db.store;
        // Three responses to 2026-Q3, one sealed under an older secret; two to 2026-Q4.
        let quarters = ["2026-Q3", "2026-Q3", "2026-Q3", "2026-Q4", "2026-Q4"];
        let invites: Vec<(String, String, String)> = quarters
            .iter()
            .enumerate()
            .map(|(i, q)| (format!("h{i}"), q.to_string(), "mobile".into()))
            .collect();
        store.create_invites(&invites).await.unwrap();
        let (old, new) = (SealKey::random(), sealing_key());
        for i in 0..quarters.len() {
            let key = if i == 0 { &old } else { &new };
            let outcome = store
                .submit_response(&format!("h{i}"), &answer("deploy_ease", 4.0), key)
                .await
                .unwrap();
            assert_eq!(outcome, SubmitOutcome::Stored);
        }
        let error = store.release_responses(1, 0, &new).await.unwrap_err();
        assert!(
            matches!(error, StoreError::Sealed { ref quarter, count: 1, held: 3 } if quarter == "2026-Q3"),
            "{error:?}"
        );
        assert!(error.to_string().contains("survey.secret_env"), "{error}");
        assert_eq!(
            store.held_responses().await.unwrap(),
            [Held {
                quarter: "2026-Q3".into(),
                responses: 3
            }],
            "none of 2026-Q3 released, none dropped"
        );
        assert!(store.answers("2026-Q3").await.unwrap().is_empty());
        assert_eq!(
            store.answers("2026-Q4").await.unwrap().len(),
            2,
            "the other quarter is released"
        );
        // Neither secret alone opens the quarter; the new one with the previous one does.
        let released = store.release_responses(1, 0, &old).await;
        assert!(matches!(released, Err(StoreError::Sealed { count: 2, .. })));
        let both = new.clone().or_previous(old);
        let released = store.release_responses(1, 0, &both).await.unwrap();
        assert_eq!(
            released,
            [Held {
                quarter: "2026-Q3".into(),
                responses: 3
            }],
            "released whole"
        );
        assert!(store.held_responses().await.unwrap().is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_row_held_in_clear_before_sealing_is_sealed_by_the_next_release_pass() {
    for db in TestDb::all().await {
        let store = &db.store;
        let quarter = Quarter::current().to_string();
        let insert =
            "INSERT INTO survey_pending (id, quarter, team, answers) VALUES ($1, $2, $3, $4)";
        let json = r#"[{"question":"deploy_ease","number":6.0,"text":null}]"#;
        if db.url().starts_with("postgres") {
            let mut pg = sqlx::PgConnection::connect(db.url()).await.unwrap();
            let q = sqlx::query(insert)
                .bind("legacy")
                .bind(&quarter)
                .bind("mobile");
            q.bind(json).execute(&mut pg).await.unwrap();
        } else {
            let mut lite = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
            let q = sqlx::query(insert)
                .bind("legacy")
                .bind(&quarter)
                .bind("mobile");
            q.bind(json).execute(&mut lite).await.unwrap();
        }
        let key = sealing_key();
        // A batch of 5 is not there: nothing released, but the row is sealed.
        assert!(store
            .release_responses(5, 0, &key)
            .await
            .unwrap()
            .is_empty());
        let held = held_rows(db.url()).await;
        assert_eq!(held.len(), 1);
        assert!(find(&held[0].0, b"deploy_ease").is_empty(), "sealed");
        // The quarter's end releases it, opened.
        let released = store.release_responses(5, i64::MAX, &key).await.unwrap();
        assert_eq!(released[0].responses, 1);
        let answers = store.answers(&quarter).await.unwrap();
        assert_eq!(answers.len(), 1);
        assert_eq!(
            (answers[0].question.as_str(), answers[0].number),
            ("deploy_ease", Some(6.0))
        );
        db.cleanup().await;
    }
}

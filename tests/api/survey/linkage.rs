//! Unlinkable responses (DESIGN §10): 40 responses submitted through the form one by one, each
//! held sealed until its batch forms, then the raw database read, system columns included (PostgreSQL `xmin` and `ctid`, SQLite
//! `rowid`). No value stored with the used invites matches a response better than chance, no
//! transaction wrote both, and no time finer than the quarter is stored.
//!
//! The statistic is Spearman's rank correlation ρ of the true pairs (invite i, response i): the
//! rank of invite i's row by a value of the used invites against the rank of response i's rows
//! by a value of the responses, for every such pair of values. Under chance, ρ of n = 40 pairs
//! is about normal with standard deviation 1/√39 ≈ 0.16 (1 % two-sided critical value ≈ 0.41).
//! The bound is |ρ| < 0.6 (z ≈ 3.7, p ≈ 2·10⁻⁴ per pair): the values compared are a few dozen
//! pairs per run, so the test raises a false alarm well under once in a hundred runs, while any
//! order that follows the submissions — exactly (ρ = 1, the n-th used invite being the n-th
//! response by rowid) or batch by batch (ρ ≈ 0.97 for 8 batches of 5) — lies far above it.

use std::collections::{BTreeMap, BTreeSet};

use dxs::config::Secret;
use dxs::model::invite_hash;
use dxs::survey::invites;
use reqwest::Client;
use sqlx::Connection;

use super::{held_rows, release_held, survey_config, valid_form, QUARTER, SECRET};
use crate::helpers::{TestApp, TestDb};

const RESPONSES: usize = 40;
/// `score.min_group_size` of the default configuration: the form releases every fifth response.
const BATCH: usize = 5;
/// The largest |ρ| accepted (see the module's note).
const MAX_RHO: f64 = 0.6;

/// Ranks of `values`, 1 for the smallest; equal values share their mean rank.
fn ranks<K: Ord>(values: &[K]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].cmp(&values[*b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let j = (i..order.len())
            .take_while(|j| values[order[*j]] == values[order[i]])
            .last()
            .unwrap();
        for o in &order[i..=j] {
            ranks[*o] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ of `a` and `b`: Pearson's correlation of their ranks; 0 when either is constant
/// (a value all rows share orders nothing).
fn spearman<A: Ord, B: Ord>(a: &[A], b: &[B]) -> f64 {
    let (a, b) = (ranks(a), ranks(b));
    let mean = (a.len() as f64 + 1.0) / 2.0;
    let dot = |x: &[f64], y: &[f64]| -> f64 {
        x.iter().zip(y).map(|(x, y)| (x - mean) * (y - mean)).sum()
    };
    let (va, vb) = (dot(&a, &a), dot(&b, &b));
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        dot(&a, &b) / (va * vb).sqrt()
    }
}

#[test]
fn spearman_flags_the_same_order_and_not_a_shuffled_one() {
    let order: Vec<usize> = (0..40).collect();
    assert_eq!(
        spearman(&order, &order),
        1.0,
        "the n-th invite is the n-th response"
    );
    let reversed: Vec<usize> = order.iter().rev().copied().collect();
    assert_eq!(spearman(&order, &reversed), -1.0);
    // Batches of 5 in the order of submission, shuffled inside: still far above the bound.
    let batches: Vec<usize> = order.iter().map(|i| i / 5 * 5 + (i * 3) % 5).collect();
    assert!(spearman(&order, &batches) > 0.95);
    assert_eq!(
        spearman(&order, &[7; 40]),
        0.0,
        "a shared value orders nothing"
    );
    assert_eq!(ranks(&["b", "a", "b", "c"]), [2.5, 1.0, 2.5, 4.0]);
    let shuffled: Vec<usize> = order.iter().map(|i| (i * 17 + 5) % 40).collect();
    assert!(spearman(&order, &shuffled).abs() < MAX_RHO);
}

/// One row as read: its key (hash or id) and, on PostgreSQL, `xmin` and `ctid`.
struct Row {
    key: String,
    xmin: Option<u64>,
    ctid: Option<(u64, u64)>,
}

/// The raw survey tables, each in the order a plain `SELECT` returns it.
struct Raw {
    uses: Vec<Row>,
    responses: Vec<Row>,
    /// `(row, question, text)`; the row's key is the response id.
    answers: Vec<(Row, String, Option<String>)>,
    /// Column names of each survey table.
    columns: BTreeMap<&'static str, BTreeSet<String>>,
}

const TABLES: [&str; 5] = [
    "survey_invites",
    "survey_invite_uses",
    "survey_pending",
    "survey_responses",
    "survey_answers",
];

fn ctid(text: &str) -> (u64, u64) {
    let (page, tuple) = text
        .trim_matches(|c| c == '(' || c == ')')
        .split_once(',')
        .unwrap();
    (page.parse().unwrap(), tuple.parse().unwrap())
}

async fn postgres_rows(db: &mut sqlx::PgConnection, sql: &str) -> Vec<Row> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(sql).fetch_all(db).await.unwrap();
    rows.into_iter()
        .map(|(key, xmin, c)| Row {
            key,
            xmin: Some(xmin.parse().unwrap()),
            ctid: Some(ctid(&c)),
        })
        .collect()
}

async fn read_postgres(url: &str) -> Raw {
    let mut db = sqlx::PgConnection::connect(url).await.unwrap();
    let uses = postgres_rows(
        &mut db,
        "SELECT use_key, xmin::text, ctid::text FROM survey_invite_uses",
    )
    .await;
    let responses = postgres_rows(
        &mut db,
        "SELECT id, xmin::text, ctid::text FROM survey_responses",
    )
    .await;
    let answers: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT response_id, xmin::text, ctid::text, question, text FROM survey_answers",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let mut columns = BTreeMap::new();
    for table in TABLES {
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1",
        )
        .bind(table)
        .fetch_all(&mut db)
        .await
        .unwrap();
        columns.insert(table, names.into_iter().map(|(n,)| n).collect());
    }
    Raw {
        uses,
        responses,
        answers: answers
            .into_iter()
            .map(|(key, xmin, c, question, text)| {
                let row = Row {
                    key,
                    xmin: Some(xmin.parse().unwrap()),
                    ctid: Some(ctid(&c)),
                };
                (row, question, text)
            })
            .collect(),
        columns,
    }
}

async fn read_sqlite(url: &str) -> Raw {
    let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
    // Written WITHOUT ROWID: the order of insertion is nowhere, not even in a rowid.
    for table in &TABLES[1..] {
        let rowid = sqlx::query(&format!("SELECT rowid FROM {table}"))
            .fetch_all(&mut db)
            .await;
        assert!(rowid.is_err(), "{table} has a rowid");
    }
    let row = |(key,): (String,)| Row {
        key,
        xmin: None,
        ctid: None,
    };
    let keys = |sql: &'static str| sqlx::query_as::<_, (String,)>(sql);
    let uses = keys("SELECT use_key FROM survey_invite_uses")
        .fetch_all(&mut db)
        .await
        .unwrap();
    let responses = keys("SELECT id FROM survey_responses")
        .fetch_all(&mut db)
        .await
        .unwrap();
    let answers: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT response_id, question, text FROM survey_answers")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let mut columns = BTreeMap::new();
    for table in TABLES {
        let names: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info($1)")
            .bind(table)
            .fetch_all(&mut db)
            .await
            .unwrap();
        columns.insert(table, names.into_iter().map(|(n,)| n).collect());
    }
    Raw {
        uses: uses.into_iter().map(row).collect(),
        responses: responses.into_iter().map(row).collect(),
        answers: answers
            .into_iter()
            .map(|(key, question, text)| (row((key,)), question, text))
            .collect(),
        columns,
    }
}

/// Every value a reader could order `rows` by (found at `positions` of a plain `SELECT`), each
/// named: the key, the position, and on PostgreSQL `xmin` and `ctid`.
fn values(rows: &[&Row], positions: &[usize], prefix: &str) -> Vec<(String, Vec<String>)> {
    let mut out = vec![
        (
            format!("{prefix} key"),
            rows.iter().map(|r| r.key.clone()).collect(),
        ),
        (
            format!("{prefix} position"),
            positions.iter().map(|p| format!("{p:06}")).collect(),
        ),
    ];
    if rows.iter().all(|r| r.xmin.is_some()) {
        out.push((
            format!("{prefix} xmin"),
            rows.iter()
                .map(|r| format!("{:020}", r.xmin.unwrap()))
                .collect(),
        ));
        out.push((
            format!("{prefix} ctid"),
            rows.iter()
                .map(|r| {
                    let (page, tuple) = r.ctid.unwrap();
                    format!("{page:012}.{tuple:06}")
                })
                .collect(),
        ));
    }
    out
}

/// The pain point that marks submission `i`, so the test (and only the test) knows its response.
fn marker(i: usize) -> String {
    format!("pain point number {i:02}")
}

#[tokio::test]
async fn forty_responses_through_the_form_leave_nothing_that_links_them_to_their_invites() {
    for db in TestDb::all().await {
        let app = TestApp::spawn(survey_config(), db.store.clone()).await;
        let quarter = QUARTER.parse().unwrap();
        let tokens: Vec<String> = (0..RESPONSES)
            .map(|i| invites::token(&Secret::new(SECRET), quarter, &format!("dev{i:02}")))
            .collect();
        let rows: Vec<(String, String, String)> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (invite_hash(t), QUARTER.into(), format!("team{}", i % 4)))
            .collect();
        app.store.create_invites(&rows).await.unwrap();
        // Submission i uses invite (17·i) mod 40: not the order the invites were made in.
        let used: Vec<&String> = (0..RESPONSES)
            .map(|i| &tokens[i * 17 % RESPONSES])
            .collect();
        for (i, token) in used.iter().enumerate() {
            let response = Client::new()
                .post(app.url("/survey"))
                .form(&valid_form(token, &marker(i)))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "submission {i}");
            // Held until its batch forms, sealed: no held row holds its free text.
            let m = marker(i);
            for (row, _) in held_rows(db.url()).await {
                assert!(
                    !row.windows(m.len()).any(|w| w == m.as_bytes()),
                    "submission {i} held in clear"
                );
            }
        }
        assert_eq!(release_held(&app.store).await, 0, "every batch went out");
        let raw = if db.url().starts_with("postgres") {
            read_postgres(db.url()).await
        } else {
            read_sqlite(db.url()).await
        };

        // The rows of submission i, by the marker only the test knows.
        let response_of: BTreeMap<&str, &str> = raw
            .answers
            .iter()
            .filter(|(_, q, _)| q == "pain_point")
            .filter_map(|(row, _, text)| Some((text.as_deref()?, row.key.as_str())))
            .collect();
        let position = |rows: &[Row], key: &str| rows.iter().position(|r| r.key == key).unwrap();
        let (mut uses, mut use_positions) = (Vec::new(), Vec::new());
        let (mut responses, mut response_positions) = (Vec::new(), Vec::new());
        let (mut answers, mut answer_positions) = (Vec::new(), Vec::new());
        for (i, token) in used.iter().enumerate() {
            let p = position(&raw.uses, &invite_hash(token));
            uses.push(&raw.uses[p]);
            use_positions.push(p);
            let id = response_of[marker(i).as_str()];
            let p = position(&raw.responses, id);
            responses.push(&raw.responses[p]);
            response_positions.push(p);
            // A response's answers: the first of its rows.
            let p = raw
                .answers
                .iter()
                .position(|(r, _, _)| r.key == id)
                .unwrap();
            answers.push(&raw.answers[p].0);
            answer_positions.push(p);
        }
        assert_eq!(raw.uses.len(), RESPONSES);
        assert_eq!(raw.responses.len(), RESPONSES);

        // No transaction wrote both a used invite and a response or an answer.
        let xmins =
            |rows: &[&Row]| -> BTreeSet<u64> { rows.iter().filter_map(|r| r.xmin).collect() };
        let all_answers: Vec<&Row> = raw.answers.iter().map(|(r, _, _)| r).collect();
        let shared: Vec<_> = xmins(&uses)
            .intersection(&(&xmins(&responses) | &xmins(&all_answers)))
            .copied()
            .collect();
        assert!(shared.is_empty(), "shared xmin {shared:?}");

        // What the database alone gives: no value of the used invites ranks the true pairs
        // like any value of the responses or their answers.
        let invite_values = values(&uses, &use_positions, "used invite");
        let mut response_values = values(&responses, &response_positions, "response");
        response_values.extend(values(&answers, &answer_positions, "answer"));
        for (a, va) in &invite_values {
            for (b, vb) in &response_values {
                let rho = spearman(va, vb);
                assert!(rho.abs() < MAX_RHO, "{}: ρ({a}, {b}) = {rho:.2}", db.url());
            }
        }

        // What an observer of the submissions adds: their order. Responses go out in batches
        // of BATCH (each its own transaction on PostgreSQL: that much is knowable, and is the
        // k-anonymity the release gives); inside a batch no value follows the submissions.
        if uses[0].xmin.is_some() {
            let mut batches: BTreeMap<u64, usize> = BTreeMap::new();
            for r in &responses {
                *batches.entry(r.xmin.unwrap()).or_default() += 1;
            }
            assert!(batches.values().all(|n| *n >= BATCH), "{batches:?}");
        }
        for (b, vb) in &response_values {
            let (mut within_submission, mut within_value) = (Vec::new(), Vec::new());
            for batch in (0..RESPONSES).collect::<Vec<_>>().chunks(BATCH) {
                let r = ranks(&batch.iter().map(|i| &vb[*i]).collect::<Vec<_>>());
                within_submission.extend(1..=batch.len());
                within_value.extend(r.iter().map(|r| (r * 2.0) as usize));
            }
            let rho = spearman(&within_submission, &within_value);
            assert!(
                rho.abs() < MAX_RHO,
                "{}: ρ(submission order, {b}) in batches = {rho:.2}",
                db.url()
            );
        }

        // No time finer than the quarter: these columns and no others.
        let expected: BTreeMap<&str, &[&str]> = BTreeMap::from([
            (
                "survey_invites",
                &["invite_hash", "quarter", "team", "use_key"][..],
            ),
            ("survey_invite_uses", &["use_key"][..]),
            (
                "survey_pending",
                &["answers", "id", "quarter", "sealed", "team"][..],
            ),
            ("survey_responses", &["id", "quarter", "team"][..]),
            (
                "survey_answers",
                &[
                    "number",
                    "quarter",
                    "question",
                    "response_id",
                    "team",
                    "text",
                ][..],
            ),
        ]);
        for (table, columns) in expected {
            let found: Vec<&str> = raw.columns[table].iter().map(String::as_str).collect();
            assert_eq!(found, columns, "{table}");
        }
        drop(app);
        db.cleanup().await;
    }
}

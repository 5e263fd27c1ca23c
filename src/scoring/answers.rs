//! Survey aggregates per team and for the organisation: each scored answer becomes a 0–100
//! value by the rules of the survey definition, and its mean per question is the question's
//! component. Also the raw means, the NPS groups and the choice distributions.
//!
//! NPS as a mean: a promoter counts 100, a passive 50, a detractor 0, so the mean is
//! (100·P + 50·Pa)/N = (NPS + 100)/2 exactly.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::group::by_team;
use super::score::NpsCounts;
use crate::store::Dictionary;
use crate::survey::{QuestionKind, SurveyDefinition};

/// Aggregates of one question for one team or the organisation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionFigures {
    /// Mean 0–100 value: the question's component.
    pub component: Option<f64>,
    /// Valid answers.
    pub answers: i64,
    /// Mean of the numeric answers.
    pub mean: Option<f64>,
    /// NPS groups, for an nps question.
    pub nps: Option<NpsCounts>,
}

/// Survey aggregates of one team or the organisation, by question id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyAggregates {
    /// Per question.
    pub questions: BTreeMap<String, QuestionFigures>,
    /// Per choice question, answers per choice value.
    pub choices: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Computes the survey aggregates of every team and of the organisation (`ORG_CODE`).
pub fn aggregate(
    answers: &DataFrame,
    definition: &SurveyDefinition,
    questions: &Dictionary,
    choices: &Dictionary,
) -> PolarsResult<BTreeMap<u32, SurveyAggregates>> {
    let mut out: BTreeMap<u32, SurveyAggregates> = BTreeMap::new();
    let scored = answers
        .clone()
        .lazy()
        .with_column(value(definition, questions, choices).alias("value"))
        .collect()?;
    let number = col("number");
    let valid = col("value").is_not_null();
    let rows = by_team(
        &scored,
        &["question"],
        &[
            col("value").mean().alias("component"),
            col("value").count().alias("answers"),
            number.clone().filter(valid.clone()).mean().alias("mean"),
            valid
                .clone()
                .and(number.clone().gt_eq(lit(9.0)))
                .sum()
                .alias("promoters"),
            valid
                .clone()
                .and(number.clone().gt_eq(lit(7.0)))
                .and(number.clone().lt(lit(9.0)))
                .sum()
                .alias("passives"),
            valid.and(number.lt(lit(7.0))).sum().alias("detractors"),
        ],
    )?;
    for row in rows {
        let Some(question) = row.keys[0].and_then(|q| {
            definition
                .questions
                .iter()
                .find(|d| d.id == questions.values[q as usize])
        }) else {
            continue;
        };
        let figures = QuestionFigures {
            component: row.get("component"),
            answers: row.count("answers"),
            mean: if question.kind.range().is_some() {
                row.get("mean")
            } else {
                None
            },
            nps: (question.kind == QuestionKind::Nps).then(|| NpsCounts {
                promoters: row.count("promoters"),
                passives: row.count("passives"),
                detractors: row.count("detractors"),
            }),
        };
        out.entry(row.team)
            .or_default()
            .questions
            .insert(question.id.clone(), figures);
    }
    let chosen = scored
        .lazy()
        .filter(col("choice").is_not_null().and(col("value").is_not_null()))
        .collect()?;
    for row in by_team(
        &chosen,
        &["question", "choice"],
        &[col("value").count().alias("n")],
    )? {
        let (Some(q), Some(c)) = (row.keys[0], row.keys[1]) else {
            continue;
        };
        out.entry(row.team)
            .or_default()
            .choices
            .entry(questions.values[q as usize].clone())
            .or_default()
            .insert(choices.values[c as usize].clone(), row.count("n"));
    }
    Ok(out)
}

/// The 0–100 value of an answer, by its question's kind; null for an answer out of range or
/// a question that is not scored.
fn value(definition: &SurveyDefinition, questions: &Dictionary, choices: &Dictionary) -> Expr {
    let mut expr = lit(NULL).cast(DataType::Float64);
    let number = col("number");
    for q in definition
        .questions
        .iter()
        .filter(|q| q.component.is_some())
    {
        let Some(code) = questions.values.iter().position(|v| *v == q.id) else {
            continue;
        };
        let this = col("question").eq(lit(code as u32));
        let v = match q.kind {
            QuestionKind::Scale | QuestionKind::Nps => {
                let (lo, hi) = q.kind.range().unwrap_or((0.0, 10.0));
                let in_range = number
                    .clone()
                    .gt_eq(lit(lo))
                    .and(number.clone().lt_eq(lit(hi)));
                let scored = if q.kind == QuestionKind::Scale {
                    (number.clone() - lit(lo)) / lit(hi - lo) * lit(100.0)
                } else {
                    when(number.clone().gt_eq(lit(9.0)))
                        .then(lit(100.0))
                        .when(number.clone().gt_eq(lit(7.0)))
                        .then(lit(50.0))
                        .otherwise(lit(0.0))
                };
                when(in_range)
                    .then(scored)
                    .otherwise(lit(NULL).cast(DataType::Float64))
            }
            QuestionKind::Choice => {
                q.choices
                    .iter()
                    .fold(lit(NULL).cast(DataType::Float64), |acc, c| {
                        match choices.values.iter().position(|v| *v == c.value) {
                            Some(cc) => when(col("choice").eq(lit(cc as u32)))
                                .then(lit(c.score))
                                .otherwise(acc),
                            None => acc,
                        }
                    })
            }
            QuestionKind::Text => continue,
        };
        expr = when(this).then(v).otherwise(expr);
    }
    expr
}

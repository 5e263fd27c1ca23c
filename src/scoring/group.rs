//! One aggregation run twice, per team and for the organisation, with its small result read
//! back into Rust. Every value is cast to `f64` in the query, so reading is uniform.

use std::collections::HashMap;

use polars::prelude::*;

/// The group code of the organisation (team codes are dense from 0).
pub const ORG_CODE: u32 = u32::MAX;

/// One result row: the team (or [`ORG_CODE`]), the extra key codes, and the values by name.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// Team code, or [`ORG_CODE`].
    pub team: u32,
    /// Codes of the extra keys, in the order given.
    pub keys: Vec<Option<u32>>,
    values: HashMap<String, Option<f64>>,
}

impl GroupRow {
    /// The value of aggregate `name` (`None` for a null, such as a median of nothing).
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied().flatten()
    }

    /// The value of a count aggregate.
    pub fn count(&self, name: &str) -> i64 {
        self.get(name).unwrap_or(0.0) as i64
    }
}

/// Runs `aggs` over `df` grouped by `team` (rows with no team are left out) and `keys`, and
/// over the whole frame grouped by `keys` only (the organisation). Aggregates must be named
/// with `alias`.
pub fn by_team(df: &DataFrame, keys: &[&str], aggs: &[Expr]) -> PolarsResult<Vec<GroupRow>> {
    let aggs: Vec<Expr> = aggs
        .iter()
        .map(|e| e.clone().cast(DataType::Float64))
        .collect();
    let mut team_keys = vec![col("team")];
    team_keys.extend(keys.iter().map(|k| col(*k)));
    let teams = df
        .clone()
        .lazy()
        .filter(col("team").is_not_null())
        .group_by(team_keys)
        .agg(aggs.clone())
        .collect()?;
    let org = if keys.is_empty() {
        df.clone().lazy().select(aggs).collect()?
    } else {
        let by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
        df.clone().lazy().group_by(by).agg(aggs).collect()?
    };
    let mut rows = read(&teams, true, keys)?;
    rows.extend(read(&org, false, keys)?);
    Ok(rows)
}

fn read(df: &DataFrame, with_team: bool, keys: &[&str]) -> PolarsResult<Vec<GroupRow>> {
    let team = if with_team {
        Some(df.column("team")?.u32()?.clone())
    } else {
        None
    };
    let key_columns = keys
        .iter()
        .map(|k| Ok(df.column(k)?.u32()?.clone()))
        .collect::<PolarsResult<Vec<_>>>()?;
    let value_columns = df
        .columns()
        .iter()
        .filter(|c| c.name() != "team" && !keys.contains(&c.name().as_str()))
        .map(|c| Ok((c.name().to_string(), c.f64()?.clone())))
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok((0..df.height())
        .map(|i| GroupRow {
            team: team.as_ref().and_then(|t| t.get(i)).unwrap_or(ORG_CODE),
            keys: key_columns.iter().map(|k| k.get(i)).collect(),
            values: value_columns
                .iter()
                .map(|(name, c)| (name.clone(), c.get(i)))
                .collect(),
        })
        .collect())
}

//! The score as a text table for `dxs score --format table`.

use std::fmt::Write;

use super::score::{Score, TeamScore};

/// Renders `score`: one line per team and the organisation, one column per component.
pub fn render_table(score: &Score) -> String {
    let mut components: Vec<&String> = score
        .teams
        .iter()
        .chain([&score.org])
        .flat_map(|t| t.components.keys())
        .collect();
    components.sort();
    components.dedup();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "DXS {} (computed {})",
        score.quarter, score.computed_at
    );
    let _ = write!(out, "{:<16} {:>6}", "team", "dxs");
    for c in &components {
        let _ = write!(out, " {:>12}", c);
    }
    let _ = writeln!(out, " {:>9}  note", "responses");
    let mut line = |t: &TeamScore| {
        let _ = write!(out, "{:<16} {:>6}", t.team, num(t.dxs));
        for c in &components {
            let _ = write!(out, " {:>12}", num(t.components.get(*c).copied()));
        }
        let _ = write!(out, " {:>9}", t.responses);
        let mut note = Vec::new();
        if t.hidden {
            note.push("survey hidden (few responses here or by subtraction)".to_string());
        }
        if !t.missing.is_empty() {
            note.push(format!("missing: {}", t.missing.join(", ")));
        }
        let _ = writeln!(out, "  {}", note.join("; "));
    };
    for t in &score.teams {
        line(t);
    }
    line(&score.org);
    out
}

fn num(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |x| format!("{x:.1}"))
}

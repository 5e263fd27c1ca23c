//! The report's data-quality parts: the active repositories adoption does not count as
//! services, summarised by why (fork, archived, config repository, …) with the full list
//! folded. Formatted from the snapshot only.

use std::collections::BTreeMap;

use crate::scoring::TeamScore;

/// Why some active repositories are not services, and how many.
pub struct ExclusionCount {
    /// The reason: `fork`, `archived`, `template`, `config repository`, `excluded` or `not a
    /// service`.
    pub why: String,
    /// Repositories left out for it.
    pub repos: usize,
}

/// The organisation's excluded repositories counted by reason, most first.
pub fn exclusion_counts(org: &TeamScore) -> Vec<ExclusionCount> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &org.adoption.excluded {
        *counts.entry(e.why.as_str()).or_default() += 1;
    }
    let mut rows: Vec<ExclusionCount> = counts
        .into_iter()
        .map(|(why, repos)| ExclusionCount {
            why: why.to_string(),
            repos,
        })
        .collect();
    rows.sort_by(|a, b| b.repos.cmp(&a.repos).then_with(|| a.why.cmp(&b.why)));
    rows
}

/// `repo (why)` of each excluded repository, by name.
pub fn exclusions(org: &TeamScore) -> Vec<String> {
    let mut rows: Vec<String> = org
        .adoption
        .excluded
        .iter()
        .map(|e| format!("{} ({})", e.repo, e.why))
        .collect();
    rows.sort();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::adoption::Excluded;

    #[test]
    fn exclusions_are_counted_by_reason_most_first() {
        let mut org = TeamScore::default();
        for (repo, why) in [
            ("acme/fork-b", "fork"),
            ("acme/deploy", "config repository"),
            ("acme/fork-a", "fork"),
        ] {
            org.adoption.excluded.push(Excluded {
                repo: repo.into(),
                why: why.into(),
            });
        }
        let counts: Vec<(String, usize)> = exclusion_counts(&org)
            .into_iter()
            .map(|c| (c.why, c.repos))
            .collect();
        assert_eq!(
            counts,
            [
                ("fork".to_string(), 2),
                ("config repository".to_string(), 1)
            ]
        );
        assert_eq!(
            exclusions(&org),
            [
                "acme/deploy (config repository)",
                "acme/fork-a (fork)",
                "acme/fork-b (fork)"
            ]
        );
    }
}

//! Case-insensitive globs, as the configuration writes them for names (`production-*`,
//! `prod-??`, `*-docs`): `*` matches any run of characters (none included, `/` included), `?`
//! exactly one, every other character itself, ASCII case ignored. Nothing else is special, so a
//! name with `[` or `.` means itself. A [`Glob`] exists only when valid (not empty, no
//! whitespace or control character).

use std::fmt;
use std::str::FromStr;

/// A glob that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a name or a glob such as \"production-*\", got {0:?}")]
pub struct GlobError(pub String);

/// A case-insensitive glob over names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    written: String,
    lower: Vec<char>,
}

impl FromStr for Glob {
    type Err = GlobError;

    fn from_str(s: &str) -> Result<Glob, GlobError> {
        let valid = !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        valid
            .then(|| Glob {
                written: s.to_string(),
                lower: s.to_ascii_lowercase().chars().collect(),
            })
            .ok_or_else(|| GlobError(s.to_string()))
    }
}

impl fmt::Display for Glob {
    /// The glob as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl Glob {
    /// True when `name` matches, ASCII case ignored.
    pub fn matches(&self, name: &str) -> bool {
        let text: Vec<char> = name.to_ascii_lowercase().chars().collect();
        let (p, t) = (&self.lower, &text);
        // Iterative matching with one backtrack point: the last `*` and where it resumed.
        let (mut i, mut j) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while j < t.len() {
            match p.get(i) {
                Some('*') => {
                    star = Some((i, j));
                    i += 1;
                }
                Some(&c) if c == '?' || c == t[j] => {
                    i += 1;
                    j += 1;
                }
                _ => match star {
                    Some((si, sj)) => {
                        i = si + 1;
                        j = sj + 1;
                        star = Some((si, sj + 1));
                    }
                    None => return false,
                },
            }
        }
        p[i..].iter().all(|&c| c == '*')
    }

    /// True when the glob has no wildcard: it names exactly one name.
    pub fn is_literal(&self) -> bool {
        !self.lower.iter().any(|&c| c == '*' || c == '?')
    }
}

/// True when any of `globs` matches `name`.
pub fn any_matches(globs: &[Glob], name: &str) -> bool {
    globs.iter().any(|g| g.matches(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(s: &str) -> Glob {
        s.parse().unwrap()
    }

    #[test]
    fn stars_and_question_marks_match_case_insensitively() {
        let prod = glob("production-*");
        assert!(prod.matches("production-eu"));
        assert!(prod.matches("Production-US-East-1"));
        assert!(prod.matches("production-"));
        assert!(!prod.matches("production"));
        assert!(!prod.matches("preproduction-eu"));
        assert!(glob("production/*").matches("production/us-east-1"));
        assert!(!glob("production/*").matches("production"));
        assert!(glob("PRD").matches("prd"));
        assert!(!glob("prd").matches("prd2"));
        assert!(glob("prod-??").matches("prod-eu"));
        assert!(!glob("prod-??").matches("prod-eu1"));
        assert!(glob("*-docs").matches("acme/api-docs"));
        assert!(glob("*a*b*c").matches("xxaxxbxxbc"));
        assert!(!glob("*a*b*c").matches("xxaxxbxxb"));
        assert!(glob("*").matches(""));
        assert!(glob("v1.[x]").matches("V1.[X]"));
        assert!(!glob("v1.2").matches("v1x2"));
    }

    #[test]
    fn literals_are_told_apart_and_bad_globs_refused() {
        assert!(glob("production").is_literal());
        assert!(!glob("prod-*").is_literal());
        assert!(!glob("prod-?").is_literal());
        for bad in ["", "prod uction", "prod\t", "a\u{7}"] {
            assert_eq!(bad.parse::<Glob>(), Err(GlobError(bad.to_string())));
        }
        assert_eq!(glob("Prod-*").to_string(), "Prod-*");
        assert!(any_matches(&[glob("prd"), glob("live")], "LIVE"));
        assert!(!any_matches(&[], "live"));
    }
}

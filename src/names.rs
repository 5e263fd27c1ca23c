//! Names that come from outside (a roster line, a webhook, the configuration), checked once at
//! the edge: a [`Login`], a [`TeamName`] or a [`RepoSlug`] exists only when valid. Inside dxs
//! they become the plain strings of [`crate::model`].

use std::fmt;
use std::str::FromStr;

/// Longest name accepted (GitHub's own limits are lower).
const MAX_CHARS: usize = 100;

/// A name that is not valid: what was expected and what came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, got {got:?}")]
pub struct NameError {
    /// What a valid name looks like.
    pub expected: &'static str,
    /// The text given.
    pub got: String,
}

/// Letters, digits, `-` and `_` (GitHub logins, Enterprise Managed Users' `_shortcode` too),
/// not starting with `-`.
fn is_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_CHARS
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A GitHub login: letters, digits, `-` and `_`, not starting with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Login(String);

impl FromStr for Login {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Login, NameError> {
        is_login(s).then(|| Login(s.into())).ok_or(NameError {
            expected: "a GitHub login",
            got: s.into(),
        })
    }
}

/// A team's name as rosters, catalogs and webhooks give it: not empty, no space around it, no
/// control character and no comma (it is a CSV field and a label value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TeamName(String);

impl FromStr for TeamName {
    type Err = NameError;

    fn from_str(s: &str) -> Result<TeamName, NameError> {
        let valid = !s.is_empty()
            && s.chars().count() <= MAX_CHARS
            && s.trim() == s
            && !s.chars().any(|c| c.is_control() || c == ',');
        valid.then(|| TeamName(s.into())).ok_or(NameError {
            expected: "a team name (no comma, no control character)",
            got: s.into(),
        })
    }
}

/// A repository as `owner/name`: the owner a login, the name letters, digits, `-`, `_` and `.`
/// (not `.` or `..`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoSlug(String);

impl FromStr for RepoSlug {
    type Err = NameError;

    fn from_str(s: &str) -> Result<RepoSlug, NameError> {
        let valid = s.split_once('/').is_some_and(|(owner, name)| {
            is_login(owner)
                && !name.is_empty()
                && name.len() <= MAX_CHARS
                && name != "."
                && name != ".."
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        });
        valid.then(|| RepoSlug(s.into())).ok_or(NameError {
            expected: "owner/name",
            got: s.into(),
        })
    }
}

macro_rules! name_conversions {
    ($($name:ident),*) => {$(
        impl $name {
            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }
    )*};
}

name_conversions!(Login, TeamName, RepoSlug);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_letters_digits_hyphens_and_underscores() {
        for ok in ["ada", "dev-0001", "octocat_acme", "A1"] {
            assert_eq!(ok.parse::<Login>().unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "d@n",
            "-ada",
            "al ice",
            "dependabot[bot]",
            &"a".repeat(101),
        ] {
            let e = bad.parse::<Login>().unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("expected a GitHub login, got {bad:?}")
            );
        }
    }

    #[test]
    fn team_names_have_no_comma_control_or_surrounding_space() {
        for ok in ["payments", "Data Platform", "group:default/search"] {
            assert_eq!(String::from(ok.parse::<TeamName>().unwrap()), ok);
        }
        for bad in ["", " payments", "a,b", "pay\nments", &"t".repeat(101)] {
            assert!(bad.parse::<TeamName>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        for ok in ["acme/pay-api", "acme/shop.web", "octo_org/x_y"] {
            assert_eq!(ok.parse::<RepoSlug>().unwrap().to_string(), ok);
        }
        for bad in [
            "acme",
            "acme/",
            "/pay",
            "acme/pay/api",
            "acme/..",
            "ac me/pay",
            "acme/p y",
        ] {
            let e = bad.parse::<RepoSlug>().unwrap_err();
            assert_eq!(e.expected, "owner/name", "{bad:?}");
        }
    }
}

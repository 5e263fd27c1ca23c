//! The `[auth]` and `[metrics]` sections: who may read the report, the API and `/metrics`.
//!
//! A secret is read from the variable its `*_env` key names; an admin token shorter than
//! [`MIN_ADMIN_TOKEN_CHARS`] is refused (a guessable token is worse than none). An SSO header
//! counts only from `trusted_proxies`, so it is refused without them.

use std::net::IpAddr;
use std::str::FromStr;

use serde::Deserialize;

use super::{invalid, ConfigError, Secret};

/// Shortest admin token accepted (128 bits as hex).
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// Access to `/report`, `/api` and the SSO survey lookup.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Bearer token, from the environment variable named by `auth.admin_token_env`.
    pub admin_token: Option<Secret>,
    /// Header set by a trusted SSO proxy (e.g. `X-Forwarded-User`), if any.
    pub trusted_user_header: Option<String>,
    /// Peers whose `trusted_user_header` (and `X-Forwarded-For`) is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// SSO users who may read the report.
    pub admins: Admins,
    /// Lifetime of a `/login` session, in hours.
    pub session_hours: u32,
}

/// SSO users allowed to read the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admins {
    /// `["*"]`: every signed-in user.
    Everyone,
    /// Only these logins (empty: nobody).
    Only(Vec<String>),
}

impl Admins {
    /// `user` may read the report.
    pub fn allows(&self, user: &str) -> bool {
        match self {
            Admins::Everyone => true,
            Admins::Only(users) => users.iter().any(|u| u.eq_ignore_ascii_case(user)),
        }
    }
}

/// `/metrics` access.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// Bearer token `/metrics` asks for, from the variable named by `metrics.token_env`.
    pub token: Option<Secret>,
}

/// A network in CIDR notation (`10.0.0.0/8`, `::1/128`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `ip` is inside this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("expected a CIDR such as 10.0.0.0/8, got {s:?}"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            max
        } else {
            prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("expected a prefix length 0-{max} in {s:?}"))?
        };
        Ok(Cidr { network, prefix })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawAuth {
    admin_token_env: String,
    trusted_user_header: String,
    trusted_proxies: Vec<String>,
    admins: Vec<String>,
    session_hours: i64,
}

impl Default for RawAuth {
    fn default() -> Self {
        RawAuth {
            admin_token_env: "DXS_ADMIN_TOKEN".into(),
            trusted_user_header: String::new(),
            trusted_proxies: Vec::new(),
            admins: Vec::new(),
            session_hours: 8,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawMetrics {
    token_env: String,
}

/// Reads a secret from the variable `env` names (`None` when `env` is empty or unset).
pub(super) type ReadSecret<'a> = &'a dyn Fn(&str, &str) -> Result<Option<Secret>, ConfigError>;

pub(super) fn validate_auth(raw: RawAuth, read: ReadSecret) -> Result<AuthConfig, ConfigError> {
    let admin_token = read("auth.admin_token_env", &raw.admin_token_env)?;
    long_enough("auth.admin_token_env", &raw.admin_token_env, &admin_token)?;
    let trusted_proxies = raw
        .trusted_proxies
        .iter()
        .map(|c| c.parse().map_err(|e| invalid("auth.trusted_proxies", e)))
        .collect::<Result<Vec<Cidr>, _>>()?;
    let header = raw.trusted_user_header.trim().to_string();
    if !header.is_empty() {
        axum::http::HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
            invalid(
                "auth.trusted_user_header",
                format!("expected an HTTP header name, got {header:?}"),
            )
        })?;
        if trusted_proxies.is_empty() {
            return Err(invalid(
                "auth.trusted_proxies",
                "expected the CIDRs of the SSO proxy: trusted_user_header counts only from them",
            ));
        }
    }
    let admins = if raw.admins.iter().any(|a| a == "*") {
        Admins::Everyone
    } else {
        Admins::Only(raw.admins.iter().map(|a| a.trim().to_string()).collect())
    };
    let session_hours = u32::try_from(raw.session_hours)
        .ok()
        .filter(|h| (1..=24 * 30).contains(h))
        .ok_or_else(|| {
            invalid(
                "auth.session_hours",
                format!("expected 1 to 720 hours, got {}", raw.session_hours),
            )
        })?;
    Ok(AuthConfig {
        admin_token,
        trusted_user_header: (!header.is_empty()).then_some(header),
        trusted_proxies,
        admins,
        session_hours,
    })
}

pub(super) fn validate_metrics(
    raw: RawMetrics,
    read: ReadSecret,
) -> Result<MetricsConfig, ConfigError> {
    let token = read("metrics.token_env", &raw.token_env)?;
    long_enough("metrics.token_env", &raw.token_env, &token)?;
    Ok(MetricsConfig { token })
}

/// A bearer token must be at least [`MIN_ADMIN_TOKEN_CHARS`] long, so it cannot be guessed:
/// else an error naming `key` (dxs exits 2).
fn long_enough(key: &str, env: &str, token: &Option<Secret>) -> Result<(), ConfigError> {
    let Some(token) = token else {
        return Ok(());
    };
    let chars = token.expose().chars().count();
    if chars >= MIN_ADMIN_TOKEN_CHARS {
        return Ok(());
    }
    Err(invalid(
        key,
        format!(
            "the token in {env} has {chars} characters; at least {MIN_ADMIN_TOKEN_CHARS} \
             are required (e.g. `openssl rand -hex 16`)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_match_their_addresses_only() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(
            net.contains("::ffff:10.1.0.9".parse().unwrap()),
            "mapped v4"
        );
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy".parse::<Cidr>().is_err());
    }

    #[test]
    fn admins_star_means_everyone() {
        assert!(Admins::Everyone.allows("anyone"));
        let only = Admins::Only(vec!["Alice".into()]);
        assert!(only.allows("alice"));
        assert!(!only.allows("bob"));
        assert!(!Admins::Only(vec![]).allows("alice"));
    }
}

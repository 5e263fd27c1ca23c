//! Who is on the other end of a request: the peer address of the connection, and whether that
//! peer is one of `auth.trusted_proxies` (only then do its SSO user header and its
//! `X-Forwarded-For` count).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::AppState;
use crate::config::Cidr;

/// The client of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The address the limits count by: the peer, or behind a trusted proxy the last address
    /// of `X-Forwarded-For` that is not a trusted proxy itself.
    pub addr: IpAddr,
    /// The peer is a trusted proxy.
    pub via_trusted_proxy: bool,
}

impl Client {
    /// The client of a request from `peer` (unknown peers are never trusted) with `headers`.
    pub fn of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[Cidr]) -> Client {
        let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
        let Some(peer) = peer else {
            return Client {
                addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                via_trusted_proxy: false,
            };
        };
        if !is_trusted(peer) {
            return Client {
                addr: peer,
                via_trusted_proxy: false,
            };
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        let addr = forwarded
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(*ip))
            .unwrap_or(peer);
        Client {
            addr,
            via_trusted_proxy: true,
        }
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Client::of(
            peer,
            &parts.headers,
            &state.config.auth.trusted_proxies,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy = Some("10.0.0.5".parse().unwrap());
        let outsider: IpAddr = "198.51.100.7".parse().unwrap();
        let h = headers("203.0.113.1, 192.0.2.9, 10.0.0.6");
        let via = Client::of(proxy, &h, &trusted);
        assert!(via.via_trusted_proxy);
        assert_eq!(
            via.addr,
            "192.0.2.9".parse::<IpAddr>().unwrap(),
            "the last untrusted hop"
        );
        let direct = Client::of(Some(outsider), &h, &trusted);
        assert!(!direct.via_trusted_proxy);
        assert_eq!(
            direct.addr, outsider,
            "a spoofed X-Forwarded-For is ignored"
        );
        assert!(!Client::of(None, &h, &trusted).via_trusted_proxy);
    }
}

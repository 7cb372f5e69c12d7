//! The client's address, as every per-address limit and the access log see it.
//! It is the TCP peer, unless the peer is one of `TRUSTED_PROXIES`: then it is
//! taken from `X-Forwarded-For` (or, when that is absent, `Forwarded`), reading
//! from the right and skipping trusted proxies, since only what a trusted proxy
//! appended can be believed: anything to the left of it came from the client.

use std::future::{ready, Ready};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use actix_web::dev::{Payload, RequestHead, ServiceRequest};
use actix_web::http::header::{HeaderName, FORWARDED};
use actix_web::{web, FromRequest, HttpRequest};
use ipnet::IpNet;

// The context holds the `TrustedProxies`; it is read here, not built.
use crate::context::AppContext;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The networks whose requests may say who the client is (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&address))
    }
}

/// A CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    IpNet::from_str(text)
        .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
        .map(|network| network.trunc())
        .map_err(|_| format!("`{text}` is not a network like 10.0.0.0/8 or an address"))
}

/// The client's address for `peer`, given the request's headers.
pub fn resolve(head: &RequestHead, peer: IpAddr, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.trusts(peer) {
        return peer;
    }
    let hops = if head.headers.contains_key(X_FORWARDED_FOR) {
        forwarded_for(head, &X_FORWARDED_FOR, |element| Some(element.trim()))
    } else {
        forwarded_for(head, &FORWARDED, forwarded_element_for)
    };
    // Right to left: the first hop that is not a trusted proxy is the client.
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            // A hop a trusted proxy wrote that is no address: the chain cannot be
            // followed, so the last proxy known is as far as it goes.
            None => return client,
            Some(address) => {
                client = *address;
                if !trusted.trusts(client) {
                    return client;
                }
            }
        }
    }
    // Every hop is trusted: the request started inside the proxies' network.
    client
}

/// The hops of every `header` line, in order; `None` for one that is no address.
fn forwarded_for(
    head: &RequestHead,
    header: &HeaderName,
    element_for: impl Fn(&str) -> Option<&str>,
) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in head.headers.get_all(header) {
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        hops.extend(
            value
                .split(',')
                .map(|element| element_for(element).and_then(parse_hop)),
        );
    }
    hops
}

/// The `for=` parameter of one RFC 7239 element (`for=192.0.2.1;proto=https`).
fn forwarded_element_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(text: &str) -> Option<IpAddr> {
    if let Ok(address) = IpAddr::from_str(text) {
        return Some(address.to_canonical());
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return Ipv6Addr::from_str(inside)
            .ok()
            .map(|address| IpAddr::V6(address).to_canonical());
    }
    let (host, port) = text.rsplit_once(':')?;
    let address = std::net::Ipv4Addr::from_str(host).ok()?;
    is_port(port).then_some(IpAddr::V4(address))
}

fn is_port(text: &str) -> bool {
    text.parse::<u16>().is_ok()
}

/// The key a per-address limit counts under: the address, or for IPv6 its /64,
/// since one subscriber usually holds a whole /64.
pub fn limit_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !(u128::from(u64::MAX));
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// The client's address of a request (see the module's doc); `None` only for a
/// request without a peer, as in unit tests.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    pub fn of(req: &HttpRequest) -> Self {
        Self::of_parts(
            req.head(),
            req.peer_addr(),
            req.app_data::<web::Data<AppContext>>()
                .map(|ctx| &ctx.trusted_proxies),
        )
    }

    /// The same, for middleware (the access log).
    pub fn of_service(req: &ServiceRequest) -> Self {
        Self::of_parts(
            req.head(),
            req.peer_addr(),
            req.app_data::<web::Data<AppContext>>()
                .map(|ctx| &ctx.trusted_proxies),
        )
    }

    fn of_parts(
        head: &RequestHead,
        peer: Option<SocketAddr>,
        trusted: Option<&TrustedProxies>,
    ) -> Self {
        Self(peer.map(|peer| match trusted {
            Some(trusted) => resolve(head, peer.ip(), trusted),
            None => peer.ip().to_canonical(),
        }))
    }
}

impl FromRequest for ClientAddress {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| parse_network(n).unwrap()).collect())
    }

    fn client(headers: &[(&str, &str)], peer: &str, trusted: &TrustedProxies) -> String {
        let mut request = TestRequest::default();
        for &(name, value) in headers {
            request = request.append_header((name, value));
        }
        let request = request.to_http_request();
        resolve(request.head(), peer.parse().unwrap(), trusted).to_string()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let none = TrustedProxies::default();
        let xff = [("x-forwarded-for", "203.0.113.9")];
        assert_eq!(client(&xff, "198.51.100.1", &none), "198.51.100.1");
        let other = proxies(&["10.0.0.0/8"]);
        assert_eq!(client(&xff, "198.51.100.1", &other), "198.51.100.1");
        let fwd = [("forwarded", "for=203.0.113.9")];
        assert_eq!(client(&fwd, "198.51.100.1", &other), "198.51.100.1");
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("x-forwarded-for", "203.0.113.9")], "203.0.113.9"),
            // The client wrote the leftmost one itself.
            (
                &[("x-forwarded-for", "1.1.1.1, 203.0.113.9")],
                "203.0.113.9",
            ),
            (
                &[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2")],
                "203.0.113.9",
            ),
            (
                &[
                    ("x-forwarded-for", "1.1.1.1"),
                    ("x-forwarded-for", "203.0.113.9"),
                ],
                "203.0.113.9",
            ),
            (&[("x-forwarded-for", "203.0.113.9:5555")], "203.0.113.9"),
            (&[("x-forwarded-for", "2001:db8::7")], "2001:db8::7"),
            (&[("x-forwarded-for", "[2001:db8::7]:443")], "2001:db8::7"),
            (&[("x-forwarded-for", "::ffff:203.0.113.9")], "203.0.113.9"),
            // Every hop trusted: the leftmost.
            (&[("x-forwarded-for", "10.1.1.1, 10.0.0.2")], "10.1.1.1"),
            (
                &[("forwarded", "for=203.0.113.9;proto=https")],
                "203.0.113.9",
            ),
            (
                &[(
                    "forwarded",
                    r#"for=1.1.1.1, For="[2001:db8:cafe::17]:4711";by=10.0.0.1"#,
                )],
                "2001:db8:cafe::17",
            ),
            (
                &[("forwarded", "for=203.0.113.9, for=10.0.0.3")],
                "203.0.113.9",
            ),
            // X-Forwarded-For wins: a proxy that sets it passes Forwarded untouched.
            (
                &[
                    ("forwarded", "for=1.1.1.1"),
                    ("x-forwarded-for", "203.0.113.9"),
                ],
                "203.0.113.9",
            ),
        ];
        for (headers, expected) in cases {
            assert_eq!(
                client(headers, "10.0.0.1", &trusted),
                *expected,
                "{headers:?}"
            );
        }
    }

    #[test]
    fn a_malformed_chain_stops_at_the_last_trusted_hop() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "10.0.0.1"),
            (&[("x-forwarded-for", "")], "10.0.0.1"),
            (&[("x-forwarded-for", "not an address")], "10.0.0.1"),
            (&[("x-forwarded-for", "203.0.113.9, junk")], "10.0.0.1"),
            (
                &[("x-forwarded-for", "203.0.113.9, junk, 10.0.0.7")],
                "10.0.0.7",
            ),
            (&[("x-forwarded-for", "203.0.113.9:99999")], "10.0.0.1"),
            (&[("x-forwarded-for", "[2001:db8::1]x")], "10.0.0.1"),
            (&[("forwarded", "for=unknown")], "10.0.0.1"),
            (&[("forwarded", "for=_hidden")], "10.0.0.1"),
            (&[("forwarded", "proto=https")], "10.0.0.1"),
        ];
        for (headers, expected) in cases {
            assert_eq!(
                client(headers, "10.0.0.1", &trusted),
                *expected,
                "{headers:?}"
            );
        }
    }

    #[test]
    fn networks_parse() {
        assert_eq!(
            parse_network(" 10.1.2.3/8 ").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_network("127.0.0.1").unwrap().to_string(),
            "127.0.0.1/32"
        );
        assert_eq!(parse_network("::1").unwrap().to_string(), "::1/128");
        for bad in ["", "10.0.0.0/33", "localhost", "10.0.0"] {
            assert!(parse_network(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::1".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limit_key(a), limit_key(b));
        assert_ne!(limit_key(a), limit_key(c));
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(limit_key(v4), v4);
    }
}

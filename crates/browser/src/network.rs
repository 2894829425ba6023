//! The lab's private network: names like `app.lab.test` resolve only here, to loopback.
//!
//! Lab URLs keep the real port (`http://app.lab.test:41234/`), and a route maps that
//! `host:port` to the socket the server really listens on. Nothing ever asks real DNS, so a
//! mistyped host fails loudly instead of leaving the machine. Routing a host to a relay instead
//! of the app is how the sniffing scenario puts an observer on the path.
//!
//! The network also holds the certificates its browsers trust (see [`crate::tls`]): the lab's
//! https server is self-signed, so the lab tells its browsers which certificate is the app's.
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use url::{Host, Url};

use crate::BrowserError;

/// The routing table of the lab network: which real socket a lab `host:port` reaches.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// (lowercased host, port) -> real socket address.
    routes: HashMap<(String, u16), SocketAddr>,
    /// DER-encoded certificates an https server may present and be trusted (see [`crate::tls`]).
    trusted_certificates: Vec<Vec<u8>>,
}

impl Network {
    /// A network with no routes: only loopback addresses written in URLs are reachable.
    pub fn new() -> Self {
        Self::default()
    }

    /// Route `host:port` (as written in lab URLs) to a real loopback socket address.
    /// A second route for the same `host:port` replaces the first. Host names are case-insensitive.
    pub fn route(&mut self, host: &str, port: u16, to: SocketAddr) {
        self.routes.insert((normalize_host(host), port), to);
    }

    /// [`Network::route`] in builder style: `Network::new().with_route("app.lab.test", port, addr)`.
    pub fn with_route(mut self, host: &str, port: u16, to: SocketAddr) -> Self {
        self.route(host, port, to);
        self
    }

    /// Trusts this DER-encoded certificate: an https server that presents exactly it is trusted,
    /// whatever host it serves. This is how the lab trusts its own self-signed certificate
    /// instead of clicking through the warning (which would switch HSTS off, RFC 6797 §8.1).
    pub fn trust_certificate(&mut self, der: impl Into<Vec<u8>>) {
        let der = der.into();
        if !self.is_trusted_certificate(&der) {
            self.trusted_certificates.push(der);
        }
    }

    /// [`Network::trust_certificate`] in builder style.
    pub fn with_trusted_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.trust_certificate(der);
        self
    }

    /// Whether this DER-encoded certificate is one this network trusts (byte for byte).
    pub fn is_trusted_certificate(&self, der: &[u8]) -> bool {
        self.trusted_certificates
            .iter()
            .any(|trusted| trusted.as_slice() == der)
    }

    /// The certificates this network trusts, DER-encoded, in the order they were added.
    /// Every route, as `(host, port, where it leads)`: what a real browser's host
    /// resolver rules must say to see the same lab network.
    pub fn routes(&self) -> impl Iterator<Item = (&str, u16, SocketAddr)> {
        self.routes
            .iter()
            .map(|((host, port), to)| (host.as_str(), *port, *to))
    }

    pub fn trusted_certificates(&self) -> &[Vec<u8>] {
        &self.trusted_certificates
    }

    /// Where a connection to this URL really goes. Unknown hosts are an error: nothing touches real DNS.
    ///
    /// A routed `host:port` goes where it was routed; a loopback address written in the URL
    /// (`127.0.0.0/8`, `::1`, or `localhost`) goes to itself; anything else is `UnknownHost`.
    pub fn resolve(&self, url: &Url) -> Result<SocketAddr, BrowserError> {
        let host = url
            .host()
            .ok_or_else(|| BrowserError::BadUrl(format!("{url} has no host")))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| BrowserError::BadUrl(format!("{url} has no port")))?;
        let key = match &host {
            Host::Domain(name) => normalize_host(name),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        if let Some(address) = self.routes.get(&(key, port)) {
            return Ok(*address);
        }
        match loopback_literal(&host) {
            Some(ip) => Ok(SocketAddr::new(ip, port)),
            None => Err(BrowserError::UnknownHost {
                host: host.to_string(),
            }),
        }
    }
}

/// Host names compare case-insensitively; IPv6 may be written with or without brackets.
fn normalize_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// The loopback address a URL names directly, if it names one: the only places a lab browser
/// may go without a route.
fn loopback_literal(host: &Host<&str>) -> Option<IpAddr> {
    match host {
        Host::Ipv4(ip) if ip.is_loopback() => Some(IpAddr::V4(*ip)),
        Host::Ipv6(ip) if ip.is_loopback() => Some(IpAddr::V6(*ip)),
        Host::Domain(name) if name.eq_ignore_ascii_case("localhost") => {
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn routed_host_and_port_resolve_to_the_route() {
        let network = Network::new().with_route("app.lab.test", 4000, addr("127.0.0.1:5555"));
        assert_eq!(
            network.resolve(&url("http://app.lab.test:4000/login")).ok(),
            Some(addr("127.0.0.1:5555"))
        );
        assert_eq!(
            network.resolve(&url("https://app.lab.test:4000/")).ok(),
            Some(addr("127.0.0.1:5555"))
        );
    }

    #[test]
    fn host_matching_is_case_insensitive() {
        let network = Network::new().with_route("App.Lab.TEST", 4000, addr("127.0.0.1:5555"));
        assert!(network.resolve(&url("http://APP.lab.test:4000/")).is_ok());
    }

    #[test]
    fn another_port_is_another_route() {
        let network = Network::new().with_route("app.lab.test", 4000, addr("127.0.0.1:5555"));
        assert!(matches!(
            network.resolve(&url("http://app.lab.test:4001/")),
            Err(BrowserError::UnknownHost { .. })
        ));
        // No port in the URL means the scheme's default port.
        assert!(network.resolve(&url("http://app.lab.test/")).is_err());
    }

    #[test]
    fn a_later_route_replaces_an_earlier_one() {
        let mut network = Network::new().with_route("app.lab.test", 4000, addr("127.0.0.1:5555"));
        network.route("app.lab.test", 4000, addr("127.0.0.1:6666"));
        assert_eq!(
            network.resolve(&url("http://app.lab.test:4000/")).ok(),
            Some(addr("127.0.0.1:6666"))
        );
    }

    #[test]
    fn loopback_literals_resolve_to_themselves() {
        let network = Network::new();
        assert_eq!(
            network.resolve(&url("http://127.0.0.1:4000/")).ok(),
            Some(addr("127.0.0.1:4000"))
        );
        assert_eq!(
            network.resolve(&url("http://127.1.2.3:4000/")).ok(),
            Some(addr("127.1.2.3:4000"))
        );
        assert_eq!(
            network.resolve(&url("http://[::1]:4000/")).ok(),
            Some(addr("[::1]:4000"))
        );
        assert_eq!(
            network.resolve(&url("http://LOCALHOST:4000/")).ok(),
            Some(addr("127.0.0.1:4000"))
        );
    }

    #[test]
    fn routes_win_over_loopback_literals() {
        let network = Network::new().with_route("127.0.0.1", 4000, addr("127.0.0.1:7777"));
        assert_eq!(
            network.resolve(&url("http://127.0.0.1:4000/")).ok(),
            Some(addr("127.0.0.1:7777"))
        );
        let network = Network::new().with_route("[::1]", 4000, addr("127.0.0.1:7777"));
        assert_eq!(
            network.resolve(&url("http://[::1]:4000/")).ok(),
            Some(addr("127.0.0.1:7777"))
        );
    }

    #[test]
    fn trusted_certificates_compare_byte_for_byte() {
        let mut network = Network::new().with_trusted_certificate(vec![1, 2, 3]);
        network.trust_certificate(vec![1, 2, 3]);
        assert_eq!(network.trusted_certificates(), [vec![1, 2, 3]]);
        assert!(network.is_trusted_certificate(&[1, 2, 3]));
        assert!(!network.is_trusted_certificate(&[1, 2]));
        assert!(!Network::new().is_trusted_certificate(&[1, 2, 3]));
    }

    #[test]
    fn everything_else_is_an_unknown_host() {
        let network = Network::new();
        for text in [
            "http://example.com/",
            "http://10.0.0.1:80/",
            "http://[2001:db8::1]/",
            "http://app.lab.test:4000/",
        ] {
            assert!(
                matches!(
                    network.resolve(&url(text)),
                    Err(BrowserError::UnknownHost { .. })
                ),
                "{text}"
            );
        }
        assert!(matches!(
            network.resolve(&url("data:text/plain,x")),
            Err(BrowserError::BadUrl(_))
        ));
    }
}

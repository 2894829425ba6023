//! HSTS (RFC 6797): remembered hosts are upgraded from http to https before a request leaves.
//!
//! Reference rule 11: once a host has said `Strict-Transport-Security` over https, the browser
//! never again speaks plain http to it (nor to its subdomains with `includeSubDomains`) until
//! the policy expires. That closes the window the sniffing scenario uses: a victim who follows an
//! `http://` link still never sends the cookie in clear text.
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use url::{Host, Url};

/// The policy one host announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HstsPolicy {
    expires: SystemTime,
    include_subdomains: bool,
}

/// The hosts that asked, over https, to be reached over https only.
#[derive(Debug, Clone, Default)]
pub struct HstsStore {
    /// Lowercased host name -> its policy ("Known HSTS Hosts", RFC 6797 5.1).
    hosts: HashMap<String, HstsPolicy>,
}

/// Larger max-age values are clamped to about 136 years, which is "forever" for the lab and keeps
/// the expiry time from overflowing.
const MAX_AGE_LIMIT: u64 = u32::MAX as u64;

impl HstsStore {
    /// An empty store: a fresh browser knows no HSTS host (the lab has no preload list).
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a `Strict-Transport-Security` header received over https (ignored over http and for IP hosts).
    ///
    /// RFC 6797 8.1: over plain http the header is ignored, or a network attacker could switch
    /// HSTS off (max-age=0) or pin a host to https; IP hosts are never noted (8.1.1).
    /// `max-age=0` removes the host (6.1.1). An invalid header is ignored as a whole.
    pub fn observe(&mut self, url: &Url, header: &str, now: SystemTime) {
        if url.scheme() != "https" {
            return;
        }
        let Some(Host::Domain(host)) = url.host() else {
            return;
        };
        let Some(directives) = parse_sts_header(header) else {
            return;
        };
        let host = host.to_ascii_lowercase();
        self.hosts.retain(|_, policy| policy.expires > now);
        if directives.max_age == 0 {
            self.hosts.remove(&host);
            return;
        }
        let lifetime = Duration::from_secs(directives.max_age.min(MAX_AGE_LIMIT));
        let expires = now.checked_add(lifetime).unwrap_or(now);
        self.hosts.insert(
            host,
            HstsPolicy {
                expires,
                include_subdomains: directives.include_subdomains,
            },
        );
    }

    /// If `url` is http and its host (or a parent with includeSubDomains) is known, returns the https URL.
    ///
    /// RFC 6797 8.3: the scheme becomes https; an explicit port is kept, except that port 80 (the
    /// http default, never written in a `Url`) becomes 443. In the lab one port speaks both
    /// protocols, so `http://app.lab.test:41234/` becomes `https://app.lab.test:41234/`.
    pub fn upgrade(&self, url: &Url, now: SystemTime) -> Option<Url> {
        if url.scheme() != "http" {
            return None;
        }
        let Some(Host::Domain(host)) = url.host() else {
            return None;
        };
        if !self.is_known(&host.to_ascii_lowercase(), now) {
            return None;
        }
        let mut upgraded = url.clone();
        upgraded.set_scheme("https").ok()?;
        Some(upgraded)
    }

    /// RFC 6797 8.2 "known HSTS host" matching: the host itself ("congruent match") or any parent
    /// domain whose policy has includeSubDomains ("superdomain match"), while not expired.
    pub fn is_known(&self, host: &str, now: SystemTime) -> bool {
        let live = |name: &str| self.hosts.get(name).filter(|policy| policy.expires > now);
        if live(host).is_some() {
            return true;
        }
        parent_domains(host)
            .any(|parent| live(parent).is_some_and(|policy| policy.include_subdomains))
    }
}

/// `a.b.c` -> `b.c`, `c`.
fn parent_domains(host: &str) -> impl Iterator<Item = &str> {
    host.match_indices('.')
        .map(move |(dot, _)| &host[dot + 1..])
}

/// The directives of a `Strict-Transport-Security` value that the lab uses.
#[derive(Debug, PartialEq, Eq)]
struct StsDirectives {
    max_age: u64,
    include_subdomains: bool,
}

/// RFC 6797 6.1: `;`-separated directives, names case-insensitive, values optionally quoted;
/// `max-age` is required; a directive given twice makes the header invalid; unknown ones (such as
/// `preload`) are ignored.
fn parse_sts_header(header: &str) -> Option<StsDirectives> {
    let mut max_age = None;
    let mut include_subdomains = false;
    let mut seen: Vec<String> = Vec::new();
    for directive in header.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (
                name.trim().to_ascii_lowercase(),
                Some(unquote(value.trim())),
            ),
            None => (directive.to_ascii_lowercase(), None),
        };
        if seen.contains(&name) {
            return None;
        }
        seen.push(name.clone());
        match name.as_str() {
            "max-age" => max_age = Some(parse_delta_seconds(value?)?),
            "includesubdomains" => include_subdomains = true,
            _ => {}
        }
    }
    Some(StsDirectives {
        max_age: max_age?,
        include_subdomains,
    })
}

/// `"31536000"` -> `31536000`.
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// delta-seconds: digits only; a number too big for u64 saturates.
fn parse_delta_seconds(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(value.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn after(seconds: u64) -> SystemTime {
        t0() + Duration::from_secs(seconds)
    }

    #[test]
    fn rule11_upgrades_a_known_host_keeping_the_port() {
        let mut hsts = HstsStore::new();
        hsts.observe(&url("https://app.lab.test:4000/"), "max-age=60", t0());
        let upgraded = hsts.upgrade(&url("http://app.lab.test:4000/login?x=1"), t0());
        assert_eq!(
            upgraded.map(String::from).as_deref(),
            Some("https://app.lab.test:4000/login?x=1")
        );
    }

    #[test]
    fn port_80_becomes_443() {
        let mut hsts = HstsStore::new();
        hsts.observe(&url("https://app.lab.test/"), "max-age=60", t0());
        let upgraded = hsts
            .upgrade(&url("http://app.lab.test/"), t0())
            .expect("upgraded");
        assert_eq!(upgraded.port_or_known_default(), Some(443));
    }

    #[test]
    fn unknown_hosts_and_https_urls_are_left_alone() {
        let mut hsts = HstsStore::new();
        hsts.observe(&url("https://app.lab.test:4000/"), "max-age=60", t0());
        assert_eq!(hsts.upgrade(&url("http://evil.lab.test:4000/"), t0()), None);
        assert_eq!(hsts.upgrade(&url("https://app.lab.test:4000/"), t0()), None);
    }

    #[test]
    fn header_over_http_is_ignored() {
        let mut hsts = HstsStore::new();
        hsts.observe(&url("http://app.lab.test:4000/"), "max-age=60", t0());
        assert_eq!(hsts.upgrade(&url("http://app.lab.test:4000/"), t0()), None);
    }

    #[test]
    fn ip_hosts_are_never_noted() {
        let mut hsts = HstsStore::new();
        hsts.observe(&url("https://127.0.0.1:4000/"), "max-age=60", t0());
        hsts.observe(&url("https://[::1]:4000/"), "max-age=60", t0());
        assert_eq!(hsts.upgrade(&url("http://127.0.0.1:4000/"), t0()), None);
        assert_eq!(hsts.upgrade(&url("http://[::1]:4000/"), t0()), None);
    }

    #[test]
    fn policy_expires_after_max_age() {
        let mut hsts = HstsStore::new();
        hsts.observe(&url("https://app.lab.test:4000/"), "max-age=60", t0());
        assert!(
            hsts.upgrade(&url("http://app.lab.test:4000/"), after(59))
                .is_some()
        );
        assert!(
            hsts.upgrade(&url("http://app.lab.test:4000/"), after(60))
                .is_none()
        );
    }

    #[test]
    fn max_age_zero_removes_the_host() {
        let mut hsts = HstsStore::new();
        hsts.observe(&url("https://app.lab.test:4000/"), "max-age=60", t0());
        hsts.observe(&url("https://app.lab.test:4000/"), "max-age=0", t0());
        assert_eq!(hsts.upgrade(&url("http://app.lab.test:4000/"), t0()), None);
    }

    #[test]
    fn rule11_include_subdomains_covers_children_only_when_set() {
        let mut hsts = HstsStore::new();
        hsts.observe(&url("https://lab.test:4000/"), "max-age=60", t0());
        assert_eq!(hsts.upgrade(&url("http://app.lab.test:4000/"), t0()), None);
        hsts.observe(
            &url("https://lab.test:4000/"),
            "max-age=60; includeSubDomains",
            t0(),
        );
        assert!(
            hsts.upgrade(&url("http://app.lab.test:4000/"), t0())
                .is_some()
        );
        assert!(
            hsts.upgrade(&url("http://a.b.lab.test:4000/"), t0())
                .is_some()
        );
        // A parent's policy never covers a sibling that merely ends the same way.
        assert!(
            hsts.upgrade(&url("http://evillab.test:4000/"), t0())
                .is_none()
        );
    }

    #[test]
    fn parsing_follows_rfc_6797_syntax() {
        let parse = parse_sts_header;
        assert_eq!(
            parse("max-age=31536000"),
            Some(StsDirectives {
                max_age: 31_536_000,
                include_subdomains: false
            })
        );
        assert_eq!(
            parse(" Max-Age=\"10\" ; INCLUDESUBDOMAINS; preload"),
            Some(StsDirectives {
                max_age: 10,
                include_subdomains: true
            })
        );
        assert_eq!(parse("includeSubDomains"), None, "max-age is required");
        assert_eq!(
            parse("max-age=10; max-age=20"),
            None,
            "duplicates invalidate the header"
        );
        assert_eq!(parse("max-age=ten"), None);
        assert_eq!(parse("max-age=-1"), None);
        assert_eq!(
            parse("max-age=99999999999999999999999").map(|d| d.max_age),
            Some(u64::MAX)
        );
        // A huge max-age does not overflow.
        let mut hsts = HstsStore::new();
        hsts.observe(
            &url("https://app.lab.test/"),
            "max-age=99999999999999999999999",
            t0(),
        );
        assert!(hsts.is_known("app.lab.test", t0()));
    }
}

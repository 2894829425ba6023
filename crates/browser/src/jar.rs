//! A cookie jar that follows RFC 6265bis as the lab's reference (section 2) lists it.
//!
//! "Rule n" in the comments is rule n of section 2 of
//! `docs/reference/session-security.md`; "§5.7" and the like are
//! sections of RFC 6265bis (draft-ietf-httpbis-rfc6265bis). The jar is a
//! teaching model: it keeps what a session lesson needs (no partitioning, no
//! per-domain cookie limits, no `__Http-` prefix) and says so where it matters.
//!
//! Time is always passed in as `now`, so every rule can be tested without
//! waiting.

use std::fmt;
use std::time::{Duration, SystemTime};
use url::{Host, Url};

/// The SameSite mode of a stored cookie. `Lax` is also what a missing or unknown attribute means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SameSite {
    Strict,
    Lax,
    None,
}

/// Who is setting a cookie: a `Set-Cookie` header, or `document.cookie` in a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSource {
    Http,
    Script,
}

/// A cookie as the jar stores it (RFC 6265bis 5.7 storage model, trimmed to what the lab needs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredCookie {
    pub name: String,
    pub value: String,
    /// Lowercased, no leading dot. For a host-only cookie: the exact host that set it.
    pub domain: String,
    pub host_only: bool,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    pub same_site: SameSite,
    /// false when the server sent no (or an unknown) SameSite attribute: "Lax by default".
    pub same_site_explicit: bool,
    /// None: a session cookie.
    #[serde(skip)]
    pub expires: Option<SystemTime>,
    #[serde(skip)]
    pub created: SystemTime,
}

impl StoredCookie {
    /// Whether the cookie's lifetime is over at `now` (rule 2). Session cookies never expire here:
    /// they live until the browser is closed, which in the lab means until the `Browser` is dropped.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|expires| expires <= now)
    }

    /// `name=value` as it appears in a `Cookie` header or in `document.cookie`.
    /// A nameless cookie is serialised as its bare value (RFC 6265bis 5.8.3 step 4).
    pub fn pair(&self) -> String {
        if self.name.is_empty() {
            self.value.clone()
        } else {
            format!("{}={}", self.name, self.value)
        }
    }
}

/// Why the jar refused a `Set-Cookie`. `Display` explains it in one sentence for a learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    Malformed(String),
    ControlCharacter,
    TooLarge,
    EmptyNameAndValue,
    DomainMismatch {
        domain: String,
        host: String,
    },
    DomainOnIpHost,
    DomainIsPublicSuffix(String),
    SecureFromInsecureOrigin,
    WouldOverwriteSecureCookie,
    HttpOnlyFromScript,
    SameSiteNoneWithoutSecure,
    SecurePrefixWithoutSecure,
    /// The text is a whole sentence, e.g. "the __Host- prefix forbids a Domain attribute".
    HostPrefixViolation(String),
    /// A real browser's own reason (Chromium's `blockedReasons`, e.g. `InvalidPrefix`).
    Reported(String),
}

/// One plain sentence per rule, so a report can say why the browser refused the cookie.
impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(detail) => {
                write!(f, "the Set-Cookie line could not be parsed ({detail})")
            }
            Self::ControlCharacter => {
                write!(
                    f,
                    "the cookie contains a control character, so the whole line is ignored"
                )
            }
            Self::TooLarge => write!(
                f,
                "name and value together are longer than 4096 bytes, more than a browser keeps"
            ),
            Self::EmptyNameAndValue => {
                write!(f, "a cookie needs a name or a value, and both are empty")
            }
            Self::DomainMismatch { domain, host } => write!(
                f,
                "Domain={domain} does not cover {host}, the host that sent it: a site may only set cookies for itself or a parent domain"
            ),
            Self::DomainOnIpHost => write!(
                f,
                "a cookie from an IP address may not carry a Domain attribute: an IP address has no parent domain to share with"
            ),
            Self::DomainIsPublicSuffix(domain) => write!(
                f,
                "Domain={domain} is a public suffix: a cookie for it would reach every unrelated site under it"
            ),
            Self::SecureFromInsecureOrigin => write!(
                f,
                "a Secure cookie can only be set over https, and this one came over plain http"
            ),
            Self::WouldOverwriteSecureCookie => write!(
                f,
                "a plain-http response may not overwrite or shadow an existing Secure cookie of the same name"
            ),
            Self::HttpOnlyFromScript => {
                write!(
                    f,
                    "a script may neither set an HttpOnly cookie nor overwrite one"
                )
            }
            Self::SameSiteNoneWithoutSecure => {
                write!(
                    f,
                    "SameSite=None is only accepted together with the Secure attribute"
                )
            }
            Self::SecurePrefixWithoutSecure => write!(
                f,
                "the __Secure- prefix requires the Secure attribute, set over https"
            ),
            Self::HostPrefixViolation(sentence) => write!(f, "{sentence}"),
            Self::Reported(reason) => write!(f, "{reason}"),
        }
    }
}

/// What the jar did with one `Set-Cookie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetCookieOutcome {
    Stored(StoredCookie),
    Replaced(StoredCookie),
    Deleted { name: String },
    Rejected { name: String, reason: RejectReason },
}

/// `stored sid`, `rejected sid: <reason>`, ... for reports.
impl fmt::Display for SetCookieOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stored(cookie) => write!(f, "stored {}", cookie.name),
            Self::Replaced(cookie) => write!(f, "replaced {}", cookie.name),
            Self::Deleted { name } => write!(f, "deleted {name}"),
            Self::Rejected { name, reason } => write!(f, "rejected {name}: {reason}"),
        }
    }
}

/// Why a stored cookie was not attached to a request. `Display` explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithholdReason {
    DomainMismatch,
    PathMismatch,
    SecureOverHttp,
    SameSiteStrictCrossSite,
    SameSiteLaxCrossSite,
    Expired,
    /// A real browser's own reason (Chromium's `blockedReasons`, e.g. `SameSiteStrict`).
    Reported(String),
}

/// One plain sentence per rule, so a report can say why the cookie stayed home.
impl fmt::Display for WithholdReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sentence = match self {
            Self::DomainMismatch => "a host-only cookie is sent only to the exact host that set it",
            Self::PathMismatch => "the request's path is outside the cookie's Path",
            Self::SecureOverHttp => "a Secure cookie is never sent over plain http",
            Self::SameSiteStrictCrossSite => {
                "a SameSite=Strict cookie is never sent on a request started by another site"
            }
            Self::SameSiteLaxCrossSite => {
                "a SameSite=Lax cookie goes to another site's request only on a top-level GET navigation"
            }
            Self::Expired => "the cookie has expired",
            Self::Reported(reason) => reason,
        };
        f.write_str(sentence)
    }
}

/// The jar's decision about one stored cookie for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieDecision {
    Sent(StoredCookie),
    Withheld {
        cookie: StoredCookie,
        reason: WithholdReason,
    },
}

/// `sent sid`, `withheld sid: <reason>`, ... for reports.
impl fmt::Display for CookieDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sent(cookie) => write!(f, "sent {}", cookie.name),
            Self::Withheld { cookie, reason } => write!(f, "withheld {}: {reason}", cookie.name),
        }
    }
}

/// Everything the jar needs to know about an outgoing request to choose its cookies.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    pub url: &'a Url,
    /// "GET", "POST", ...
    pub method: &'a str,
    /// A top-level navigation (address bar, link, form) rather than a subresource (img, fetch).
    pub top_level: bool,
    /// The page that started the request; None for a typed URL or bookmark (counts as same-site).
    pub initiator: Option<&'a Url>,
}

/// RFC 6265bis 5.7 step 4 / rule 1: the most a browser keeps for name plus value.
const MAX_NAME_VALUE_BYTES: usize = 4096;
/// RFC 6265bis 5.6.1 and 5.6.2: Expires and Max-Age are capped at 400 days.
const MAX_LIFETIME: Duration = Duration::from_secs(400 * 24 * 60 * 60);
/// Chromium's "Lax+POST" window (rule 7): how young a default-Lax cookie must be.
const LAX_POST_WINDOW: Duration = Duration::from_secs(2 * 60);

/// One browser's cookies. Every change goes through the rules of RFC 6265bis 5.7, except
/// [`CookieJar::plant`], the attacker's direct edit of their own jar.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: Vec<StoredCookie>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one `Set-Cookie` header value received for `url` (RFC 6265bis 5.6 parsing, 5.7 storage).
    ///
    /// Never panics: anything the jar cannot accept becomes `Rejected` with the rule it broke.
    pub fn set_cookie(
        &mut self,
        url: &Url,
        header: &str,
        source: CookieSource,
        now: SystemTime,
    ) -> SetCookieOutcome {
        self.purge_expired(now);
        match self.try_set_cookie(url, header, source, now) {
            Ok(outcome) => outcome,
            Err(reason) => SetCookieOutcome::Rejected {
                name: name_hint(header),
                reason,
            },
        }
    }

    /// The storage model's steps in RFC order; each check is a small function named after its rule.
    fn try_set_cookie(
        &mut self,
        url: &Url,
        header: &str,
        source: CookieSource,
        now: SystemTime,
    ) -> Result<SetCookieOutcome, RejectReason> {
        let parsed = parse_set_cookie(header, now)?; // rules 1 and 2
        let request_host = RequestHost::of(url)?;
        let (domain, host_only) = cookie_domain(parsed.domain.as_deref(), &request_host)?; // rule 3
        let path = parsed.path.clone().unwrap_or_else(|| default_path(url)); // rule 4
        check_secure_origin(parsed.secure, url)?; // rule 5
        check_http_only_source(parsed.http_only, source)?; // rule 6
        // Rule 7: no usable SameSite attribute means Lax, remembered as "by default".
        let (same_site, same_site_explicit) = match parsed.same_site {
            Some(mode) => (mode, true),
            None => (SameSite::Lax, false),
        };
        let cookie = StoredCookie {
            name: parsed.name.clone(),
            value: parsed.value.clone(),
            domain,
            host_only,
            path,
            secure: parsed.secure,
            http_only: parsed.http_only,
            same_site,
            same_site_explicit,
            expires: match parsed.lifetime {
                Lifetime::Session => None,
                Lifetime::Until(time) => Some(time),
                Lifetime::Delete => Some(SystemTime::UNIX_EPOCH),
            },
            created: now,
        };
        self.check_no_secure_shadowing(&cookie, url)?; // rule 5
        check_same_site_none_needs_secure(&cookie)?; // rule 7
        check_prefixes(&cookie, &parsed)?; // rule 8
        self.insert(cookie, parsed.lifetime, source) // rules 9, 6 and 2
    }

    /// Rule 9 (RFC 6265bis 5.7, last steps): a cookie with the same name, domain, host-only flag and
    /// path replaces the old one; a cookie that is already expired (Max-Age <= 0 or a past Expires,
    /// rule 2) removes the old one and is not stored: that is how a server deletes a cookie.
    ///
    /// The replacement's creation time follows Chromium, not the RFC. RFC 6265bis keeps the old
    /// cookie's creation time on every replacement; Chromium's cookie monster keeps it only when
    /// the value is unchanged ("If a cookie is deleted, and its value matches |cookie_being_set|'s
    /// value, then |creation_date_to_inherit| will be set"), so a new value is a new cookie. That
    /// matters here because the 2-minute Lax+POST window, a Chromium rule, counts from the
    /// creation time: a login that rotates the session ID starts a fresh window, as in Chromium.
    fn insert(
        &mut self,
        mut cookie: StoredCookie,
        lifetime: Lifetime,
        source: CookieSource,
    ) -> Result<SetCookieOutcome, RejectReason> {
        let existing = self
            .cookies
            .iter()
            .position(|old| same_identity(old, &cookie));
        if let Some(index) = existing {
            // Rule 6: a script may not overwrite (or delete) an HttpOnly cookie either.
            if source == CookieSource::Script && self.cookies[index].http_only {
                return Err(RejectReason::HttpOnlyFromScript);
            }
            let old = self.cookies.remove(index);
            if old.value == cookie.value {
                cookie.created = old.created;
            }
        }
        if lifetime == Lifetime::Delete {
            return Ok(SetCookieOutcome::Deleted { name: cookie.name });
        }
        self.cookies.push(cookie.clone());
        Ok(match existing {
            Some(_) => SetCookieOutcome::Replaced(cookie),
            None => SetCookieOutcome::Stored(cookie),
        })
    }

    /// Rule 5 (RFC 6265bis 5.7 "secure cookie shadowing"): a plain-http response may not set a
    /// non-Secure cookie with the name of an existing Secure cookie whose domain matches (either way)
    /// and whose path covers the new one. Otherwise a network attacker could inject a cookie that the
    /// https site would read in place of, or before, its own Secure one.
    fn check_no_secure_shadowing(
        &self,
        cookie: &StoredCookie,
        url: &Url,
    ) -> Result<(), RejectReason> {
        if cookie.secure || is_secure_scheme(url) {
            return Ok(());
        }
        let shadows = self.cookies.iter().any(|old| {
            old.secure
                && old.name == cookie.name
                && (domain_matches(&old.domain, &cookie.domain)
                    || domain_matches(&cookie.domain, &old.domain))
                && path_matches(&cookie.path, &old.path)
        });
        if shadows {
            return Err(RejectReason::WouldOverwriteSecureCookie);
        }
        Ok(())
    }

    /// Chooses the cookies for a request: the `Cookie` header value (None if nothing is sent)
    /// and one decision per stored cookie whose domain could concern this host.
    ///
    /// Decisions come in the order of the header (rule 9: longer paths first, then older cookies),
    /// so a lesson can print them as they were weighed. Expired cookies get a `Withheld { Expired }`
    /// decision once and are then dropped from the jar.
    pub fn cookies_for(
        &mut self,
        ctx: &RequestContext<'_>,
        now: SystemTime,
    ) -> (Option<String>, Vec<CookieDecision>) {
        let Ok(host) = RequestHost::of(ctx.url) else {
            return (None, Vec::new());
        };
        let cross_site = is_cross_site(ctx);
        let mut decisions = Vec::new();
        let mut sent = Vec::new();
        for cookie in self.in_header_order() {
            // Rule 10: only the host decides, never the port or the scheme (Secure aside).
            if !domain_matches(&host.name, &cookie.domain) {
                continue;
            }
            match withhold_reason(cookie, &host, ctx, cross_site, now) {
                None => {
                    sent.push(cookie.pair());
                    decisions.push(CookieDecision::Sent(cookie.clone()));
                }
                Some(reason) => decisions.push(CookieDecision::Withheld {
                    cookie: cookie.clone(),
                    reason,
                }),
            }
        }
        self.purge_expired(now);
        let header = (!sent.is_empty()).then(|| sent.join("; "));
        (header, decisions)
    }

    /// What `document.cookie` returns to a script on a page at `url`: no HttpOnly cookies (rule 6).
    ///
    /// The page's own site is the "site for cookies" here, so SameSite never hides anything; Domain,
    /// Path, Secure and expiry apply as for a request (RFC 6265bis 5.8.3 with a non-HTTP API).
    pub fn document_cookie(&self, url: &Url, now: SystemTime) -> String {
        let Ok(host) = RequestHost::of(url) else {
            return String::new();
        };
        self.in_header_order()
            .filter(|cookie| !cookie.http_only)
            .filter(|cookie| domain_matches(&host.name, &cookie.domain))
            .filter(|cookie| !cookie.is_expired(now))
            .filter(|cookie| !cookie.host_only || cookie.domain == host.name)
            .filter(|cookie| path_matches(url.path(), &cookie.path))
            .filter(|cookie| !cookie.secure || is_secure_scheme(url))
            .map(StoredCookie::pair)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// All cookies currently stored. Expired ones are dropped whenever the jar stores or sends
    /// cookies; call [`CookieJar::purge_expired`] to drop them now.
    pub fn cookies(&self) -> &[StoredCookie] {
        &self.cookies
    }

    /// The first stored cookie with this name (whatever its domain or path).
    pub fn get(&self, name: &str) -> Option<&StoredCookie> {
        self.cookies.iter().find(|cookie| cookie.name == name)
    }

    /// Drops every cookie whose lifetime is over (RFC 6265bis 5.7: "remove all expired cookies").
    pub fn purge_expired(&mut self, now: SystemTime) {
        self.cookies.retain(|cookie| !cookie.is_expired(now));
    }

    /// Puts `name=value` in the jar as a host-only, `Path=/` session cookie for `url`'s host, as if
    /// the server at `url` had sent it - but without the checks of [`CookieJar::set_cookie`].
    ///
    /// This is the attacker's tool for replaying a stolen session ID: they control their own browser
    /// completely (devtools, an extension), so no jar rule can stop them. The cookie is marked Secure
    /// when `url` is https, so that a stolen `__Host-` cookie replays like the original.
    pub fn plant(
        &mut self,
        url: &Url,
        name: &str,
        value: &str,
        now: SystemTime,
    ) -> SetCookieOutcome {
        let host = match RequestHost::of(url) {
            Ok(host) => host,
            Err(reason) => {
                return SetCookieOutcome::Rejected {
                    name: name.to_string(),
                    reason,
                };
            }
        };
        let cookie = StoredCookie {
            name: name.to_string(),
            value: value.to_string(),
            domain: host.name,
            host_only: true,
            path: "/".to_string(),
            secure: is_secure_scheme(url),
            http_only: false,
            same_site: SameSite::Lax,
            same_site_explicit: false,
            expires: None,
            created: now,
        };
        // `Http` source and a live lifetime: `insert` can only store or replace here.
        self.insert(cookie, Lifetime::Session, CookieSource::Http)
            .unwrap_or_else(|reason| SetCookieOutcome::Rejected {
                name: name.to_string(),
                reason,
            })
    }

    /// The stored cookies in `Cookie` header order (rule 9, RFC 6265bis 5.8.3 step 2): longer paths
    /// first, so the most specific cookie wins in servers that read the first one; then older first.
    fn in_header_order(&self) -> impl Iterator<Item = &StoredCookie> {
        let mut ordered: Vec<&StoredCookie> = self.cookies.iter().collect();
        ordered.sort_by(|a, b| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then(a.created.cmp(&b.created))
        });
        ordered.into_iter()
    }
}

/// The schemeful site of a URL (scheme + registrable domain), used for SameSite.
///
/// Two URLs are same-site when they have the same scheme and the same registrable domain
/// ("eTLD+1", from the public suffix list via `psl`); `app.lab.test` and `evil.lab.test` are
/// same-site (both `lab.test`), `http://` and `https://` pages of one host are not (RFC 6265bis
/// 5.2, "schemeful same-site"). IP hosts have no registrable domain and compare exactly.
pub fn same_site(a: &Url, b: &Url) -> bool {
    match (site_of(a), site_of(b)) {
        (Some(site_a), Some(site_b)) => a.scheme() == b.scheme() && site_a == site_b,
        _ => false,
    }
}

/// The registrable domain of a URL's host, or the host itself when it has none (an IP address,
/// or a name that is itself a public suffix such as `localhost`).
fn site_of(url: &Url) -> Option<String> {
    match url.host()? {
        Host::Domain(domain) => {
            let domain = domain.to_ascii_lowercase();
            Some(
                psl::domain_str(&domain)
                    .map(str::to_string)
                    .unwrap_or(domain),
            )
        }
        Host::Ipv4(ip) => Some(ip.to_string()),
        Host::Ipv6(ip) => Some(format!("[{ip}]")),
    }
}

/// Whether the jar must treat this request as cross-site for SameSite (rule 7).
/// No initiator (typed URL, bookmark, link in an e-mail) counts as same-site, as in browsers.
fn is_cross_site(ctx: &RequestContext<'_>) -> bool {
    ctx.initiator
        .is_some_and(|initiator| !same_site(initiator, ctx.url))
}

/// The first rule that keeps `cookie` off this request, if any (RFC 6265bis 5.8.3 step 1).
fn withhold_reason(
    cookie: &StoredCookie,
    host: &RequestHost,
    ctx: &RequestContext<'_>,
    cross_site: bool,
    now: SystemTime,
) -> Option<WithholdReason> {
    if cookie.is_expired(now) {
        return Some(WithholdReason::Expired);
    }
    // Rule 3: host-only means exactly the host that set it, no subdomains.
    if cookie.host_only && cookie.domain != host.name {
        return Some(WithholdReason::DomainMismatch);
    }
    if !path_matches(ctx.url.path(), &cookie.path) {
        return Some(WithholdReason::PathMismatch);
    }
    // Rule 5: Secure cookies only travel encrypted.
    if cookie.secure && !is_secure_scheme(ctx.url) {
        return Some(WithholdReason::SecureOverHttp);
    }
    if cross_site {
        return same_site_withhold_reason(cookie, ctx, now);
    }
    None
}

/// Rule 7 (RFC 6265bis 5.8.3 step 1, SameSite): what a cross-site request may carry.
/// Strict: never. Lax: only a top-level navigation with a safe method (GET, HEAD), i.e. following a
/// link, which cannot change state on a well-behaved server. None: always.
fn same_site_withhold_reason(
    cookie: &StoredCookie,
    ctx: &RequestContext<'_>,
    now: SystemTime,
) -> Option<WithholdReason> {
    match cookie.same_site {
        SameSite::None => None,
        SameSite::Strict => Some(WithholdReason::SameSiteStrictCrossSite),
        SameSite::Lax if ctx.top_level && is_safe_method(ctx.method) => None,
        SameSite::Lax if lax_plus_post_applies(cookie, ctx, now) => None,
        SameSite::Lax => Some(WithholdReason::SameSiteLaxCrossSite),
    }
}

/// Rule 7, Chromium's "Lax+POST" (RFC 6265bis 5.4.7.1, "Lax-allowing-unsafe"): a cookie that is
/// Lax only by default (no SameSite attribute) and younger than 2 minutes is still sent on a
/// top-level cross-site POST, so that single-sign-on flows that POST back kept working. For those
/// two minutes a CSRF form can ride on a freshly issued session cookie.
fn lax_plus_post_applies(cookie: &StoredCookie, ctx: &RequestContext<'_>, now: SystemTime) -> bool {
    let age = now.duration_since(cookie.created).unwrap_or(Duration::ZERO);
    !cookie.same_site_explicit
        && ctx.top_level
        && !is_safe_method(ctx.method)
        && age < LAX_POST_WINDOW
}

/// HTTP's "safe" methods (RFC 9110 9.2.1), the ones SameSite=Lax lets through cross-site.
fn is_safe_method(method: &str) -> bool {
    ["GET", "HEAD", "OPTIONS", "TRACE"]
        .iter()
        .any(|safe| method.eq_ignore_ascii_case(safe))
}

/// Whether the URL denotes a "secure" connection (RFC 6265bis 5.7): in the lab, https only.
/// (Chromium also trusts `http://localhost`; the lab's hosts are never localhost.)
fn is_secure_scheme(url: &Url) -> bool {
    matches!(url.scheme(), "https" | "wss")
}

/// The request host in canonical form (RFC 6265bis 5.1.2): lowercase name, or IP address.
struct RequestHost {
    name: String,
    is_ip: bool,
}

impl RequestHost {
    /// The URL's host; a URL without one (`data:`) cannot take part in cookies.
    fn of(url: &Url) -> Result<Self, RejectReason> {
        match url.host() {
            Some(Host::Domain(domain)) => Ok(Self {
                name: domain.to_ascii_lowercase(),
                is_ip: false,
            }),
            Some(Host::Ipv4(ip)) => Ok(Self {
                name: ip.to_string(),
                is_ip: true,
            }),
            Some(Host::Ipv6(ip)) => Ok(Self {
                name: format!("[{ip}]"),
                is_ip: true,
            }),
            None => Err(RejectReason::Malformed(format!("{url} has no host"))),
        }
    }
}

/// Domain matching (RFC 6265bis 5.1.3): `host` equals `domain`, or ends with `.` + `domain` and is
/// a name rather than an IP address (`1.2.3.4` must not match `3.4`).
fn domain_matches(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    let is_ip = host.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok();
    !is_ip
        && !domain.is_empty()
        && host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// Path matching (RFC 6265bis 5.1.4 / rule 4): the paths are equal, or the cookie path is a prefix
/// that ends at a `/` boundary (`/app` matches `/app/x` but not `/application`).
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    if request_path == cookie_path {
        return true;
    }
    match request_path.strip_prefix(cookie_path) {
        Some(rest) => cookie_path.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

/// The default Path (RFC 6265bis 5.1.4 / rule 4): the request path's "directory", i.e. up to but
/// not including its last `/`; `/` when there is no directory. `/account/settings` gives `/account`.
fn default_path(url: &Url) -> String {
    let path = url.path();
    if !path.starts_with('/') {
        return "/".to_string();
    }
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(last_slash) => path[..last_slash].to_string(),
    }
}

/// Rule 3 (RFC 6265bis 5.7 steps on the domain-attribute): which domain the cookie is for and
/// whether it is host-only.
///
/// - no Domain attribute: host-only, sent back to exactly this host;
/// - never on an IP host, which has no parent domain;
/// - a public suffix (`test`, `com`, `github.io`) is refused, since the cookie would reach every
///   site under it - unless it *is* the host, which then gets a host-only cookie;
/// - otherwise the host must domain-match it: `app.lab.test` may set `Domain=lab.test` (and so
///   reach `evil.lab.test`: cookie tossing), but not `Domain=other.test`.
fn cookie_domain(
    attribute: Option<&str>,
    host: &RequestHost,
) -> Result<(String, bool), RejectReason> {
    let Some(domain) = attribute
        .map(str::to_ascii_lowercase)
        .filter(|d| !d.is_empty())
    else {
        return Ok((host.name.clone(), true));
    };
    if host.is_ip {
        return Err(RejectReason::DomainOnIpHost);
    }
    if is_public_suffix(&domain) {
        if domain == host.name {
            return Ok((host.name.clone(), true));
        }
        return Err(RejectReason::DomainIsPublicSuffix(domain));
    }
    if !domain_matches(&host.name, &domain) {
        return Err(RejectReason::DomainMismatch {
            domain,
            host: host.name.clone(),
        });
    }
    Ok((domain, false))
}

/// Whether `domain` is a public suffix, per the `psl` crate (which also treats an unknown TLD such
/// as `test` as a suffix, by the list's default `*` rule).
fn is_public_suffix(domain: &str) -> bool {
    psl::suffix_str(domain) == Some(domain)
}

/// Rule 5 (RFC 6265bis 5.7): a Secure cookie set over plain http is ignored; otherwise a network
/// attacker could plant cookies that the https site trusts as its own.
fn check_secure_origin(secure: bool, url: &Url) -> Result<(), RejectReason> {
    if secure && !is_secure_scheme(url) {
        return Err(RejectReason::SecureFromInsecureOrigin);
    }
    Ok(())
}

/// Rule 6 (RFC 6265bis 5.7): `document.cookie` cannot create an HttpOnly cookie, because HttpOnly
/// exists precisely to keep scripts away from the cookie.
fn check_http_only_source(http_only: bool, source: CookieSource) -> Result<(), RejectReason> {
    if http_only && source == CookieSource::Script {
        return Err(RejectReason::HttpOnlyFromScript);
    }
    Ok(())
}

/// Rule 7 (RFC 6265bis 5.7): `SameSite=None` (sent on every cross-site request) needs Secure,
/// so that such a cookie at least never travels in clear text.
fn check_same_site_none_needs_secure(cookie: &StoredCookie) -> Result<(), RejectReason> {
    if cookie.same_site == SameSite::None && !cookie.secure {
        return Err(RejectReason::SameSiteNoneWithoutSecure);
    }
    Ok(())
}

/// Rule 8 (RFC 6265bis 4.1.3 and 5.7): cookie name prefixes, matched case-insensitively.
///
/// `__Secure-` promises the cookie was set Secure over https; `__Host-` promises in addition that
/// it has no Domain and `Path=/`, i.e. that no sibling host (`evil.lab.test`) and no other path
/// could have set or shadowed it. A nameless cookie whose value starts with a prefix is refused
/// too: the `Cookie` header would show it as `__Host-...=...`, forging the promise.
fn check_prefixes(cookie: &StoredCookie, parsed: &ParsedSetCookie) -> Result<(), RejectReason> {
    let has_prefix = |text: &str, prefix: &str| {
        text.get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    };
    if cookie.name.is_empty()
        && (has_prefix(&cookie.value, "__Secure-") || has_prefix(&cookie.value, "__Host-"))
    {
        return Err(RejectReason::HostPrefixViolation(
            "a cookie without a name may not have a value starting with __Secure- or __Host-"
                .to_string(),
        ));
    }
    if has_prefix(&cookie.name, "__Secure-") && !cookie.secure {
        return Err(RejectReason::SecurePrefixWithoutSecure);
    }
    if has_prefix(&cookie.name, "__Host-") {
        let problem = if !cookie.secure {
            Some("the __Host- prefix requires the Secure attribute, set over https")
        } else if parsed.domain.is_some() {
            Some("the __Host- prefix forbids a Domain attribute")
        } else if parsed.path.as_deref() != Some("/") {
            Some("the __Host- prefix requires the attribute Path=/")
        } else {
            None
        };
        if let Some(sentence) = problem {
            return Err(RejectReason::HostPrefixViolation(sentence.to_string()));
        }
    }
    Ok(())
}

/// Rule 9's identity: two cookies are "the same cookie" when name, domain, host-only flag and
/// path are equal (RFC 6265bis 5.7). Value, flags and lifetime are what a replacement changes.
fn same_identity(a: &StoredCookie, b: &StoredCookie) -> bool {
    a.name == b.name && a.domain == b.domain && a.host_only == b.host_only && a.path == b.path
}

/// How long a parsed cookie lives (rule 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifetime {
    /// No Max-Age or Expires: a session cookie.
    Session,
    Until(SystemTime),
    /// Max-Age <= 0 or an Expires in the past: the server is deleting the cookie.
    Delete,
}

/// A `Set-Cookie` line after parsing (RFC 6265bis 5.6), before the storage rules look at it.
#[derive(Debug)]
struct ParsedSetCookie {
    name: String,
    value: String,
    lifetime: Lifetime,
    /// The Domain attribute, leading dot removed (None when absent or empty).
    domain: Option<String>,
    /// The Path attribute when it is usable (starts with `/`); None means "use the default path".
    path: Option<String>,
    secure: bool,
    http_only: bool,
    /// None: no usable SameSite attribute, i.e. "Lax by default".
    same_site: Option<SameSite>,
}

/// Rule 1 and rule 2 (RFC 6265bis 5.6): parse one `Set-Cookie` value with the `cookie` crate and
/// apply the checks that concern the line itself.
///
/// The `cookie` crate handles attribute names case-insensitively and lets the last one win; two
/// details it does differently from RFC 6265bis are done here: a nameless cookie (`=v` or `v`) is
/// valid (it is given a stand-in name for the crate), and an unknown SameSite value after a valid
/// one resets the mode to the default instead of being skipped.
fn parse_set_cookie(header: &str, now: SystemTime) -> Result<ParsedSetCookie, RejectReason> {
    check_no_control_characters(header)?;
    let (pair, attributes) = match header.find(';') {
        Some(semicolon) => header.split_at(semicolon),
        None => (header, ""),
    };
    let (name, value) = match pair.split_once('=') {
        Some((name, value)) => (name.trim(), value.trim()),
        None => ("", pair.trim()),
    };
    if name.is_empty() && value.is_empty() {
        return Err(RejectReason::EmptyNameAndValue);
    }
    if name.len() + value.len() > MAX_NAME_VALUE_BYTES {
        return Err(RejectReason::TooLarge);
    }
    let crate_input = if name.is_empty() {
        format!("nameless={value}{attributes}")
    } else {
        header.to_string()
    };
    let parsed = cookie::Cookie::parse(crate_input)
        .map_err(|error| RejectReason::Malformed(error.to_string()))?;
    Ok(ParsedSetCookie {
        name: name.to_string(),
        value: value.to_string(),
        lifetime: lifetime_of(&parsed, now),
        domain: parsed
            .domain()
            .filter(|domain| !domain.is_empty())
            .map(str::to_string),
        path: parsed
            .path()
            .filter(|path| path.starts_with('/'))
            .map(str::to_string),
        secure: parsed.secure().unwrap_or(false),
        http_only: parsed.http_only().unwrap_or(false),
        same_site: last_same_site(attributes),
    })
}

/// Rule 1 (RFC 6265bis 5.6 step 1): a line with a control character (other than tab) is ignored
/// entirely; such bytes could split or smuggle headers in servers that echo cookies.
fn check_no_control_characters(header: &str) -> Result<(), RejectReason> {
    let is_forbidden = |byte: u8| (byte < 0x20 && byte != b'\t') || byte == 0x7f;
    if header.bytes().any(is_forbidden) {
        return Err(RejectReason::ControlCharacter);
    }
    Ok(())
}

/// Rule 2 (RFC 6265bis 5.6.1, 5.6.2, 5.7): Max-Age beats Expires; Max-Age <= 0 or a past Expires
/// deletes; neither makes a session cookie; any lifetime is capped at 400 days.
fn lifetime_of(parsed: &cookie::Cookie<'_>, now: SystemTime) -> Lifetime {
    let cap = |until: SystemTime| until.min(now.checked_add(MAX_LIFETIME).unwrap_or(until));
    if let Some(max_age) = parsed.max_age() {
        if max_age <= time::Duration::ZERO {
            return Lifetime::Delete;
        }
        let seconds = u64::try_from(max_age.whole_seconds()).unwrap_or(u64::MAX);
        let lifetime = Duration::from_secs(seconds).min(MAX_LIFETIME);
        return now
            .checked_add(lifetime)
            .map_or(Lifetime::Delete, |until| Lifetime::Until(cap(until)));
    }
    match parsed.expires_datetime() {
        None => Lifetime::Session,
        Some(expires) => {
            let until = system_time_from_unix(expires.unix_timestamp());
            if until <= now {
                Lifetime::Delete
            } else {
                Lifetime::Until(cap(until))
            }
        }
    }
}

/// Seconds since the Unix epoch (possibly negative) as a `SystemTime`, saturating at the epoch.
fn system_time_from_unix(seconds: i64) -> SystemTime {
    let magnitude = Duration::from_secs(seconds.unsigned_abs());
    let time = if seconds >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    };
    time.unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Rule 7 (RFC 6265bis 5.6.7): the last SameSite attribute wins, and an unknown value means the
/// default ("Lax by default", not explicit). Attribute names are case-insensitive (rule 1).
fn last_same_site(attributes: &str) -> Option<SameSite> {
    let value = attributes.split(';').rev().find_map(|attribute| {
        let (name, value) = attribute.split_once('=').unwrap_or((attribute, ""));
        name.trim()
            .eq_ignore_ascii_case("samesite")
            .then(|| value.trim())
    })?;
    if value.eq_ignore_ascii_case("strict") {
        Some(SameSite::Strict)
    } else if value.eq_ignore_ascii_case("lax") {
        Some(SameSite::Lax)
    } else if value.eq_ignore_ascii_case("none") {
        Some(SameSite::None)
    } else {
        None
    }
}

/// The cookie's name as well as it can be read from a line the jar rejected, for the report.
fn name_hint(header: &str) -> String {
    let pair = header.split(';').next().unwrap_or_default();
    match pair.split_once('=') {
        Some((name, _)) => name.trim().to_string(),
        None => String::new(),
    }
}

/// The unit tests live in `jar/tests.rs`.
#[cfg(test)]
mod tests;

//! A cookie jar that follows RFC 6265bis as the lab's reference (section 2) lists it.
//! (Contract stub: the helper replaces the bodies; the signatures are the contract.)

use std::time::SystemTime;
use url::Url;

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

/// Why the jar refused a `Set-Cookie`. `Display` explains it in one sentence for a learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    Malformed(String),
    ControlCharacter,
    TooLarge,
    EmptyNameAndValue,
    DomainMismatch { domain: String, host: String },
    DomainOnIpHost,
    DomainIsPublicSuffix(String),
    SecureFromInsecureOrigin,
    WouldOverwriteSecureCookie,
    HttpOnlyFromScript,
    SameSiteNoneWithoutSecure,
    SecurePrefixWithoutSecure,
    HostPrefixViolation(String),
}

/// What the jar did with one `Set-Cookie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetCookieOutcome {
    Stored(StoredCookie),
    Replaced(StoredCookie),
    Deleted { name: String },
    Rejected { name: String, reason: RejectReason },
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
}

/// The jar's decision about one stored cookie for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieDecision {
    Sent(StoredCookie),
    Withheld { cookie: StoredCookie, reason: WithholdReason },
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

#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: Vec<StoredCookie>,
}

impl CookieJar {
    pub fn new() -> Self {
        Self::default()
    }
    /// Applies one `Set-Cookie` header value received for `url`.
    pub fn set_cookie(&mut self, _url: &Url, _header: &str, _source: CookieSource, _now: SystemTime) -> SetCookieOutcome {
        todo!()
    }
    /// Chooses the cookies for a request: the `Cookie` header value (None if nothing is sent)
    /// and one decision per stored cookie whose domain could concern this host.
    pub fn cookies_for(&mut self, _ctx: &RequestContext<'_>, _now: SystemTime) -> (Option<String>, Vec<CookieDecision>) {
        todo!()
    }
    /// What `document.cookie` returns to a script on a page at `url`: no HttpOnly cookies.
    pub fn document_cookie(&self, _url: &Url, _now: SystemTime) -> String {
        todo!()
    }
    /// All cookies currently stored (expired ones removed first).
    pub fn cookies(&self) -> &[StoredCookie] {
        &self.cookies
    }
}

/// The schemeful site of a URL (scheme + registrable domain), used for SameSite.
pub fn same_site(_a: &Url, _b: &Url) -> bool {
    todo!()
}

//! The simulated browser of the lab.
//!
//! Each actor (victim, attacker) drives its own [`Browser`]: a cookie jar that
//! follows RFC 6265bis ([`jar`]), an HSTS store ([`hsts`]), a lab-only network
//! that resolves `*.lab.test` to loopback ([`network`]), page helpers
//! ([`html`]), a deliberately tiny script model ([`script`]) and the TLS trust of a browser
//! ([`tls`]: the lab's certificate, or clicking through the warning).
//!
//! reqwest does the HTTP; everything a browser decides about cookies, HSTS,
//! SameSite and scripts is decided here, in code a learner can read.

pub mod browser;
pub mod hsts;
pub mod html;
pub mod jar;
pub mod network;
pub mod referrer;
pub mod script;
pub mod tls;

pub use browser::{
    Browser, BrowserError, Exchange, ExchangeTap, MAX_REDIRECTS, Page, RequestKind, RequestSpec,
    TappedExchange,
};
pub use hsts::HstsStore;
pub use html::{Form, Link, LoginForm};
pub use jar::{
    CookieDecision, CookieJar, CookieSource, RejectReason, RequestContext, SameSite,
    SetCookieOutcome, StoredCookie, WithholdReason, same_site,
};
pub use network::Network;
pub use referrer::ReferrerPolicy;
pub use script::{
    AUTO_SUBMIT_FIRST_FORM, EXFILTRATE_COOKIES_TEMPLATE, ScriptEffect, csp_allows_inline_script,
    encode_uri_component, exfiltration_payload, is_auto_submit, parse_exfiltration,
};
pub use tls::{fetch_peer_certificate, pinned_client_config};

//! The browser an actor drives.
use std::time::SystemTime;
use url::Url;

use crate::{CookieDecision, CookieJar, HstsStore, Network, ScriptEffect, SetCookieOutcome};

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("{host} is not a host in the lab network (nothing leaves loopback)")]
    UnknownHost { host: String },
    #[error("could not reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("too many redirects from {url}")]
    TooManyRedirects { url: String },
    #[error("bad URL {0}")]
    BadUrl(String),
    #[error("no form with action containing {0:?} on {1}")]
    NoSuchForm(String, String),
}

/// Top-level navigation (link, address bar, form) or subresource (img, fetch, script).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Navigation,
    Subresource,
}

/// One request an actor makes.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: String,
    pub url: Url,
    /// urlencoded form body (POST)
    pub form: Option<Vec<(String, String)>>,
    pub kind: RequestKind,
    /// The page that started the request; None = typed URL / bookmark / link in an e-mail.
    pub initiator: Option<Url>,
    pub follow_redirects: bool,
}

/// One request/response as it crossed the wire, with what the browser decided about it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: Url,
    /// Set when HSTS rewrote an http URL before the request left.
    pub upgraded_from: Option<Url>,
    pub request_headers: Vec<(String, String)>,
    pub cookie_decisions: Vec<CookieDecision>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub set_cookie_outcomes: Vec<SetCookieOutcome>,
    pub body: String,
}

/// The last response of a request (after redirects), with the effect of its scripts.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: Url,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub scripts: Vec<ScriptEffect>,
}

impl Page {
    /// First header value with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Browser {
    pub name: String,
    pub jar: CookieJar,
    pub hsts: HstsStore,
    pub network: Network,
    pub exchanges: Vec<Exchange>,
}

impl Browser {
    pub fn new(_name: impl Into<String>, _network: Network) -> Self {
        todo!()
    }
    /// Sends a request as a browser would: HSTS upgrade, cookies from the jar, Set-Cookie into the jar,
    /// redirects (if asked), and for HTML navigations the page's inline scripts through the script model.
    pub async fn request(&mut self, _spec: RequestSpec) -> Result<Page, BrowserError> {
        todo!()
    }
    /// A top-level GET navigation that follows redirects.
    pub async fn open(&mut self, _url: &Url, _initiator: Option<&Url>) -> Result<Page, BrowserError> {
        todo!()
    }
    /// Fills and submits the form whose action contains `action_contains` on `page` (a top-level navigation
    /// initiated by that page), keeping the form's other fields (hidden inputs) as they are.
    pub async fn submit_form(&mut self, _page: &Page, _action_contains: &str, _values: &[(&str, &str)]) -> Result<Page, BrowserError> {
        todo!()
    }
    /// Now, as the jar and HSTS see it.
    pub fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

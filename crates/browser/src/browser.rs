//! The browser an actor drives.
//!
//! reqwest only carries bytes here: it has no cookie store, follows no redirects and sees no
//! proxy. Everything a browser decides - which cookies go out, which come in, HSTS upgrades,
//! redirects, Sec-Fetch-* headers, which scripts run - is decided in this crate, in code a
//! learner can read.
//!
//! This file is the request loop: one [`Browser`], what it sends and what it keeps. The rules it
//! applies on the way each have a file of their own:
//! - `browser/fetch_metadata.rs`: `Origin` and `Sec-Fetch-*`, and when they are sent;
//! - `browser/redirect.rs`: which request a redirect leads to;
//! - `browser/scripting.rs`: what a page's inline scripts do;
//! - `browser/tap.rs`: the shared transcript of several browsers ([`ExchangeTap`]);
//! - `tls.rs` (next to this file): which https certificates the browser trusts.
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderName, HeaderValue};
use url::{Url, form_urlencoded};

use crate::referrer::ReferrerPolicy;
use crate::tls::Refusals;
use crate::{
    CookieDecision, CookieJar, CookieSource, HstsStore, Network, RequestContext, ScriptEffect,
    SetCookieOutcome,
};

mod fetch_metadata;
mod redirect;
mod scripting;
mod tap;

use redirect::{Hop, redirect_hop, referrer_policy_of};
use scripting::is_rendered_html;
pub use tap::{ExchangeTap, TappedExchange};

/// Why a request could not produce a page. HTTP error statuses (401, 500, ...) are not errors:
/// they are pages, as in a browser.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("{host} is not a host in the lab network (nothing leaves loopback)")]
    UnknownHost { host: String },
    #[error("could not reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("too many redirects from {url}")]
    TooManyRedirects { url: String },
    /// An https site whose certificate this browser does not trust: a real browser stops at a
    /// warning page here. Trust the lab's certificate ([`Network::trust_certificate`]), or, to
    /// see what that costs, [`Browser::click_through_certificate_warnings`].
    #[error(
        "{host} presented a TLS certificate this browser does not trust, so it refused the site \
         (trust the lab's certificate; clicking through the warning would also switch HSTS off)"
    )]
    UntrustedCertificate { host: String },
    #[error("bad URL {0}")]
    BadUrl(String),
    #[error("no form with action containing {0:?} on {1}")]
    NoSuchForm(String, String),
    #[error("no link with text or address containing {0:?} on {1}")]
    NoSuchLink(String, String),
}

/// What kind of request it is, which decides its `Sec-Fetch-Mode` and the cookie rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A top-level navigation: a link, the address bar, a form (`Sec-Fetch-Mode: navigate`).
    Navigation,
    /// A `no-cors` subresource such as an `<img>` (`Sec-Fetch-Mode: no-cors`).
    Subresource,
    /// A script's `fetch(url)` with the defaults: mode `cors` (`Sec-Fetch-Mode: cors`, and an
    /// `Origin` header when it goes to another origin) and credentials `same-origin` (no cookies
    /// go to, or are taken from, another origin).
    Fetch,
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

impl RequestSpec {
    /// A top-level GET navigation that follows redirects (a link, or the address bar when
    /// `initiator` is None).
    pub fn navigate(url: Url, initiator: Option<Url>) -> Self {
        Self {
            method: "GET".to_string(),
            url,
            form: None,
            kind: RequestKind::Navigation,
            initiator,
            follow_redirects: true,
        }
    }

    /// A top-level form POST that follows redirects, as a submitted `<form method="post">`.
    pub fn post_form(url: Url, fields: Vec<(String, String)>, initiator: Option<Url>) -> Self {
        Self {
            method: "POST".to_string(),
            url,
            form: Some(fields),
            kind: RequestKind::Navigation,
            initiator,
            follow_redirects: true,
        }
    }

    /// A script's `fetch(url)` from the page `initiator`, with fetch's defaults (see
    /// [`RequestKind::Fetch`]); it follows redirects, as `redirect: "follow"` does.
    pub fn script_fetch(url: Url, initiator: Url) -> Self {
        Self {
            method: "GET".to_string(),
            url,
            form: None,
            kind: RequestKind::Fetch,
            initiator: Some(initiator),
            follow_redirects: true,
        }
    }

    /// A no-cors subresource GET (an `<img>`) that does not follow redirects.
    pub fn subresource(url: Url, initiator: Option<Url>) -> Self {
        Self {
            method: "GET".to_string(),
            url,
            form: None,
            kind: RequestKind::Subresource,
            initiator,
            follow_redirects: false,
        }
    }
}

/// One request/response as it crossed the wire, with what the browser decided about it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: Url,
    /// Set when HSTS rewrote an http URL before the request left.
    pub upgraded_from: Option<Url>,
    /// Over https: whether the server's certificate was one the browser trusts (`Some(false)`
    /// after clicking through a certificate warning, when HSTS from this response is ignored).
    /// `None` over plain http, where there is no certificate.
    pub certificate_trusted: Option<bool>,
    pub request_headers: Vec<(String, String)>,
    pub cookie_decisions: Vec<CookieDecision>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub set_cookie_outcomes: Vec<SetCookieOutcome>,
    pub body: String,
}

impl Exchange {
    /// First request header with this (case-insensitive) name.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        first_header(&self.request_headers, name)
    }

    /// First response header with this (case-insensitive) name.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        first_header(&self.response_headers, name)
    }
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
        first_header(&self.headers, name)
    }

    /// The forms on this page, actions resolved against its URL.
    pub fn forms(&self) -> Vec<crate::html::Form> {
        crate::html::forms(&self.body, &self.url)
    }

    /// The trimmed text of the element with this id (e.g. the private note).
    pub fn text_by_id(&self, id: &str) -> Option<String> {
        crate::html::text_by_id(&self.body, id)
    }

    /// The links on this page, hrefs resolved against its URL.
    pub fn links(&self) -> Vec<crate::html::Link> {
        crate::html::links(&self.body, &self.url)
    }
}

/// How many redirects a request may follow (Fetch's limit is 20; the lab needs far fewer).
pub const MAX_REDIRECTS: usize = 10;

/// How long one request may take before it counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One actor's browser: its own cookie jar, HSTS memory, view of the lab network, and the record
/// of every exchange it made (the evidence a lesson shows).
#[derive(Debug)]
pub struct Browser {
    pub name: String,
    pub jar: CookieJar,
    pub hsts: HstsStore,
    pub network: Network,
    pub exchanges: Vec<Exchange>,
    /// Failures of requests that page scripts made: recorded here, never fatal to the page.
    pub script_errors: Vec<String>,
    /// The reqwest client, built for `client_trust` (see [`Browser::client`]).
    client: reqwest::Client,
    /// The certificates and click-through choice `client` was built with.
    client_trust: (Vec<Vec<u8>>, bool),
    /// Counts the certificates the TLS layer refused (see [`crate::tls`]).
    refusals: Refusals,
    /// Whether this browser goes on past certificate warnings (see
    /// [`Browser::click_through_certificate_warnings`]).
    click_through: bool,
    clock_offset: Duration,
    /// The `Referrer-Policy` of each document this browser displayed, by URL: what requests
    /// those pages start put in `Referer`.
    referrer_policies: HashMap<Url, ReferrerPolicy>,
    /// Where else this browser's exchanges go, if anyone listens (see [`ExchangeTap`]).
    tap: Option<ExchangeTap>,
}

impl Browser {
    /// A fresh browser (empty jar, no HSTS hosts) for the actor `name`, on the lab `network`.
    ///
    /// Over https it trusts exactly the certificates of its `network`
    /// ([`Network::trust_certificate`]) and refuses any other site
    /// ([`BrowserError::UntrustedCertificate`]), as a real browser stops at a warning page;
    /// see [`crate::tls`].
    pub fn new(name: impl Into<String>, network: Network) -> Self {
        let client_trust = (network.trusted_certificates().to_vec(), false);
        let refusals = Refusals::default();
        let client = build_client(&client_trust.0, client_trust.1, &refusals);
        Self {
            name: name.into(),
            jar: CookieJar::new(),
            hsts: HstsStore::new(),
            network,
            exchanges: Vec::new(),
            script_errors: Vec::new(),
            client,
            client_trust,
            refusals,
            click_through: false,
            clock_offset: Duration::ZERO,
            referrer_policies: HashMap::new(),
            tap: None,
        }
    }

    /// From now on this browser clicks through certificate warnings: an https site with a
    /// certificate it does not trust loads anyway, as for a user who clicks "Proceed".
    ///
    /// The cost is the lesson: such an exchange records `certificate_trusted: Some(false)`, and
    /// the browser ignores its `Strict-Transport-Security` header (RFC 6797 §8.1), so the site's
    /// HSTS defence is silently gone. Trusting the right certificate
    /// ([`Network::trust_certificate`]) keeps it.
    pub fn click_through_certificate_warnings(&mut self) {
        self.click_through = true;
    }

    /// Whether this browser clicks through certificate warnings.
    pub fn clicks_through_certificate_warnings(&self) -> bool {
        self.click_through
    }

    /// The reqwest client for the browser's current trust: rebuilt when the network's trusted
    /// certificates or the click-through choice changed since it was built (both are settings
    /// a lesson may change between requests).
    fn client(&mut self) -> reqwest::Client {
        let trust = self.network.trusted_certificates();
        if self.client_trust.0 != trust || self.client_trust.1 != self.click_through {
            self.client_trust = (trust.to_vec(), self.click_through);
            self.client = build_client(&self.client_trust.0, self.click_through, &self.refusals);
        }
        self.client.clone()
    }

    /// Copies every exchange this browser makes from now on into `tap` as well.
    pub fn tap_into(&mut self, tap: ExchangeTap) {
        self.tap = Some(tap);
    }

    /// Sends a request as a browser would: HSTS upgrade, cookies from the jar, Set-Cookie into the jar,
    /// redirects (if asked), and for HTML navigations the page's inline scripts through the script model.
    pub async fn request(&mut self, spec: RequestSpec) -> Result<Page, BrowserError> {
        let is_navigation = spec.kind == RequestKind::Navigation;
        let mut page = self.fetch(spec).await?;
        if is_navigation && is_rendered_html(&page) {
            page.scripts = self.run_scripts(&page).await;
        }
        Ok(page)
    }

    /// A top-level GET navigation that follows redirects.
    pub async fn open(&mut self, url: &Url, initiator: Option<&Url>) -> Result<Page, BrowserError> {
        self.request(RequestSpec::navigate(url.clone(), initiator.cloned()))
            .await
    }

    /// Fills and submits the form whose action contains `action_contains` on `page` (a top-level navigation
    /// initiated by that page), keeping the form's other fields (hidden inputs) as they are.
    ///
    /// `values` override fields of the same name (the first one) or are added at the end. A GET
    /// form puts the fields in the action URL's query, as HTML's form submission does.
    pub async fn submit_form(
        &mut self,
        page: &Page,
        action_contains: &str,
        values: &[(&str, &str)],
    ) -> Result<Page, BrowserError> {
        let form = page
            .forms()
            .into_iter()
            .find(|form| form.action.as_str().contains(action_contains))
            .ok_or_else(|| {
                BrowserError::NoSuchForm(action_contains.to_string(), page.url.to_string())
            })?;
        let mut fields = form.fields;
        for (name, value) in values {
            match fields.iter_mut().find(|(field, _)| field == name) {
                Some(field) => field.1 = (*value).to_string(),
                None => fields.push(((*name).to_string(), (*value).to_string())),
            }
        }
        let spec = if form.method == "POST" {
            RequestSpec::post_form(form.action, fields, Some(page.url.clone()))
        } else {
            let mut action = form.action;
            action.set_query(Some(&urlencode(&fields)));
            RequestSpec::navigate(action, Some(page.url.clone()))
        };
        self.request(spec).await
    }

    /// Clicks the first link on `page` whose text or href contains `contains`: a top-level
    /// navigation initiated by that page (so its Referrer-Policy decides the `Referer`).
    pub async fn follow_link(&mut self, page: &Page, contains: &str) -> Result<Page, BrowserError> {
        let link = page
            .links()
            .into_iter()
            .find(|link| link.text.contains(contains) || link.href.as_str().contains(contains))
            .ok_or_else(|| BrowserError::NoSuchLink(contains.to_string(), page.url.to_string()))?;
        self.open(&link.href, Some(&page.url)).await
    }

    /// Now, as the jar and HSTS see it.
    pub fn now(&self) -> SystemTime {
        SystemTime::now() + self.clock_offset
    }

    /// Moves this browser's clock forward, e.g. past the 2-minute Lax+POST window or past a
    /// cookie's Max-Age, without waiting. Only the browser's view of time changes.
    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset += by;
    }

    /// The last exchange this browser recorded.
    pub fn last_exchange(&self) -> Option<&Exchange> {
        self.exchanges.last()
    }

    /// Sends `spec` and follows its redirects if asked (Fetch "HTTP-redirect fetch"), up to
    /// [`MAX_REDIRECTS`]. Each hop is a full request of its own: HSTS, cookies and Set-Cookie
    /// apply at every hop, and the original initiator stays the initiator.
    async fn fetch(&mut self, spec: RequestSpec) -> Result<Page, BrowserError> {
        let mut hop = Hop {
            method: spec.method.clone(),
            url: spec.url.clone(),
            form: spec.form.clone(),
            referrer_policy: None,
        };
        for _ in 0..=MAX_REDIRECTS {
            let exchange = self.send_one(&hop, &spec).await?;
            let next = if spec.follow_redirects {
                redirect_hop(&hop, &exchange)
            } else {
                None
            };
            match next {
                Some(next) => hop = next,
                None => {
                    if spec.kind == RequestKind::Navigation {
                        self.remember_referrer_policy(&exchange);
                    }
                    return Ok(Page {
                        url: exchange.url.clone(),
                        status: exchange.status,
                        headers: exchange.response_headers.clone(),
                        body: exchange.body.clone(),
                        scripts: Vec::new(),
                    });
                }
            }
        }
        Err(BrowserError::TooManyRedirects {
            url: spec.url.to_string(),
        })
    }

    /// Remembers the policy a displayed document names (or forgets an old one: no header means
    /// the browser default).
    fn remember_referrer_policy(&mut self, exchange: &Exchange) {
        match referrer_policy_of(&exchange.response_headers) {
            Some(policy) => self.referrer_policies.insert(exchange.url.clone(), policy),
            None => self.referrer_policies.remove(&exchange.url),
        };
    }

    /// One request and its response, recorded as an [`Exchange`].
    async fn send_one(&mut self, hop: &Hop, spec: &RequestSpec) -> Result<Exchange, BrowserError> {
        let now = self.now();
        // Rule 11 (RFC 6797 8.3): the upgrade happens before anything leaves the browser.
        let (url, upgraded_from) = match self.hsts.upgrade(&hop.url, now) {
            Some(upgraded) => (upgraded, Some(hop.url.clone())),
            None => (hop.url.clone(), None),
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BrowserError::BadUrl(format!(
                "{url} (the lab browser speaks http and https only)"
            )));
        }
        let address = self.network.resolve(&url)?;
        let top_level = spec.kind == RequestKind::Navigation;
        let ctx = RequestContext {
            url: &url,
            method: &hop.method,
            top_level,
            initiator: spec.initiator.as_ref(),
        };
        // fetch()'s default credentials mode, "same-origin": another origin gets no cookies.
        let with_credentials = spec.kind != RequestKind::Fetch
            || spec
                .initiator
                .as_ref()
                .is_none_or(|page| page.origin() == url.origin());
        let (cookie_header, cookie_decisions) = if with_credentials {
            self.jar.cookies_for(&ctx, now)
        } else {
            (None, Vec::new())
        };
        let body = hop.form.as_deref().map(urlencode);
        let headers = self.request_headers(&url, hop, spec, cookie_header, body.is_some());

        let method = reqwest::Method::from_bytes(hop.method.as_bytes()).map_err(|_| {
            BrowserError::BadUrl(format!("{url} with the invalid method {:?}", hop.method))
        })?;
        let mut wire_url = url.clone();
        // Connect to the routed socket; the lab host name travels in the Host header.
        wire_url
            .set_ip_host(address.ip())
            .and_then(|()| wire_url.set_port(Some(address.port())))
            .map_err(|()| BrowserError::BadUrl(url.to_string()))?;
        wire_url.set_fragment(None);
        let client = self.client();
        let mut builder = client.request(method, wire_url);
        for (name, value) in &headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                builder = builder.header(name, value);
            }
        }
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let request = builder.build().map_err(|error| unreachable(&url, &error))?;
        let request_headers = header_pairs(request.headers());

        let refused_before = self.refusals.count();
        let response = client.execute(request).await.map_err(|error| {
            if self.refusals.count() != refused_before {
                BrowserError::UntrustedCertificate {
                    host: url.host_str().unwrap_or_default().to_string(),
                }
            } else {
                unreachable(&url, &error)
            }
        })?;
        // The certificate the server presented (reqwest's TLS info), judged against the network's.
        let certificate_trusted = (url.scheme() == "https").then(|| {
            response
                .extensions()
                .get::<reqwest::tls::TlsInfo>()
                .and_then(reqwest::tls::TlsInfo::peer_certificate)
                .is_some_and(|der| self.network.is_trusted_certificate(der))
        });
        let status = response.status().as_u16();
        let response_headers = header_pairs(response.headers());
        let body = response
            .text()
            .await
            .map_err(|error| unreachable(&url, &error))?;

        // Nor are its cookies stored (a credentials-less response's Set-Cookie is ignored).
        let set_cookie_outcomes = response_headers
            .iter()
            .filter(|_| with_credentials)
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| self.jar.set_cookie(&url, value, CookieSource::Http, now))
            .collect();
        // RFC 6797 8.1: only the first Strict-Transport-Security header counts, only over https
        // (which `observe` checks), and only over a connection without certificate errors: after
        // a click-through the header is ignored.
        if let Some(sts) = first_header(&response_headers, "strict-transport-security")
            && certificate_trusted != Some(false)
        {
            self.hsts.observe(&url, sts, now);
        }
        let exchange = Exchange {
            method: hop.method.clone(),
            url,
            upgraded_from,
            certificate_trusted,
            request_headers,
            cookie_decisions,
            status,
            response_headers,
            set_cookie_outcomes,
            body,
        };
        if let Some(tap) = &self.tap {
            tap.record(&self.name, &exchange);
        }
        self.exchanges.push(exchange.clone());
        Ok(exchange)
    }

    /// The headers a Chromium-like browser sends, in the order it sends them.
    ///
    /// `Host` names the lab host (the connection goes to the routed address). `Origin` and
    /// `Sec-Fetch-*` follow the rules of [`fetch_metadata`]. `Referer` is as much of the
    /// initiating page's URL as the request's referrer policy allows (see [`crate::referrer`]):
    /// the page's `Referrer-Policy`, or the one a redirect on the way named.
    fn request_headers(
        &self,
        url: &Url,
        hop: &Hop,
        spec: &RequestSpec,
        cookie_header: Option<String>,
        has_form_body: bool,
    ) -> Vec<(String, String)> {
        let navigation = spec.kind == RequestKind::Navigation;
        let mut headers = vec![
            ("Host".to_string(), host_header(url)),
            (
                "User-Agent".to_string(),
                format!(
                    "sessionlab-browser/{} ({})",
                    env!("CARGO_PKG_VERSION"),
                    self.name
                ),
            ),
            (
                "Accept".to_string(),
                if navigation {
                    "text/html,*/*;q=0.8"
                } else {
                    "*/*"
                }
                .to_string(),
            ),
        ];
        if let Some(cookies) = cookie_header {
            headers.push(("Cookie".to_string(), cookies));
        }
        // Fetch: the request's referrer policy starts as the page's and a redirect may replace it.
        let policy_of = |page: &Url| {
            hop.referrer_policy
                .or_else(|| self.referrer_policies.get(page).copied())
                .unwrap_or(ReferrerPolicy::DEFAULT)
        };
        let initiator = spec.initiator.as_ref();
        if let Some(origin) =
            fetch_metadata::origin_header(spec.kind, &hop.method, initiator, url, policy_of)
        {
            headers.push(("Origin".to_string(), origin));
        }
        if let Some(referrer) = initiator.and_then(|page| policy_of(page).referrer(page, url)) {
            headers.push(("Referer".to_string(), referrer));
        }
        headers.extend(fetch_metadata::fetch_metadata_headers(
            spec.kind, initiator, url,
        ));
        if has_form_body {
            headers.push((
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ));
        }
        headers
    }
}

/// The `Host` header: the lab host, with the port when it is not the scheme's default.
fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// `application/x-www-form-urlencoded` serialisation of form fields.
fn urlencode(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The one reqwest client of a browser: it carries bytes and nothing else. No redirects (the
/// browser follows them itself, applying its cookie rules at every hop), no proxy, no cookie
/// store (reqwest's would ignore SameSite, HttpOnly and the prefixes), HTTP/1.1 only (so the
/// explicit `Host` header is the one on the wire), and the lab's TLS trust ([`crate::tls`]),
/// reporting the server's certificate with each response.
fn build_client(trusted: &[Vec<u8>], click_through: bool, refusals: &Refusals) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .use_preconfigured_tls(crate::tls::client_config(trusted, click_through, refusals))
        .tls_info(true)
        .http1_only()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("reqwest takes a rustls ClientConfig without system configuration")
}

/// Headers as (name, value) strings; a non-UTF-8 value is shown lossily rather than dropped.
fn header_pairs(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The first value of a header, names compared case-insensitively as HTTP requires.
fn first_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A transport error as `Unreachable`, with the whole error chain as the reason ("error sending
/// request: client error (Connect): tcp connect error: Connection refused (os error 111)").
fn unreachable(url: &Url, error: &(dyn std::error::Error + 'static)) -> BrowserError {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    BrowserError::Unreachable {
        url: url.to_string(),
        reason: parts.join(": "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn host_header_keeps_non_default_ports() {
        assert_eq!(
            host_header(&url("http://app.lab.test:4000/")),
            "app.lab.test:4000"
        );
        assert_eq!(host_header(&url("https://app.lab.test/")), "app.lab.test");
    }

    #[test]
    fn request_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let mut browser = Browser::new("victim", Network::new());
        let future = browser.request(RequestSpec::navigate(url("http://app.lab.test:1/"), None));
        assert_send(&future);
    }
}

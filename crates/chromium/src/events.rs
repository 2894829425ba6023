//! Chromium's Network events, turned into the lab's [`Exchange`]s.
//!
//! One request id may carry several hops (redirects): each
//! `Network.requestWillBeSent` opens a hop, its `redirectResponse` closes the
//! previous one. The `…ExtraInfo` events (the headers as they crossed the
//! wire, and what the cookie store did: `associatedCookies` with their
//! `blockedReasons`, `blockedCookies` of the response) come in hop order but
//! not in step with the main events, so they are queued per request id and
//! paired with hops in order, as Chromium's own DevTools front end does.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use serde_json::Value;
use sessionlab_browser::{
    CookieDecision, Exchange, RejectReason, SameSite, SetCookieOutcome, StoredCookie,
    WithholdReason,
};
use url::Url;

/// What [`PageState::drain`] hands over.
#[derive(Debug)]
pub struct Drained {
    pub exchanges: Vec<Exchange>,
    /// Index in `exchanges` of the main frame's last document: the page shown.
    pub document: Option<usize>,
    /// The URLs the page's scripts requested with `fetch()` (or XHR).
    pub fetched: Vec<Url>,
}

/// One hop of a request as Chromium reported it.
#[derive(Debug, Default, Clone)]
struct Hop {
    url: String,
    method: String,
    request_headers: Vec<(String, String)>,
    status: u16,
    response_headers: Vec<(String, String)>,
    responded: bool,
    /// Chromium's own redirect (an HSTS upgrade): it never reached the wire, and has no extra info.
    internal: bool,
    /// `Network.requestWillBeSentExtraInfo`: the headers on the wire and the cookie decisions.
    wire_request_headers: Option<Vec<(String, String)>>,
    associated_cookies: Vec<Value>,
    /// `Network.responseReceivedExtraInfo`: raw response headers and the refused cookies.
    wire_response_headers: Option<Vec<(String, String)>>,
    blocked_cookies: Vec<Value>,
}

/// One request id: its hops, and what is still to come.
#[derive(Debug, Default)]
struct Request {
    hops: Vec<Hop>,
    resource_type: String,
    frame_id: String,
    mime_type: String,
    finished: bool,
    failed: Option<String>,
    body: Option<String>,
    /// The extra-info events, in order: paired with the hops that reached the wire at drain time.
    request_extras: Vec<Value>,
    response_extras: Vec<Value>,
}

/// Everything a page target reported, since the last [`PageState::drain`].
#[derive(Debug)]
pub struct PageState {
    order: Vec<String>,
    requests: HashMap<String, Request>,
    /// Extra-info events for request ids not seen yet (they may come first).
    early_request_extra: HashMap<String, Vec<Value>>,
    early_response_extra: HashMap<String, Vec<Value>>,
    pub main_frame: String,
    pub in_flight: usize,
    pub bodies_pending: usize,
    pub last_activity: Instant,
    pub load_fired: bool,
    pub main_frame_loading: bool,
    /// When each cookie (name, domain) was stored, as seen in this page's events.
    pub stored_at: HashMap<(String, String), SystemTime>,
}

impl PageState {
    pub fn new(main_frame: String) -> Self {
        Self {
            order: Vec::new(),
            requests: HashMap::new(),
            early_request_extra: HashMap::new(),
            early_response_extra: HashMap::new(),
            main_frame,
            in_flight: 0,
            bodies_pending: 0,
            last_activity: Instant::now(),
            load_fired: false,
            main_frame_loading: false,
            stored_at: HashMap::new(),
        }
    }

    /// Applies one event. Returns the request id whose body should be fetched now, if any.
    pub fn apply(&mut self, method: &str, params: &Value) -> Option<String> {
        self.last_activity = Instant::now();
        let id = params
            .get("requestId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match method {
            "Network.requestWillBeSent" => {
                let is_new = !self.requests.contains_key(&id);
                if is_new {
                    self.order.push(id.clone());
                    self.in_flight += 1;
                }
                let request = self.requests.entry(id.clone()).or_default();
                if let Some(redirect) = params.get("redirectResponse")
                    && let Some(last) = request.hops.last_mut()
                {
                    respond(last, redirect);
                    last.internal = headers_of(&redirect["headers"])
                        .iter()
                        .any(|(name, _)| name == "non-authoritative-reason");
                }
                let r = &params["request"];
                let mut url = str_of(r, "url");
                if let Some(fragment) = r.get("urlFragment").and_then(Value::as_str) {
                    url.push_str(fragment);
                }
                request.hops.push(Hop {
                    url,
                    method: str_of(r, "method"),
                    request_headers: headers_of(&r["headers"]),
                    ..Hop::default()
                });
                request.resource_type = str_of(params, "type");
                request.frame_id = str_of(params, "frameId");
                let early = self.early_request_extra.remove(&id).unwrap_or_default();
                request.request_extras.extend(early);
                let early = self.early_response_extra.remove(&id).unwrap_or_default();
                request.response_extras.extend(early);
            }
            "Network.requestWillBeSentExtraInfo" => match self.requests.get_mut(&id) {
                Some(request) => request.request_extras.push(params.clone()),
                None => self
                    .early_request_extra
                    .entry(id)
                    .or_default()
                    .push(params.clone()),
            },
            "Network.responseReceivedExtraInfo" => match self.requests.get_mut(&id) {
                Some(request) => request.response_extras.push(params.clone()),
                None => self
                    .early_response_extra
                    .entry(id)
                    .or_default()
                    .push(params.clone()),
            },
            "Network.responseReceived" => {
                if let Some(request) = self.requests.get_mut(&id) {
                    request.mime_type = str_of(&params["response"], "mimeType");
                    if let Some(last) = request.hops.last_mut() {
                        respond(last, &params["response"]);
                    }
                }
            }
            "Network.loadingFinished" => {
                if let Some(request) = self.requests.get_mut(&id)
                    && !request.finished
                {
                    request.finished = true;
                    self.in_flight = self.in_flight.saturating_sub(1);
                    let textual = request.mime_type.starts_with("text/")
                        || request.mime_type.contains("json");
                    if textual {
                        self.bodies_pending += 1;
                        return Some(id);
                    }
                }
            }
            "Network.loadingFailed" => {
                if let Some(request) = self.requests.get_mut(&id)
                    && !request.finished
                {
                    request.finished = true;
                    request.failed = Some(str_of(params, "errorText"));
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
            }
            "Page.loadEventFired" => self.load_fired = true,
            "Page.frameStartedLoading" if str_of(params, "frameId") == self.main_frame => {
                self.main_frame_loading = true;
            }
            "Page.frameStoppedLoading" if str_of(params, "frameId") == self.main_frame => {
                self.main_frame_loading = false;
            }
            _ => {}
        }
        None
    }

    /// The body Chromium kept for request `id` (from `Network.getResponseBody`).
    pub fn set_body(&mut self, id: &str, body: Option<String>) {
        if let Some(request) = self.requests.get_mut(id) {
            request.body = body;
        }
        self.bodies_pending = self.bodies_pending.saturating_sub(1);
        self.last_activity = Instant::now();
    }

    /// Whether nothing is under way: no request in flight, no body being
    /// read, the main frame not loading.
    pub fn idle(&self) -> bool {
        self.in_flight == 0 && self.bodies_pending == 0 && !self.main_frame_loading
    }

    /// Removes every finished request and returns its hops as exchanges, in
    /// the order the requests started; also the index of the main frame's
    /// last document among them (the page the browser shows).
    pub fn drain(&mut self) -> Drained {
        let mut exchanges = Vec::new();
        let mut document = None;
        let mut fetched = Vec::new();
        let order = std::mem::take(&mut self.order);
        for id in order {
            let finished = self.requests.get(&id).is_some_and(|r| r.finished);
            if !finished {
                self.order.push(id);
                continue;
            }
            let mut request = self.requests.remove(&id).expect("present");
            attach_extras(&mut request);
            if matches!(request.resource_type.as_str(), "Fetch" | "XHR")
                && let Some(url) = request.hops.first().and_then(|h| Url::parse(&h.url).ok())
            {
                fetched.push(url);
            }
            let mut upgraded_from: Option<Url> = None;
            let last = request.hops.len().saturating_sub(1);
            for (index, hop) in request.hops.iter().enumerate() {
                let response_headers = hop
                    .wire_response_headers
                    .clone()
                    .unwrap_or_else(|| hop.response_headers.clone());
                // Chromium's own HSTS upgrade is an internal 307, not a request on the wire.
                if hop.internal {
                    upgraded_from = Url::parse(&hop.url).ok();
                    continue;
                }
                if !hop.responded && request.failed.is_none() {
                    continue;
                }
                let Ok(url) = Url::parse(&hop.url) else {
                    continue;
                };
                let request_headers = hop
                    .wire_request_headers
                    .clone()
                    .unwrap_or_else(|| hop.request_headers.clone());
                let set_cookie_outcomes = self.set_cookie_outcomes(hop, &url, &response_headers);
                let body = if index == last {
                    match (&request.body, &request.failed) {
                        (Some(body), _) => body.clone(),
                        (None, Some(error)) if !hop.responded => error.clone(),
                        _ => String::new(),
                    }
                } else {
                    String::new()
                };
                exchanges.push(Exchange {
                    method: hop.method.clone(),
                    certificate_trusted: (url.scheme() == "https").then_some(true),
                    url,
                    upgraded_from: upgraded_from.take(),
                    request_headers,
                    cookie_decisions: hop.associated_cookies.iter().map(decision).collect(),
                    status: hop.status,
                    response_headers,
                    set_cookie_outcomes,
                    body,
                });
            }
            if request.resource_type == "Document"
                && request.frame_id == self.main_frame
                && request.hops.last().is_some_and(|h| h.responded)
                && !exchanges.is_empty()
            {
                document = Some(exchanges.len() - 1);
            }
        }
        Drained {
            exchanges,
            document,
            fetched,
        }
    }

    /// What the cookie store did with each `Set-Cookie` line of a response:
    /// refused with Chromium's reasons (`blockedCookies`), else stored, or
    /// deleted when it is already expired.
    fn set_cookie_outcomes(
        &mut self,
        hop: &Hop,
        url: &Url,
        response_headers: &[(String, String)],
    ) -> Vec<SetCookieOutcome> {
        let mut outcomes = Vec::new();
        for (_, line) in response_headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        {
            let cookie = parse_set_cookie(line, url);
            let blocked = hop
                .blocked_cookies
                .iter()
                .find(|b| b.get("cookieLine").and_then(Value::as_str) == Some(line.as_str()));
            if let Some(blocked) = blocked {
                outcomes.push(SetCookieOutcome::Rejected {
                    name: cookie.name,
                    reason: RejectReason::Reported(reasons(blocked)),
                });
            } else if cookie.expires.is_some_and(|t| t <= SystemTime::now()) {
                outcomes.push(SetCookieOutcome::Deleted { name: cookie.name });
            } else {
                let key = (cookie.name.clone(), cookie.domain.clone());
                let replaced = self.stored_at.contains_key(&key);
                self.stored_at.insert(key, cookie.created);
                outcomes.push(if replaced {
                    SetCookieOutcome::Replaced(cookie)
                } else {
                    SetCookieOutcome::Stored(cookie)
                });
            }
        }
        outcomes
    }
}

/// Pairs the extra-info events with the hops that reached the wire, in order.
fn attach_extras(request: &mut Request) {
    let requests = std::mem::take(&mut request.request_extras);
    let responses = std::mem::take(&mut request.response_extras);
    let mut wire_hops: Vec<&mut Hop> = request.hops.iter_mut().filter(|h| !h.internal).collect();
    for (hop, extra) in wire_hops.iter_mut().zip(&requests) {
        hop.wire_request_headers = Some(headers_of(&extra["headers"]));
        hop.associated_cookies = extra["associatedCookies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
    }
    for (hop, extra) in wire_hops.iter_mut().zip(&responses) {
        hop.wire_response_headers = Some(headers_of(&extra["headers"]));
        hop.blocked_cookies = extra["blockedCookies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if hop.status == 0 {
            hop.status = extra["statusCode"].as_u64().unwrap_or(0) as u16;
        }
    }
}

fn respond(hop: &mut Hop, response: &Value) {
    hop.status = response["status"].as_u64().unwrap_or(0) as u16;
    hop.response_headers = headers_of(&response["headers"]);
    hop.responded = true;
}

fn str_of(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// CDP headers are one object; a repeated header (Set-Cookie) is one value with newlines.
fn headers_of(headers: &Value) -> Vec<(String, String)> {
    let Some(object) = headers.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .flat_map(|(name, value)| {
            let value = value.as_str().unwrap_or("").to_string();
            value
                .split('\n')
                .map(|line| (name.to_ascii_lowercase(), line.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Chromium's `blockedReasons`, as it spells them, joined.
fn reasons(entry: &Value) -> String {
    entry["blockedReasons"]
        .as_array()
        .map(|reasons| {
            reasons
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// One entry of `associatedCookies`: sent, or withheld for Chromium's reasons.
fn decision(entry: &Value) -> CookieDecision {
    let cookie = cookie_of(&entry["cookie"]);
    let why = reasons(entry);
    if why.is_empty() {
        CookieDecision::Sent(cookie)
    } else {
        CookieDecision::Withheld {
            cookie,
            reason: WithholdReason::Reported(why),
        }
    }
}

/// A `Network.Cookie` as the lab's [`StoredCookie`].
pub fn cookie_of(cookie: &Value) -> StoredCookie {
    let domain = str_of(cookie, "domain");
    let same_site = cookie.get("sameSite").and_then(Value::as_str);
    let expires = cookie["expires"]
        .as_f64()
        .filter(|_| !cookie["session"].as_bool().unwrap_or(true))
        .filter(|t| *t > 0.0)
        .map(|t| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs_f64(t));
    StoredCookie {
        name: str_of(cookie, "name"),
        value: str_of(cookie, "value"),
        host_only: !domain.starts_with('.'),
        domain: domain.trim_start_matches('.').to_string(),
        path: str_of(cookie, "path"),
        secure: cookie["secure"].as_bool().unwrap_or(false),
        http_only: cookie["httpOnly"].as_bool().unwrap_or(false),
        same_site: match same_site {
            Some("Strict") => SameSite::Strict,
            Some("None") => SameSite::None,
            _ => SameSite::Lax,
        },
        same_site_explicit: same_site.is_some(),
        expires,
        created: SystemTime::now(),
    }
}

/// The cookie a `Set-Cookie` line describes, for the transcript (Chromium
/// stored or refused it; this only names its attributes).
fn parse_set_cookie(line: &str, url: &Url) -> StoredCookie {
    let mut parts = line.split(';');
    let (name, value) = parts
        .next()
        .unwrap_or("")
        .split_once('=')
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .unwrap_or_else(|| (String::new(), line.trim().to_string()));
    let mut cookie = StoredCookie {
        name,
        value,
        domain: url.host_str().unwrap_or("").to_ascii_lowercase(),
        host_only: true,
        path: "/".into(),
        secure: false,
        http_only: false,
        same_site: SameSite::Lax,
        same_site_explicit: false,
        expires: None,
        created: SystemTime::now(),
    };
    for attribute in parts {
        let (key, val) = attribute
            .split_once('=')
            .map(|(k, v)| (k.trim(), v.trim()))
            .unwrap_or((attribute.trim(), ""));
        match key.to_ascii_lowercase().as_str() {
            "domain" if !val.is_empty() => {
                cookie.domain = val.trim_start_matches('.').to_ascii_lowercase();
                cookie.host_only = false;
            }
            "path" => cookie.path = val.to_string(),
            "secure" => cookie.secure = true,
            "httponly" => cookie.http_only = true,
            "max-age" => {
                if let Ok(seconds) = val.parse::<i64>() {
                    cookie.expires = Some(if seconds <= 0 {
                        SystemTime::UNIX_EPOCH
                    } else {
                        SystemTime::now() + std::time::Duration::from_secs(seconds as u64)
                    });
                }
            }
            "samesite" => {
                cookie.same_site_explicit = true;
                cookie.same_site = match val.to_ascii_lowercase().as_str() {
                    "strict" => SameSite::Strict,
                    "none" => SameSite::None,
                    _ => SameSite::Lax,
                };
            }
            _ => {}
        }
    }
    cookie
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_redirect_is_two_hops_and_extra_info_pairs_in_order() {
        let mut state = PageState::new("F".into());
        let sent = |url: &str| {
            json!({"requestId": "1", "type": "Document", "frameId": "F",
            "request": {"url": url, "method": "POST", "headers": {}}})
        };
        // The extra info of the first hop may come before its main event.
        state.apply(
            "Network.requestWillBeSentExtraInfo",
            &json!({"requestId": "1", "headers": {"Cookie": "sid=a"},
                "associatedCookies": [{"blockedReasons": [], "cookie": {"name": "sid", "value": "a", "domain": "app.lab.test", "path": "/"}},
                                      {"blockedReasons": ["SameSiteStrict"], "cookie": {"name": "s2", "value": "b", "domain": "app.lab.test", "path": "/", "sameSite": "Strict"}}]}),
        );
        state.apply(
            "Network.requestWillBeSent",
            &sent("http://app.lab.test:1/login"),
        );
        state.apply(
            "Network.responseReceivedExtraInfo",
            &json!({"requestId": "1", "statusCode": 303,
                "headers": {"Location": "/account", "Set-Cookie": "sid=new; Path=/\n__Host-x=1; Domain=lab.test"},
                "blockedCookies": [{"blockedReasons": ["InvalidPrefix"], "cookieLine": "__Host-x=1; Domain=lab.test"}]}),
        );
        let mut second = sent("http://app.lab.test:1/account");
        second["redirectResponse"] = json!({"status": 303, "headers": {"Location": "/account"}});
        second["request"]["method"] = json!("GET");
        state.apply("Network.requestWillBeSent", &second);
        state.apply(
            "Network.responseReceived",
            &json!({"requestId": "1", "response": {"status": 200, "headers": {}, "mimeType": "text/html"}}),
        );
        assert_eq!(
            state.apply("Network.loadingFinished", &json!({"requestId": "1"})),
            Some("1".to_string())
        );
        assert!(!state.idle(), "the body is still being read");
        state.set_body("1", Some("<p id=\"email\">a</p>".into()));
        assert!(state.idle());
        let Drained {
            exchanges,
            document,
            ..
        } = state.drain();
        assert_eq!(exchanges.len(), 2);
        assert_eq!(document, Some(1));
        let login = &exchanges[0];
        assert_eq!((login.method.as_str(), login.status), ("POST", 303));
        assert_eq!(login.request_header("cookie"), Some("sid=a"));
        assert!(matches!(&login.cookie_decisions[0], CookieDecision::Sent(c) if c.name == "sid"));
        assert!(matches!(&login.cookie_decisions[1],
            CookieDecision::Withheld { reason: WithholdReason::Reported(r), .. } if r == "SameSiteStrict"));
        assert!(
            matches!(&login.set_cookie_outcomes[0], SetCookieOutcome::Stored(c) if c.value == "new")
        );
        assert!(matches!(&login.set_cookie_outcomes[1],
            SetCookieOutcome::Rejected { reason: RejectReason::Reported(r), .. } if r == "InvalidPrefix"));
        assert_eq!(exchanges[1].status, 200);
        assert!(exchanges[1].body.contains("email"));
        assert!(exchanges[0].body.is_empty());
    }

    #[test]
    fn chromiums_hsts_upgrade_is_no_exchange_but_marks_the_next() {
        let mut state = PageState::new("F".into());
        state.apply(
            "Network.requestWillBeSent",
            &json!({"requestId": "7", "type": "Document", "frameId": "F",
                "request": {"url": "http://app.lab.test:1/account", "method": "GET", "headers": {}}}),
        );
        state.apply(
            "Network.requestWillBeSent",
            &json!({"requestId": "7", "type": "Document", "frameId": "F",
                "redirectResponse": {"status": 307, "headers": {"Non-Authoritative-Reason": "HSTS", "Location": "https://app.lab.test:1/account"}},
                "request": {"url": "https://app.lab.test:1/account", "method": "GET", "headers": {}}}),
        );
        // The only extra info is the https request's: the internal hop never reached the wire.
        state.apply(
            "Network.requestWillBeSentExtraInfo",
            &json!({"requestId": "7", "headers": {"Cookie": "__Host-sid=x"}, "associatedCookies": []}),
        );
        state.apply(
            "Network.responseReceived",
            &json!({"requestId": "7", "response": {"status": 200, "headers": {}, "mimeType": "image/png"}}),
        );
        state.apply("Network.loadingFinished", &json!({"requestId": "7"}));
        let exchanges = state.drain().exchanges;
        assert_eq!(exchanges.len(), 1, "{exchanges:?}");
        assert_eq!(
            exchanges[0].upgraded_from.as_ref().map(Url::as_str),
            Some("http://app.lab.test:1/account")
        );
        assert_eq!(exchanges[0].url.scheme(), "https");
        assert_eq!(exchanges[0].request_header("cookie"), Some("__Host-sid=x"));
    }
}

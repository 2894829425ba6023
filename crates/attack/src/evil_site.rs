//! `evil.lab.test`: the attacker's own web site, a small axum server on loopback.
//!
//! It serves a lure page, can answer with a `Set-Cookie` for the parent domain
//! `lab.test` (cookie tossing from a sibling host), serves pages the attacker
//! writes (the CSRF page, reached as `evil.test`, a cross-site host), and collects
//! whatever a payload sends it. The attacker reads the collection directly: it is their server.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use sessionlab_browser::Network;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use url::Url;

use crate::lab::{EVIL_CROSS_SITE_HOST, EVIL_HOST};

/// One report the collector received.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The token in the collector path: it ties a report to this run.
    pub token: String,
    /// The `c` query parameter: what the payload sent (e.g. `document.cookie`).
    pub data: String,
}

#[derive(Default)]
struct EvilState {
    tossed_cookie: Option<String>,
    collected: Vec<Collected>,
    /// `/page/<name>` -> HTML written by the attacker.
    pages: std::collections::HashMap<String, String>,
    visits: Vec<Visit>,
}

/// One visit to a `/deals/<token>` landing page, as the site's access log keeps it.
#[derive(Debug, Clone)]
pub struct Visit {
    pub token: String,
    /// The `Referer` the visitor's browser sent, if any: where the link was clicked.
    pub referer: Option<String>,
}

type Shared = Arc<Mutex<EvilState>>;

/// A running evil site. Stops when dropped.
pub struct EvilSite {
    addr: SocketAddr,
    state: Shared,
    task: JoinHandle<()>,
}

impl EvilSite {
    pub async fn start() -> std::io::Result<Self> {
        let state = Shared::default();
        let app = Router::new()
            .route("/", get(lure))
            .route("/toss", get(toss))
            .route("/collect/{token}", get(collect))
            .route("/page/{name}", get(page))
            .route("/deals/{token}", get(deals))
            .with_state(state.clone());
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state, task })
    }

    /// Adds `evil.lab.test:<port>` to a lab network.
    pub fn join(&self, network: &mut Network) {
        network.route(EVIL_HOST, self.addr.port(), self.addr);
    }

    /// A URL on the evil site, e.g. `http://evil.lab.test:40001/toss`.
    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{EVIL_HOST}:{}{path}", self.addr.port()))
            .expect("lab URLs are well-formed")
    }

    /// Adds `evil.test:<port>` to a lab network: the same server under another registrable
    /// domain, cross-site with the app (SameSite applies to what its pages start).
    pub fn join_cross_site(&self, network: &mut Network) {
        network.route(EVIL_CROSS_SITE_HOST, self.addr.port(), self.addr);
    }

    /// A URL on the cross-site name, e.g. `http://evil.test:40001/page/x`.
    pub fn cross_site_url(&self, path: &str) -> Url {
        Url::parse(&format!(
            "http://{EVIL_CROSS_SITE_HOST}:{}{path}",
            self.addr.port()
        ))
        .expect("lab URLs are well-formed")
    }

    /// From now on `/page/<name>` serves this HTML.
    pub fn host_page(&self, name: &str, html: String) {
        self.lock().pages.insert(name.to_string(), html);
    }

    /// From now on `/toss` answers with this `Set-Cookie` value.
    pub fn toss_cookie(&self, set_cookie: String) {
        self.lock().tossed_cookie = Some(set_cookie);
    }

    /// Every report sent to `/collect/<token>` so far.
    pub fn collected(&self, token: &str) -> Vec<Collected> {
        self.lock()
            .collected
            .iter()
            .filter(|c| c.token == token)
            .cloned()
            .collect()
    }

    /// Every visit to `/deals/<token>` so far: the access log the attacker reads.
    pub fn visits(&self, token: &str) -> Vec<Visit> {
        self.lock()
            .visits
            .iter()
            .filter(|v| v.token == token)
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, EvilState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for EvilSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn lure() -> Html<&'static str> {
    Html(
        "<!doctype html><title>Win a prize</title><h1>You have won!</h1><p>Claim your prize at the lab app.</p>",
    )
}

/// Answers with the configured `Set-Cookie` for the parent domain (cookie tossing).
async fn toss(State(state): State<Shared>) -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    let tossed = state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .tossed_cookie
        .clone();
    if let Some(value) = tossed.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::SET_COOKIE, value);
    }
    (
        headers,
        Html("<!doctype html><title>Funny cats</title><h1>Funny cats</h1>"),
    )
}

/// A page the attacker wrote, or 404.
async fn page(State(state): State<Shared>, Path(name): Path<String>) -> axum::response::Response {
    let html = state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pages
        .get(&name)
        .cloned();
    match html {
        Some(html) => Html(html).into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct CollectQuery {
    #[serde(default)]
    c: String,
}

async fn collect(
    State(state): State<Shared>,
    Path(token): Path<String>,
    Query(q): Query<CollectQuery>,
) -> &'static str {
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .collected
        .push(Collected { token, data: q.c });
    "thanks"
}

/// A landing page an outbound link leads to; its access log keeps the `Referer`.
async fn deals(
    State(state): State<Shared>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Html<&'static str> {
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .visits
        .push(Visit { token, referer });
    Html("<!doctype html><title>Cheap flights</title><h1>Cheap flights to Wonderland</h1>")
}

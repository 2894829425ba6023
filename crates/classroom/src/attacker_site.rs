//! The attacker's site, for real: the page the student writes and alice
//! visits, the collector, and the access log that shows `Referer`.
//!
//! Each student's site answers on two hosts (see `hosts.rs`): a sibling of
//! the app (`evil.<label>.localhost`, same site: cookie tossing) and a host
//! of another site (`<label>.attacker.localhost`: CSRF), where the label is
//! `NAME-SECRET`. `GET /` is the
//! student's page; every other path is the collector, which answers 204 to
//! anyone (with `Access-Control-Allow-Origin: *`, so a script's `fetch()` is
//! not even an error). Every request lands in the access log.
//!
//! Bounds, because a class is a room full of people trying things: the page
//! is at most [`MAX_PAGE_BYTES`], a request body at most
//! [`MAX_COLLECT_BYTES`] (413 beyond), its address at most
//! [`MAX_TARGET_BYTES`] (414 beyond), [`RATE_LIMIT`] requests per
//! [`RATE_WINDOW`] per student (429 beyond), and the log keeps the last
//! [`MAX_LOG_ENTRIES`], each field cut at [`MAX_FIELD_CHARS`].

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sessionlab_app::observer::{RequestFacts, VictimDoor};
use time::OffsetDateTime;

use crate::detect::Detector;

pub const MAX_PAGE_BYTES: usize = 16 * 1024;
pub const MAX_SET_COOKIE_BYTES: usize = 512;
pub const MAX_COLLECT_BYTES: usize = 4 * 1024;
/// The longest path and query the site reads: the detector keeps what the
/// site received to search for IDs, so an address of any size would be kept too.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
pub const MAX_LOG_ENTRIES: usize = 200;
pub const MAX_FIELD_CHARS: usize = 2000;
pub const RATE_LIMIT: u32 = 60;
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

/// What the student's page is.
#[derive(Debug, Clone, Default)]
pub struct AttackerPage {
    pub html: String,
    /// One `Set-Cookie` value the page is served with (cookie tossing).
    pub set_cookie: Option<String>,
}

/// One request the site received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub request: RequestFacts,
    /// The body as received (cut), for the collector.
    pub body: String,
}

/// Why the student's page was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error("the page is {0} bytes; at most {MAX_PAGE_BYTES} are kept")]
    TooLarge(usize),
    #[error("the Set-Cookie line is longer than {MAX_SET_COOKIE_BYTES} bytes")]
    CookieTooLarge,
    #[error(
        "the Set-Cookie line must be one line of visible ASCII, e.g. sid=VALUE; Domain=NAME-SECRET.localhost; Path=/"
    )]
    CookieNotOneLine,
}

/// One student's attacker site.
#[derive(Debug)]
pub struct AttackerSite {
    page: Mutex<AttackerPage>,
    log: Mutex<VecDeque<Hit>>,
    rate: Mutex<(Instant, u32)>,
}

impl Default for AttackerSite {
    fn default() -> Self {
        Self {
            page: Mutex::new(AttackerPage {
                html: "<!DOCTYPE html>\n<title>bob's page</title>\n<p>Nothing here yet.</p>\n"
                    .into(),
                set_cookie: None,
            }),
            log: Mutex::default(),
            rate: Mutex::new((Instant::now(), 0)),
        }
    }
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_FIELD_CHARS).collect()
}

/// `%xx` and `+` decoded, so a note sent through `encodeURIComponent` is found.
fn decoded(text: &str) -> String {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| {
            if v.is_empty() {
                k.into_owned()
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl AttackerSite {
    pub fn page(&self) -> AttackerPage {
        self.page
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the page, within the bounds.
    pub fn set_page(&self, html: String, set_cookie: Option<String>) -> Result<(), PageError> {
        if html.len() > MAX_PAGE_BYTES {
            return Err(PageError::TooLarge(html.len()));
        }
        let set_cookie = set_cookie
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if let Some(cookie) = &set_cookie {
            if cookie.len() > MAX_SET_COOKIE_BYTES {
                return Err(PageError::CookieTooLarge);
            }
            if HeaderValue::from_str(cookie).is_err()
                || !cookie.bytes().all(|b| (0x20..0x7f).contains(&b))
            {
                return Err(PageError::CookieNotOneLine);
            }
        }
        *self.page.lock().unwrap_or_else(PoisonError::into_inner) =
            AttackerPage { html, set_cookie };
        Ok(())
    }

    /// The access log, newest last.
    pub fn log(&self) -> Vec<Hit> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    fn over_rate(&self) -> bool {
        let mut rate = self.rate.lock().unwrap_or_else(PoisonError::into_inner);
        if rate.0.elapsed() > RATE_WINDOW {
            *rate = (Instant::now(), 0);
        }
        rate.1 += 1;
        rate.1 > RATE_LIMIT
    }

    /// Answers one request to the site, recording it and telling the detector.
    pub async fn serve(&self, request: Request<Body>, detector: &Detector) -> Response {
        if self.over_rate() {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "more than {RATE_LIMIT} requests in {} s to this attacker site; wait a moment",
                    RATE_WINDOW.as_secs()
                ),
            )
                .into_response();
        }
        let target_len = request
            .uri()
            .path_and_query()
            .map_or(0, |pq| pq.as_str().len());
        if target_len > MAX_TARGET_BYTES {
            return (
                StatusCode::URI_TOO_LONG,
                format!(
                    "the address is {target_len} bytes; this attacker site reads at most {MAX_TARGET_BYTES} \
                     (send more in a POST body, up to {MAX_COLLECT_BYTES} bytes)"
                ),
            )
                .into_response();
        }
        let (parts, body) = request.into_parts();
        let facts = facts_of(
            &parts.method,
            &parts.uri,
            &parts.headers,
            parts.extensions.get::<VictimDoor>().is_some(),
        );
        let body = match to_bytes(body, MAX_COLLECT_BYTES).await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => {
                return (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the collector keeps at most {MAX_COLLECT_BYTES} bytes of a request body"
                    ),
                )
                    .into_response();
            }
        };
        let searchable = format!(
            "{} {}",
            decoded(parts.uri.query().unwrap_or("")),
            decoded(&body)
        );
        detector.attacker_site_received(&facts, &format!("{} {searchable}", parts.uri.path()));
        {
            let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
            if log.len() >= MAX_LOG_ENTRIES {
                log.pop_front();
            }
            log.push_back(Hit {
                at: OffsetDateTime::now_utc(),
                request: facts,
                body: cut(&body),
            });
        }
        if parts.uri.path() == "/" && parts.method == axum::http::Method::GET {
            let page = self.page();
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            if let Some(cookie) = page
                .set_cookie
                .as_deref()
                .and_then(|c| HeaderValue::from_str(c).ok())
            {
                if let Some(value) = cookie
                    .to_str()
                    .ok()
                    .and_then(|c| c.split(';').next())
                    .and_then(|nv| nv.split_once('='))
                {
                    detector.tossed(value.1.trim());
                }
                headers.insert(header::SET_COOKIE, cookie);
            }
            return (StatusCode::OK, headers, page.html).into_response();
        }
        (
            StatusCode::NO_CONTENT,
            [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        )
            .into_response()
    }
}

fn facts_of(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    from_victim: bool,
) -> RequestFacts {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(cut);
    RequestFacts {
        method: method.to_string(),
        target: cut(uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())),
        from_victim,
        user_agent: text("user-agent"),
        origin: text("origin"),
        referer: text("referer"),
        sec_fetch_site: text("sec-fetch-site"),
        host: text("host"),
    }
}

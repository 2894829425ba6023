//! Fail closed: when the session store cannot be reached, the request gets a
//! 503 that names the store, whatever the handler or tower-sessions made of
//! the error.
//!
//! Without this, a store error is easy to read as "no session": the visitor
//! would see the page an anonymous visitor sees (and a fresh session cookie),
//! or, worse, a logout would answer "logged out" while the session lived on
//! in the store. So every backend call goes through [`noted`], which marks
//! the request when it fails, and [`answer_503_on_store_failure`], a layer
//! just outside tower-sessions, replaces the whole response of a marked
//! request (its `Set-Cookie` too) with the 503 page. Nothing is retried
//! behind the visitor's back and nothing panics; the next request tries the
//! store again, so the app recovers by itself when the store comes back.
//!
//! A logout, once answered, is never undone: the logout's response is sent
//! only after the store confirmed the delete; a failed delete is a 503, and
//! the visitor (or the test) knows the session may still be live.
//! CWE-636 (not failing securely) · ASVS 5.0.0 16.5.3

use std::cell::Cell;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tower_sessions::session_store;

use crate::state::App;

tokio::task_local! {
    /// Set when a call to the store failed during the current request.
    static STORE_FAILED: Cell<bool>;
}

/// Marks the current request as failed when `result` is an error (outside a
/// request, e.g. in a unit test, it only passes the result on).
pub(crate) fn noted<T>(result: session_store::Result<T>) -> session_store::Result<T> {
    if result.is_err() {
        let _ = STORE_FAILED.try_with(|failed| failed.set(true));
    }
    result
}

/// The layer: runs the request with a fresh mark, and answers 503 if the
/// store failed anywhere in it.
pub(crate) async fn answer_503_on_store_failure(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let (failed, response) = STORE_FAILED
        .scope(Cell::new(false), async move {
            let response = next.run(request).await;
            (STORE_FAILED.with(Cell::get), response)
        })
        .await;
    if failed {
        unavailable(app.store.name())
    } else {
        response
    }
}

/// The 503 page, naming the store.
pub(crate) fn unavailable(store: &str) -> Response {
    let store = sessionlab_protocol::escape_html(store);
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Session store unavailable</title></head><body>\n\
         <h1>Session store unavailable</h1>\n\
         <p id=\"store-unavailable\">The session store <code>{store}</code> cannot be reached, \
         so this app cannot tell who you are. Nothing was done: no page is shown as if you \
         were signed out, and no session was started or ended. Try again in a moment.</p>\n\
         </body></html>\n"
    );
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

//! A whole-request deadline: head, body and answer within [`DEFAULT`] (30 s).
//!
//! **What it does.** Once hyper has read a request's head, the app's answer,
//! including reading the body, must be ready within the deadline; past it the
//! client gets `408 Request Timeout` with `Connection: close`, and the
//! connection is closed (hyper closes a connection whose request body was not
//! read to its end). The head itself has its own 10-second limit
//! (`server.rs`), so a request can hold a connection for at most about
//! 40 seconds, whatever it declares.
//!
//! **Why.** A body that declares `Content-Length: 1000` and sends ten bytes
//! kept its connection, and one file descriptor, open for ever. Some hundreds
//! of such clients were enough to leave none for anyone else (a slow-body or
//! "slow POST" attack). A deadline that covers the body is what ends them;
//! a limit on the gap between two packets would not (one byte every few
//! seconds passes it).
//!
//! CWE-400 · ASVS 5.0.0 13.1.2

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The deadline unless `serve --request-timeout` sets a shorter one.
pub const DEFAULT: Duration = Duration::from_secs(30);

/// The layer, as `axum::middleware::from_fn_with_state` middleware: the rest
/// of the app, body reading included, runs under `deadline`.
pub async fn enforce(State(deadline): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => too_slow(deadline),
    }
}

/// The 408, asking the client to close the connection.
fn too_slow(deadline: Duration) -> Response {
    let mut response = (
        StatusCode::REQUEST_TIMEOUT,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!(
            "408 Request Timeout: the request, body included, did not arrive within {} s.\n",
            deadline.as_secs_f64()
        ),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

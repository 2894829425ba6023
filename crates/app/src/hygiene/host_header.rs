//! `Host`: exactly one, well formed, or 400 (RFC 9112 §3.2).
//!
//! **What it does.** RFC 9112 §3.2: "A server MUST respond with a 400 (Bad
//! Request) status code to any HTTP/1.1 request message that lacks a Host
//! header field and to any request message that contains more than one Host
//! header field line or a Host header field with an invalid field value."
//! [`problem`] says which of these a request breaks; the layer answers it,
//! and the plain-HTTP side of a TLS profile asks the same before it
//! redirects (`server.rs`). An HTTP/1.0 request may still come without one.
//!
//! **Why.** Two `Host` headers mean two readers of the request may disagree on
//! which site it is for (a cache and the app, a proxy and the app): the
//! ground of host-header and cache-poisoning attacks. A server that guesses
//! instead of refusing hides the client's mistake and widens that gap.
//!
//! CWE-20, CWE-444 · WSTG-INPV-17

use axum::extract::Request;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What is wrong with a request's `Host`, if anything.
pub fn problem(version: Version, headers: &HeaderMap) -> Option<&'static str> {
    let mut hosts = headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if version >= Version::HTTP_11 => Some("an HTTP/1.1 request needs a Host header"),
        (None, _) => None,
        (Some(_), Some(_)) => Some("the request has more than one Host header"),
        (Some(host), None) => (!is_valid(host.as_bytes()))
            .then_some("the Host header is not a host name or address with an optional port"),
    }
}

/// `host[:port]` as RFC 3986 writes an authority, without user information.
pub fn is_valid(host: &[u8]) -> bool {
    !host.is_empty()
        && !host.contains(&b'@')
        && std::str::from_utf8(host).is_ok_and(|text| text.parse::<Authority>().is_ok())
}

/// The 400, plain text.
pub fn bad_request(problem: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("400 Bad Request: {problem} (RFC 9112 section 3.2).\n"),
    )
        .into_response()
}

/// The layer, as `axum::middleware::from_fn` middleware.
pub async fn require_one_host(request: Request, next: Next) -> Response {
    match problem(request.version(), request.headers()) {
        Some(problem) => bad_request(problem),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn exactly_one_well_formed_host() {
        let mut headers = HeaderMap::new();
        assert!(problem(Version::HTTP_11, &headers).is_some());
        assert!(problem(Version::HTTP_10, &headers).is_none());
        headers.insert(header::HOST, HeaderValue::from_static("app.lab.test:8443"));
        assert!(problem(Version::HTTP_11, &headers).is_none());
        headers.append(header::HOST, HeaderValue::from_static("evil.example"));
        assert!(problem(Version::HTTP_11, &headers).is_some());
        assert!(problem(Version::HTTP_10, &headers).is_some());
        for bad in ["", "a b", "user@app.lab.test", "app.lab.test/x", "[::1"] {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(bad).expect("header"));
            assert!(problem(Version::HTTP_11, &headers).is_some(), "{bad:?}");
        }
    }
}

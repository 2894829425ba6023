//! Forwarding: with several instances behind a load balancer, a request for
//! a lab may land on any of them, but a lab lives on one, its home (see
//! `roster.rs`). Any other instance passes the request on to the home as it
//! came (method, path, `Host`, cookies, body) and the answer back as it went
//! (status, every `Set-Cookie`, body). The home serves it like any request
//! from the network: a forwarded request never carries the victim's mark.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Set on a forwarded request: the instance receiving it answers it itself,
/// and never forwards it again (no loops while a lab moves).
pub const FORWARDED_HEADER: &str = "x-sessionlab-forwarded";

/// How long a forwarded request may take: alice's longest visit (a "Send
/// alice" waits for it) and some.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(120);

/// Headers that belong to one hop, not to the request.
const HOP_BY_HOP: [HeaderName; 5] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::CONTENT_LENGTH,
    header::UPGRADE,
    header::TE,
];

/// Why a request could not be forwarded.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// Nothing listens at the home any more: its lab may be taken over.
    #[error("the instance at {0} does not answer")]
    Unreachable(String),
    /// The home answered badly or too slowly: nothing is taken over.
    #[error("forwarding to {0} failed: {1}")]
    Failed(String, String),
}

impl IntoResponse for ForwardError {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_GATEWAY,
            format!("{self}: this lab lives on that instance of the class; try again"),
        )
            .into_response()
    }
}

/// An HTTP client for the instances of one class (plain HTTP, on the class's own network).
#[derive(Debug, Clone)]
pub struct Forwarder {
    client: reqwest::Client,
}

impl Default for Forwarder {
    fn default() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(FORWARD_TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .expect("a plain HTTP client builds");
        Self { client }
    }
}

impl Forwarder {
    /// Sends the request to `home` (`IP:PORT`) and returns its answer.
    pub async fn forward(
        &self,
        home: &str,
        parts: &Parts,
        body: Bytes,
    ) -> Result<Response, ForwardError> {
        let target = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let mut request = self
            .client
            .request(parts.method.clone(), format!("http://{home}{target}"))
            .body(body);
        for (name, value) in &parts.headers {
            if !HOP_BY_HOP.contains(name) {
                request = request.header(name, value);
            }
        }
        let response = request
            .header(FORWARDED_HEADER, HeaderValue::from_static("1"))
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    ForwardError::Unreachable(home.to_owned())
                } else {
                    ForwardError::Failed(home.to_owned(), e.to_string())
                }
            })?;
        let mut answer = Response::builder().status(response.status());
        for (name, value) in response.headers() {
            if !HOP_BY_HOP.contains(name) {
                answer = answer.header(name, value);
            }
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| ForwardError::Failed(home.to_owned(), e.to_string()))?;
        answer
            .body(Body::from(body))
            .map_err(|e| ForwardError::Failed(home.to_owned(), e.to_string()))
    }
}

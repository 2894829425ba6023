//! TODO(helper): implement.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) async fn forgot_form() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

pub(crate) async fn start_reset() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

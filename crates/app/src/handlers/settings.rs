//! TODO(helper): implement.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) async fn settings_page() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

pub(crate) async fn change_email() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

//! TODO(helper): implement.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) async fn password_form() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

pub(crate) async fn change_password() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

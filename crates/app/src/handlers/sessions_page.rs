//! TODO(helper): implement.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) async fn list_sessions() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

pub(crate) async fn end_session() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

pub(crate) async fn end_all_sessions() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

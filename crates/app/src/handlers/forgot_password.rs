//! TODO(helper): implement.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) async fn todo() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}

//! `GET /forgot` and `POST /forgot`: step one of a password reset, the
//! session-puzzling lesson's surface.
//!
//! The seed article has no such flow; this one is written in the seed's style
//! (`req.session.username = username`). Where the entered name goes in the
//! session is the `separate-session-keys` defense's decision. The answer is the
//! same whether or not the account exists, so the form does not tell who has an
//! account. No e-mail is sent: the page says so.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{LabSession, Result, form_token, signed_in_user};
use crate::defenses::separate_session_keys;
use crate::pages::{ForgotPage, render};
use crate::state::App;

/// Longer than any username this app has, short enough to show.
const MAX_USERNAME_CHARS: usize = 64;

pub(crate) async fn forgot_form(
    State(app): State<Arc<App>>,
    session: LabSession,
) -> Result<Response> {
    let user = signed_in_user(&app, &session).await?;
    let page = ForgotPage {
        banner: &app.banner,
        user: user.as_deref(),
        requested: None,
        error: None,
        csrf_token: form_token(&app, &session).await?,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub(crate) struct ForgotForm {
    username: String,
}

pub(crate) async fn start_reset(
    State(app): State<Arc<App>>,
    session: LabSession,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Result<Response> {
    let username = form.username.trim();
    let problem = if username.is_empty() {
        Some("The username is empty.".to_owned())
    } else if username.chars().count() > MAX_USERNAME_CHARS {
        Some(format!(
            "The username is longer than {MAX_USERNAME_CHARS} characters."
        ))
    } else if username.chars().any(char::is_control) {
        Some("The username contains control characters.".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        let user = signed_in_user(&app, &session).await?;
        let page = ForgotPage {
            banner: &app.banner,
            user: user.as_deref(),
            requested: None,
            error: Some(&problem),
            csrf_token: form_token(&app, &session).await?,
        };
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    // Remembered only for a real account (the next step would need it); the answer is the same.
    if app.users.knows(username) {
        separate_session_keys::remember_reset_request(&app, &session, username, &headers).await?;
    }
    // Read after the write: under the weakness, the asker is now signed in as that user.
    let user = signed_in_user(&app, &session).await?;
    let page = ForgotPage {
        banner: &app.banner,
        user: user.as_deref(),
        requested: Some(username),
        error: None,
        csrf_token: None,
    };
    Ok(render(StatusCode::OK, &page))
}

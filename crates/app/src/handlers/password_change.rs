//! `GET|POST /account/password`: the password-change form.
//!
//! The current password is checked exactly where the profile checks passwords
//! at login (`password-check`, through its module): a form stricter than the
//! login would only pretend, since whoever can sign in as the user without the
//! password can also reach this form. What happens to the user's sessions
//! after the change is the `revoke-on-password-change` defense's call.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::{InternalError, Result, SignedIn, SignedInForm, render_private};
use crate::defenses::revoke_on_password_change::{self, Revocation};
use crate::defenses::{csrf_token, password_check};
use crate::pages::PasswordPage;
use crate::state::App;

/// The longest password accepted (argon2 takes more, but nobody needs it).
pub(crate) const MAX_PASSWORD_CHARS: usize = 128;

#[derive(serde::Deserialize)]
pub(crate) struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub(crate) async fn password_form(
    State(app): State<Arc<App>>,
    SignedIn { username: user }: SignedIn,
    session: Session,
) -> Result<Response> {
    password_page(&app, &session, &user, StatusCode::OK, Ok(None)).await
}

pub(crate) async fn change_password(
    State(app): State<Arc<App>>,
    session: Session,
    SignedInForm {
        username: user,
        form,
    }: SignedInForm<PasswordForm>,
) -> Result<Response> {
    if !app.users.knows(&user) {
        return Ok(Redirect::to("/login").into_response());
    }
    // The cheap checks first: argon2 is for well-formed requests only.
    if let Some(problem) = problem_with(&form) {
        let page = password_page(
            &app,
            &session,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Err(&problem),
        );
        return page.await;
    }
    let current_ok =
        password_check::check_login(&app.users, &app.profile, &user, &form.current_password)
            .await
            .is_some_and(|checked| checked == user);
    if !current_ok {
        let problem = "The current password is wrong.";
        return password_page(&app, &session, &user, StatusCode::FORBIDDEN, Err(problem)).await;
    }
    if !app.users.set_password(&user, &form.new_password).await {
        return Err(InternalError);
    }
    let revocation =
        revoke_on_password_change::after_password_change(&session, &app.profile, &app.store, &user)
            .await?;
    let notice = match revocation {
        Revocation::OtherSessionsEnded(ended) => format!(
            "Password changed. Other sessions ended: {ended}. This one continues under a new session ID."
        ),
        Revocation::NoneEnded => "Password changed.".to_string(),
    };
    password_page(&app, &session, &user, StatusCode::OK, Ok(Some(&notice))).await
}

/// Why the form cannot be accepted, before any password is looked at.
fn problem_with(form: &PasswordForm) -> Option<String> {
    let too_long = |p: &str| p.chars().count() > MAX_PASSWORD_CHARS;
    if form.new_password.is_empty() {
        Some("The new password is empty.".into())
    } else if too_long(&form.new_password) || too_long(&form.current_password) {
        Some(format!(
            "A password is longer than {MAX_PASSWORD_CHARS} characters."
        ))
    } else {
        None
    }
}

/// The form, with a confirmation (`Ok(Some)`) or a problem (`Err`).
async fn password_page(
    app: &App,
    session: &Session,
    user: &str,
    status: StatusCode,
    message: std::result::Result<Option<&str>, &str>,
) -> Result<Response> {
    let (notice, error) = match message {
        Ok(notice) => (notice, None),
        Err(error) => (None, Some(error)),
    };
    let page = PasswordPage {
        banner: &app.banner,
        user: Some(user),
        max_chars: MAX_PASSWORD_CHARS,
        notice,
        error,
        csrf_token: csrf_token::form_token(session, &app.profile).await?,
    };
    Ok(render_private(app, status, &page))
}

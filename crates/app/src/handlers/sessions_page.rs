//! `GET /account/sessions` and its two buttons: "End" one session
//! (`POST /account/sessions/end`, field `handle`) and "Log out everywhere"
//! (`POST /account/sessions/end-all`). Which sessions the app knows of, and
//! how they end, is the `log-out-everywhere` defense's call.
//!
//! A session is named by its sign-in handle (`session_index.rs`), never by its
//! ID: the page would otherwise print live session tokens, and the form would
//! let anyone who learned an ID aim at it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::{Result, SignedIn, SignedInForm, render_private};
use crate::defenses::{csrf_token, log_out_everywhere};
use crate::pages::{SessionRow, SessionsPage};
use crate::state::App;

/// A handle is 16 lowercase hex digits (`session_index::SignIn::handle`).
const HANDLE_CHARS: usize = 16;

#[derive(serde::Deserialize)]
pub(crate) struct EndForm {
    handle: String,
}

pub(crate) async fn list_sessions(
    State(app): State<Arc<App>>,
    SignedIn { username: user }: SignedIn,
    session: Session,
) -> Result<Response> {
    sessions_page(&app, &session, &user, StatusCode::OK, None).await
}

pub(crate) async fn end_session(
    State(app): State<Arc<App>>,
    session: Session,
    SignedInForm {
        username: user,
        form,
    }: SignedInForm<EndForm>,
) -> Result<Response> {
    if !is_handle(&form.handle) {
        let problem = Some("That is not a session handle.");
        return sessions_page(
            &app,
            &session,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            problem,
        )
        .await;
    }
    let known =
        log_out_everywhere::known_sessions(&session, &app.profile, &app.store, &user).await?;
    let Some(target) = known.iter().find(|s| s.sign_in.handle == form.handle) else {
        let problem = Some("No active session of yours has that handle.");
        return sessions_page(&app, &session, &user, StatusCode::NOT_FOUND, problem).await;
    };
    let ended_here =
        log_out_everywhere::end_session(&session, &app.profile, &app.store, &app.cookie, target)
            .await?;
    Ok(match ended_here {
        // This browser's own session: it leaves like a logout.
        Some(headers) => (headers, Redirect::to("/")).into_response(),
        None => Redirect::to("/account/sessions").into_response(),
    })
}

pub(crate) async fn end_all_sessions(
    State(app): State<Arc<App>>,
    SignedIn { username: user }: SignedIn,
    session: Session,
) -> Result<Response> {
    let headers =
        log_out_everywhere::end_all(&session, &app.profile, &app.store, &app.cookie, &user).await?;
    Ok((headers, Redirect::to("/")).into_response())
}

fn is_handle(text: &str) -> bool {
    text.len() == HANDLE_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn sessions_page(
    app: &App,
    session: &Session,
    user: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response> {
    let known = log_out_everywhere::known_sessions(session, &app.profile, &app.store, user).await?;
    let current = session.id();
    let rows: Vec<SessionRow> = known
        .iter()
        .map(|s| SessionRow {
            handle: s.sign_in.handle.clone(),
            device: s.sign_in.device.clone(),
            started: s.sign_in.started_text(),
            current: Some(s.id) == current,
        })
        .collect();
    let page = SessionsPage {
        banner: &app.banner,
        user: Some(user),
        sessions: &rows,
        error,
        csrf_token: csrf_token::form_token(session, &app.profile).await?,
    };
    Ok(render_private(app, status, &page))
}

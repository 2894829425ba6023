//! `csrf-token`: every form that changes state carries a secret bound to the session.
//!
//! **What it does.** The first form a session renders gets a token: 32 bytes
//! from a CSPRNG, kept in the session record, written into a hidden
//! `csrf_token` field ([`form_token`]). A middleware over every route
//! ([`check_unsafe_requests`]) refuses any request with an unsafe method
//! (POST and the like) whose form does not carry that session's token,
//! compared in constant time: 403, before any handler runs, so no handler can
//! forget the check. A login gets a fresh token ([`renew_at_login`]), so a
//! token learned before the login is worth nothing after it. The check only
//! guards unsafe methods, so no GET may change state: `GET /logout` asks
//! "Log out?" and posts a form instead ([`logout_needs_post`]).
//!
//! **Why it matters.** A browser attaches the session cookie to a request
//! wherever it was started; another site can make the victim's browser post
//! to the app. That site cannot read the app's pages, so it cannot know the
//! token: a request without it did not come from the app's own form. Copying
//! one's own token does not help either, as it belongs to another session.
//!
//! **The weakness when off.** Forms carry nothing secret: any page on the web
//! can rebuild the e-mail form and post it, and the victim's cookie does the
//! rest. The seed article says so ("Because enabling CSRF would add a fair bit
//! of additional code ... we'll ignore it"), and its `app.get('/logout')`
//! logs out on a plain GET: any page's `<img src=".../logout">` does it too.
//!
//! CWE-352 · ASVS 4.0.3 4.2.2 · ASVS 5.0.0 3.5.1 · WSTG-SESS-05

use std::sync::Arc;

use axum::Form;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use subtle::ConstantTimeEq;
use tower_sessions::{Session, session};

use crate::state::{App, MAX_BODY_BYTES};
use crate::{Defense, Profile};

/// Session key of the token; also the name of the hidden form field.
pub const FIELD: &str = "csrf_token";

#[derive(serde::Deserialize)]
struct PostedToken {
    csrf_token: Option<String>,
}

/// The middleware over every route: unsafe methods need the session's token in their form.
pub(crate) async fn check_unsafe_requests(
    State(app): State<Arc<App>>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    if !app.profile.has(Defense::CsrfToken) || request.method().is_safe() {
        return next.run(request).await;
    }
    // The form is read here and handed on intact to the handler.
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let mut form = Request::new(Body::from(bytes.clone()));
    *form.method_mut() = parts.method.clone();
    if let Some(kind) = parts.headers.get(header::CONTENT_TYPE) {
        form.headers_mut()
            .insert(header::CONTENT_TYPE, kind.clone());
    }
    // Not a form, a duplicated field, no field: all mean "no token".
    let posted = Form::<PostedToken>::from_request(form, &())
        .await
        .ok()
        .and_then(|Form(posted)| posted.csrf_token);
    let expected = match session.get::<String>(FIELD).await {
        Ok(expected) => expected,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    match (posted, expected) {
        (Some(posted), Some(expected)) if same_secret(posted.as_bytes(), expected.as_bytes()) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => refused(),
    }
}

/// The token for the hidden `csrf_token` field of a form, made on first use;
/// `None` when the defense is off (the templates then write no field).
pub async fn form_token(
    session: &Session,
    profile: &Profile,
) -> Result<Option<String>, session::Error> {
    if !profile.has(Defense::CsrfToken) {
        return Ok(None);
    }
    if let Some(token) = session.get::<String>(FIELD).await? {
        return Ok(Some(token));
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = URL_SAFE_NO_PAD.encode(secret);
    session.insert(FIELD, &token).await?;
    Ok(Some(token))
}

/// Whether `GET /logout` must stop at a "Log out?" page whose form posts the
/// token, instead of logging out. A GET carries no token and is never checked,
/// so a logout on GET is a state change any other site can trigger with a link
/// or an image. Weakness: the seed's `app.get('/logout', ...)` logs out at once.
pub fn logout_needs_post(profile: &Profile) -> bool {
    profile.has(Defense::CsrfToken)
}

/// Called by `POST /login` after the credentials are accepted: the next form gets a new token.
pub async fn renew_at_login(session: &Session, profile: &Profile) -> Result<(), session::Error> {
    if profile.has(Defense::CsrfToken) {
        session.remove::<String>(FIELD).await?;
    }
    Ok(())
}

/// Compares in constant time (`subtle`), so the time taken does not tell an
/// attacker how much of a guess was right. Tokens have one length, so a
/// length mismatch may answer early.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CACHE_CONTROL, "no-store")],
        "CSRF token missing or wrong: this form was not sent from a page of this app in your session.\n\
         Reload the page that holds the form and submit it again.\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn only_identical_secrets_match() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
        assert!(!same_secret(b"", b"a"));
    }
}

//! The routes. Handlers never ask which profile is running: where a defense
//! changes behaviour they call its module's hook.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use sessionlab_protocol::LabInfo;
use tower_sessions::{Session, session};

pub(crate) mod forgot_password;
pub(crate) mod password_change;
pub(crate) mod sessions_page;
pub(crate) mod settings;

use crate::defenses::{
    csrf_token, escape_output, password_check, rotate_id_at_login, separate_session_keys,
    server_logout, server_side_sessions,
};
use crate::guestbook::{Entry, MAX_MESSAGE_CHARS};
use crate::pages::{
    AccountPage, GuestbookPage, HomePage, LoginPage, LogoutPage, NotFoundPage, render,
};
use crate::state::App;

/// Session key written by `GET /login`, so every visitor holds an issued
/// session (express-session's `saveUninitialized: true`).
const ISSUED: &str = "issued";

/// A failure of the app itself (never of the client's input): a bare 500.
pub(crate) struct InternalError;

impl From<session::Error> for InternalError {
    fn from(_: session::Error) -> Self {
        Self
    }
}

impl IntoResponse for InternalError {
    fn into_response(self) -> Response {
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}

type Result<T> = std::result::Result<T, InternalError>;

/// The visitor's session, whichever way the profile keeps it: the record in
/// the store (tower-sessions, which it derefs to) and, with client-side
/// sessions, the user a verified token names (`server_side_sessions.rs`).
/// Handlers take this and never ask which way it is.
pub(crate) struct LabSession {
    server: Session,
    token: Option<server_side_sessions::TokenSignIn>,
}

impl std::ops::Deref for LabSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.server
    }
}

impl FromRequestParts<Arc<App>> for LabSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> std::result::Result<Self, Self::Rejection> {
        let server = Session::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = server_side_sessions::user_from_token(app, &parts.headers);
        Ok(Self { server, token })
    }
}

impl LabSession {
    /// What decides who is signed in: a believed token, else the store.
    fn signed_in_by(&self) -> crate::observer::SignedInBy {
        match &self.token {
            Some(token) => crate::observer::SignedInBy::Token(token.facts.clone()),
            None => crate::observer::SignedInBy::Session,
        }
    }
}

/// Who the session is signed in as: what every page that needs a login asks.
/// A token's word comes first (client-side sessions); then the store's
/// record, where `separate-session-keys` decides what counts.
pub(crate) async fn signed_in_user(app: &App, session: &LabSession) -> Result<Option<String>> {
    if let Some(token) = &session.token {
        return Ok(Some(token.user.clone()));
    }
    Ok(separate_session_keys::signed_in_user(session, &app.profile).await?)
}

/// The user a page that needs a login is for, as an extractor: a handler
/// that takes `SignedIn` runs only for a signed-in session (who counts is
/// `separate-session-keys`' call); anyone else gets `303 See Other` to
/// `/login`.
pub(crate) struct SignedIn {
    pub username: String,
}

impl FromRequestParts<Arc<App>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> std::result::Result<Self, Self::Rejection> {
        let session = LabSession::from_request_parts(parts, app).await?;
        let username = signed_in_or_redirect(app, &session).await?;
        Ok(Self { username })
    }
}

/// [`SignedIn`] for a handler that also takes a form: the form is read
/// first, so a malformed one is the same 4xx whoever sends it, and only a
/// well-formed form from someone not signed in is sent to `/login`.
pub(crate) struct SignedInForm<T> {
    pub username: String,
    pub form: T,
}

impl<T: serde::de::DeserializeOwned + Send> FromRequest<Arc<App>> for SignedInForm<T> {
    type Rejection = Response;

    async fn from_request(
        request: Request,
        app: &Arc<App>,
    ) -> std::result::Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let session = LabSession::from_request_parts(&mut parts, app).await?;
        let Form(form) = Form::<T>::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(IntoResponse::into_response)?;
        let username = signed_in_or_redirect(app, &session).await?;
        Ok(Self { username, form })
    }
}

/// The signed-in user's name, or the response for everyone else: `303` to `/login`.
async fn signed_in_or_redirect(
    app: &App,
    session: &LabSession,
) -> std::result::Result<String, Response> {
    match signed_in_user(app, session).await {
        Ok(Some(username)) => Ok(username),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(error) => Err(error.into_response()),
    }
}

/// The hidden field's value for the page's forms (`csrf-token`), if the defense is on.
pub(crate) async fn form_token(app: &App, session: &Session) -> Result<Option<String>> {
    Ok(csrf_token::form_token(session, &app.profile).await?)
}

/// [`render`] for a page only its signed-in owner may see: with
/// `server-logout`, no cache or back button keeps a copy.
pub(crate) fn render_private(
    app: &App,
    status: StatusCode,
    page: &impl askama::Template,
) -> Response {
    (
        server_logout::private_page_headers(&app.profile),
        render(status, page),
    )
        .into_response()
}

pub(crate) async fn home(State(app): State<Arc<App>>, session: LabSession) -> Result<Response> {
    let user = signed_in_user(&app, &session).await?;
    Ok(render(
        StatusCode::OK,
        &HomePage {
            banner: &app.banner,
            user: user.as_deref(),
        },
    ))
}

pub(crate) async fn login_form(
    State(app): State<Arc<App>>,
    session: LabSession,
) -> Result<Response> {
    session.insert(ISSUED, true).await?;
    let user = signed_in_user(&app, &session).await?;
    Ok(render(
        StatusCode::OK,
        &LoginPage {
            banner: &app.banner,
            user: user.as_deref(),
            error: None,
            csrf_token: form_token(&app, &session).await?,
            demo_accounts: LoginPage::demo_accounts_for(&app),
        },
    ))
}

#[derive(serde::Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
}

pub(crate) async fn login(
    State(app): State<Arc<App>>,
    request: crate::observer::RequestFacts,
    session: LabSession,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let Some(username) =
        password_check::check_login(&app.users, &app.profile, &form.username, &form.password).await
    else {
        let user = signed_in_user(&app, &session).await?;
        let page = LoginPage {
            banner: &app.banner,
            user: user.as_deref(),
            error: Some("Wrong username or password."),
            csrf_token: form_token(&app, &session).await?,
            demo_accounts: LoginPage::demo_accounts_for(&app),
        };
        return Ok(render(StatusCode::UNAUTHORIZED, &page));
    };
    rotate_id_at_login::after_password_check(&session, &app.profile).await?;
    csrf_token::renew_at_login(&session, &app.profile).await?;
    separate_session_keys::sign_in(&session, &app.profile, &username).await?;
    crate::session_index::register(&app, &session, &username, &headers).await?;
    let token = server_side_sessions::token_at_login(&app, &username);
    crate::observer::logged_in(&app, &username, request, &session, token.as_deref()).await;
    let mut response = Redirect::to("/account").into_response();
    if let Some(cookie) = token.and_then(|t| server_side_sessions::token_set_cookie(&app, t)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST /logout`: the app's own logout form.
pub(crate) async fn logout(State(app): State<Arc<App>>, session: LabSession) -> Result<Response> {
    log_out(&app, &session).await
}

/// Logout as `server-logout` says; with client-side sessions the browser is
/// also told to forget its token (which stays valid: see `server_side_sessions.rs`).
async fn log_out(app: &App, session: &LabSession) -> Result<Response> {
    let mut headers = server_logout::log_out(session, &app.profile, &app.cookie).await?;
    if let Some(forget) = server_side_sessions::forget_token(app) {
        headers.append(header::SET_COOKIE, forget);
    }
    Ok((headers, Redirect::to("/")).into_response())
}

/// `GET /logout` (and `HEAD`): the navigation's "Log out" link. Whether a GET
/// may log out is the `csrf-token` defense's call; where it may not, the page
/// asks "Log out?" with a form that posts the token.
pub(crate) async fn logout_link(
    State(app): State<Arc<App>>,
    session: LabSession,
) -> Result<Response> {
    if !csrf_token::logout_needs_post(&app.profile) {
        return log_out(&app, &session).await;
    }
    let Some(user) = signed_in_user(&app, &session).await? else {
        // Nobody to log out, and no reason to start a session for a form.
        return Ok(Redirect::to("/").into_response());
    };
    let page = LogoutPage {
        banner: &app.banner,
        user: Some(&user),
        csrf_token: form_token(&app, &session).await?,
    };
    Ok(render_private(&app, StatusCode::OK, &page))
}

pub(crate) async fn account(
    State(app): State<Arc<App>>,
    request: crate::observer::RequestFacts,
    SignedIn { username }: SignedIn,
    session: LabSession,
) -> Result<Response> {
    let (Some(note), Some(email)) = (
        app.users.private_note(&username),
        app.users.email(&username),
    ) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let page = AccountPage {
        banner: &app.banner,
        user: Some(&username),
        username: &username,
        note,
        email: &email,
        csrf_token: form_token(&app, &session).await?,
    };
    let signed_in_by = session.signed_in_by();
    crate::observer::account_shown(&app, &username, request, &session, signed_in_by).await;
    Ok(render_private(&app, StatusCode::OK, &page))
}

pub(crate) async fn guestbook(
    State(app): State<Arc<App>>,
    session: LabSession,
) -> Result<Response> {
    let user = signed_in_user(&app, &session).await?;
    guestbook_page(&app, &session, user.as_deref(), StatusCode::OK, None).await
}

async fn guestbook_page(
    app: &App,
    session: &LabSession,
    user: Option<&str>,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response> {
    let entries = app.guestbook.entries();
    let escape_output = escape_output::escape_guestbook_messages(&app.profile);
    // Only signed-in visitors see the form, so only they need a token.
    let csrf_token = match user {
        Some(_) => form_token(app, session).await?,
        None => None,
    };
    Ok(render(
        status,
        &GuestbookPage {
            banner: &app.banner,
            user,
            entries: &entries,
            escape_output,
            error,
            csrf_token,
        },
    ))
}

#[derive(serde::Deserialize)]
pub(crate) struct GuestbookForm {
    message: String,
}

pub(crate) async fn sign_guestbook(
    State(app): State<Arc<App>>,
    session: LabSession,
    SignedInForm {
        username: author,
        form,
    }: SignedInForm<GuestbookForm>,
) -> Result<Response> {
    let problem = if form.message.trim().is_empty() {
        Some("The message is empty.".to_owned())
    } else if form.message.chars().count() > MAX_MESSAGE_CHARS {
        Some(format!(
            "The message is longer than {MAX_MESSAGE_CHARS} characters."
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        return guestbook_page(
            &app,
            &session,
            Some(&author),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&problem),
        )
        .await;
    }
    app.guestbook.add(Entry {
        author,
        message: form.message,
    });
    Ok(Redirect::to("/guestbook").into_response())
}

/// What the attack engine and the CLI read to know what they are facing.
pub(crate) async fn well_known(State(app): State<Arc<App>>) -> Json<LabInfo> {
    Json(LabInfo {
        profile: app.profile.name.to_string(),
        label: app.profile.label(),
        defenses: app
            .profile
            .defenses
            .iter()
            .map(|d| d.id().to_string())
            .collect(),
        session_cookie: app.cookie.name.to_string(),
        lab_clock: app.lab_clock_key.is_some(),
        store: app.store.name().to_owned(),
    })
}

pub(crate) async fn style_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/style.css"),
    )
}

pub(crate) async fn not_found(
    State(app): State<Arc<App>>,
    session: LabSession,
) -> Result<Response> {
    let user = signed_in_user(&app, &session).await?;
    Ok(render(
        StatusCode::NOT_FOUND,
        &NotFoundPage {
            banner: &app.banner,
            user: user.as_deref(),
        },
    ))
}

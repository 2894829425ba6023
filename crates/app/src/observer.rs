//! What a hands-on class (`sessionlab class`, `crates/classroom`) learns
//! from a student's app: whose private page was shown to which request, and
//! whose e-mail address a request changed.
//!
//! **Why the app reports it.** A challenge is solved only when the server
//! saw it happen, never on the student's word. The two moments that prove a
//! session attack are the ones the engine's verdicts rest on
//! (`victim_note_shown`, `forged_change_shown`): an account page with the
//! victim's private note going out, and the victim's address changing. Each
//! is reported from one place (`handlers::account`,
//! `handlers::settings::change_email`), and so is a password login
//! (`handlers::login`: which sessions a login made, as opposed to the
//! forgot-password flow, and whether the session's ID was one the server
//! issued or one it adopted from the client: [`IdOrigin`]), with the facts
//! of the request and of the session it came in, so the class decides what counts without the
//! handlers knowing about classes. An account page also says what decided
//! its user ([`SignedInBy`]): with client-side sessions a believed token
//! comes before the store, and a token no login handed out is a forgery.
//! Every event names the [`Instance`] that answered: a class lab runs two
//! over one store, and a logout one of them handled may not reach the other.
//! Without an observer (every other command) nothing is recorded.
//!
//! **The victim's door.** The class's victim bot reaches the app through a
//! listener of its own, which marks each request with [`VictimDoor`]; a
//! request from the network cannot carry that mark (it is a request
//! extension, not a header). So "shown to someone who is not alice's
//! browser" is a fact the server knows.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tower_sessions::Session;

use crate::defenses::strict_ids;
use crate::session_index;
use crate::state::App;

/// Which instance of a class lab's app answered: a lab runs two over one
/// session store (`build_class_app`), as `serve` runs a second beside the
/// first (`RunningServer::start_instance`), each with its own per-instance
/// state (the `shared-store` weakness's cache). `cross-instance-logout` turns
/// on it: a logout handled by one instance, a copy replayed on the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Instance {
    /// The lab's app as it always was: where alice logs in and out.
    #[default]
    First,
    /// The instance built beside it, over the same store, users and clock.
    Second,
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::First => "the first instance",
            Self::Second => "the second instance",
        })
    }
}

/// The mark the class's victim bot's listener puts on each of its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VictimDoor;

/// The parts of a request a challenge's proof shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestFacts {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Whether it came through the victim bot's door ([`VictimDoor`]).
    pub from_victim: bool,
    pub user_agent: Option<String>,
    pub origin: Option<String>,
    pub referer: Option<String>,
    pub sec_fetch_site: Option<String>,
    pub host: Option<String>,
}

/// The longest header value a proof keeps.
const MAX_FACT_CHARS: usize = 300;

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.chars().take(MAX_FACT_CHARS).collect())
}

impl<S: Send + Sync> FromRequestParts<S> for RequestFacts {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        Ok(Self {
            method: parts.method.to_string(),
            target: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned())
                .chars()
                .take(MAX_FACT_CHARS)
                .collect(),
            from_victim: parts.extensions.get::<VictimDoor>().is_some(),
            user_agent: header_text(headers, header::USER_AGENT),
            origin: header_text(headers, header::ORIGIN),
            referer: header_text(headers, header::REFERER),
            sec_fetch_site: header_text(headers, header::HeaderName::from_static("sec-fetch-site")),
            host: header_text(headers, header::HOST),
        })
    }
}

/// The session a request came in, as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionFacts {
    /// The session's ID as the store keys it (never shown to a student).
    pub id: Option<String>,
    /// Who logged in to make this session, if anyone did (`session_index::SignIn`).
    pub signed_in_by: Option<String>,
    /// The sign-in's random handle: the same for every request of one login.
    pub sign_in_handle: Option<String>,
}

impl SessionFacts {
    pub(crate) async fn of(session: &Session) -> Self {
        let sign_in = session_index::own_sign_in(session).await.ok().flatten();
        Self {
            id: session.id().map(|id| id.to_string()),
            signed_in_by: sign_in.as_ref().map(|s| s.user.clone()),
            sign_in_handle: sign_in.map(|s| s.handle),
        }
    }
}

/// What decided who the page's user is: the store's record, or a session
/// token the app believed (client-side sessions, `server_side_sessions.rs`),
/// which comes first. A class tells a forged token from a copied one by it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SignedInBy {
    /// The session's record in the store ([`SessionFacts`] says which).
    Session,
    /// A token the verifier believed.
    Token(TokenFacts),
}

/// A believed token, as far as a judge needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenFacts {
    /// Its header said `alg: none` (in any case): believed with no signature.
    pub alg_none: bool,
    /// Its signature, re-encoded as canonical base64url, to compare with the
    /// ones logins handed out ([`LoggedIn::token_signature`]).
    pub signature: String,
}

impl TokenFacts {
    /// The facts of a token the verifier has just believed.
    pub(crate) fn of(token: &str) -> Option<Self> {
        let parts = crate::token::split(token)?;
        Some(Self {
            alg_none: parts
                .alg
                .as_deref()
                .is_some_and(|alg| alg.eq_ignore_ascii_case("none")),
            signature: URL_SAFE_NO_PAD.encode(&parts.signature),
        })
    }
}

/// `GET /account` showed `user`'s private note.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountShown {
    pub user: String,
    /// The instance that answered.
    pub instance: Instance,
    pub request: RequestFacts,
    pub session: SessionFacts,
    pub signed_in_by: SignedInBy,
}

/// `POST /account/email` changed `user`'s address.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EmailChanged {
    pub user: String,
    /// The instance that answered.
    pub instance: Instance,
    pub new_email: String,
    pub request: RequestFacts,
    pub session: SessionFacts,
}

/// Where the ID of the session a login signed in came from, as the store
/// knows it (`defenses/strict_ids.rs` marks a record where it adopts one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum IdOrigin {
    /// The server made it: a new session's ID, or a new ID at login.
    Issued,
    /// The client named an ID the server never issued, and the store adopted
    /// it as a new session (the `strict-ids` weakness): an invented ID.
    Adopted,
}

/// `POST /login` signed `user` in with a password (not the forgot-password
/// flow, which may also write a sign-in: session puzzling).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoggedIn {
    pub user: String,
    /// The instance that answered.
    pub instance: Instance,
    pub request: RequestFacts,
    pub session: SessionFacts,
    /// Whether the session's ID (after any new ID at login) was issued or adopted.
    pub id_origin: IdOrigin,
    /// The signature of the token this login handed out (client-side
    /// sessions), as [`TokenFacts::signature`] has it.
    pub token_signature: Option<String>,
}

/// Told of the moments a challenge's proof rests on. Called on the request's
/// task: keep it quick (record, never wait).
pub trait LabObserver: Send + Sync {
    fn logged_in(&self, event: LoggedIn);
    fn account_shown(&self, event: AccountShown);
    fn email_changed(&self, event: EmailChanged);
}

/// The observer an app was built with, if any, and which instance this app
/// is (named in every event).
#[derive(Clone, Default)]
pub(crate) struct Observer {
    pub to: Option<Arc<dyn LabObserver>>,
    pub instance: Instance,
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(_) => write!(f, "Observer(class, {:?})", self.instance),
            None => f.write_str("Observer(none)"),
        }
    }
}

/// Reports a password login (`handlers::login`), once the session is saved.
pub(crate) async fn logged_in(
    app: &App,
    user: &str,
    request: RequestFacts,
    session: &Session,
    token: Option<&str>,
) {
    if let Some(observer) = &app.observer.to {
        // A store that cannot say is no evidence of adoption.
        let id_origin = match strict_ids::id_was_adopted(session).await {
            Ok(true) => IdOrigin::Adopted,
            Ok(false) | Err(_) => IdOrigin::Issued,
        };
        let session = SessionFacts::of(session).await;
        observer.logged_in(LoggedIn {
            instance: app.observer.instance,
            user: user.to_owned(),
            request,
            session,
            id_origin,
            token_signature: token.and_then(TokenFacts::of).map(|t| t.signature),
        });
    }
}

/// Reports an account page about to be shown (`handlers::account`).
pub(crate) async fn account_shown(
    app: &App,
    user: &str,
    request: RequestFacts,
    session: &Session,
    signed_in_by: SignedInBy,
) {
    if let Some(observer) = &app.observer.to {
        let session = SessionFacts::of(session).await;
        observer.account_shown(AccountShown {
            instance: app.observer.instance,
            user: user.to_owned(),
            request,
            session,
            signed_in_by,
        });
    }
}

/// Reports an address just changed (`handlers::settings::change_email`).
pub(crate) async fn email_changed(
    app: &App,
    user: &str,
    new_email: &str,
    request: RequestFacts,
    session: &Session,
) {
    if let Some(observer) = &app.observer.to {
        let session = SessionFacts::of(session).await;
        observer.email_changed(EmailChanged {
            instance: app.observer.instance,
            user: user.to_owned(),
            new_email: new_email.to_owned(),
            request,
            session,
        });
    }
}

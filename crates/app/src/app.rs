//! The app as an axum `Router`, with its layers in the order they act on a
//! request (outermost first):
//!
//! 1. the profile's response headers on every response, the app's refusals
//!    included: `Content-Security-Policy` (`csp`), `Referrer-Policy`
//!    (`referrer-policy`), `Strict-Transport-Security` (`hsts`)
//!    (`hygiene/security_headers.rs`);
//! 2. the whole-request deadline, body included: 408 past it
//!    (`bounds/request_deadline.rs`);
//! 3. a missing, duplicated or garbled `Host` gets a 400
//!    (`hygiene/host_header.rs`);
//! 4. more than 100 cookies get a 431, counted before any is parsed
//!    (`bounds/cookie_count.rs`);
//! 5. malformed cookies get a 400 (`malformed_cookies.rs`; every profile, but
//!    the tutorial ignores a session cookie it cannot verify, as
//!    express-session does);
//! 6. only with the `cookie-only-ids` weakness: `?sid=` taken as the session
//!    cookie, and the ID written into the response's links and redirects
//!    (`defenses/cookie_only_ids.rs`, `trans_sid.rs`);
//! 7. the session cookie's final attributes (`same-site-strict`, `host-prefix`);
//! 8. tower-sessions (`signed-cookie`; the cookie's `http-only` and
//!    `secure-cookie` flags) over `LabStore` (`store.rs`): `random-ids`,
//!    `strict-ids`, the `idle-timeout` and `absolute-timeout` limits, read
//!    on the lab clock (`clock.rs`), and the cap on stored sessions;
//! 9. a 16 KiB request body limit (413 beyond it);
//! 10. unsafe requests from other sites refused (`origin-check`), then those
//!     without the session's form token (`csrf-token`);
//! 11. a form field that is not UTF-8 gets a 400 naming it
//!     (`hygiene/form_fields.rs`);
//! 12. the routes.
//!
//! With `serve --lab-clock`, the lab clock's control (`clock_control.rs`) is
//! merged in after layer 5: layers 1 to 4 apply to it, the app's own do not.
//!
//! Layers 1 to 5 and 11 are the same in every profile: input validation and
//! bounds (`hygiene/`, `bounds/`), not defenses a profile can turn off.
//!
//! This module only assembles: what the handlers and defenses share is the
//! [`App`] state in `state.rs`, which nothing here is needed to read.

use std::sync::Arc;

use axum::Router;
use axum::middleware::{
    from_fn, from_fn_with_state, map_request_with_state, map_response_with_state,
};
use axum::routing::{get, post};
use sessionlab_protocol::WELL_KNOWN_PATH;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::Key;

use crate::bounds::{Limits, cookie_count, request_deadline};
use crate::clock_control::{self, LabClockKey};
use crate::defenses::{cookie_only_ids, csrf_token, origin_check, secret_from_env, signed_cookie};
use crate::guestbook::Guestbook;
use crate::handlers;
use crate::hygiene::{form_fields, host_header, security_headers};
use crate::malformed_cookies::{self, SessionCookieRules};
use crate::observer::{Instance, LabObserver, Observer};
use crate::pages::Banner;
use crate::session_cookie::{self, SessionCookie};
use crate::state::App;
use crate::store::{LabStore, fail_closed};
use crate::users::UserDirectory;
use crate::{DemoAccount, LabClock, Profile};

pub use crate::state::MAX_BODY_BYTES;

/// What a caller needs to know about an app built by [`build_router`].
pub struct AppInfo {
    pub accounts: Vec<DemoAccount>,
    /// `sid` (`connect.sid` in the tutorial), with `__Host-` in front under `host-prefix`.
    pub session_cookie_name: &'static str,
    /// A line for the operator (e.g. `SESSION_SECRET` unset in the tutorial).
    pub notice: Option<String>,
    /// The app's lab clock; whoever holds it can age every session.
    pub clock: LabClock,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) store: LabStore,
    pub(crate) signing_key: Option<Key>,
    /// The user directory, which another instance of this app shares.
    pub(crate) users: Arc<UserDirectory>,
}

/// What an app takes from the deployment it belongs to instead of making its
/// own: the signing key kept with a durable store, and, for a second instance
/// of a running app (`RunningServer::start_instance`, a class lab's second
/// instance), its user directory; and which instance it is, as a class lab's
/// observer hears it.
#[derive(Default)]
pub(crate) struct Joined {
    pub key: Option<Key>,
    pub users: Option<Arc<UserDirectory>>,
    pub instance: Instance,
}

/// Builds the app for `profile`, reading `SESSION_SECRET` from the environment
/// (used by the tutorial's `signed-cookie`). Call it inside a Tokio runtime,
/// so the password hashing starts in the background right away.
pub fn build_router(profile: &Profile) -> (Router, AppInfo) {
    let secret = std::env::var(signed_cookie::SECRET_VARIABLE).ok();
    build_router_with_session_secret(profile, secret)
}

/// [`build_router`] with the `SESSION_SECRET` value given explicitly.
pub fn build_router_with_session_secret(
    profile: &Profile,
    session_secret: Option<String>,
) -> (Router, AppInfo) {
    let clock = LabClock::new();
    let store = LabStore::for_profile(profile, clock.clone(), Limits::default().max_sessions);
    build_app(
        profile,
        session_secret,
        None,
        Limits::default(),
        store,
        clock,
        Joined::default(),
    )
}

/// What a class lab changes in the app (`sessionlab class`, `crates/classroom`).
#[derive(Clone)]
pub struct ClassOptions {
    /// Passwords that replace the demo ones: alice's is random and never shown.
    pub passwords: Vec<(String, String)>,
    /// The accounts the login page lists (the student's own, bob).
    pub shown_accounts: Vec<DemoAccount>,
    /// Told of the moments a challenge's proof rests on (`observer.rs`).
    pub observer: Arc<dyn LabObserver>,
    /// A line every page shows, e.g. that the class is exposed beyond loopback.
    pub warning: Option<String>,
}

/// A class lab's app: its two instances' routers, and the server-side view
/// the class needs to judge and to show the instructor (never sent to a
/// student).
pub struct ClassApp {
    /// The first instance ([`Instance::First`]).
    pub router: Router,
    /// A second instance of the same app ([`Instance::Second`]), as
    /// `RunningServer::start_instance` makes one: the same store, users,
    /// notes, signing key, clock and observer, and its own per-instance
    /// state (the `shared-store` weakness's cache, its ID issuer, its
    /// guestbook). What `cross-instance-logout` needs.
    pub second_instance: Router,
    pub info: AppInfo,
    pub handle: LabHandle,
}

/// The class's read-only hold on one lab app's users and sessions.
#[derive(Clone)]
pub struct LabHandle {
    users: Arc<UserDirectory>,
    store: LabStore,
    app: Arc<App>,
}

impl LabHandle {
    /// The user's private note: what a solved challenge's attacker saw.
    pub fn private_note(&self, user: &str) -> Option<String> {
        self.users.private_note(user).map(str::to_owned)
    }

    /// The user's e-mail address now.
    pub fn email(&self, user: &str) -> Option<String> {
        self.users.email(user)
    }

    /// How many guestbook entries there are (the class's bot takes a real
    /// browser to a guestbook that has any: they may hold a script).
    pub fn guestbook_entries(&self) -> usize {
        self.app.guestbook.entries().len()
    }

    /// How many signed-in sessions of `user` the store still holds.
    pub async fn signed_in_sessions(&self, user: &str) -> usize {
        crate::session_index::live_sessions(&self.store, user)
            .await
            .map_or(0, |live| live.len())
    }
}

/// One student's app in a class: `profile` over its own memory store, clock,
/// users, notes and guestbook, with `options` applied, as two instances over
/// that one store ([`ClassApp::second_instance`]). Call it inside a Tokio
/// runtime (the password hashing starts in the background).
pub fn build_class_app(profile: &Profile, options: ClassOptions) -> ClassApp {
    let clock = LabClock::new();
    let limits = Limits::default();
    let store = LabStore::for_profile(profile, clock.clone(), limits.max_sessions);
    // One key for both instances, as `serve` keeps one with its store.
    let key = signed_cookie::makes_own_key(profile).then(signed_cookie::random_key);
    let mut built = None;
    let (router, info) = build_app_with(
        profile,
        None,
        None,
        limits,
        store.clone(),
        clock.clone(),
        Joined {
            key: key.clone(),
            ..Joined::default()
        },
        Some(options.clone()),
        &mut built,
    );
    let app = built.expect("build_app_with hands out its state");
    let (second_instance, _) = build_app_with(
        profile,
        None,
        None,
        limits,
        store.beside(profile),
        clock,
        Joined {
            key: info.signing_key.clone().or(key),
            users: Some(info.users.clone()),
            instance: Instance::Second,
        },
        Some(options),
        &mut None,
    );
    ClassApp {
        router,
        second_instance,
        info,
        handle: LabHandle {
            users: app.users.clone(),
            store,
            app,
        },
    }
}

/// The app; with `lab_clock_key`, also the lab clock's HTTP control
/// (`sessionlab serve --lab-clock`, see `clock_control.rs`).
pub(crate) fn build_app(
    profile: &Profile,
    session_secret: Option<String>,
    lab_clock_key: Option<LabClockKey>,
    limits: Limits,
    store: LabStore,
    clock: LabClock,
    joined: Joined,
) -> (Router, AppInfo) {
    build_app_with(
        profile,
        session_secret,
        lab_clock_key,
        limits,
        store,
        clock,
        joined,
        None,
        &mut None,
    )
}

/// [`build_app`], and for a class lab its [`ClassOptions`]; `state_out`
/// receives the app's state (the class's [`LabHandle`] reads it).
#[allow(clippy::too_many_arguments)]
fn build_app_with(
    profile: &Profile,
    session_secret: Option<String>,
    lab_clock_key: Option<LabClockKey>,
    limits: Limits,
    store: LabStore,
    clock: LabClock,
    joined: Joined,
    class: Option<ClassOptions>,
    state_out: &mut Option<Arc<App>>,
) -> (Router, AppInfo) {
    // The key first: the password hashing started next would compete with it for the CPU.
    let mut signing = signed_cookie::signing_for(profile, session_secret.clone());
    // A key the app makes for itself is kept with its sessions in a durable
    // store (`store.rs`), so the cookies it signed still verify after a restart.
    if let (Some(kept), Some(_)) = (&joined.key, &signing.key) {
        signing.key = Some(kept.clone());
    }
    let token_key = secret_from_env::token_key(
        profile,
        session_secret.as_deref(),
        signing.key.as_ref().or(joined.key.as_ref()),
    );
    let cookie = SessionCookie::for_profile(profile);
    let users = match (joined.users, &class) {
        (Some(shared), _) => shared,
        (None, Some(class)) => UserDirectory::start_with(&class.passwords),
        (None, None) => UserDirectory::start(),
    };
    let mut banner = Banner::for_profile(profile, store.name());
    banner.warning = class.as_ref().and_then(|c| c.warning.clone());
    let app = Arc::new(App {
        profile: profile.clone(),
        banner,
        cookie: cookie.clone(),
        users: users.clone(),
        guestbook: Guestbook::default(),
        clock: clock.clone(),
        store: store.clone(),
        lab_clock_key: lab_clock_key.clone(),
        observer: Observer {
            to: class.as_ref().map(|c| c.observer.clone()),
            instance: joined.instance,
        },
        shown_accounts: class.map(|c| c.shown_accounts),
        token_key,
    });
    *state_out = Some(app.clone());

    let routes = Router::new()
        .route("/", get(handlers::home))
        .route("/login", get(handlers::login_form).post(handlers::login))
        .route("/logout", get(handlers::logout_link).post(handlers::logout))
        .route("/account", get(handlers::account))
        // account-settings form: the CSRF lesson's target (handlers/settings.rs)
        .route("/account/settings", get(handlers::settings::settings_page))
        .route("/account/email", post(handlers::settings::change_email))
        // password change (handlers/password_change.rs)
        .route(
            "/account/password",
            get(handlers::password_change::password_form)
                .post(handlers::password_change::change_password),
        )
        // the user's active sessions, "end" and "log out everywhere" (handlers/sessions_page.rs)
        .route(
            "/account/sessions",
            get(handlers::sessions_page::list_sessions),
        )
        .route(
            "/account/sessions/end",
            post(handlers::sessions_page::end_session),
        )
        .route(
            "/account/sessions/end-all",
            post(handlers::sessions_page::end_all_sessions),
        )
        // forgot-password flow: the session-puzzling lesson (handlers/forgot_password.rs)
        .route(
            "/forgot",
            get(handlers::forgot_password::forgot_form)
                .post(handlers::forgot_password::start_reset),
        )
        .route(
            "/guestbook",
            get(handlers::guestbook).post(handlers::sign_guestbook),
        )
        .route(WELL_KNOWN_PATH, get(handlers::well_known))
        .route("/style.css", get(handlers::style_css))
        .fallback(handlers::not_found)
        .with_state(app.clone())
        .layer(from_fn(form_fields::require_utf8))
        .layer(from_fn_with_state(
            app.clone(),
            csrf_token::check_unsafe_requests,
        ))
        .layer(from_fn_with_state(
            app.clone(),
            origin_check::check_unsafe_requests,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));

    let mut router =
        session_cookie::add_session_layer(routes, store.clone(), &cookie, signing.key.clone())
            .layer(map_response_with_state(
                app.clone(),
                session_cookie::finish_set_cookie_headers,
            ))
            // Just outside tower-sessions: a request in which the store
            // failed gets a 503 naming it, Set-Cookie dropped (`store/fail_closed.rs`).
            .layer(from_fn_with_state(
                app.clone(),
                fail_closed::answer_503_on_store_failure,
            ));
    let rules = SessionCookieRules {
        name: cookie.name,
        signed: signing.key.is_some(),
        secure: cookie.secure,
        ignore_unverifiable: signed_cookie::ignores_unverifiable_cookies(profile),
    };
    if cookie_only_ids::ids_from_urls(profile) {
        router = router.layer(from_fn_with_state(
            rules,
            cookie_only_ids::write_session_id_into_links,
        ));
        router = router.layer(map_request_with_state(
            rules,
            cookie_only_ids::take_session_id_from_url,
        ));
    }
    // Outermost of the app's own layers: nothing reads a cookie before it is checked.
    router = router.layer(from_fn_with_state(
        rules,
        malformed_cookies::reject_malformed_cookies,
    ));
    // Outside the app's own layers: the lab clock's control is no page of the
    // app; it carries no session and has its own key (`clock_control.rs`).
    router = router.merge(clock_control::routes(lab_clock_key.as_ref()).with_state(app.clone()));
    // Bounds and hygiene, cheapest first from the outside in; then the
    // headers, outermost, so every answer carries them.
    router = router
        .layer(from_fn(cookie_count::enforce))
        .layer(from_fn(host_header::require_one_host))
        .layer(from_fn_with_state(
            limits.request_timeout,
            request_deadline::enforce,
        ));
    router = security_headers::add_to(router, profile);

    let info = AppInfo {
        accounts: users.accounts().to_vec(),
        session_cookie_name: cookie.name,
        notice: signing.notice,
        clock,
        store,
        signing_key: signing.key,
        users,
    };
    (router, info)
}

//! The session cookie, assembled from the defense modules.
//!
//! The base name comes from the profile ([`base_name`]); the `__Host-` prefix,
//! HttpOnly, Secure, SameSite and signing each come from their own
//! defense module; the lifetime is the seed article's `maxAge: 3600000` (one
//! hour, renewed when the session changes) for every profile.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use time::Duration;
use tower_sessions::cookie::{Cookie, Key, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::defenses::{
    host_prefix, http_only, same_site_strict, secure_cookie, server_side_sessions,
};
use crate::state::App;
use crate::store::LabStore;
use crate::{Profile, ProfileName};

/// One hour, like the seed's `cookie: { maxAge: 3600000 }`.
pub const LIFETIME: Duration = Duration::hours(1);

/// A session cookie name, plain and with the `__Host-` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieName {
    pub plain: &'static str,
    pub host_prefixed: &'static str,
}

/// express-session's default name, which the seed article's logout clears
/// with `res.clearCookie('connect.sid')`.
pub const EXPRESS_NAME: CookieName = CookieName {
    plain: "connect.sid",
    host_prefixed: "__Host-connect.sid",
};

/// The name of the lab's other profiles.
pub const LAB_NAME: CookieName = CookieName {
    plain: "sid",
    host_prefixed: "__Host-sid",
};

/// The session cookie's name before the `host-prefix` defense adds `__Host-`:
/// `connect.sid` for the tutorial (the seed article's express-session name),
/// `sid` for the others.
///
/// Why distinct names: browsers do not isolate cookies by port, so profiles
/// served side by side on 127.0.0.1 share one cookie jar. With one name for
/// all, each app would read (and replace) the others' session cookies. Note
/// that `insecure` and `hardened` differ too: `sid` and `__Host-sid`.
pub fn base_name(profile: &Profile) -> CookieName {
    match profile.name {
        ProfileName::Tutorial => EXPRESS_NAME,
        ProfileName::Insecure | ProfileName::Hardened => LAB_NAME,
    }
}

/// The attributes of the session cookie in one profile.
#[derive(Debug, Clone)]
pub struct SessionCookie {
    pub name: &'static str,
    pub http_only: bool,
    pub secure: bool,
    pub same_site: SameSite,
}

impl SessionCookie {
    pub fn for_profile(profile: &Profile) -> Self {
        Self {
            name: host_prefix::session_cookie_name(profile),
            http_only: http_only::cookie_is_http_only(profile),
            secure: secure_cookie::cookie_is_secure(profile),
            same_site: same_site_strict::same_site(profile),
        }
    }

    /// `name=; Max-Age=0` with the cookie's own attributes: what a browser
    /// needs to forget the cookie (used by the `server-logout` weakness).
    pub fn expired_set_cookie(&self) -> String {
        Cookie::build((self.name, ""))
            .path("/")
            .http_only(self.http_only)
            .secure(self.secure)
            .same_site(self.same_site)
            .max_age(Duration::ZERO)
            .build()
            .to_string()
    }
}

/// Wraps `router` in tower-sessions, signed when `signing_key` is given.
pub(crate) fn add_session_layer(
    router: Router,
    store: LabStore,
    cookie: &SessionCookie,
    signing_key: Option<Key>,
) -> Router {
    let layer = SessionManagerLayer::new(store)
        .with_name(cookie.name)
        .with_path("/") // no Domain: host-only, as `__Host-` requires
        .with_http_only(cookie.http_only)
        .with_secure(cookie.secure)
        .with_same_site(cookie.same_site)
        .with_expiry(Expiry::OnInactivity(LIFETIME));
    match signing_key {
        Some(key) => router.layer(layer.with_signed(key)),
        None => router.layer(layer),
    }
}

/// Response middleware: the last word on the session cookie's `Set-Cookie`
/// headers, for the attributes tower-sessions cannot express (see
/// `same_site_strict::strip_same_site` and `host_prefix::ensure_secure_attribute`).
/// Each header is parsed with the `cookie` crate, changed, and written back
/// the way tower-cookies writes it (`Display`); other cookies pass untouched.
pub(crate) async fn finish_set_cookie_headers(
    State(app): State<Arc<App>>,
    mut response: Response,
) -> Response {
    let profile = &app.profile;
    let finish = |value: &HeaderValue| -> Option<HeaderValue> {
        let mut cookie = Cookie::parse(value.to_str().ok()?).ok()?;
        // The token of client-side sessions carries the session cookie's attributes.
        let token = server_side_sessions::token_cookie_name(profile);
        if cookie.name() != app.cookie.name && cookie.name() != token {
            return None;
        }
        same_site_strict::strip_same_site(profile, &mut cookie);
        host_prefix::ensure_secure_attribute(profile, &mut cookie);
        HeaderValue::from_str(&cookie.to_string()).ok()
    };
    let rewritten: Vec<HeaderValue> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| finish(value).unwrap_or_else(|| value.clone()))
        .collect();
    let headers = response.headers_mut();
    headers.remove(header::SET_COOKIE);
    for value in rewritten {
        headers.append(header::SET_COOKIE, value);
    }
    response
}

//! `host-prefix`: the session cookie's name starts with `__Host-`
//! (`__Host-sid`; `__Host-connect.sid` for a tutorial with the defense on).
//!
//! **What it does.** Browsers only accept a `__Host-` cookie that is Secure,
//! has `Path=/` and *no* Domain attribute, i.e. one set by this very host.
//! The app's cookie meets all three (tower-sessions sets no Domain; the path
//! is `/`; [`super::secure_cookie`] turns Secure on with the prefix).
//!
//! **Why it matters.** Any sibling host (`evil.lab.test`) may set a cookie
//! with `Domain=lab.test`, which the browser then sends to `app.lab.test` too:
//! "cookie tossing" plants a session ID the attacker knows. No sibling can
//! create a cookie with the `__Host-` name, so nothing can be tossed.
//!
//! **The weakness when off.** The cookie is plainly `sid` (`connect.sid` in
//! the tutorial), a name any `lab.test` host can set.
//!
//! CWE-384 · ASVS 4.0.3 3.4.4, 3.2.1 · ASVS 5.0.0 3.3.3 · WSTG-SESS-03

use tower_sessions::cookie::Cookie;

use crate::session_cookie;
use crate::{Defense, Profile};

/// The profile's base name ([`session_cookie::base_name`]), with `__Host-`
/// in front when the defense is on.
pub fn session_cookie_name(profile: &Profile) -> &'static str {
    let name = session_cookie::base_name(profile);
    if profile.has(Defense::HostPrefix) {
        name.host_prefixed
    } else {
        name.plain
    }
}

/// The prefix is only accepted with Secure.
pub fn requires_secure(profile: &Profile) -> bool {
    profile.has(Defense::HostPrefix)
}

/// Applied to the session cookie of every `Set-Cookie` header. tower-sessions
/// builds its *removal* cookie (at logout) from the request's `name=value`
/// plus Path, without Secure; a browser drops a `__Host-` cookie without
/// Secure, so the removal would be ignored. Turn the attribute on where it is
/// missing.
pub fn ensure_secure_attribute(profile: &Profile, cookie: &mut Cookie<'_>) {
    if requires_secure(profile) && cookie.secure() != Some(true) {
        cookie.set_secure(true);
    }
}

//! `secure-cookie`: the session cookie never travels over plain HTTP.
//!
//! **What it does.** The session cookie carries `Secure`: the browser sends it
//! only over https (and refuses it when set from a plain http page).
//!
//! **Why it matters.** A single `http://` request (an old link, a typed URL, a
//! redirect) would otherwise carry the cookie in clear text past anyone on the
//! network path.
//!
//! **The weakness when off.** The cookie goes out with every request, http or
//! https (the seed article's `secure: false`).
//!
//! CWE-614 · ASVS 4.0.3 3.4.1 · ASVS 5.0.0 3.3.1 · WSTG-SESS-02

use crate::defenses::host_prefix;
use crate::{Defense, Profile};

/// The `Secure` attribute of the session cookie.
pub fn cookie_is_secure(profile: &Profile) -> bool {
    // `__Host-` cookies are only stored when Secure, so the prefix forces it.
    profile.has(Defense::SecureCookie) || host_prefix::requires_secure(profile)
}

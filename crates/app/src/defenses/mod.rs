//! One module per defense, each next to the weakness it replaces.
//!
//! Every module answers one question ("is this defense on in the running
//! profile?") with `profile.has(Defense::X)` and holds both behaviours, so the
//! handlers never look at a profile's name. Read them one at a time: each fits
//! on one screen.
//!
//! Two named exceptions also read the profile's name, because the tutorial
//! profile must do what the seed's Express code really does, which neither
//! the insecure nor the hardened behaviour is:
//! - `referrer_policy`, weak side: insecure sends `unsafe-url`, the tutorial
//!   sends no `Referrer-Policy` at all (Express sets none), so the browser's
//!   default applies;
//! - `signed_cookie`, in two places: where the key comes from (the tutorial
//!   derives it from `SESSION_SECRET` as the seed does, so it is only as
//!   strong as that secret; hardened takes 64 random bytes at every start),
//!   and what a cookie it cannot verify gets (the tutorial ignores it, as
//!   express-session does; hardened answers 400, `malformed_cookies.rs`).
//!
//! `secret_from_env` adds no exception: the token key it gives is the
//! cookie key above where there is one (so the tutorial's follows
//! `SESSION_SECRET` through `signed_cookie`), and its weakness, the seed's
//! hard-coded `'38sisjsk92'`, is the same in every profile that lacks it.
//!
//! Adding a defense: its module file here, one entry in the registry below
//! (variant, module, id, one-line summary; then the mechanism: the file,
//! from `crates/app`, and a marker string found in its code: the lesson
//! points at the first code line holding it), and its membership in the
//! profiles (`profile.rs`). The enum, [`Defense::ALL`], `id()`, `FromStr`,
//! `summary()` and the source file a lesson points at (see
//! [`crate::source::defense_source`]) all come from that line.

use std::fmt;
use std::str::FromStr;

/// Declares each defense's module and the [`Defense`] enum with everything
/// that is read from the registry line.
macro_rules! defense_registry {
    ($($variant:ident => $module:ident, $id:literal, $summary:literal,
        mechanism $mpath:literal, $marker:literal;)+) => {
        $(pub mod $module;)+

        /// Every defense the app knows. Each has a module in [`crate::defenses`]
        /// with the defended and the weak behaviour side by side.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        pub enum Defense {
            $(
                #[doc = concat!($summary, ".\n\nSee [`", stringify!($module), "`].")]
                #[serde(rename = $id)]
                $variant,
            )+
        }

        impl Defense {
            /// Every defense, in registry order.
            pub const ALL: [Defense; [$(Defense::$variant),+].len()] = [$(Defense::$variant),+];

            /// The kebab-case id used on the command line, in `scenarios/*.toml` and in reports.
            pub fn id(self) -> &'static str {
                match self {
                    $(Self::$variant => $id,)+
                }
            }

            /// One line for `--help`, banners and `sessionlab defenses`.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Self::$variant => $summary,)+
                }
            }

            /// The defense's module: its path from the repository root, and its
            /// text, compiled in.
            pub(crate) fn module_file(self) -> (&'static str, &'static str) {
                match self {
                    $(Self::$variant => (
                        concat!("crates/app/src/defenses/", stringify!($module), ".rs"),
                        include_str!(concat!(stringify!($module), ".rs")),
                    ),)+
                }
            }

            /// Where the defense's mechanism is (the code that does the
            /// work, which the switch turns on): its path from the
            /// repository root, its text, compiled in, and the marker string
            /// whose first code line is the place (see
            /// [`crate::source::defense_mechanism`]).
            pub(crate) fn mechanism_file(self) -> (&'static str, &'static str, &'static str) {
                match self {
                    $(Self::$variant => (
                        concat!("crates/app/", $mpath),
                        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $mpath)),
                        $marker,
                    ),)+
                }
            }
        }
    };
}

defense_registry! {
    RandomIds => random_ids, "random-ids", "128-bit CSPRNG session IDs instead of a counter",
        mechanism "src/defenses/random_ids.rs", "Self::Random =>";
    StrictIds => strict_ids, "strict-ids", "an ID the server never issued gets a fresh session",
        mechanism "src/defenses/strict_ids.rs", "Self::Rejected => None,";
    CookieOnlyIds => cookie_only_ids, "cookie-only-ids", "session IDs travel only in the cookie, never in URLs",
        mechanism "src/app.rs", "if cookie_only_ids::ids_from_urls(profile)";
    RotateIdAtLogin => rotate_id_at_login, "rotate-id-at-login", "a new session ID at login (cycle_id)",
        mechanism "src/defenses/rotate_id_at_login.rs", "session.cycle_id().await";
    ServerLogout => server_logout, "server-logout", "logout destroys the server session; no-store, Clear-Site-Data",
        mechanism "src/defenses/server_logout.rs", "strict_ids::destroy_session(session)";
    HttpOnly => http_only, "http-only", "HttpOnly: scripts cannot read the session cookie",
        mechanism "src/session_cookie.rs", ".with_http_only(cookie.http_only)";
    Tls => tls, "tls", "TLS with a self-signed certificate; plain HTTP only redirects",
        mechanism "src/server.rs", "acceptor.accept(stream)";
    SecureCookie => secure_cookie, "secure-cookie", "Secure: the cookie never travels over plain HTTP",
        mechanism "src/session_cookie.rs", ".with_secure(cookie.secure)";
    Hsts => hsts, "hsts", "Strict-Transport-Security: browsers upgrade http:// links",
        mechanism "src/hygiene/security_headers.rs", "hsts::header_value(profile)";
    HostPrefix => host_prefix, "host-prefix", "__Host- prefix: no Domain, so sibling hosts cannot toss it",
        mechanism "src/session_cookie.rs", ".with_name(cookie.name)";
    SameSiteStrict => same_site_strict, "same-site-strict", "SameSite=Strict: no cookie on cross-site requests",
        mechanism "src/session_cookie.rs", ".with_same_site(cookie.same_site)";
    EscapeOutput => escape_output, "escape-output", "askama auto-escaping of user content",
        mechanism "templates/guestbook.html", "else if escape_output";
    Csp => csp, "csp", "Content-Security-Policy forbids inline script",
        mechanism "src/hygiene/security_headers.rs", "csp::header_value(profile)";
    SignedCookie => signed_cookie, "signed-cookie", "the cookie is signed with a secret kept out of the source",
        mechanism "src/session_cookie.rs", "layer.with_signed(key)";
    IdleTimeout => idle_timeout, "idle-timeout", "the server ends a session idle for 15 minutes",
        mechanism "src/store.rs", "limits.idle.has_expired(";
    AbsoluteTimeout => absolute_timeout, "absolute-timeout", "the server ends any session 8 hours after it began",
        mechanism "src/store.rs", "limits.absolute.has_expired(";
    CsrfToken => csrf_token, "csrf-token", "forms that change state carry a token bound to the session",
        mechanism "src/defenses/csrf_token.rs", "a.ct_eq(b)";
    OriginCheck => origin_check, "origin-check", "unsafe requests must come from the app's own origin",
        mechanism "src/defenses/origin_check.rs", "fn refusal(";
    SeparateSessionKeys => separate_session_keys, "separate-session-keys", "one meaning per session key; an explicit authenticated flag",
        mechanism "src/defenses/separate_session_keys.rs", "session.get::<bool>(AUTHENTICATED)";
    RevokeOnPasswordChange => revoke_on_password_change, "revoke-on-password-change", "a password change ends the user's other sessions",
        mechanism "src/defenses/revoke_on_password_change.rs", "session_index::delete_other(store, &other.id)";
    LogOutEverywhere => log_out_everywhere, "log-out-everywhere", "\"log out everywhere\" really ends every session of the user",
        mechanism "src/defenses/log_out_everywhere.rs", "session_index::live_sessions(store, user)";
    ReferrerPolicy => referrer_policy, "referrer-policy", "Referrer-Policy: no-referrer keeps URLs off other sites",
        mechanism "src/hygiene/security_headers.rs", "referrer_policy::header_value(profile)";
    SharedStore => shared_store, "shared-store", "every instance reads sessions from the one shared store, no per-process cache",
        mechanism "src/store.rs", "self.backend.load(id, self.limits, now, true)";
    PasswordCheck => password_check, "password-check", "login checks the password against an argon2id hash",
        mechanism "src/users.rs", "verify_password(&password, &stored)";
    ServerSideSessions => server_side_sessions, "server-side-sessions", "the cookie holds only a random ID; who is signed in stays in the store",
        mechanism "src/defenses/server_side_sessions.rs", "fn user_from_token(";
    SecretFromEnv => secret_from_env, "secret-from-env", "the token key is 256+ random bits kept out of the source",
        mechanism "src/defenses/secret_from_env.rs", "TokenKey::new(secret.as_bytes())";
    PinnedAlgorithm => pinned_algorithm, "pinned-algorithm", "tokens are checked as HS256; their own alg header is never read",
        mechanism "src/defenses/pinned_algorithm.rs", "return token::hs256_verifies(";
}

impl fmt::Display for Defense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Defense {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|d| d.id() == s).ok_or_else(|| {
            let valid: Vec<&str> = Self::ALL.iter().map(|d| d.id()).collect();
            format!(
                "unknown defense {s:?}; valid defenses: {}",
                valid.join(", ")
            )
        })
    }
}

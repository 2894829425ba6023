//! Profiles and the defenses they switch on.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// The three built-in profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileName {
    /// Every weakness on: the app every scenario breaks.
    Insecure,
    /// What the seed article's final code does, translated faithfully.
    Tutorial,
    /// Every defense on.
    Hardened,
}

impl ProfileName {
    pub const ALL: [ProfileName; 3] = [Self::Insecure, Self::Tutorial, Self::Hardened];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Insecure => "insecure",
            Self::Tutorial => "tutorial",
            Self::Hardened => "hardened",
        }
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProfileName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!("unknown profile {s:?}; valid profiles: insecure, tutorial, hardened")
            })
    }
}

/// Every defense the app knows. Each has a module in [`crate::defenses`] with the
/// defended and the weak behaviour side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Defense {
    /// 128-bit CSPRNG session IDs (weakness: counter IDs).
    RandomIds,
    /// Unknown session IDs get a fresh session (weakness: adopt any ID a client names).
    StrictIds,
    /// Session IDs travel only in the cookie (weakness: also read from a `?sid=` URL
    /// parameter and written into the app's links).
    CookieOnlyIds,
    /// A new session ID at login (weakness: keep the pre-login ID).
    RotateIdAtLogin,
    /// Logout destroys the server session, `Cache-Control: no-store`, `Clear-Site-Data` (weakness: only the cookie is cleared).
    ServerLogout,
    /// HttpOnly session cookie (weakness: script can read it).
    HttpOnly,
    /// The app speaks TLS (self-signed certificate made at start-up); plain HTTP only redirects.
    Tls,
    /// Secure session cookie: never sent over plain HTTP.
    SecureCookie,
    /// `Strict-Transport-Security` on every https response.
    Hsts,
    /// `__Host-` cookie name prefix: no Domain, Path=/, Secure (stops cookie tossing from sibling hosts).
    HostPrefix,
    /// `SameSite=Strict` on the session cookie (weakness: no SameSite attribute at all).
    SameSiteStrict,
    /// askama's auto-escaping of user content (weakness: rendered with `|safe`).
    EscapeOutput,
    /// A Content-Security-Policy that forbids inline script.
    Csp,
    /// The session cookie carries an HMAC made with a secret kept out of the source
    /// (`SESSION_SECRET` for the tutorial, CSPRNG bytes for hardened).
    SignedCookie,
    /// A server-side idle timeout of 15 minutes (weakness: the seed's one-hour sliding `maxAge`).
    IdleTimeout,
    /// A server-side absolute lifetime of 8 hours from creation (weakness: none; activity keeps it alive).
    AbsoluteTimeout,
    /// An anti-CSRF token bound to the session in every form that changes state.
    CsrfToken,
    /// Unsafe requests must come from the app's own origin (`Origin`, `Sec-Fetch-Site`).
    OriginCheck,
    /// One meaning per session key and an explicit "authenticated" flag (weakness: the
    /// forgot-password flow and login share the `user` key).
    SeparateSessionKeys,
    /// A password change ends every other session of the user and gives the current one a new ID.
    RevokeOnPasswordChange,
    /// "Log out everywhere" ends every session of the user, found through a per-user index.
    LogOutEverywhere,
    /// `Referrer-Policy: no-referrer` (weakness: `unsafe-url`, full URLs to other sites).
    ReferrerPolicy,
    /// Login checks the password against an argon2id hash (weakness: the seed's login takes any
    /// username and never looks at the password).
    PasswordCheck,
}

impl Defense {
    pub const ALL: [Defense; 23] = [
        Self::RandomIds,
        Self::StrictIds,
        Self::CookieOnlyIds,
        Self::RotateIdAtLogin,
        Self::ServerLogout,
        Self::HttpOnly,
        Self::Tls,
        Self::SecureCookie,
        Self::Hsts,
        Self::HostPrefix,
        Self::SameSiteStrict,
        Self::EscapeOutput,
        Self::Csp,
        Self::SignedCookie,
        Self::IdleTimeout,
        Self::AbsoluteTimeout,
        Self::CsrfToken,
        Self::OriginCheck,
        Self::SeparateSessionKeys,
        Self::RevokeOnPasswordChange,
        Self::LogOutEverywhere,
        Self::ReferrerPolicy,
        Self::PasswordCheck,
    ];

    /// The kebab-case id used on the command line, in `scenarios/*.toml` and in reports.
    pub fn id(self) -> &'static str {
        match self {
            Self::RandomIds => "random-ids",
            Self::StrictIds => "strict-ids",
            Self::CookieOnlyIds => "cookie-only-ids",
            Self::RotateIdAtLogin => "rotate-id-at-login",
            Self::ServerLogout => "server-logout",
            Self::HttpOnly => "http-only",
            Self::Tls => "tls",
            Self::SecureCookie => "secure-cookie",
            Self::Hsts => "hsts",
            Self::HostPrefix => "host-prefix",
            Self::SameSiteStrict => "same-site-strict",
            Self::EscapeOutput => "escape-output",
            Self::Csp => "csp",
            Self::SignedCookie => "signed-cookie",
            Self::IdleTimeout => "idle-timeout",
            Self::AbsoluteTimeout => "absolute-timeout",
            Self::CsrfToken => "csrf-token",
            Self::OriginCheck => "origin-check",
            Self::SeparateSessionKeys => "separate-session-keys",
            Self::RevokeOnPasswordChange => "revoke-on-password-change",
            Self::LogOutEverywhere => "log-out-everywhere",
            Self::ReferrerPolicy => "referrer-policy",
            Self::PasswordCheck => "password-check",
        }
    }

    /// One line for `--help`, banners and `sessionlab defenses`.
    pub fn summary(self) -> &'static str {
        match self {
            Self::RandomIds => "128-bit CSPRNG session IDs instead of a counter",
            Self::StrictIds => "an ID the server never issued gets a fresh session",
            Self::CookieOnlyIds => "session IDs travel only in the cookie, never in URLs",
            Self::RotateIdAtLogin => "a new session ID at login (cycle_id)",
            Self::ServerLogout => "logout destroys the server session; no-store, Clear-Site-Data",
            Self::HttpOnly => "HttpOnly: scripts cannot read the session cookie",
            Self::Tls => "TLS with a self-signed certificate; plain HTTP only redirects",
            Self::SecureCookie => "Secure: the cookie never travels over plain HTTP",
            Self::Hsts => "Strict-Transport-Security: browsers upgrade http:// links",
            Self::HostPrefix => "__Host- prefix: no Domain, so sibling hosts cannot toss it",
            Self::SameSiteStrict => "SameSite=Strict: no cookie on cross-site requests",
            Self::EscapeOutput => "askama auto-escaping of user content",
            Self::Csp => "Content-Security-Policy forbids inline script",
            Self::SignedCookie => "the cookie is signed with a secret kept out of the source",
            Self::IdleTimeout => "the server ends a session idle for 15 minutes",
            Self::AbsoluteTimeout => "the server ends any session 8 hours after it began",
            Self::CsrfToken => "forms that change state carry a token bound to the session",
            Self::OriginCheck => "unsafe requests must come from the app's own origin",
            Self::SeparateSessionKeys => {
                "one meaning per session key; an explicit authenticated flag"
            }
            Self::RevokeOnPasswordChange => "a password change ends the user's other sessions",
            Self::LogOutEverywhere => {
                "\"log out everywhere\" really ends every session of the user"
            }
            Self::ReferrerPolicy => "Referrer-Policy: no-referrer keeps URLs off other sites",
            Self::PasswordCheck => "login checks the password against an argon2id hash",
        }
    }
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

/// A profile: a name for the banner and reports, and the set of defenses that are on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: ProfileName,
    pub defenses: BTreeSet<Defense>,
}

impl Profile {
    pub fn new(name: ProfileName) -> Self {
        let defenses = match name {
            ProfileName::Insecure => BTreeSet::new(),
            // The seed article's final code: express-session (random IDs, unknown IDs rejected,
            // cookie only), destroy() + clearCookie() at logout, httpOnly: true, secure: false,
            // the secret read from the environment. Its login stores any username without
            // looking at the password ("validate your username and password here").
            ProfileName::Tutorial => BTreeSet::from([
                Defense::SignedCookie,
                Defense::RandomIds,
                Defense::StrictIds,
                Defense::CookieOnlyIds,
                Defense::ServerLogout,
                Defense::HttpOnly,
            ]),
            ProfileName::Hardened => Defense::ALL.into_iter().collect(),
        };
        Self { name, defenses }
    }

    pub fn has(&self, defense: Defense) -> bool {
        self.defenses.contains(&defense)
    }

    /// The profile with one more defense on.
    pub fn with(mut self, defense: Defense) -> Self {
        self.defenses.insert(defense);
        self
    }

    /// The profile with one defense off.
    pub fn without(mut self, defense: Defense) -> Self {
        self.defenses.remove(&defense);
        self
    }

    /// "hardened", or "hardened -csp +..." when toggles changed the built-in set.
    pub fn label(&self) -> String {
        let base = Profile::new(self.name);
        let mut label = self.name.to_string();
        for d in Defense::ALL {
            match (base.has(d), self.has(d)) {
                (true, false) => label.push_str(&format!(" -{d}")),
                (false, true) => label.push_str(&format!(" +{d}")),
                _ => {}
            }
        }
        label
    }
}

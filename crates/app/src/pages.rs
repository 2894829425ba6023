//! The askama pages. Every page extends `templates/base.html`, which shows
//! the banner: the running profile and the defenses that are on.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::guestbook::Entry;
use crate::{Profile, ProfileName};

/// The banner every page shows.
#[derive(Debug, Clone)]
pub(crate) struct Banner {
    /// `profile.label()`, e.g. "hardened -csp".
    pub label: String,
    /// The CSS class suffix: red for insecure, amber for tutorial, green for hardened.
    pub tone: &'static str,
    pub defenses: Vec<&'static str>,
    /// Where sessions live: `memory`, `sqlite:PATH`, `redis://HOST:PORT/DB`.
    pub store: String,
    /// A line every page shows above all (a class exposed beyond loopback says so).
    pub warning: Option<String>,
}

impl Banner {
    pub(crate) fn for_profile(profile: &Profile, store: &str) -> Self {
        // A hardened app with a defense removed is no longer "safe" green: the
        // projector shows it amber, like the tutorial's partial defenses.
        let weakened = profile.defenses != Profile::new(profile.name).defenses;
        let tone = match profile.name {
            ProfileName::Insecure => "insecure",
            ProfileName::Tutorial => "tutorial",
            ProfileName::Hardened if weakened => "tutorial",
            ProfileName::Hardened => "hardened",
        };
        Self {
            label: profile.label(),
            tone,
            defenses: profile.defenses.iter().map(|d| d.id()).collect(),
            store: store.to_owned(),
            warning: None,
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
    pub error: Option<&'a str>,
    /// The hidden `csrf_token` field of the page's forms (`templates/csrf_field.html`);
    /// `None` without the `csrf-token` defense.
    pub csrf_token: Option<String>,
    /// The demo accounts, shown on the page in the insecure and tutorial
    /// profiles (a classroom types them by hand); none in hardened, which
    /// shows how a real login page looks.
    pub demo_accounts: &'a [crate::DemoAccount],
}

impl LoginPage<'_> {
    /// The accounts to show beside the form, for this profile.
    pub(crate) fn demo_accounts_for(app: &crate::state::App) -> &[crate::DemoAccount] {
        if let Some(shown) = &app.shown_accounts {
            shown
        } else if app.profile.name == crate::ProfileName::Hardened {
            &[]
        } else {
            app.users.accounts()
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
pub(crate) struct AccountPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
    pub username: &'a str,
    pub note: &'a str,
    pub email: &'a str,
    pub csrf_token: Option<String>,
}

/// `GET /logout` where a GET may not log out (`csrf_token::logout_needs_post`).
#[derive(Template)]
#[template(path = "logout.html")]
pub(crate) struct LogoutPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
    pub csrf_token: Option<String>,
}

#[derive(Template)]
#[template(path = "guestbook.html")]
pub(crate) struct GuestbookPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
    pub entries: &'a [Entry],
    /// From `defenses::escape_output`: auto-escape messages, or print them with `|safe`.
    pub escape_output: bool,
    pub error: Option<&'a str>,
    pub csrf_token: Option<String>,
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub(crate) struct NotFoundPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
}

/// `GET /account/settings`: the e-mail form (the CSRF lesson's target).
#[derive(Template)]
#[template(path = "settings.html")]
pub(crate) struct SettingsPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub csrf_token: Option<String>,
}

/// `GET|POST /forgot`: the forgot-password form, and its answer once sent.
#[derive(Template)]
#[template(path = "forgot.html")]
pub(crate) struct ForgotPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
    /// The username a reset was just asked for (the page then says what happens next).
    pub requested: Option<&'a str>,
    pub error: Option<&'a str>,
    pub csrf_token: Option<String>,
}

/// Renders a page with a status; a template error is a bare 500.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET|POST /account/password`: the password-change form, and its answer.
#[derive(Template)]
#[template(path = "password.html")]
pub(crate) struct PasswordPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
    pub max_chars: usize,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub csrf_token: Option<String>,
}

/// `GET /account/sessions`: the user's active sessions.
#[derive(Template)]
#[template(path = "sessions.html")]
pub(crate) struct SessionsPage<'a> {
    pub banner: &'a Banner,
    pub user: Option<&'a str>,
    pub sessions: &'a [SessionRow],
    pub error: Option<&'a str>,
    pub csrf_token: Option<String>,
}

/// One line of the sessions page. It has no field for the session ID on
/// purpose: a page cannot print what it is never given.
#[derive(Debug, Clone)]
pub(crate) struct SessionRow {
    pub handle: String,
    pub device: String,
    pub started: String,
    pub current: bool,
}

#[cfg(test)]
mod banner_tests {
    use super::*;
    use crate::Defense;

    #[test]
    fn a_hardened_app_missing_a_defense_is_not_shown_green() {
        let hardened = Profile::new(ProfileName::Hardened);
        assert_eq!(Banner::for_profile(&hardened, "memory").tone, "hardened");
        let weakened = hardened.without(Defense::Csp);
        let banner = Banner::for_profile(&weakened, "memory");
        assert_eq!(banner.tone, "tutorial");
        assert_eq!(banner.label, "hardened -csp");
        let insecure = Profile::new(ProfileName::Insecure).with(Defense::Csp);
        assert_eq!(Banner::for_profile(&insecure, "memory").tone, "insecure");
    }
}

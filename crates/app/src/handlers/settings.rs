//! `GET /account/settings` and `POST /account/email`: the signed-in user's
//! e-mail address, the state the CSRF lesson's forged form changes.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::{Result, SignedIn, SignedInForm, form_token, render_private};
use crate::pages::SettingsPage;
use crate::state::App;

/// RFC 5321's limit on a forward path, less the angle brackets.
pub(crate) const MAX_EMAIL_CHARS: usize = 254;
/// RFC 5321's limit on the part before the `@`.
const MAX_LOCAL_PART_CHARS: usize = 64;

pub(crate) async fn settings_page(
    State(app): State<Arc<App>>,
    SignedIn { username }: SignedIn,
    session: Session,
) -> Result<Response> {
    let Some(email) = app.users.email(&username) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let page = SettingsPage {
        banner: &app.banner,
        user: Some(&username),
        email: &email,
        error: None,
        csrf_token: form_token(&app, &session).await?,
    };
    Ok(render_private(&app, StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub(crate) struct EmailForm {
    email: String,
}

pub(crate) async fn change_email(
    State(app): State<Arc<App>>,
    request: crate::observer::RequestFacts,
    session: Session,
    SignedInForm { username, form }: SignedInForm<EmailForm>,
) -> Result<Response> {
    let email = form.email.trim();
    if let Some(problem) = email_problem(email) {
        let current = app.users.email(&username).unwrap_or_default();
        let page = SettingsPage {
            banner: &app.banner,
            user: Some(&username),
            email: &current,
            error: Some(&problem),
            csrf_token: form_token(&app, &session).await?,
        };
        return Ok(render_private(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            &page,
        ));
    }
    if !app.users.set_email(&username, email) {
        return Ok(Redirect::to("/login").into_response());
    }
    crate::observer::email_changed(&app, &username, email, request, &session).await;
    Ok(Redirect::to("/account").into_response())
}

/// Why `email` is not an address this app accepts, if it is not: a plain
/// `local@domain.tld` with a host name for a domain (no quoted local parts,
/// no IP literals, no comments: nothing a lab needs).
pub(crate) fn email_problem(email: &str) -> Option<String> {
    if email.is_empty() {
        return Some("The e-mail address is empty.".into());
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Some(format!(
            "The e-mail address is longer than {MAX_EMAIL_CHARS} characters."
        ));
    }
    let not_an_address = || Some(format!("{email:?} is not an e-mail address."));
    let Some((local, domain)) = email.split_once('@') else {
        return not_an_address();
    };
    let local_ok = !local.is_empty()
        && local.len() <= MAX_LOCAL_PART_CHARS
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        None
    } else {
        not_an_address()
    }
}

#[cfg(test)]
mod tests {
    use super::email_problem;

    #[test]
    fn plain_addresses_pass_and_others_do_not() {
        for good in [
            "alice@lab.test",
            "mallory+x-1@evil.test",
            "a.b@mail.example.org",
        ] {
            assert_eq!(email_problem(good), None, "{good}");
        }
        let long = format!("{}@lab.test", "a".repeat(250));
        for bad in [
            "",
            "alice",
            "alice@",
            "@lab.test",
            "alice@lab",
            "alice@@lab.test",
            "al ice@lab.test",
            "alice@lab..test",
            "alice@-lab.test",
            ".alice@lab.test",
            "<script>@lab.test",
            "alice@lab.test\n",
            "élise@lab.test",
            long.as_str(),
        ] {
            assert!(email_problem(bad).is_some(), "{bad:?}");
        }
    }
}

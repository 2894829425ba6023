//! `sessionlab target init URL`: a starter target file from an app's login page.
//!
//! It fetches the page, takes the form with a password input as the login
//! form, notes the cookie the app sets, and tries one sign-in with the
//! placeholder victim account to find the page a signed-in user lands on,
//! its logout link or form, and whether it shows the username (the marker).
//! What it guessed and what it could not tell are listed, for the person who
//! edits the file.

use sessionlab_browser::{Browser, BrowserError, fetch_peer_certificate, html};

use crate::app_target::{
    AccountsSection, LoginSection, LogoutMethod, LogoutSection, ProofSection, SessionSection,
    TargetFile,
};
use crate::lab::{APP_HOST, Target, TargetError, resolve_target_url};

/// The accounts a starter file names until the user puts in real ones.
pub const PLACEHOLDER_VICTIM: &str = "alice:alice-password";
pub const PLACEHOLDER_ATTACKER: &str = "bob:bob-password";

/// A starter file, and what went into it.
#[derive(Debug, Clone)]
pub struct Starter {
    pub file: TargetFile,
    /// Each value found or assumed, with where it came from.
    pub guessed: Vec<String>,
    /// What the user must check or fill in.
    pub unknown: Vec<String>,
}

impl Starter {
    /// The file with a comment header saying how it was made and what to check.
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# Made by `sessionlab target init`: check every value, see docs/your-own-app.md.\n",
        );
        for line in &self.unknown {
            out.push_str(&format!("# TODO: {line}\n"));
        }
        out.push('\n');
        out.push_str(&self.file.to_toml());
        out
    }
}

fn unreachable(url: &str) -> impl Fn(BrowserError) -> TargetError + '_ {
    move |e| TargetError::Unreachable {
        url: url.to_string(),
        reason: e.to_string(),
    }
}

/// Reads the login page at `login_url` and writes what it can of a target file.
pub async fn starter(login_url: &str, authorized: bool) -> Result<Starter, TargetError> {
    let (url, addr) = resolve_target_url(login_url, authorized)?;
    let mut target = Target::bare(addr, url.scheme(), None);
    let base = format!(
        "{}://{}",
        url.scheme(),
        url.host_str()
            .map_or_else(|| addr.ip().to_string(), str::to_string)
    );
    let base = match url.port() {
        Some(port) => format!("{base}:{port}"),
        None => base,
    };
    let login_path = url.path().to_string();
    let lab_url = target.app_url(&login_path);
    let mut guessed = Vec::new();
    let mut unknown = Vec::new();

    let mut browser = Browser::new("lab", target.network());
    let page = match browser.open(&lab_url, None).await {
        Err(BrowserError::UntrustedCertificate { .. }) => {
            target.certificate = Some(
                fetch_peer_certificate(addr, APP_HOST)
                    .await
                    .map_err(unreachable(login_url))?,
            );
            browser = Browser::new("lab", target.network());
            browser
                .open(&lab_url, None)
                .await
                .map_err(unreachable(login_url))?
        }
        opened => opened.map_err(unreachable(login_url))?,
    };
    let Some(form) = html::login_form(&page.body, &page.url) else {
        return Err(TargetError::BadUrl(format!(
            "{login_url} answered {}, but shows no form with a password input: give the URL of the login page",
            page.status
        )));
    };
    guessed.push(format!(
        "login form: the form with a password input, {} to {}",
        form.form.method,
        form.form.action.path()
    ));
    let username_field = match &form.username_field {
        Some(name) => {
            guessed.push(format!(
                "username field: {name} (the text input before the password)"
            ));
            Some(name.clone())
        }
        None => {
            unknown.push(
                "[login].username_field: the form has no text input before its password".into(),
            );
            None
        }
    };
    guessed.push(format!("password field: {}", form.password_field));

    let cookies: Vec<String> = browser
        .jar
        .cookies()
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let sessiony: Vec<&String> = cookies
        .iter()
        .filter(|name| {
            let name = name.to_ascii_lowercase();
            name.contains("sess") || name.contains("sid")
        })
        .collect();
    let session_cookie = match sessiony.as_slice() {
        [one] => {
            guessed.push(format!(
                "session cookie: {one} (set by the login page, named like a session)"
            ));
            Some((*one).clone())
        }
        [] => {
            guessed.push(format!(
                "session cookie: none named like a session before login{}; the attack finds the one set at login",
                if cookies.is_empty() {
                    String::new()
                } else {
                    format!(" (the login page set {})", cookies.join(", "))
                }
            ));
            None
        }
        many => {
            unknown.push(format!(
                "[session].cookie: the login page set {}; name the session cookie",
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            None
        }
    };

    let (victim_user, victim_pass) = PLACEHOLDER_VICTIM
        .split_once(':')
        .expect("the placeholder is USER:PASS");
    unknown.push(format!(
        "[accounts]: {PLACEHOLDER_VICTIM} and {PLACEHOLDER_ATTACKER} are placeholders; put two real accounts of yours (never someone else's)"
    ));
    let mut proof_path = "/".to_string();
    let mut marker = victim_user.to_string();
    let mut logout = LogoutSection {
        path: "/logout".into(),
        method: LogoutMethod::GET,
    };
    // One sign-in with the placeholder account: where does a signed-in user land?
    let landed = match &username_field {
        Some(user_field) => browser
            .submit_form(
                &page,
                form.form.action.as_str(),
                &[
                    (user_field.as_str(), victim_user),
                    (form.password_field.as_str(), victim_pass),
                ],
            )
            .await
            .ok(),
        None => None,
    };
    match landed {
        Some(landed) if landed.status < 400 && landed.body.contains(victim_user) => {
            proof_path = landed.url.path().to_string();
            guessed.push(format!(
                "proof page: {proof_path}, where signing in as {victim_user} landed, and it shows {victim_user:?}"
            ));
            guessed.push(format!(
                "victim marker: {victim_user:?}; if other pages of the app show it to everyone, pick text only the victim sees"
            ));
            let logout_form = landed.forms().into_iter().find(|f| {
                f.action.path().to_ascii_lowercase().contains("logout")
                    || f.action.path().to_ascii_lowercase().contains("sign_out")
            });
            let logout_link = landed.links().into_iter().find(|l| {
                let text = l.text.to_ascii_lowercase();
                let href = l.href.path().to_ascii_lowercase();
                href.contains("logout")
                    || href.contains("sign_out")
                    || text.contains("log out")
                    || text.contains("logout")
                    || text.contains("sign out")
            });
            match (logout_form, logout_link) {
                (Some(f), _) if f.method == "POST" => {
                    logout = LogoutSection {
                        path: f.action.path().to_string(),
                        method: LogoutMethod::POST,
                    };
                    guessed.push(format!("logout: the POST form to {}", logout.path));
                }
                (_, Some(link)) => {
                    logout.path = link.href.path().to_string();
                    guessed.push(format!("logout: the link to {} (GET)", logout.path));
                }
                _ => unknown.push(
                    "[logout]: the signed-in page shows no logout link or form; /logout (GET) is a guess"
                        .into(),
                ),
            }
        }
        _ => {
            unknown.push(format!(
                "[proof] and [logout]: signing in as the placeholder {victim_user} did not land on a page showing {victim_user:?}; with real accounts, set the page a signed-in user sees and text only the victim's session shows"
            ));
            marker = victim_user.to_string();
        }
    }

    let file = TargetFile {
        url: base,
        login: LoginSection {
            path: login_path,
            username_field,
            password_field: Some(form.password_field.clone()),
        },
        logout,
        accounts: AccountsSection {
            victim: PLACEHOLDER_VICTIM.into(),
            attacker: PLACEHOLDER_ATTACKER.into(),
        },
        proof: ProofSection {
            path: proof_path,
            victim_marker: marker,
        },
        session: SessionSection {
            cookie: session_cookie,
            url_parameter: None,
        },
        csrf: None,
    };
    Ok(Starter {
        file,
        guessed,
        unknown,
    })
}

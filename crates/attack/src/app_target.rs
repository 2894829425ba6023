//! Attack your own app: a target file describes any web app with a login
//! form and a session cookie (Express, Flask, Django, PHP, Spring, Rails), so
//! the scenarios that need nothing but a login, a logout and a page only the
//! signed-in user sees can run against it.
//!
//! The lab's own app proves a compromise with a private note that is random
//! at every start. An app the lab did not write has no such note, so the file
//! names a page (`[proof].path`) and text on it that only the victim's
//! session shows (`victim_marker`). [`check_marker`] tests that claim in
//! every run before the attack: the victim's signed-in page shows it, an
//! anonymous visitor's does not, the attacker's own signed-in page does not.
//! Only then can [`crate::lab::RunContext::victim_note_shown`] read the
//! marker in the attacker's response as proof.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sessionlab_browser::{Browser, BrowserError, Page, fetch_peer_certificate, html};

use crate::actors::log_in;
use crate::lab::{
    APP_HOST, Credentials, RunContext, RunError, Target, TargetError, default_victim_browser,
    resolve_target_url,
};
use crate::outcome::Actor;

/// A target file as written (TOML). Every key is documented in
/// `docs/your-own-app.md` and `examples/target.example.toml`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// Base URL of the app, e.g. `http://127.0.0.1:3000`.
    pub url: String,
    pub login: LoginSection,
    pub logout: LogoutSection,
    pub accounts: AccountsSection,
    pub proof: ProofSection,
    #[serde(default)]
    pub session: SessionSection,
    /// A state-changing form, for `csrf`: only with it does `csrf` run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf: Option<CsrfSection>,
}

/// A state-changing form and where its effect shows: what `csrf` forges.
/// Naming it is asking for the change: the victim's value is replaced by the
/// attacker's, and a target file's run does not put hers back.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CsrfSection {
    /// The page with the form, as a signed-in user sees it (the attacker reads his own).
    pub form_page: String,
    /// The form's action path.
    pub action: String,
    /// The field the attacker sets.
    pub field: String,
    /// The page where the new value shows to the victim.
    pub effect_path: String,
    /// The value to plant; `{random}` is replaced by a value random per run
    /// (default `mallory-{random}@evil.test`).
    #[serde(default = "default_csrf_value")]
    pub value: String,
}

fn default_csrf_value() -> String {
    "mallory-{random}@evil.test".into()
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LoginSection {
    /// GET shows the form; the form's action signs in.
    pub path: String,
    /// The username input's name; found in the form when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_field: Option<String>,
    /// The password input's name; found in the form when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_field: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LogoutSection {
    pub path: String,
    #[serde(default)]
    pub method: LogoutMethod,
}

/// How the app's logout is sent.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum LogoutMethod {
    /// A link (the seed article's `app.get('/logout')`).
    #[default]
    GET,
    /// A form: the one on the proof page whose action is the logout path, or
    /// an empty POST when that page has none.
    POST,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AccountsSection {
    /// `USER:PASS` of the account the attacker goes after.
    pub victim: String,
    /// `USER:PASS` of the attacker's own account.
    pub attacker: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProofSection {
    /// A page a signed-in user sees.
    pub path: String,
    /// Text that page shows to the victim's session only.
    pub victim_marker: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SessionSection {
    /// The session cookie's name; found from the app's `Set-Cookie` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    /// A URL parameter the app reads a session ID from (`PHPSESSID`,
    /// `jsessionid`): only then does `fixation-url` run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_parameter: Option<String>,
}

impl TargetFile {
    /// Reads and parses a target file; the error names the file and the problem.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the target file {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The file as TOML (what `sessionlab target init` writes, before its comments).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a target file serialises")
    }
}

/// An app the lab did not write, as a run knows it: the target file checked,
/// and what discovery found (the session cookie, the login form's fields,
/// the cookie's attributes). Passwords stay out of reports.
#[derive(Debug, Clone, Serialize)]
pub struct AppTarget {
    /// The base URL as the file gives it.
    pub url: String,
    pub login_path: String,
    pub username_field: String,
    pub password_field: String,
    pub logout_path: String,
    pub logout_method: LogoutMethod,
    pub proof_path: String,
    pub victim_marker: String,
    pub session_cookie: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_parameter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf: Option<CsrfSection>,
    /// How long `idle-timeout` really waits (`--idle-wait`); it does not run without.
    #[serde(skip_serializing_if = "Option::is_none", with = "opt_seconds")]
    pub idle_wait: Option<Duration>,
    #[serde(serialize_with = "username_only")]
    pub victim: Credentials,
    #[serde(serialize_with = "username_only")]
    pub attacker: Credentials,
    /// The session cookie's attributes, judged.
    pub findings: Vec<CookieFinding>,
}

fn username_only<S: serde::Serializer>(who: &Credentials, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&who.username)
}

mod opt_seconds {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }
}

/// Options of a run against a target file that are not in the file.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    pub authorized: bool,
    pub idle_wait: Option<Duration>,
}

fn bad(message: impl Into<String>) -> TargetError {
    TargetError::BadUrl(message.into())
}

fn check_path(key: &str, path: &str) -> Result<(), TargetError> {
    if path.starts_with('/') && !path.starts_with("//") {
        Ok(())
    } else {
        Err(bad(format!(
            "{key} must be a path on the app starting with /, got {path:?}"
        )))
    }
}

impl Target {
    /// Checks a target file, then visits the app's login page once to find
    /// what the file leaves out: the login form's fields and the session
    /// cookie (named, or the one cookie whose name says session, set before
    /// or at the attacker's login). Loopback only unless `authorized`.
    pub async fn from_app_file(
        file: &TargetFile,
        options: &AppOptions,
    ) -> Result<Target, TargetError> {
        let (url, addr) = resolve_target_url(&file.url, options.authorized)?;
        check_path("[login].path", &file.login.path)?;
        check_path("[logout].path", &file.logout.path)?;
        check_path("[proof].path", &file.proof.path)?;
        if let Some(csrf) = &file.csrf {
            check_path("[csrf].form_page", &csrf.form_page)?;
            check_path("[csrf].action", &csrf.action)?;
            check_path("[csrf].effect_path", &csrf.effect_path)?;
            if !csrf.value.contains("{random}") {
                return Err(bad(
                    "[csrf].value must contain {random}: a value fresh in every run is the proof",
                ));
            }
        }
        let victim: Credentials = file
            .accounts
            .victim
            .parse()
            .map_err(|e| bad(format!("[accounts].victim: {e}")))?;
        let attacker: Credentials = file
            .accounts
            .attacker
            .parse()
            .map_err(|e| bad(format!("[accounts].attacker: {e}")))?;
        if victim.username == attacker.username {
            return Err(bad(
                "[accounts]: the victim and the attacker must be two different accounts",
            ));
        }
        if file.proof.victim_marker.trim().is_empty() {
            return Err(bad("[proof].victim_marker must not be empty"));
        }
        let mut target = Target::bare(addr, url.scheme(), None);
        target.profile = file.url.trim_end_matches('/').to_string();
        let unreachable = |e: BrowserError| TargetError::Unreachable {
            url: file.url.clone(),
            reason: e.to_string(),
        };
        let login_url = target.app_url(&file.login.path);
        let mut lab = Browser::new("lab", target.network());
        let page = match lab.open(&login_url, None).await {
            Err(BrowserError::UntrustedCertificate { .. }) if target.certificate.is_none() => {
                target.certificate = Some(
                    fetch_peer_certificate(target.addr, APP_HOST)
                        .await
                        .map_err(unreachable)?,
                );
                lab = Browser::new("lab", target.network());
                lab.open(&login_url, None).await.map_err(unreachable)?
            }
            opened => opened.map_err(unreachable)?,
        };
        target.scheme = page.url.scheme().to_string();
        if page.status >= 400 {
            return Err(bad(format!(
                "[login].path: {} answered {}",
                file.login.path, page.status
            )));
        }
        let detected = html::login_form(&page.body, &page.url);
        let password_field = file
            .login
            .password_field
            .clone()
            .or_else(|| detected.as_ref().map(|d| d.password_field.clone()))
            .ok_or_else(|| {
                bad(format!(
                    "no form with a password input on {}: check [login].path",
                    file.login.path
                ))
            })?;
        let username_field = file
            .login
            .username_field
            .clone()
            .or_else(|| detected.as_ref().and_then(|d| d.username_field.clone()))
            .ok_or_else(|| {
                bad(format!(
                    "the login form on {} has no text input before its password: name it in [login].username_field",
                    file.login.path
                ))
            })?;
        let mut app = AppTarget {
            url: file.url.clone(),
            login_path: file.login.path.clone(),
            username_field,
            password_field,
            logout_path: file.logout.path.clone(),
            logout_method: file.logout.method,
            proof_path: file.proof.path.clone(),
            victim_marker: file.proof.victim_marker.clone(),
            session_cookie: String::new(),
            url_parameter: file.session.url_parameter.clone(),
            csrf: file.csrf.clone(),
            idle_wait: options.idle_wait,
            victim,
            attacker,
            findings: Vec::new(),
        };
        if login_form_action(&app, &page).is_none() {
            return Err(bad(format!(
                "no form on {} has an input named {:?}: check [login].password_field",
                file.login.path, app.password_field
            )));
        }
        let (cookie, set_cookie) =
            session_cookie_of(&target, &app, file.session.cookie.clone(), &lab).await?;
        if let Some(header) = set_cookie {
            app.findings = cookie_findings(&header, &target.scheme);
        }
        app.session_cookie = cookie.clone();
        target.session_cookie = cookie;
        target.app = Some(Arc::new(app));
        Ok(target)
    }
}

impl Target {
    /// A target at `addr` that says nothing yet about itself.
    pub(crate) fn bare(
        addr: std::net::SocketAddr,
        scheme: &str,
        certificate: Option<Vec<u8>>,
    ) -> Target {
        Target {
            addr,
            scheme: scheme.to_string(),
            profile: String::new(),
            base_profile: String::new(),
            defenses: Vec::new(),
            session_cookie: String::new(),
            lab_clock: false,
            certificate,
            clock_control: None,
            instances: Vec::new(),
            victim_browser: default_victim_browser(),
            app: None,
        }
    }
}

/// The session cookie's name and the `Set-Cookie` line that set it: the
/// file's `named` one, or the one whose name says session among those the
/// login page set (`lab` visited it). Many apps (Django) set it only at
/// login: then the attacker signs in once to see it, and its attributes.
async fn session_cookie_of(
    target: &Target,
    app: &AppTarget,
    named: Option<String>,
    lab: &Browser,
) -> Result<(String, Option<String>), TargetError> {
    let unreachable = |e: BrowserError| TargetError::Unreachable {
        url: app.url.clone(),
        reason: e.to_string(),
    };
    let mut seen = cookies_set(lab);
    let mut cookie = named.or_else(|| pick_session_cookie(&seen, false));
    if !cookie
        .as_ref()
        .is_some_and(|c| seen.iter().any(|(name, _)| name == c))
    {
        // Many apps (Django) set their session cookie only at login: sign in
        // once as the attacker to see it, and its attributes.
        let login_url = target.app_url(&app.login_path);
        let mut probe = Browser::new("lab", target.network());
        let form_page = probe.open(&login_url, None).await.map_err(unreachable)?;
        let fields = [
            (app.username_field.as_str(), app.attacker.username.as_str()),
            (app.password_field.as_str(), app.attacker.password.as_str()),
        ];
        if let Some(action) = login_form_action(app, &form_page) {
            probe
                .submit_form(&form_page, action.as_str(), &fields)
                .await
                .map_err(unreachable)?;
        }
        let before: Vec<String> = seen.iter().map(|(n, _)| n.clone()).collect();
        let at_login = cookies_set(&probe);
        let new: Vec<(String, String)> = at_login
            .iter()
            .filter(|(name, _)| !before.contains(name))
            .cloned()
            .collect();
        cookie = cookie
            .or_else(|| pick_session_cookie(&at_login, false))
            .or_else(|| pick_session_cookie(&new, true));
        seen.extend(at_login);
    }
    let cookie = cookie.ok_or_else(|| {
        let mut names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
        names.dedup();
        bad(format!(
            "cannot tell the session cookie: the app set {} before and at login; name it in [session] cookie = \"...\"",
            if names.is_empty() {
                "no cookie".to_string()
            } else {
                names.join(", ")
            }
        ))
    })?;
    let header = seen
        .iter()
        .find(|(name, _)| *name == cookie)
        .map(|(_, header)| header.clone());
    Ok((cookie, header))
}

/// The action of the form on `page` that holds the app's password field.
pub fn login_form_action(app: &AppTarget, page: &Page) -> Option<url::Url> {
    page.forms()
        .into_iter()
        .find(|form| form.field(&app.password_field).is_some())
        .map(|form| form.action)
}

/// Every cookie the app set in this browser's exchanges: its name and its `Set-Cookie` line.
fn cookies_set(browser: &Browser) -> Vec<(String, String)> {
    browser
        .exchanges
        .iter()
        .flat_map(|x| &x.response_headers)
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, line)| {
            let name = line.split(';').next()?.split_once('=')?.0.trim();
            Some((name.to_string(), line.clone()))
        })
        .collect()
}

/// Whether a cookie's name says it holds a session (`connect.sid`,
/// `sessionid`, `PHPSESSID`, `JSESSIONID`, `_app_session`).
fn sounds_like_session(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("sess") || name.contains("sid")
}

/// The one cookie whose name says session; with `or_only`, else the only
/// cookie set (after a login, where a CSRF cookie set before it is no candidate).
fn pick_session_cookie(seen: &[(String, String)], or_only: bool) -> Option<String> {
    let mut names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let sessiony: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| sounds_like_session(n))
        .collect();
    match (sessiony.as_slice(), names.as_slice()) {
        ([one], _) => Some(one.to_string()),
        ([], [one]) if or_only => Some(one.to_string()),
        _ => None,
    }
}

/// One attribute of the session cookie judged: what is missing or weak,
/// what it opens, and its CWE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CookieFinding {
    /// `HttpOnly`, `Secure`, `SameSite`, `__Host-`, `Domain`, `Max-Age/Expires`.
    pub attribute: &'static str,
    pub finding: String,
    pub cwe: &'static str,
    /// Whether it is a weakness (false: the attribute is set as it should be).
    pub weak: bool,
}

/// Judges a session cookie's `Set-Cookie` line attribute by attribute
/// (RFC 6265bis; the reference's cookie rules).
pub fn cookie_findings(set_cookie: &str, scheme: &str) -> Vec<CookieFinding> {
    let mut parts = set_cookie.split(';');
    let name = parts
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(n, _)| n.trim().to_string())
        .unwrap_or_default();
    let attributes: Vec<(String, String)> = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim().to_string()),
            None => (p.trim().to_ascii_lowercase(), String::new()),
        })
        .collect();
    let value_of = |key: &str| {
        attributes
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let has = |key: &str| attributes.iter().any(|(k, _)| k == key);
    let finding = |attribute, weak, cwe, text: &str| CookieFinding {
        attribute,
        finding: text.to_string(),
        cwe,
        weak,
    };
    let mut out = Vec::new();
    out.push(if has("httponly") {
        finding(
            "HttpOnly",
            false,
            "CWE-1004",
            "set: scripts cannot read the cookie",
        )
    } else {
        finding(
            "HttpOnly",
            true,
            "CWE-1004",
            "missing: any script in the app's pages (an XSS) can read the session cookie",
        )
    });
    out.push(match (has("secure"), scheme) {
        (true, _) => finding("Secure", false, "CWE-614", "set: never sent over plain HTTP"),
        (false, "http") => finding(
            "Secure",
            true,
            "CWE-614",
            "missing, and the app answers over plain HTTP: the cookie crosses the network readable (hijack-sniff)",
        ),
        (false, _) => finding(
            "Secure",
            true,
            "CWE-614",
            "missing: a plain-HTTP link to the app sends the cookie readable (hijack-sniff)",
        ),
    });
    out.push(match value_of("samesite").map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "strict" => finding("SameSite", false, "CWE-1275", "Strict"),
        Some(v) if v == "lax" => finding(
            "SameSite",
            false,
            "CWE-1275",
            "Lax: cross-site POSTs go without the cookie (top-level GETs still carry it)",
        ),
        Some(v) if v == "none" => finding(
            "SameSite",
            true,
            "CWE-1275",
            "None: every cross-site request carries the cookie (CSRF)",
        ),
        _ => finding(
            "SameSite",
            true,
            "CWE-1275",
            "missing: browsers apply Lax by default, but Chromium still sends a cookie younger than 2 minutes with a cross-site POST (Lax+POST), and not every browser defaults to Lax",
        ),
    });
    out.push(if name.starts_with("__Host-") {
        finding(
            "__Host-",
            false,
            "CWE-384",
            "prefixed: no sibling host can set or overwrite it",
        )
    } else {
        finding(
            "__Host-",
            true,
            "CWE-384",
            "no __Host- prefix: a sibling host can toss a cookie of the same name (fixation-cookie)",
        )
    });
    if let Some(domain) = value_of("domain") {
        out.push(finding(
            "Domain",
            true,
            "CWE-1275",
            &format!(
                "Domain={domain}: every subdomain receives the cookie, and any of them can set it"
            ),
        ));
    }
    if let Some(lifetime) = value_of("max-age").or_else(|| value_of("expires")) {
        out.push(finding(
            "Max-Age/Expires",
            true,
            "CWE-539",
            &format!(
                "persistent ({lifetime}): the browser keeps it on disk past closing; the server must still end the session"
            ),
        ));
    }
    out
}

/// Whether a scenario can run against an app the lab did not write, and if
/// not, why. Each scenario needs the pages it drives: only those that need a
/// login form, a logout and a page only the victim sees run on any app.
pub fn applicability(id: &str, app: &AppTarget) -> Result<(), String> {
    match id {
        "fixation-cookie" | "fixation-invented" | "logout-reuse" | "hijack-sniff"
        | "credential-bypass" | "hijack-predict" => Ok(()),
        // They look for a JWT among the attacker's cookies once he signs in;
        // the run itself says not-applicable when there is none.
        "forged-cookie" | "jwt-none" => Ok(()),
        "fixation-url" => match &app.url_parameter {
            Some(_) => Ok(()),
            None => Err("the target file names no URL parameter for the session ID ([session] url_parameter = \"PHPSESSID\", \"jsessionid\", ...)".into()),
        },
        "idle-timeout" => match app.idle_wait {
            Some(_) => Ok(()),
            None => Err("it really waits: give --idle-wait DURATION (e.g. 31m, past the idle limit you expect)".into()),
        },
        "csrf" => match &app.csrf {
            Some(_) => Ok(()),
            None => Err("the target file names no state-changing form ([csrf] form_page, action, field, effect_path)".into()),
        },
        "absolute-timeout" => Err("it keeps a session busy for hours of lab time: only the lab's own app has a clock to move".into()),
        "hijack-xss" | "referer-leak" => Err("it needs the lab app's guestbook, where the attacker's text reaches the victim's page".into()),
        "password-change" => Err("it changes the victim's password: nothing destructive runs against your app".into()),
        "concurrent-sessions" => Err("it needs the lab app's list of sessions and its \"log out everywhere\"".into()),
        "session-puzzling" => Err("it needs the lab app's forgot-password flow".into()),
        _ => Err("it needs pages only the lab's own app has".into()),
    }
}

/// The check a verdict against an app the lab did not write stands on, run
/// at the start of every run: the marker shows on the victim's signed-in
/// page, and neither on an anonymous visitor's nor on the attacker's own
/// signed-in page. A marker everyone sees is an error that says so.
pub async fn check_marker(ctx: &mut RunContext) -> Result<(), RunError> {
    let Some(app) = ctx.target.app.clone() else {
        return Ok(());
    };
    let marker = app.victim_marker.as_str();
    let proof = ctx.app_url(&app.proof_path);
    let path = &app.proof_path;

    let mut victim = ctx.browser(Actor::Victim, "victim-check");
    let victim_who = ctx.victim.clone();
    log_in(ctx, &mut victim, &victim_who).await?;
    let page = victim.open(&proof, None).await?;
    let shows = page.status == 200 && page.body.contains(marker);
    ctx.step(
        Actor::Victim,
        format!(
            "proof check: {} signed in and opened {path}",
            victim_who.username
        ),
        if shows {
            format!("{path} shows the marker {marker:?} to her")
        } else {
            format!(
                "{path} answered {} without the marker {marker:?}",
                page.status
            )
        },
    );
    if !shows {
        return Err(RunError::Lab(format!(
            "the victim's signed-in {path} does not show the marker {marker:?}: check [accounts].victim and [proof] in the target file"
        )));
    }

    let mut anonymous = ctx.browser(Actor::Attacker, "anonymous");
    let page = anonymous.open(&proof, None).await?;
    let everyone = page.body.contains(marker);
    ctx.step(
        Actor::Attacker,
        format!("proof check: opened {path} without signing in"),
        if everyone {
            format!("an anonymous visitor sees the marker {marker:?} too")
        } else {
            format!("no marker for an anonymous visitor ({})", page.status)
        },
    );
    if everyone {
        return Err(RunError::Lab(format!(
            "the marker {marker:?} shows to everyone: an anonymous visitor's {path} contains it, so it proves nothing. Pick text only the victim's session sees"
        )));
    }

    let mut own = ctx.browser(Actor::Attacker, "attacker-check");
    let attacker_who = ctx.attacker.clone();
    log_in(ctx, &mut own, &attacker_who).await?;
    let page = own.open(&proof, None).await?;
    let theirs = page.body.contains(marker);
    ctx.step(
        Actor::Attacker,
        format!(
            "proof check: {} signed in as himself and opened {path}",
            attacker_who.username
        ),
        if theirs {
            format!("his own page shows the marker {marker:?} too")
        } else {
            format!("no marker on his own page ({})", page.status)
        },
    );
    if theirs {
        return Err(RunError::Lab(format!(
            "the marker {marker:?} shows to the attacker's own session too ({} on {path}), so it proves nothing. Pick text only the victim's session sees",
            attacker_who.username
        )));
    }
    ctx.marker_checked();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../examples/target.example.toml");

    #[test]
    fn the_example_file_parses() {
        let file = TargetFile::parse(EXAMPLE).expect("the example parses");
        assert!(file.url.starts_with("http://127.0.0.1"));
        assert_eq!(TargetFile::parse(&file.to_toml()), Ok(file));
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let error = TargetFile::parse(&EXAMPLE.replace("victim_marker", "victim_mark"))
            .expect_err("a typo");
        assert!(error.contains("victim_mark"), "{error}");
    }

    #[test]
    fn the_session_cookie_is_the_one_named_like_one() {
        let seen = |names: &[&str]| -> Vec<(String, String)> {
            names
                .iter()
                .map(|n| (n.to_string(), format!("{n}=x")))
                .collect()
        };
        assert_eq!(
            pick_session_cookie(&seen(&["csrftoken", "sessionid"]), false).as_deref(),
            Some("sessionid")
        );
        assert_eq!(
            pick_session_cookie(&seen(&["connect.sid"]), false).as_deref(),
            Some("connect.sid")
        );
        assert_eq!(pick_session_cookie(&seen(&["a", "b"]), true), None);
        // Django's login page sets only its CSRF cookie: no session cookie yet.
        assert_eq!(pick_session_cookie(&seen(&["csrftoken"]), false), None);
        assert_eq!(
            pick_session_cookie(&seen(&["token"]), true).as_deref(),
            Some("token")
        );
    }

    #[test]
    fn the_express_cookie_is_judged_attribute_by_attribute() {
        let found = cookie_findings(
            "connect.sid=s%3Aabc.def; Path=/; Expires=Tue, 01 Dec 2026 17:00:00 GMT; HttpOnly",
            "http",
        );
        let weak: Vec<&str> = found
            .iter()
            .filter(|f| f.weak)
            .map(|f| f.attribute)
            .collect();
        assert_eq!(weak, ["Secure", "SameSite", "__Host-", "Max-Age/Expires"]);
        let hardened = cookie_findings(
            "__Host-sid=x; Path=/; Secure; HttpOnly; SameSite=Strict",
            "https",
        );
        assert!(hardened.iter().all(|f| !f.weak), "{hardened:?}");
    }
}

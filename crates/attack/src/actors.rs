//! What the victim and the attacker do in every scenario: log in, read the
//! private note, and the one test that counts as proof.

use sessionlab_browser::{Browser, Page, RequestKind, RequestSpec, SetCookieOutcome, html};
use sessionlab_protocol::element;
use url::Url;

use crate::app_target::{LogoutMethod, login_form_action};
use crate::lab::{Credentials, RunContext, RunError, Target, plant_cookie};
use crate::outcome::{Actor, Verdict};
use crate::victim::Drive;

/// Logs in through the app's login form, as a person would; the page it
/// lands on (the lab app's account page).
pub async fn log_in(
    ctx: &RunContext,
    browser: &mut impl Drive,
    who: &Credentials,
) -> Result<Page, RunError> {
    let login_page = browser.open(&ctx.login_url()).await?;
    log_in_from(&ctx.target, browser, &login_page, who).await
}

/// Fills and posts the login form on `login_page` with `username` and
/// `password`: the lab app's `/login` form, or the form a target file's app
/// has its password field in. The page it lands on, whatever it says.
pub async fn submit_login(
    target: &Target,
    browser: &mut impl Drive,
    login_page: &Page,
    username: &str,
    password: &str,
) -> Result<Page, RunError> {
    match &target.app {
        None => {
            browser
                .submit_form(
                    login_page,
                    "/login",
                    &[("username", username), ("password", password)],
                )
                .await
        }
        Some(app) => {
            let action = login_form_action(app, login_page).ok_or_else(|| {
                RunError::Lab(format!(
                    "{} shows no form with the password input {:?}",
                    login_page.url.path(),
                    app.password_field
                ))
            })?;
            browser
                .submit_form(
                    login_page,
                    action.as_str(),
                    &[
                        (app.username_field.as_str(), username),
                        (app.password_field.as_str(), password),
                    ],
                )
                .await
        }
    }
}

/// Logs in through the form on a page the browser already shows (e.g. a lure
/// link's login page); the page it lands on. On the lab app that must be the
/// account page; on another app any answer below 400 (whether the session
/// is signed in shows on the proof page, which the callers read).
pub async fn log_in_from(
    target: &Target,
    browser: &mut impl Drive,
    login_page: &Page,
    who: &Credentials,
) -> Result<Page, RunError> {
    let landed = submit_login(target, browser, login_page, &who.username, &who.password).await?;
    let signed_in = match &target.app {
        None => landed.status == 200 && landed.url.path() == "/account",
        Some(_) => landed.status < 400,
    };
    if signed_in {
        return Ok(landed);
    }
    Err(RunError::Lab(match refused_cookie(browser) {
        Some(refusal) => format!(
            "{} could not log in (the app answered {} at {}): {refusal}",
            who.username,
            landed.status,
            landed.url.path()
        ),
        None => format!(
            "{} could not log in (the app answered {} at {}); check the credentials",
            who.username,
            landed.status,
            landed.url.path()
        ),
    }))
}

/// Logs out as the app's own logout does: the lab app's "Log out" form on
/// `/account`, or a target file's `[logout]` (a GET, or the POST form on the
/// proof page, else an empty POST). The page it lands on.
pub async fn log_out(ctx: &RunContext, browser: &mut Browser) -> Result<Page, RunError> {
    let Some(app) = &ctx.target.app else {
        let account_page = Browser::open(browser, &ctx.app_url("/account"), None).await?;
        return Ok(browser.submit_form(&account_page, "/logout", &[]).await?);
    };
    let logout = ctx.app_url(&app.logout_path);
    match app.logout_method {
        LogoutMethod::GET => Ok(Browser::open(browser, &logout, None).await?),
        LogoutMethod::POST => {
            let page = Browser::open(browser, &ctx.proof_url(), None).await?;
            if page
                .forms()
                .iter()
                .any(|f| f.action.path() == app.logout_path)
            {
                return Ok(browser.submit_form(&page, logout.as_str(), &[]).await?);
            }
            Ok(browser
                .request(RequestSpec::post_form(logout, Vec::new(), Some(page.url)))
                .await?)
        }
    }
}

/// The last cookie this browser refused, and why: when the app cannot keep a
/// session at all (e.g. a Secure cookie over plain HTTP), this is the reason.
pub fn refused_cookie(browser: &impl Drive) -> Option<String> {
    browser
        .exchanges()
        .iter()
        .flat_map(|exchange| &exchange.set_cookie_outcomes)
        .filter_map(|outcome| match outcome {
            SetCookieOutcome::Rejected { name, reason } => Some(format!(
                "the browser refused the app's cookie {name}: {reason}"
            )),
            _ => None,
        })
        .next_back()
}

/// The attacker logs in as himself and signs the guestbook with `message`, the
/// one place where his text reaches other users' pages; `what` names the entry
/// in the transcript ("a <script> payload", "linking to ...").
pub async fn attacker_signs_guestbook(
    ctx: &mut RunContext,
    attacker: &mut Browser,
    message: &str,
    what: &str,
) -> Result<(), RunError> {
    log_in(ctx, attacker, &ctx.attacker).await?;
    let guestbook = Browser::open(attacker, &ctx.app_url("/guestbook"), None).await?;
    let posted = attacker
        .submit_form(&guestbook, "/guestbook", &[("message", message)])
        .await?;
    ctx.step(
        Actor::Attacker,
        format!(
            "logged in as {} and posted a guestbook entry {what}",
            ctx.attacker.username
        ),
        format!(
            "the app answered {} at {}",
            posted.status,
            posted.url.path()
        ),
    );
    Ok(())
}

/// The victim opens their account page and reads their private note, as
/// they see it. Against a target file: she opens the proof page, and the
/// "note" is the file's marker, which her page must show.
pub async fn read_own_note(ctx: &RunContext, browser: &mut impl Drive) -> Result<String, RunError> {
    let proof_path = ctx.target.proof_path();
    let page = browser.open(&ctx.proof_url()).await?;
    if let Some(app) = &ctx.target.app {
        return if page.status == 200 && page.body.contains(&app.victim_marker) {
            Ok(app.victim_marker.clone())
        } else {
            let what = format!("the victim marker {:?}", app.victim_marker);
            Err(RunError::Lab(no_sign_of(browser, &page, proof_path, &what)))
        };
    }
    html::text_by_id(&page.body, element::PRIVATE_NOTE)
        .filter(|note| !note.is_empty())
        .ok_or_else(|| RunError::Lab(no_sign_of(browser, &page, proof_path, "a private note")))
}

/// Why a page the actor asked for did not show `what`: where the browser
/// actually landed (a redirect to /login is a lost session, not a missing
/// element), and the cookie it refused, if any, which usually explains that.
pub fn no_sign_of(browser: &impl Drive, page: &Page, asked_for: &str, what: &str) -> String {
    let landed = if page.url.path() == asked_for {
        format!("{asked_for} answered {} without {what}", page.status)
    } else {
        format!(
            "asking for {asked_for} ended at {} ({}), without {what}",
            page.url.path(),
            page.status
        )
    };
    match refused_cookie(browser) {
        Some(refusal) => format!("{landed}: {refusal}"),
        None => landed,
    }
}

/// The premise of the lessons on how sessions end (logout-reuse, the two
/// timeouts, password-change, concurrent-sessions): the victim is logged in and
/// has read her note, and the attacker holds a copy of her session cookie that
/// opens her account right now. How cookies leak is the hijacking lessons'
/// subject; here the engine copies it out of her browser's jar.
pub struct CopiedSession {
    pub victim: Browser,
    pub attacker: Browser,
    /// The note the victim saw on her own account page: the proof to look for.
    pub note: String,
    /// The attacker's copy of her session cookie's value.
    pub copy: String,
    pub account: Url,
}

/// Sets up [`CopiedSession`]: logs the victim in with a browser named
/// `victim_browser`, records what she did (`victim_did`, e.g. "logged in and
/// opened her account"), and checks that the copy works before anything else
/// happens (a lab error otherwise).
pub async fn session_copied_from_victim(
    ctx: &mut RunContext,
    victim_browser: &str,
    victim_did: &str,
) -> Result<CopiedSession, RunError> {
    copied_from_victim(ctx, victim_browser, victim_did, false).await
}

/// [`session_copied_from_victim`], with the victim's token cookie copied too
/// where the app hands one out (client-side sessions): everything her
/// browser holds that could sign her in.
pub async fn session_and_token_copied_from_victim(
    ctx: &mut RunContext,
    victim_browser: &str,
    victim_did: &str,
) -> Result<CopiedSession, RunError> {
    copied_from_victim(ctx, victim_browser, victim_did, true).await
}

async fn copied_from_victim(
    ctx: &mut RunContext,
    victim_browser: &str,
    victim_did: &str,
    with_token: bool,
) -> Result<CopiedSession, RunError> {
    let mut victim = ctx.browser(Actor::Victim, victim_browser);
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    let Some(copy) = session_id(ctx, &victim) else {
        return Err(RunError::Lab(format!(
            "the victim's browser ({victim_browser}) holds no session cookie after login"
        )));
    };
    ctx.step(
        Actor::Victim,
        format!("{} {victim_did}", ctx.victim.username),
        "saw her private note",
    );

    let account = ctx.proof_url();
    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    plant_cookie(&mut attacker, &account, &ctx.target.session_cookie, &copy);
    let signature_name = signature_cookie(&ctx.target.session_cookie);
    if let Some(signature) = victim.cookie_values(&signature_name).into_iter().next() {
        plant_cookie(&mut attacker, &account, &signature_name, &signature);
    }
    let token = with_token.then(|| token_cookie(&victim)).flatten();
    if let Some((name, value)) = &token {
        plant_cookie(&mut attacker, &account, name, value);
    }
    let before = probe_account(&mut attacker, account.clone()).await?;
    if !before.shows(&ctx.target, &note) {
        return Err(RunError::Lab(format!(
            "premise failed: the copied cookie did not open the account even before anything happened ({})",
            before.describe()
        )));
    }
    ctx.step(
        Actor::Attacker,
        match &token {
            Some((name, value)) => format!(
                "premise: holds a copy of the session cookie ({}) and of her token cookie {name} ({}), a JWT that says who she is",
                short(&copy),
                short(value)
            ),
            None => format!(
                "premise: holds a copy of the session cookie ({})",
                short(&copy)
            ),
        },
        "right now, the copy opens her account",
    );
    Ok(CopiedSession {
        victim,
        attacker,
        note,
        copy,
        account,
    })
}

/// What the attacker got back when asking for the account page.
#[derive(Debug, Clone)]
pub struct AccountProbe {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl AccountProbe {
    /// Whether this response is the victim's account page with her note (the
    /// premise checks use it; a verdict's proof is found in the transcript by
    /// [`RunContext::victim_note_shown`], with the same test).
    pub fn shows(&self, target: &Target, victim_note: &str) -> bool {
        self.status == 200 && target.shows_victim(&self.body, victim_note)
    }

    /// "303 → /login" or "200 (an account page, but not the victim's)" for evidence lines.
    pub fn describe(&self) -> String {
        match (&self.location, self.status) {
            (Some(to), s) => format!("{s} redirect to {to}"),
            (None, 200) => match html::text_by_id(&self.body, element::USERNAME) {
                Some(user) => format!("200, the account page of {user}"),
                None => "200, but no account page".to_string(),
            },
            (None, s) => match self.body.lines().next().map(str::trim) {
                // The app explains its 4xx answers in the first line.
                Some(reason) if !reason.is_empty() && !reason.starts_with('<') => {
                    let headline = reason.split(": ").next().unwrap_or(reason);
                    format!("{s}: {}", short_text(headline, 80))
                }
                _ => format!("{s}"),
            },
        }
    }
}

/// Asks for `/account` once, without following redirects: a redirect to the login
/// page means the cookie opened nothing.
pub async fn probe_account(browser: &mut Browser, url: Url) -> Result<AccountProbe, RunError> {
    let page = browser
        .request(RequestSpec {
            method: "GET".into(),
            url,
            form: None,
            kind: RequestKind::Navigation,
            initiator: None,
            follow_redirects: false,
        })
        .await?;
    Ok(AccountProbe {
        status: page.status,
        location: page.header("location").map(str::to_string),
        body: page.body,
    })
}

/// The last move of most scenarios: the attacker puts a session ID into a
/// fresh browser of their own and asks for the account page.
pub async fn replay_session_id(
    ctx: &mut RunContext,
    id: &str,
    account_url: Url,
) -> Result<AccountProbe, RunError> {
    replay_signed_session(ctx, id, None, account_url).await
}

/// [`replay_session_id`], with the cookie's signature companion when one
/// was taken with it ([`signature_cookie`]).
pub async fn replay_signed_session(
    ctx: &mut RunContext,
    id: &str,
    signature: Option<&str>,
    account_url: Url,
) -> Result<AccountProbe, RunError> {
    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    plant_cookie(&mut attacker, &account_url, &ctx.target.session_cookie, id);
    if let Some(signature) = signature {
        let name = signature_cookie(&ctx.target.session_cookie);
        plant_cookie(&mut attacker, &account_url, &name, signature);
    }
    probe_account(&mut attacker, account_url).await
}

/// The companion cookie that carries a session cookie's signature, as
/// express's `cookie-session` (Keygrip) sets it: `NAME.sig` signs
/// `NAME=VALUE`, and the app ignores the cookie without it. Whoever copies
/// or captures the session cookie takes this one too: it travels beside it
/// in every request.
pub fn signature_cookie(session_cookie: &str) -> String {
    format!("{session_cookie}.sig")
}

/// Records the attacker's final step and turns what they got back into the
/// verdict: `compromised` only when a response of that step, as recorded,
/// shows the victim's note ([`RunContext::victim_note_shown`]). `context`
/// says how the attacker came by the ID, `what` names it.
pub fn judge(
    ctx: &mut RunContext,
    action: &str,
    probe: &AccountProbe,
    victim_note: &str,
    context: &str,
    what: &str,
) -> Verdict {
    let step = ctx.step(Actor::Attacker, action, "");
    let shown = match &ctx.target.app {
        None => format!(
            "{context}; {what} showed {}'s private note",
            ctx.victim.username
        ),
        Some(app) => format!(
            "{context}; {what} showed {}'s marker {:?} on {}",
            ctx.victim.username, app.victim_marker, app.proof_path
        ),
    };
    let answered = match (
        &ctx.target.app,
        probe.location.is_none() && probe.status == 200,
    ) {
        (Some(_), true) => "200, without the victim's marker".to_string(),
        _ => probe.describe(),
    };
    let verdict = ctx
        .victim_note_shown(step, victim_note, shown)
        .unwrap_or_else(|| {
            Verdict::blocked(
                format!(
                    "{context}; {what} opened nothing ({} answered {answered})",
                    ctx.target.proof_path(),
                ),
                step,
            )
        });
    ctx.steps[step].observed = verdict.evidence().to_string();
    verdict
}

/// The value of the app's session cookie in a browser's jar, if it holds one.
pub fn session_id(ctx: &RunContext, browser: &impl Drive) -> Option<String> {
    browser
        .cookie_values(&ctx.target.session_cookie)
        .into_iter()
        .next()
}

/// A cookie in the browser's jar that holds a JWT, as `(name, value)`: with
/// client-side sessions, the token that says who is signed in. What makes
/// it one is its value ([`crate::tokens::decode`]), not its name.
pub fn token_cookie(browser: &Browser) -> Option<(String, String)> {
    browser
        .jar
        .cookies()
        .iter()
        .find(|c| crate::tokens::decode(&c.value).is_some())
        .map(|c| (c.name.clone(), c.value.clone()))
}

/// The attacker's own token, read without its key: the cookie that holds
/// it, the JWT, and the claim that names him (what a forger rewrites).
pub struct OwnToken {
    pub cookie: String,
    pub jwt: crate::tokens::Jwt,
    pub identity_claim: String,
}

/// Looks through every cookie of the attacker's signed-in browser for a JWT
/// and the claim holding his username, recording the step. When there is
/// none, the verdict instead: blocked on the lab's own app (its sessions
/// stay on the server: `no_token`, the rest of the sentence, says what that
/// stops), not-applicable on an app the lab did not write, naming what its
/// cookies are (express-session's `s:<id>.<sig>` is a signed ID: cracking
/// its secret forges no identity).
pub fn own_token(
    ctx: &mut RunContext,
    attacker: &Browser,
    no_token: &str,
) -> Result<OwnToken, Verdict> {
    let action = format!(
        "logged in as {} and looked in his own cookies for a token",
        ctx.attacker.username
    );
    let Some((cookie, value)) = token_cookie(attacker) else {
        let evidence = match &ctx.target.app {
            None => format!(
                "his cookies hold no token, only the session ID {}: {no_token}",
                short(&session_id(ctx, attacker).unwrap_or_default())
            ),
            Some(_) => no_token_on_app(attacker),
        };
        let step = ctx.step(Actor::Attacker, action, &evidence);
        return Err(match ctx.target.app {
            None => Verdict::blocked(evidence, step),
            Some(_) => Verdict::not_applicable(evidence, step),
        });
    };
    let jwt = crate::tokens::decode(&value).expect("token_cookie found it decoding");
    let claims = serde_json::Value::Object(jwt.claims.clone());
    let Some(identity_claim) = crate::tokens::identity_claim(&jwt, &ctx.attacker.username) else {
        let evidence = format!(
            "cookie {cookie} is a JWT, but no claim of {claims} holds his username {:?}: the token names its user some other way (a number?), which tells him nothing about the victim's",
            ctx.attacker.username
        );
        let step = ctx.step(Actor::Attacker, action, &evidence);
        return Err(Verdict::not_applicable(evidence, step));
    };
    ctx.step(
        Actor::Attacker,
        action,
        format!(
            "cookie {cookie} is a JWT: header {}, claims {claims}; \"{identity_claim}\" holds his username",
            serde_json::Value::Object(jwt.header.clone()),
        ),
    );
    Ok(OwnToken {
        cookie,
        jwt,
        identity_claim,
    })
}

/// Why an app's cookies give a forger nothing: each cookie, and what its
/// format says it is.
fn no_token_on_app(browser: &Browser) -> String {
    let cookies = browser.jar.cookies();
    let names: Vec<&str> = cookies.iter().map(|c| c.name.as_str()).collect();
    if cookies.is_empty() {
        return "his browser holds no cookie at all after signing in: no token to forge".into();
    }
    let each: Vec<String> = cookies
        .iter()
        .map(
            |c| match crate::tokens::other_format(&c.name, &c.value, &names) {
                Some(format) => format!("{} is {format}", c.name),
                None => format!("{} is no JWT (an opaque value: a session ID)", c.name),
            },
        )
        .collect();
    format!(
        "no cookie the app set holds a JWT, so there is no token to forge: {}",
        each.join("; ")
    )
}

/// Cuts a sentence for an evidence line.
fn short_text(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max).collect::<String>())
    } else {
        text.to_string()
    }
}

/// Shortens a long ID for evidence lines: `6AMAAAAA…` keeps a projector readable.
pub fn short(id: &str) -> String {
    if id.chars().count() > 12 {
        format!("{}…", id.chars().take(10).collect::<String>())
    } else {
        id.to_string()
    }
}

/// Test helper: `defense` alone decides `scenario`: added to insecure (with
/// what it `needs`, as the scenario file's `requires` says) it blocks the
/// attack, removed from hardened it reopens it. Returns the reopened run.
#[cfg(test)]
pub(crate) async fn assert_alone_decides(
    scenario: &str,
    defense: sessionlab_app::Defense,
    needs: &[sessionlab_app::Defense],
) -> crate::outcome::RunResult {
    use sessionlab_app::{Profile, ProfileName};

    use crate::outcome::Outcome;

    let defended = needs.iter().fold(
        Profile::new(ProfileName::Insecure).with(defense),
        |p, &d| p.with(d),
    );
    let result = run_against(scenario, defended).await;
    assert_eq!(result.outcome, Outcome::Blocked, "{}", result.evidence);
    let weak = Profile::new(ProfileName::Hardened).without(defense);
    let result = run_against(scenario, weak).await;
    assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
    result
}

/// Test helper: one scenario against one app started in-process with `profile` (e.g.
/// hardened with one defense off), as `sessionlab demo` runs it.
#[cfg(test)]
pub(crate) async fn run_against(
    scenario: &str,
    profile: sessionlab_app::Profile,
) -> crate::outcome::RunResult {
    let server = sessionlab_app::start(sessionlab_app::ServeOptions {
        profile,
        addr: std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
        allow_non_loopback: false,
        lab_clock: false,
        lab_clock_key: None,
        limits: sessionlab_app::Limits::default(),
        store: Default::default(),
    })
    .await
    .expect("the app starts on loopback");
    let target = crate::lab::Target::discover(&server.url(), false)
        .await
        .expect("the app answers");
    let result = crate::runner::run_scenario(
        scenario,
        &target,
        &Credentials::default_victim(),
        &Credentials::default_attacker(),
    )
    .await;
    server.shutdown().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(status: u16, user: &str, note: &str) -> AccountProbe {
        AccountProbe {
            status,
            location: None,
            body: format!("<p id=\"username\">{user}</p><p id=\"private-note\">{note}</p>"),
        }
    }

    #[test]
    fn only_the_victims_own_note_is_proof() {
        let lab = Target::bare(
            std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
            "http",
            None,
        );
        let note = "alice's private note #0123456789abcdef";
        assert!(page(200, "alice", note).shows(&lab, note));
        // The attacker's own account page is an account page, but not proof.
        assert!(!page(200, "bob", "bob's private note #fedcba9876543210").shows(&lab, note));
        // A note merely quoted elsewhere in the body is not the account page.
        let quoted = AccountProbe {
            status: 200,
            location: None,
            body: format!("<p>{note}</p>"),
        };
        assert!(!quoted.shows(&lab, note));
        // A redirect to the login page is no proof, whatever the body says.
        assert!(!page(303, "alice", note).shows(&lab, note));
    }
}

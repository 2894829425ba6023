//! The victim bot: alice, with a password the student never sees.
//!
//! One visit: she opens the link in bob's message if it points at the lab
//! (a login link carrying `?sid=`: she logs in from it; a page on the
//! attacker's site: she looks at it first, not yet logged in), logs in,
//! reads her account, reads the guestbook and follows up to
//! [`MAX_LINKS_FOLLOWED`] of its links that lead to the attacker's site,
//! opens bob's link again now that she is logged in, reads her account on
//! the app's second instance (the balancer sends that one click there,
//! `lab.rs`) and once more on the first, and logs out on the first; or,
//! "walking away", leaves without logging out.
//!
//! Her browser is real Chromium when the visit renders a page a student
//! wrote (a guestbook with entries, a page on the attacker's site), so any
//! working payload runs, not one program the lab knows; the simulated
//! browser otherwise (`--victim-browser` can force either).
//!
//! Bounds: a visit ends after the class's `visit_timeout` ([`VISIT_TIMEOUT`]
//! unless a test sets a shorter one); at most
//! [`CHROMIUM_AT_ONCE`] Chromium visits run at a time in the class; her
//! browser's network knows only this student's four lab hosts (with the seat's secret), each routed
//! to the victim's door (Chromium: `--host-resolver-rules` mapping every
//! other name to nothing), so no link can take her anywhere else.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use sessionlab_app::observer::Instance;
use sessionlab_attack::lab::RunError;
use sessionlab_attack::victim::{Drive, VictimBrowser};
use sessionlab_browser::{Browser, Network, Page};
use sessionlab_chromium::ChromiumBrowser;
use sessionlab_protocol::element::PRIVATE_NOTE;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use url::Url;

use crate::detect::VICTIM;
use crate::hosts::Hosts;
use crate::lab::StudentLab;

/// How long one visit may take by default (`sessionlab class` uses it): a page
/// that never finishes loading cannot keep alice, or a Chromium slot, for longer.
pub const VISIT_TIMEOUT: Duration = Duration::from_secs(90);
pub const MAX_LINKS_FOLLOWED: usize = 2;
pub const CHROMIUM_AT_ONCE: usize = 2;

static CHROMIUM_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(CHROMIUM_AT_ONCE));

/// Which browser alice uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BotBrowser {
    /// Chromium when the visit renders a page a student wrote and Chromium is installed.
    #[default]
    Auto,
    Sim,
    Chromium,
}

/// What alice does on a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visit {
    /// Bob's link, her account, the guestbook, her account, "Log out".
    Ordinary,
    /// The same, but she walks away from the computer without logging out.
    WalkAway,
    /// On her phone: logs in, changes her password, logs out.
    ChangePassword,
    /// On her phone: logs in and presses "Log out everywhere".
    LogOutEverywhere,
}

impl Visit {
    /// The value of the hub form's `visit` field.
    pub const ALL: [(&'static str, Visit); 4] = [
        ("ordinary", Visit::Ordinary),
        ("walk-away", Visit::WalkAway),
        ("change-password", Visit::ChangePassword),
        ("log-out-everywhere", Visit::LogOutEverywhere),
    ];

    pub fn from_form(value: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == value)
            .map(|(_, v)| *v)
    }
}

/// What alice did on one visit, for the lab page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VisitReport {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub browser: &'static str,
    pub visit: Visit,
    pub steps: Vec<String>,
    pub error: Option<String>,
}

/// Sends alice on one visit of `lab`, ended after `timeout`, and records it there.
pub async fn send_alice(
    lab: &StudentLab,
    hosts: &Hosts,
    door: SocketAddr,
    choice: BotBrowser,
    kind: Visit,
    timeout: Duration,
) -> VisitReport {
    let _one_at_a_time = lab.visiting.lock().await;
    let label = lab.label();
    let mut network = Network::new();
    for host in [
        hosts.app(&label),
        hosts.second_app(&label),
        hosts.sibling(&label),
        hosts.cross_site(&label),
    ] {
        network.route(&host, hosts.port, door);
    }
    // On her phone she opens no link and reads no guestbook.
    let message = match kind {
        Visit::Ordinary | Visit::WalkAway => lab.with_state(|s| s.message.clone()),
        Visit::ChangePassword | Visit::LogOutEverywhere => None,
    };
    let renders_student_page = message
        .as_ref()
        .is_some_and(|url| on_attacker_host(hosts, &label, url))
        || lab.app.handle.guestbook_entries() > 0;
    let chromium = match choice {
        BotBrowser::Sim => false,
        BotBrowser::Chromium => true,
        BotBrowser::Auto => renders_student_page && sessionlab_chromium::find_chromium().is_some(),
    };
    let _slot = if chromium {
        CHROMIUM_SLOTS.acquire().await.ok()
    } else {
        None
    };
    let mut browser = if chromium {
        VictimBrowser::Chromium(Box::new(ChromiumBrowser::new(VICTIM, network)))
    } else {
        VictimBrowser::Sim(Browser::new(VICTIM, network))
    };
    let mut steps = Vec::new();
    let outcome = tokio::time::timeout(timeout, async {
        match kind {
            Visit::Ordinary | Visit::WalkAway => {
                visit(
                    lab,
                    hosts,
                    &mut browser,
                    message,
                    kind == Visit::WalkAway,
                    &mut steps,
                )
                .await
            }
            Visit::ChangePassword | Visit::LogOutEverywhere => {
                phone_visit(lab, hosts, &mut browser, kind, &mut steps).await
            }
        }
    })
    .await;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!(
            "the visit took longer than {} s and was ended",
            timeout.as_secs_f32()
        )),
    };
    if error.is_some() && matches!(kind, Visit::Ordinary | Visit::WalkAway) {
        lab.detector.visit_ended(None);
    }
    let report = VisitReport {
        at: OffsetDateTime::now_utc(),
        browser: browser.kind().as_str(),
        visit: kind,
        steps,
        error,
    };
    lab.record_visit(report.clone());
    report
}

fn shows_note(page: &Page) -> bool {
    page.text_by_id(PRIVATE_NOTE).is_some()
}

async fn visit(
    lab: &StudentLab,
    hosts: &Hosts,
    browser: &mut VictimBrowser,
    message: Option<Url>,
    walk_away: bool,
    steps: &mut Vec<String>,
) -> Result<(), RunError> {
    let label = lab.label();
    let app = |path: &str| {
        Url::parse(&format!("{}{path}", hosts.origin(&hosts.app(&label))))
            .map_err(|e| RunError::Lab(e.to_string()))
    };
    let app_host = hosts.app(&label);
    let is_app_login =
        |url: &Url| url.host_str() == Some(app_host.as_str()) && url.path() == "/login";
    let lure = message.filter(|url| hosts.is_lab_url(&label, url));
    let mut login_page = None;
    if let Some(url) = &lure {
        for (key, value) in url.query_pairs() {
            if key == "sid" {
                lab.detector.lured_with(&value);
            }
        }
        let page = browser.open(url).await?;
        steps.push(format!(
            "opened the link in bob's message, {url} ({})",
            page.status
        ));
        if is_app_login(url) {
            login_page = Some(page);
        }
    }
    let login_page = match login_page {
        Some(page) => page,
        None => browser.open(&app("/login")?).await?,
    };
    let account = log_in(lab, browser, &login_page).await?;
    if !shows_note(&account) {
        steps.push(format!(
            "tried to log in; landed on {} ({})",
            account.url.path(),
            account.status
        ));
        return Ok(());
    }
    steps.push("logged in and read her account".into());

    let guestbook = browser.follow_link(&account, "/guestbook").await?;
    steps.push(format!("read the guestbook ({})", guestbook.status));
    let outgoing: Vec<Url> = guestbook
        .links()
        .into_iter()
        .map(|link| link.href)
        .filter(|href| hosts.is_lab_url(&label, href) && on_attacker_host(hosts, &label, href))
        .take(MAX_LINKS_FOLLOWED)
        .collect();
    for href in outgoing {
        let again = browser.open(&guestbook.url).await?;
        match browser.follow_link(&again, href.as_str()).await {
            Ok(page) => steps.push(format!(
                "clicked a guestbook link to {href} ({})",
                page.status
            )),
            Err(e) => steps.push(format!("could not follow {href}: {e}")),
        }
    }
    if let Some(url) = lure
        .as_ref()
        .filter(|url| on_attacker_host(hosts, &label, url))
    {
        let page = browser.open(url).await?;
        steps.push(format!(
            "opened bob's link again, logged in this time ({})",
            page.status
        ));
    }

    // Behind the balancer her next click lands on the other instance, which
    // then holds its own copy of her session (the shared-store weakness's cache).
    let on_second = {
        let _turn = lab.balancer.turn_to(Instance::Second);
        browser.open(&app("/account")?).await?
    };
    steps.push(format!(
        "her next click landed on the second instance of the app: {} ({})",
        if shows_note(&on_second) {
            "it showed her account, from the shared store"
        } else {
            "it did not know her session"
        },
        on_second.status
    ));

    let account = browser.open(&app("/account")?).await?;
    let cookie = lab.app.info.session_cookie_name;
    if let Some(value) = browser.cookie_values(cookie).into_iter().next() {
        // Left on the shared computer; the student takes it only by asking.
        lab.with_state(|s| s.left_behind = Some((cookie.to_owned(), value)));
    }
    if !shows_note(&account) {
        steps.push(format!(
            "opened her account again: {} ({}), not signed in any more",
            account.url.path(),
            account.status
        ));
        lab.detector.visit_ended(None);
        return Ok(());
    }
    steps.push("read her account again".into());
    if walk_away {
        steps.push("walked away from the computer without logging out".into());
        lab.detector.visit_ended(None);
        return Ok(());
    }
    let after = browser.submit_form(&account, "/logout", &[]).await?;
    steps.push(format!(
        "clicked \"Log out\" on the first instance ({} {})",
        after.status,
        after.url.path()
    ));
    lab.detector.visit_ended(Some(Instance::First));
    Ok(())
}

/// Submits the login form of `page` as alice, with her current password.
async fn log_in(
    lab: &StudentLab,
    browser: &mut VictimBrowser,
    page: &Page,
) -> Result<Page, RunError> {
    let password = lab.alice_password();
    browser
        .submit_form(
            page,
            "/login",
            &[("username", VICTIM), ("password", password.as_str())],
        )
        .await
}

/// alice on her phone: a browser of its own, so the copy of her laptop's
/// cookie (the stories' premise) stays the laptop's.
async fn phone_visit(
    lab: &StudentLab,
    hosts: &Hosts,
    browser: &mut VictimBrowser,
    kind: Visit,
    steps: &mut Vec<String>,
) -> Result<(), RunError> {
    let label = lab.label();
    let app = |path: &str| {
        Url::parse(&format!("{}{path}", hosts.origin(&hosts.app(&label))))
            .map_err(|e| RunError::Lab(e.to_string()))
    };
    let login_page = browser.open(&app("/login")?).await?;
    let account = log_in(lab, browser, &login_page).await?;
    if !shows_note(&account) {
        steps.push(format!(
            "tried to log in on her phone; landed on {} ({})",
            account.url.path(),
            account.status
        ));
        return Ok(());
    }
    steps.push("logged in on her phone and read her account".into());
    match kind {
        Visit::ChangePassword => {
            let form = browser.open(&app("/account/password")?).await?;
            let new_password = crate::random_token();
            let current = lab.alice_password();
            let answer = browser
                .submit_form(
                    &form,
                    "/account/password",
                    &[
                        ("current_password", current.as_str()),
                        ("new_password", new_password.as_str()),
                    ],
                )
                .await?;
            match answer.text_by_id("password-changed") {
                Some(notice) => {
                    lab.set_alice_password(new_password);
                    lab.detector.password_changed();
                    steps.push(format!("changed her password: \"{notice}\""));
                }
                None => steps.push(format!("tried to change her password ({})", answer.status)),
            }
            let account = browser.open(&app("/account")?).await?;
            if shows_note(&account) {
                browser.submit_form(&account, "/logout", &[]).await?;
                steps.push("clicked \"Log out\" on her phone".into());
            }
        }
        _ => {
            let sessions = browser.open(&app("/account/sessions")?).await?;
            let after = browser
                .submit_form(&sessions, "/account/sessions/end-all", &[])
                .await?;
            lab.detector.logged_out_everywhere();
            steps.push(format!(
                "pressed \"Log out everywhere\" ({} {})",
                after.status,
                after.url.path()
            ));
        }
    }
    Ok(())
}

/// Whether `url` is on one of the attacker hosts of the lab labelled `label`.
fn on_attacker_host(hosts: &Hosts, label: &str, url: &Url) -> bool {
    url.host_str()
        .is_some_and(|h| h == hosts.sibling(label) || h == hosts.cross_site(label))
}

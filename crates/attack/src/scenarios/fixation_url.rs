//! `fixation-url`: the attacker picks the victim's session ID and mails it in a link.
//!
//! The attacker invents an ID the server never issued and sends the victim
//! `/login?sid=<id>`. An app that takes IDs from the URL, adopts unknown IDs
//! and keeps the ID at login makes that invented ID the victim's logged-in
//! session, which the attacker then uses.

use rand::Rng;

use crate::actors::{judge, log_in_from, read_own_note, replay_session_id, session_id, short};
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};
use crate::scenarios::hijack_predict::encode_id;

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let invented = encode_id(rand::rng().random());
    let lure = ctx.app_url(&format!("/login?sid={invented}"));
    ctx.step(
        Actor::Attacker,
        "invented a session ID the app never issued and mailed the victim a login link carrying it",
        format!("{lure}"),
    );

    let mut victim = ctx.browser(Actor::Victim, "victim");
    let login_page = victim.open(&lure, None).await?;
    let before = session_id(ctx, &victim);
    log_in_from(&mut victim, &login_page, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    let after = session_id(ctx, &victim);
    let fixed = |id: &Option<String>| id.as_deref() == Some(invented.as_str());
    let observed = match (fixed(&before), fixed(&after)) {
        (true, true) => {
            "the app adopted the invented ID from ?sid= and kept it at login".to_string()
        }
        (true, false) => "the app adopted the invented ID, but replaced it at login".to_string(),
        (false, _) => format!(
            "the app ignored ?sid=: her browser holds {} instead",
            before
                .as_deref()
                .map(short)
                .unwrap_or_else(|| "no session cookie".into())
        ),
    };
    let logged_in = ctx.step(
        Actor::Victim,
        format!("{} opened the link and logged in", ctx.victim.username),
        &observed,
    );

    // The attacker sends the ID both ways the weak app reads it: cookie and URL.
    let account = ctx.app_url(&format!("/account?sid={invented}"));
    let probe = replay_session_id(ctx, &invented, account).await?;
    Ok(judge(
        ctx,
        "opened /account with the invented ID",
        &probe,
        &note,
        &observed,
        "the invented ID",
    )
    .or_broke_at(logged_in))
}

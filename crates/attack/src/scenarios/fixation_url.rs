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
use crate::scenarios::fixation_invented::invent_id;
use crate::scenarios::hijack_predict::encode_id;

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    // The lab app's weak mode reads `?sid=`; another app, the parameter its target file names.
    let (param, invented) = match ctx.target.app.clone() {
        None => ("sid".to_string(), encode_id(rand::rng().random())),
        Some(app) => {
            let param = app.url_parameter.clone().ok_or_else(|| {
                RunError::Lab("the target file names no [session] url_parameter".into())
            })?;
            let mut looker = ctx.browser(Actor::Attacker, "attacker");
            looker.open(&ctx.login_url(), None).await?;
            let sample = session_id(ctx, &looker);
            (param, invent_id(&ctx.target, sample.as_deref()))
        }
    };
    let lure = ctx.app_url(&format!("{}?{param}={invented}", ctx.target.login_path()));
    ctx.step(
        Actor::Attacker,
        "invented a session ID the app never issued and mailed the victim a login link carrying it",
        format!("{lure}"),
    );

    let mut victim = ctx.browser(Actor::Victim, "victim");
    let login_page = victim.open(&lure, None).await?;
    let before = session_id(ctx, &victim);
    log_in_from(&ctx.target, &mut victim, &login_page, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    let after = session_id(ctx, &victim);
    let fixed = |id: &Option<String>| id.as_deref() == Some(invented.as_str());
    let observed = match (fixed(&before), fixed(&after)) {
        (true, true) => {
            format!("the app adopted the invented ID from ?{param}= and kept it at login")
        }
        (true, false) => "the app adopted the invented ID, but replaced it at login".to_string(),
        (false, _) => format!(
            "the app ignored ?{param}=: her browser holds {} instead",
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
    let account = ctx.app_url(&format!("{}?{param}={invented}", ctx.target.proof_path()));
    let probe = replay_session_id(ctx, &invented, account).await?;
    Ok(judge(
        ctx,
        &format!("opened {} with the invented ID", ctx.target.proof_path()),
        &probe,
        &note,
        &observed,
        "the invented ID",
    )
    .or_broke_at(logged_in))
}

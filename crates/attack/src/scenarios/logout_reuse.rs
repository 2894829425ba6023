//! `logout-reuse`: a copy of the session cookie outlives the victim's logout.
//!
//! Premise: the attacker already holds a copy of the victim's session cookie
//! (a shared computer, a proxy log, an earlier theft). The victim logs out. If
//! logout only told the browser to forget the cookie, the server session is
//! still valid and the copy still opens the account.

use crate::actors::{judge, log_in, probe_account, read_own_note, session_id, short};
use crate::lab::{RunContext, RunError, plant_cookie};
use crate::outcome::{Actor, Verdict};

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let mut victim = ctx.browser("victim");
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    let Some(copy) = session_id(ctx, &victim) else {
        return Err(RunError::Lab(
            "the victim holds no session cookie after login".into(),
        ));
    };
    ctx.step(
        Actor::Victim,
        format!("{} logged in and opened her account", ctx.victim.username),
        "saw her private note",
    );

    let account = ctx.app_url("/account");
    let mut attacker = ctx.browser("attacker");
    plant_cookie(&mut attacker, &account, &ctx.target.session_cookie, &copy);
    let before = probe_account(&mut attacker, account.clone()).await?;
    if !before.shows(&note) {
        return Err(RunError::Lab(format!(
            "premise failed: the copied cookie did not open the account even before logout ({})",
            before.describe()
        )));
    }
    ctx.step(
        Actor::Attacker,
        format!(
            "premise: holds a copy of the session cookie ({})",
            short(&copy)
        ),
        "before logout, the copy opens her account",
    );

    let account_page = victim.open(&ctx.app_url("/account"), None).await?;
    let after_logout = victim.submit_form(&account_page, "/logout", &[]).await?;
    let forgot = session_id(ctx, &victim).is_none();
    ctx.step(
        Actor::Victim,
        format!("{} clicked \"Log out\"", ctx.victim.username),
        format!(
            "landed on {} ({}); her browser {} the session cookie",
            after_logout.url.path(),
            after_logout.status,
            if forgot { "deleted" } else { "still holds" }
        ),
    );

    let after = probe_account(&mut attacker, account).await?;
    Ok(judge(
        ctx,
        "replayed the copy on /account",
        &after,
        &note,
        &format!(
            "{} logged out and her browser {} the cookie",
            ctx.victim.username,
            if forgot { "deleted" } else { "kept" }
        ),
        "the copy",
    ))
}

//! `logout-reuse`: a copy of the session cookie outlives the victim's logout.
//!
//! Premise: the attacker already holds a copy of the victim's session cookie
//! (a shared computer, a proxy log, an earlier theft). The victim logs out. If
//! logout only told the browser to forget the cookie, the server session is
//! still valid and the copy still opens the account.
//!
//! With client-side sessions the copy includes the token cookie (a JWT that
//! says who is signed in): destroying the server's record leaves the token
//! valid, since nothing on the server lists it as ended.

use crate::actors::{CopiedSession, session_and_token_copied_from_victim};
use crate::actors::{judge, log_out, probe_account, session_id, token_cookie};
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let CopiedSession {
        mut victim,
        mut attacker,
        note,
        account,
        copy,
    } = session_and_token_copied_from_victim(ctx, "victim", "logged in and opened her account")
        .await?;
    // Read before the logout, which makes her browser forget it.
    let token = token_cookie(&victim);

    let after_logout = log_out(ctx, &mut victim).await?;
    // What her jar holds now: nothing, the old ID, or a fresh anonymous one
    // (an app that starts a session for every visitor hands one out at once).
    let cookie = match session_id(ctx, &victim) {
        None => "deleted",
        Some(id) if id == copy => "kept",
        Some(_) => "replaced",
    };
    ctx.step(
        Actor::Victim,
        format!("{} clicked \"Log out\"", ctx.victim.username),
        format!(
            "landed on {} ({}); her browser {cookie} the session cookie",
            after_logout.url.path(),
            after_logout.status,
        ),
    );

    let after = probe_account(&mut attacker, account).await?;
    Ok(judge(
        ctx,
        &format!("replayed the copy on {}", ctx.target.proof_path()),
        &after,
        &note,
        &format!(
            "{} logged out and her browser {cookie} the cookie",
            ctx.victim.username,
        ),
        if token.is_some() {
            "the copy, token included,"
        } else {
            "the copy"
        },
    ))
}

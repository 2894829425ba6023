//! `concurrent-sessions`: "Log out everywhere" from one device must end the
//! session on every other device, the attacker's copy included.
//!
//! Premise: the attacker holds a copy of the session the victim has on her
//! laptop. The victim signs in on her phone (a second browser), opens Active
//! sessions and clicks "Log out everywhere". If the app only knows the session
//! in front of it, the laptop session, and the copy, live on.

use crate::actors::{CopiedSession, session_and_token_copied_from_victim};
use crate::actors::{judge, log_in, probe_account, session_id};
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let CopiedSession {
        victim: _laptop,
        mut attacker,
        note,
        account,
        ..
    } = session_and_token_copied_from_victim(
        ctx,
        "victim-laptop",
        "logged in on her laptop and opened her account",
    )
    .await?;

    let mut phone = ctx.browser(Actor::Victim, "victim-phone");
    log_in(ctx, &mut phone, &ctx.victim).await?;
    let sessions = phone.open(&ctx.app_url("/account/sessions"), None).await?;
    if sessions.status != 200 {
        return Err(RunError::Lab(format!(
            "the Active sessions page answered {} at {}",
            sessions.status,
            sessions.url.path()
        )));
    }
    let listed = sessions.body.matches("class=\"session\"").count();
    ctx.step(
        Actor::Victim,
        format!(
            "{} logged in on her phone and opened Active sessions",
            ctx.victim.username
        ),
        format!(
            "the page lists {listed} active session{}",
            if listed == 1 { "" } else { "s" }
        ),
    );

    let landed = phone
        .submit_form(&sessions, "/account/sessions/end-all", &[])
        .await?;
    let forgot = session_id(ctx, &phone).is_none();
    ctx.step(
        Actor::Victim,
        "clicked \"Log out everywhere\" on her phone",
        format!(
            "landed on {} ({}); her phone {} the session cookie",
            landed.url.path(),
            landed.status,
            if forgot { "deleted" } else { "still holds" }
        ),
    );

    let after = probe_account(&mut attacker, account).await?;
    Ok(judge(
        ctx,
        "replayed the copy of the laptop's cookie on /account",
        &after,
        &note,
        &format!(
            "{} logged out everywhere from her phone",
            ctx.victim.username
        ),
        "the copy",
    ))
}

#[cfg(test)]
mod tests {
    use sessionlab_app::Defense;

    use crate::actors::assert_alone_decides;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn log_out_everywhere_alone_decides() {
        assert_alone_decides(
            "concurrent-sessions",
            Defense::LogOutEverywhere,
            &[Defense::ServerSideSessions],
        )
        .await;
    }
}

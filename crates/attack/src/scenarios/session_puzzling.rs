//! `session-puzzling`: the forgot-password flow signs the asker in.
//!
//! A forgot-password form keeps the entered username in the session for its
//! next step. Written in the seed's style, it uses the key the login uses
//! (`req.session.username`), and the account page trusts that key alone. The
//! attacker, anonymous and without any password, asks for a reset for alice
//! and then opens the account page in the same browser.

use sessionlab_browser::html;

use crate::actors::{judge, log_in, probe_account, read_own_note};
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let mut victim = ctx.browser(Actor::Victim, "victim");
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    ctx.step(
        Actor::Victim,
        format!("{} logged in and opened her account", ctx.victim.username),
        "saw her private note",
    );

    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    let forgot = attacker.open(&ctx.app_url("/forgot"), None).await?;
    let answer = attacker
        .submit_form(
            &forgot,
            "/forgot",
            &[("username", ctx.victim.username.as_str())],
        )
        .await?;
    let said = html::text_by_id(&answer.body, "reset-sent")
        .unwrap_or_else(|| "no confirmation on the page".into());
    ctx.step(
        Actor::Attacker,
        format!(
            "without logging in, asked /forgot for a password reset for {}",
            ctx.victim.username
        ),
        format!("the app answered {}: {said:?}", answer.status),
    );

    let probe = probe_account(&mut attacker, ctx.app_url("/account")).await?;
    Ok(judge(
        ctx,
        "opened /account in the same browser",
        &probe,
        &note,
        &format!(
            "he never logged in, he only asked for a reset for {}",
            ctx.victim.username
        ),
        "his session",
    ))
}

#[cfg(test)]
mod tests {
    use sessionlab_app::Defense;

    use crate::actors::assert_alone_decides;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn separate_session_keys_alone_decides() {
        assert_alone_decides("session-puzzling", Defense::SeparateSessionKeys, &[]).await;
    }
}

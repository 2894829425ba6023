//! `password-change`: a stolen session outlives the victim's new password.
//!
//! Premise: the attacker already holds a copy of the victim's session cookie
//! (as in `logout-reuse`). The victim, worried, changes her password through
//! the app's form, from her own browser. If the change only replaced the
//! password hash, the copy still opens the account. A last step changes the
//! password back, so a long-running `serve` keeps the demo credentials.

use rand::Rng;

use crate::actors::{CopiedSession, session_and_token_copied_from_victim};
use crate::actors::{judge, probe_account, session_id, short};
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let CopiedSession {
        mut victim,
        mut attacker,
        note,
        copy,
        account,
    } = session_and_token_copied_from_victim(ctx, "victim", "logged in and opened her account")
        .await?;

    let new_password = format!("worried-{:08x}", rand::rng().random::<u32>());
    let old_password = ctx.victim.password.clone();
    let said = change_password(ctx, &mut victim, &old_password, &new_password).await?;
    let kept = session_id(ctx, &victim);
    ctx.step(
        Actor::Victim,
        format!(
            "{} changed her password on /account/password",
            ctx.victim.username
        ),
        format!(
            "the app said \"{said}\"; her browser {}",
            match kept {
                Some(id) if id == copy => "kept the same session cookie".to_string(),
                Some(id) => format!("now holds a new session ID ({})", short(&id)),
                None => "holds no session cookie".to_string(),
            }
        ),
    );

    let after = probe_account(&mut attacker, account).await?;
    let verdict = judge(
        ctx,
        "replayed the copy on /account",
        &after,
        &note,
        &format!("{} changed her password", ctx.victim.username),
        "the copy",
    );

    // Clean-up: the lab's demo credentials must keep working for the next run.
    let said = change_password(ctx, &mut victim, &new_password, &old_password).await?;
    ctx.step(
        Actor::Victim,
        "clean-up: changed the password back",
        format!("the app said \"{said}\""),
    );
    Ok(verdict)
}

/// Fills the password-change form in the victim's own browser (hidden fields,
/// such as an anti-CSRF token, are kept) and returns the app's confirmation.
async fn change_password(
    ctx: &RunContext,
    browser: &mut sessionlab_browser::Browser,
    current: &str,
    new: &str,
) -> Result<String, RunError> {
    let form = browser
        .open(&ctx.app_url("/account/password"), None)
        .await?;
    let answer = browser
        .submit_form(
            &form,
            "/account/password",
            &[("current_password", current), ("new_password", new)],
        )
        .await?;
    match answer.text_by_id("password-changed") {
        Some(confirmation) if answer.status == 200 => Ok(confirmation),
        _ => Err(RunError::Lab(format!(
            "{} could not change her password (the app answered {} at {}{})",
            ctx.victim.username,
            answer.status,
            answer.url.path(),
            answer
                .text_by_id("password-error")
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use sessionlab_app::Defense;

    use crate::actors::assert_alone_decides;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn revoke_on_password_change_alone_decides() {
        let result = assert_alone_decides(
            "password-change",
            Defense::RevokeOnPasswordChange,
            &[Defense::ServerSideSessions],
        )
        .await;
        let cleaned_up = result.steps.last().expect("steps");
        assert!(cleaned_up.action.starts_with("clean-up"), "{cleaned_up:?}");
    }
}

//! `credential-bypass`: the login never looks at the password.
//!
//! The seed article's `POST /login` stores whatever username is posted
//! (`req.session.username = username`) under the comment "validate your
//! username and password here". The attacker needs no stolen cookie and no
//! trick: he types alice's username and a password he makes up on the spot.

use rand::Rng;

use crate::actors::{judge, log_in, probe_account, read_own_note, submit_login};
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

    // A password made up for this run, never the victim's.
    let mut guess = format!("guess-{:08x}", rand::rng().random::<u32>());
    if guess == ctx.victim.password {
        guess.push('!');
    }
    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    let login_page = attacker.open(&ctx.login_url(), None).await?;
    let landed = submit_login(
        &ctx.target,
        &mut attacker,
        &login_page,
        &ctx.victim.username,
        &guess,
    )
    .await?;
    ctx.step(
        Actor::Attacker,
        format!(
            "posted the login form with username {} and the made-up password {guess:?}",
            ctx.victim.username
        ),
        format!(
            "the app answered {} at {}",
            landed.status,
            landed.url.path()
        ),
    );

    let probe = probe_account(&mut attacker, ctx.proof_url()).await?;
    Ok(judge(
        ctx,
        &format!(
            "asked for {} with the session that login gave him",
            ctx.target.proof_path()
        ),
        &probe,
        &note,
        &format!(
            "the login got {}'s username and a password that is not hers",
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
    async fn password_check_alone_decides() {
        assert_alone_decides("credential-bypass", Defense::PasswordCheck, &[]).await;
    }
}

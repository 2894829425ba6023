//! `idle-timeout`: a copy of the session cookie outlives the victim's absence.
//!
//! Premise, as in `logout-reuse`: the attacker already holds a copy of the
//! victim's session cookie. The victim logs in, reads her note and walks away
//! without logging out. 31 minutes of lab time pass with no request at all:
//! longer than the 15-30 minutes OWASP's cheat sheet recommends as an idle
//! limit for low-risk apps. If the server still honours the session, the copy
//! opens the account.

use std::time::Duration;

use crate::actors::{judge, log_in, probe_account, read_own_note, session_id, short};
use crate::lab::{RunContext, RunError, plant_cookie};
use crate::outcome::{Actor, Verdict};

/// How long the victim stays away: just past the top of OWASP's idle range.
pub const AWAY_FOR: Duration = Duration::from_secs(31 * 60);

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    ctx.require_clock_control()?;
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
            "premise failed: the copied cookie did not open the account even before the wait ({})",
            before.describe()
        )));
    }
    ctx.step(
        Actor::Attacker,
        format!(
            "premise: holds a copy of the session cookie ({})",
            short(&copy)
        ),
        "right now, the copy opens her account",
    );

    ctx.advance_clock(AWAY_FOR, &mut [&mut victim, &mut attacker])
        .await?;
    let away = minutes(AWAY_FOR);
    ctx.step(
        Actor::Victim,
        format!(
            "{} walked away without logging out; {away} min of lab time passed",
            ctx.victim.username
        ),
        "nobody sent the app a request with her session meanwhile",
    );

    let after = probe_account(&mut attacker, account).await?;
    Ok(judge(
        ctx,
        "replayed the copy on /account",
        &after,
        &note,
        &format!(
            "{} left her session unused for {away} min of lab time",
            ctx.victim.username
        ),
        "the copy",
    ))
}

fn minutes(duration: Duration) -> u64 {
    duration.as_secs() / 60
}

//! `idle-timeout`: a copy of the session cookie outlives the victim's absence.
//!
//! Premise, as in `logout-reuse`: the attacker already holds a copy of the
//! victim's session cookie. The victim logs in, reads her note and walks away
//! without logging out. 31 minutes of lab time pass with no request at all:
//! longer than the 15-30 minutes OWASP's cheat sheet recommends as an idle
//! limit for low-risk apps. If the server still honours the session, the copy
//! opens the account.

use std::time::Duration;

use crate::actors::{CopiedSession, session_and_token_copied_from_victim};
use crate::actors::{judge, probe_account};
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};

/// How long the victim stays away: just past the top of OWASP's idle range.
pub const AWAY_FOR: Duration = Duration::from_secs(31 * 60);

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    // The lab app's clock moves; an app the lab did not write is really waited for.
    let real_wait = match &ctx.target.app {
        Some(app) => Some(app.idle_wait.ok_or_else(|| {
            RunError::Lab("idle-timeout against a target file needs --idle-wait DURATION".into())
        })?),
        None => {
            ctx.require_clock_control()?;
            None
        }
    };
    let CopiedSession {
        mut victim,
        mut attacker,
        note,
        account,
        ..
    } = session_and_token_copied_from_victim(ctx, "victim", "logged in and opened her account")
        .await?;

    let away = match real_wait {
        Some(wait) => {
            tokio::time::sleep(wait).await;
            format!("{} s of real time", wait.as_secs())
        }
        None => {
            ctx.advance_clock(AWAY_FOR, &mut [&mut victim, &mut attacker])
                .await?;
            format!("{} min of lab time", minutes(AWAY_FOR))
        }
    };
    ctx.step(
        Actor::Victim,
        format!(
            "{} walked away without logging out; {away} passed",
            ctx.victim.username
        ),
        "nobody sent the app a request with her session meanwhile",
    );

    let after = probe_account(&mut attacker, account).await?;
    Ok(judge(
        ctx,
        &format!("replayed the copy on {}", ctx.target.proof_path()),
        &after,
        &note,
        &format!("{} left her session unused for {away}", ctx.victim.username),
        "the copy",
    ))
}

fn minutes(duration: Duration) -> u64 {
    duration.as_secs() / 60
}

//! `absolute-timeout`: a stolen session kept busy never expires.
//!
//! Premise, as in `logout-reuse`: the attacker already holds a copy of the
//! victim's session cookie. An idle limit alone cannot stop him: he sends a
//! request every 10 minutes of lab time, more often than any idle limit, for
//! 9 hours, then reads the account. Only a lifetime counted from the session's
//! start, whatever its activity, ends the ride.

use std::time::Duration;

use crate::actors::{AccountProbe, judge, probe_account};
use crate::actors::{CopiedSession, session_and_token_copied_from_victim};
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};

/// The attacker's keep-alive interval: below every idle limit in the lab.
pub const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(10 * 60);
/// How long he rides the session: past OWASP's 4-8 hour absolute range.
pub const RIDE_FOR: Duration = Duration::from_secs(9 * 60 * 60);

/// The first keep-alive that no longer opened the account.
struct Death {
    at: Duration,
    probe: AccountProbe,
}

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    ctx.require_clock_control()?;
    let CopiedSession {
        mut victim,
        mut attacker,
        note,
        account,
        ..
    } = session_and_token_copied_from_victim(
        ctx,
        "victim",
        "logged in, opened her account and left the tab open",
    )
    .await?;

    // Keep-alives until the last interval; the read at the end is the judged one.
    let mut elapsed = Duration::ZERO;
    let mut kept_alive = 0;
    let mut death: Option<Death> = None;
    while elapsed + KEEP_ALIVE_EVERY < RIDE_FOR {
        ctx.advance_clock(KEEP_ALIVE_EVERY, &mut [&mut victim, &mut attacker])
            .await?;
        elapsed += KEEP_ALIVE_EVERY;
        if death.is_some() {
            continue; // nothing left to keep alive; the clock runs on
        }
        let probe = probe_account(&mut attacker, account.clone()).await?;
        if probe.shows(&ctx.target, &note) {
            kept_alive += 1;
        } else {
            death = Some(Death { at: elapsed, probe });
        }
    }
    let every = KEEP_ALIVE_EVERY.as_secs() / 60;
    let observed = match &death {
        None => format!("all {kept_alive} showed her account: the session never sat idle"),
        Some(death) => format!(
            "the first {kept_alive} showed her account; after {} of lab time the copy {}",
            lab_time(death.at),
            landed(&death.probe)
        ),
    };
    let kept_busy = ctx.step(
        Actor::Attacker,
        format!("kept the session busy: a request to /account every {every} min of lab time"),
        observed,
    );

    ctx.advance_clock(RIDE_FOR - elapsed, &mut [&mut victim, &mut attacker])
        .await?;
    let after = probe_account(&mut attacker, account).await?;
    let context = match &death {
        None => format!(
            "the attacker kept the session busy with a request every {every} min of lab time"
        ),
        Some(death) => format!(
            "the attacker kept the session busy with a request every {every} min, yet after {} of lab time the copy {}",
            lab_time(death.at),
            landed(&death.probe)
        ),
    };
    let verdict = judge(
        ctx,
        &format!("read /account after {} of lab time", lab_time(RIDE_FOR)),
        &after,
        &note,
        &context,
        &format!("at {}, the copy", lab_time(RIDE_FOR)),
    );
    // A session that died while kept busy ended there, not at the last read.
    Ok(match death {
        Some(_) => verdict.or_broke_at(kept_busy),
        None => verdict,
    })
}

/// "8 h 0 min"
fn lab_time(duration: Duration) -> String {
    let minutes = duration.as_secs() / 60;
    format!("{} h {} min", minutes / 60, minutes % 60)
}

/// "landed on /login", or what the app answered instead.
fn landed(probe: &AccountProbe) -> String {
    match &probe.location {
        Some(to) => format!("landed on {to}"),
        None => format!("got {}", probe.describe()),
    }
}

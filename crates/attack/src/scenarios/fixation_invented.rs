//! `fixation-invented`: the attacker makes up a session ID and tosses it.
//!
//! Like `fixation-cookie`, a sibling host (`evil.lab.test`) sets the session
//! cookie for the whole of `lab.test`; but the ID is one the server never
//! issued: invented on the spot, shaped like the app's own. An app that
//! adopts an unknown ID as a new session (CWE-384; the weakness `strict-ids`
//! removes) and keeps it through login hands the attacker the victim's
//! signed-in session, without his ever visiting the app first.

use rand::Rng;

use crate::actors::session_id;
use crate::analyze::decode::{Encoding, decode, encode_like};
use crate::lab::{RunContext, RunError, Target};
use crate::outcome::{Actor, Verdict};
use crate::scenarios::fixation_cookie::toss_then_replay;
use crate::scenarios::hijack_predict::encode_id;

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    // The attacker looks at one ID the app issues, only to copy its shape.
    let mut attacker = ctx.browser(Actor::Attacker, "attacker");
    attacker.open(&ctx.login_url(), None).await?;
    let sample = session_id(ctx, &attacker);
    let invented = invent_id(&ctx.target, sample.as_deref());
    toss_then_replay(
        ctx,
        &invented,
        "invented a session ID the app never issued, and set up evil.lab.test to toss it",
        "the invented ID",
    )
    .await
}

/// A session ID nobody issued. For the lab app, 16 random bytes encoded as
/// its IDs are. For another app, random bytes as long as `sample`'s (an ID
/// it issued) decode to, encoded the same way; when the sample is a signed
/// cookie, the sample with every letter and digit replaced by a random one
/// of the same kind, its prefix (express's `s:`) kept. Its signature cannot
/// be invented, and an app that checks it refuses the ID, which is the point.
pub fn invent_id(target: &Target, sample: Option<&str>) -> String {
    let mut rng = rand::rng();
    let Some(sample) = sample.filter(|_| target.app.is_some()) else {
        return encode_id(rng.random());
    };
    let decoded = decode(sample);
    let random: Vec<u8> = (0..decoded.bytes.len()).map(|_| rng.random()).collect();
    if decoded.encoding != Encoding::Text
        && let Some(invented) = encode_like(&decoded, &random)
    {
        return invented;
    }
    let keep = ["s%3A", "s:"]
        .iter()
        .find(|prefix| sample.starts_with(**prefix))
        .map_or(0, |prefix| prefix.len());
    let (prefix, rest) = sample.split_at(keep);
    let invented: String = rest
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from(b'0' + rng.random_range(0..10)),
            'a'..='z' => char::from(b'a' + rng.random_range(0..26)),
            'A'..='Z' => char::from(b'A' + rng.random_range(0..26)),
            other => other,
        })
        .collect();
    format!("{prefix}{invented}")
}

#[cfg(test)]
mod tests {
    use sessionlab_app::{Defense, Profile, ProfileName};

    use crate::actors::run_against;
    use crate::outcome::Outcome;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn insecure_adopts_the_invented_id_and_strict_ids_alone_refuses_it() {
        let result = run_against("fixation-invented", Profile::new(ProfileName::Insecure)).await;
        assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
        let strict = Profile::new(ProfileName::Insecure).with(Defense::StrictIds);
        let result = run_against("fixation-invented", strict).await;
        assert_eq!(result.outcome, Outcome::Blocked, "{}", result.evidence);
    }
}

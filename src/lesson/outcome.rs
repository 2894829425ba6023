//! What the lesson's two runs showed: the insecure run's result with its
//! proof, and the hardened run up to the step where the attack broke. Both
//! read the run's typed record (`decided_at`, `proof`), never its wording.

use colored::Colorize;
use sessionlab_app::Defense;
use sessionlab_attack::catalog::ScenarioMeta;
use sessionlab_attack::{Credentials, Outcome, ProofKind, RunResult};

use super::wrap;
use crate::report::transcript;

/// The outcome against the insecure profile, with the proof as the run recorded it.
pub fn render_result(result: &RunResult, meta: &ScenarioMeta) -> String {
    let mut out = format!(
        "\n{} {}\n",
        "Result:".bold(),
        crate::report::outcome_word(result.outcome)
    );
    let victim = Credentials::default_victim().username;
    match &result.proof {
        Some(proof) => {
            let (shown, whose) = match proof.kind {
                ProofKind::VictimNote => (
                    format!("the attacker now reads {victim}'s private note in his own response"),
                    "",
                ),
                ProofKind::ForgedChange => (
                    format!("{victim}'s own account page now shows the attacker's change"),
                    ", after the forged request",
                ),
                ProofKind::VictimMarker => (
                    "the attacker's own response shows the victim's marker".to_string(),
                    "",
                ),
            };
            out.push_str(&wrap(
                &format!(
                    "{shown}: \"{}\" (step {}{whose})",
                    proof.value,
                    proof.step + 1
                ),
                "  proof  ",
            ));
            out.push('\n');
            out.push_str(&wrap(&result.evidence, "  how    "));
        }
        None => out.push_str(&wrap(&result.evidence, "  why    ")),
    }
    out.push('\n');
    if result.outcome != Outcome::Compromised {
        out.push_str(&wrap(
            &format!(
                "against the insecure profile the {} attack was expected to succeed; \
                 the evidence above says what happened instead",
                meta.id
            ),
            "  note   ",
        ));
        out.push('\n');
    }
    out
}

/// The victim's private note as the attacker's own response showed it: the
/// value of the run's proof. None unless the run is compromised by a read
/// (CSRF's proof is the victim's own page showing the attacker's change).
pub fn proof_note(result: &RunResult) -> Option<&str> {
    result
        .proof
        .as_ref()
        .filter(|proof| proof.kind == ProofKind::VictimNote)
        .map(|proof| proof.value.as_str())
}

/// The step where a run was decided, as the scenario recorded it.
pub fn decisive_step(result: &RunResult) -> Option<usize> {
    result.decided_at
}

/// The hardened run: its steps in one line each, up to the step where the
/// attack broke, shown in full with its HTTP; the lesson stops there. A step
/// where a deciding defense acted (`acted`, from the ablation: the first step
/// that went differently without it) is shown in full too, e.g. the logout
/// that destroyed the session and sent `Clear-Site-Data`.
pub fn render_hardened(result: &RunResult, acted: &[(Defense, usize)], brief: bool) -> String {
    let mut out = String::new();
    let Some(decisive) = decisive_step(result) else {
        out.push_str(&format!(
            "{} {}\n",
            crate::report::outcome_word(result.outcome),
            result.evidence
        ));
        return out;
    };
    let total = result.steps.len();
    for (i, step) in result.steps[..decisive].iter().enumerate() {
        let here: Vec<&str> = acted
            .iter()
            .filter(|(_, at)| *at == i)
            .map(|(defense, _)| defense.id())
            .collect();
        if here.is_empty() {
            out.push_str(&wrap(
                &transcript::step_line(step),
                &format!("  {}. ", i + 1),
            ));
            out.push('\n');
        } else {
            let remark = format!("where {} acted", here.join(" and ")).green().bold();
            out.push('\n');
            out.push_str(&transcript::step(i + 1, total, step, Some(remark), brief));
            out.push('\n');
        }
    }
    let where_word = match result.outcome {
        Outcome::Blocked => "where the attack broke".green().bold(),
        Outcome::Compromised => "where the attack succeeded".red().bold(),
        Outcome::Error | Outcome::NotApplicable => "where the run stopped".yellow().bold(),
    };
    out.push('\n');
    out.push_str(&transcript::step(
        decisive + 1,
        total,
        &result.steps[decisive],
        Some(where_word),
        brief,
    ));
    out.push_str(&format!(
        "\n{} {}\n",
        "Result:".bold(),
        crate::report::outcome_word(result.outcome)
    ));
    out.push_str(&wrap(&result.evidence, "  why    "));
    out.push('\n');
    out
}

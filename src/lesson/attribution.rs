//! Which defense broke the attack: the scenario against "hardened without
//! D" for each defense D its file claims (the harness's ablation, for one
//! scenario), and the verdict with where to read each defense's code.

use colored::Colorize;
use sessionlab_app::{Defense, defense_source};
use sessionlab_attack::RunResult;
use sessionlab_attack::catalog::ScenarioMeta;
use sessionlab_harness::batch::ignore_results;
use sessionlab_harness::{Ablation, ablation, says};

use super::wrap;

/// The scenario against "hardened without D", for each D its file claims,
/// beside the `hardened` run the lesson already made: the harness's
/// ablation, for one scenario.
pub(super) async fn ablate(meta: &ScenarioMeta, hardened: &RunResult) -> anyhow::Result<Ablation> {
    let claimed: Vec<Defense> = meta
        .blocked_by
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    ablation::run_beside(
        vec![hardened.clone()],
        std::slice::from_ref(meta),
        &claimed,
        ignore_results(),
    )
    .await
}

/// Claimed ids that name no defense (a broken scenario file; a test rules it out).
fn unknown_defenses(meta: &ScenarioMeta) -> Vec<&str> {
    meta.blocked_by
        .iter()
        .filter(|id| id.parse::<Defense>().is_err())
        .map(String::as_str)
        .collect()
}

/// Which defense broke the attack, with where to read its code. The
/// sentence is the ablation's verdict (`sessionlab_harness::says`).
pub fn render_attribution(meta: &ScenarioMeta, ablation: &Ablation) -> String {
    let mut out = String::new();
    for removal in &ablation.removals {
        for result in &removal.results {
            out.push_str(&format!(
                "  hardened without {:<DEFENSE_ID_WIDTH$}  {}\n",
                removal.defense.id(),
                crate::report::outcome_word(result.outcome)
            ));
        }
    }
    for id in unknown_defenses(meta) {
        out.push_str(&format!(
            "  {} the scenario file names {id:?}, which is no defense of the app\n",
            "warning:".yellow().bold()
        ));
    }
    let Some(holding) = ablation.holdings().into_iter().next() else {
        return out;
    };
    let mut verdict = holding.verdict().to_string();
    if !holding.errored_by.is_empty() {
        verdict.push_str(&says::no_verdict_without(&holding.errored_by));
    }
    let heading = if !holding.contradicted.is_empty() {
        "warning:".yellow().bold()
    } else if holding.reopened_by.is_empty() {
        "Defense in depth:".green().bold()
    } else {
        "What broke it:".green().bold()
    };
    out.push_str(&format!("\n{}\n", wrap(&verdict, &format!("{heading} "))));
    if holding.reopened_by.is_empty() {
        for removal in &ablation.removals {
            out.push_str(&defense_line(removal.defense));
        }
    } else {
        for &defense in &holding.reopened_by {
            out.push_str(&defense_line(defense));
        }
        out.push_str(&format!(
            "  {}\n",
            "(without it, the same attack against the otherwise hardened app succeeds again)"
                .dimmed()
        ));
    }
    out
}

/// `csrf-token  forms that change state carry a token ...  crates/app/src/defenses/csrf_token.rs:50`
fn defense_line(defense: Defense) -> String {
    let (path, line) = defense_source(defense);
    format!(
        "  {}  {}\n  {:<DEFENSE_ID_WIDTH$}  {}\n",
        format!("{:<DEFENSE_ID_WIDTH$}", defense.id()).bold(),
        defense.summary(),
        "",
        format!("{path}:{line}").underline()
    )
}

/// The longest defense id, `revoke-on-password-change`, fits.
const DEFENSE_ID_WIDTH: usize = 25;

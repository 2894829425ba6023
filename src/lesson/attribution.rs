//! Which defense broke the attack: the scenario against "hardened without
//! D" for each defense D its file claims (the harness's ablation, for one
//! scenario), and the verdict with where to read each defense's code.

use colored::Colorize;
use sessionlab_app::{Defense, defense_mechanism, defense_source};
use sessionlab_attack::catalog::ScenarioMeta;
use sessionlab_attack::outcome::HttpExchange;
use sessionlab_attack::{RunResult, Step};
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

/// The defenses that decided the hardened run (those whose removal reopens
/// the attack; with defense in depth, every claimed one), each with the
/// last step before the decisive one where the run without it went
/// differently: where it acted. A defense whose removal changed no step
/// before the decisive one is left out (it acted at the decisive step, which
/// the lesson shows anyway).
pub(super) fn where_defenses_acted(
    hardened: &RunResult,
    ablation: &Ablation,
) -> Vec<(Defense, usize)> {
    let deciding: Vec<Defense> = match ablation.holdings().into_iter().next() {
        Some(holding) if !holding.reopened_by.is_empty() => holding.reopened_by.clone(),
        _ => ablation.removals.iter().map(|r| r.defense).collect(),
    };
    let mut acted = Vec::new();
    for removal in ablation
        .removals
        .iter()
        .filter(|r| deciding.contains(&r.defense))
    {
        let Some(without) = removal.results.first() else {
            continue;
        };
        // The last step before the decisive one that went differently
        // without it: where it made the difference the attack then met.
        let decisive = hardened.decided_at.unwrap_or(hardened.steps.len());
        let differs = hardened
            .steps
            .iter()
            .zip(&without.steps)
            .take(decisive)
            .rposition(|(a, b)| signature(a) != signature(b));
        if let Some(step) = differs {
            acted.push((removal.defense, step));
        }
    }
    acted
}

/// What a step did over HTTP, without the values that change from run to
/// run (IDs, tokens, dates): each exchange's method, path, status, response
/// header names and what the jar did.
fn signature(step: &Step) -> Vec<String> {
    step.exchanges.iter().map(exchange_signature).collect()
}

fn exchange_signature(x: &HttpExchange) -> String {
    // The query's parameter names (`?sid`), not their values.
    let (path, query) = x.url.split_once('?').unwrap_or((&x.url, ""));
    let params: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .collect();
    let path = path.split_once("://").map_or(path, |(_, rest)| rest);
    let path = path.find('/').map_or("/", |at| &path[at..]);
    let mut headers: Vec<String> = x
        .request_headers
        .iter()
        .map(|(name, _)| format!(">{}", name.to_ascii_lowercase()))
        .chain(
            x.response_headers
                .iter()
                .map(|(name, _)| format!("<{}", name.to_ascii_lowercase())),
        )
        .collect();
    headers.sort();
    let jar: Vec<&str> = x
        .cookies_out
        .iter()
        .chain(&x.cookies_in)
        .map(|note| note.action.as_str())
        .collect();
    format!(
        "{} {path}?{} {} [{}] [{}]",
        x.method,
        params.join("&"),
        x.status,
        headers.join(","),
        jar.join(",")
    )
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
        ));
    }
    out
}

/// A defense, then its two places: the switch (where the profile turns it
/// on) and the mechanism (the code that does the work):
///
/// ```text
/// csrf-token  forms that change state carry a token bound to the session
///   switch     crates/app/src/defenses/csrf_token.rs:50
///   mechanism  crates/app/src/defenses/csrf_token.rs:132  a.ct_eq(b).into()
/// ```
fn defense_line(defense: Defense) -> String {
    let (path, line) = defense_source(defense);
    let (mechanism, mechanism_line, code) = defense_mechanism(defense);
    let mut out = format!(
        "  {}  {}\n",
        format!("{:<DEFENSE_ID_WIDTH$}", defense.id()).bold(),
        defense.summary(),
    );
    out.push_str(&format!(
        "    switch     {}\n",
        format!("{path}:{line}").underline()
    ));
    out.push_str(&wrap(
        code,
        &format!(
            "    mechanism  {}  ",
            format!("{mechanism}:{mechanism_line}").underline()
        ),
    ));
    out.push('\n');
    out
}

/// The longest defense id, `revoke-on-password-change`, fits.
const DEFENSE_ID_WIDTH: usize = 25;

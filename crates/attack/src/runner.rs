//! Running scenarios against a target and collecting results.

use std::time::Instant;

use crate::catalog::{self, ScenarioMeta};
use crate::lab::{Credentials, RunContext, Target};
use crate::outcome::{Outcome, RunResult};
use crate::scenarios;

/// Turns the user's `--scenario` values (ids or `all`) into scenario metadata,
/// in teaching order; an unknown id is an error that lists the valid ones.
pub fn select(requested: &[String]) -> Result<Vec<ScenarioMeta>, String> {
    let all = catalog::all();
    if requested.is_empty() || requested.iter().any(|r| r == "all") {
        return Ok(all);
    }
    for id in requested {
        if !all.iter().any(|m| &m.id == id) {
            let valid: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
            return Err(format!(
                "unknown scenario {id:?}; valid scenarios: {}, or all",
                valid.join(", ")
            ));
        }
    }
    Ok(all
        .into_iter()
        .filter(|m| requested.contains(&m.id))
        .collect())
}

/// Runs one scenario against one target with fresh actors.
pub async fn run_scenario(
    id: &str,
    target: &Target,
    victim: &Credentials,
    attacker: &Credentials,
) -> RunResult {
    let started = Instant::now();
    let mut ctx = RunContext::new(target.clone(), victim.clone(), attacker.clone());
    let (outcome, evidence) = match scenarios::dispatch(id, &mut ctx).await {
        Some(Ok(verdict)) => (verdict.outcome, verdict.evidence),
        Some(Err(error)) => (Outcome::Error, error.to_string()),
        None => (Outcome::Error, format!("no scenario has the id {id:?}")),
    };
    RunResult {
        scenario: id.to_string(),
        profile: target.profile.clone(),
        outcome,
        evidence,
        steps: ctx.steps,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

/// Runs scenarios one after another against one target (they share its state,
/// e.g. the insecure profile's ID counter, so they do not overlap), calling
/// `on_result` as each finishes.
pub async fn run_scenarios(
    scenarios: &[ScenarioMeta],
    target: &Target,
    victim: &Credentials,
    attacker: &Credentials,
    on_result: &(dyn Fn(&RunResult) + Sync),
) -> Vec<RunResult> {
    let mut results = Vec::with_capacity(scenarios.len());
    for meta in scenarios {
        let result = run_scenario(&meta.id, target, victim, attacker).await;
        on_result(&result);
        results.push(result);
    }
    results
}

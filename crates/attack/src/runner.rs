//! Running scenarios against a target and collecting results.

use std::time::Instant;

use crate::app_target;
use crate::catalog::{self, ScenarioMeta};
use crate::lab::{Credentials, RunContext, RunError, Target};
use crate::outcome::{Outcome, RunResult};
use crate::scenarios;

/// Turns the user's `--scenario` values (ids or `all`) into scenario metadata,
/// in teaching order; an unknown id is an error that lists the valid ones.
pub fn select(requested: &[String]) -> Result<Vec<ScenarioMeta>, String> {
    let all = catalog::all();
    // Every id is checked, `all` or not: `all,nope` is a typo to report, not to ignore.
    for id in requested {
        if id != "all" && !all.iter().any(|m| &m.id == id) {
            let valid: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
            return Err(format!(
                "unknown scenario {id:?}; valid scenarios: {}, or all",
                valid.join(", ")
            ));
        }
    }
    if requested.is_empty() || requested.iter().any(|r| r == "all") {
        return Ok(all);
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
    if let Some(app) = &target.app
        && let Err(reason) = app_target::applicability(id, app)
    {
        return RunResult {
            scenario: id.to_string(),
            profile: target.profile.clone(),
            base_profile: target.base_profile.clone(),
            outcome: Outcome::NotApplicable,
            evidence: reason,
            decided_at: None,
            proof: None,
            steps: Vec::new(),
            duration_ms: started.elapsed().as_millis() as u64,
        };
    }
    let ended = match scenarios::find(id) {
        // Against an app the lab did not write, the marker is checked first, in the same run.
        Some(scenario) => match app_target::check_marker(&mut ctx).await {
            Ok(()) => (scenario.run)(&mut ctx).await,
            Err(error) => Err(error),
        },
        None => Err(RunError::Lab(format!("no scenario has the id {id:?}"))),
    };
    let (outcome, evidence, decided_at, proof) = match ended {
        Ok(verdict) => {
            let (outcome, evidence, decided_at, proof) = verdict.into_parts();
            (outcome, evidence, Some(decided_at), proof)
        }
        Err(error) => {
            let error = error.to_string();
            ctx.stop_with_error(&error);
            let last = ctx.steps.len().checked_sub(1);
            (Outcome::Error, error, last, None)
        }
    };
    RunResult {
        scenario: id.to_string(),
        profile: target.profile.clone(),
        base_profile: target.base_profile.clone(),
        outcome,
        evidence,
        decided_at,
        proof,
        steps: std::mem::take(&mut ctx.steps),
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

#[cfg(test)]
mod tests {
    use sessionlab_app::{Defense, Profile, ProfileName};

    use super::select;

    use crate::actors::run_against;
    use crate::outcome::{Actor, Outcome};

    #[test]
    fn every_requested_id_is_checked_even_beside_all() {
        let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let error = select(&ids(&["all", "nope"])).expect_err("nope is no scenario");
        assert!(
            error.contains("\"nope\"") && error.contains("csrf"),
            "{error}"
        );
        assert!(select(&ids(&["csrf", "nope"])).is_err());
        let everything = crate::scenarios::REGISTRY.len();
        assert_eq!(
            select(&ids(&["all", "csrf"])).map(|s| s.len()),
            Ok(everything)
        );
        assert_eq!(select(&[]).map(|s| s.len()), Ok(everything));
        let two = select(&ids(&["csrf", "hijack-xss"])).expect("two scenarios");
        // Teaching order, whatever the order asked.
        assert_eq!(two[0].id, "hijack-xss");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_that_fails_keeps_the_http_that_shows_why() {
        // Without tls the hardened app's Secure cookie is refused: nobody can log in.
        let profile = Profile::new(ProfileName::Hardened).without(Defense::Tls);
        let result = run_against("logout-reuse", profile).await;
        assert_eq!(result.outcome, Outcome::Error, "{}", result.evidence);
        let last = result.steps.last().expect("a closing step");
        assert_eq!(last.actor, Actor::Victim);
        assert_eq!(
            last.observed,
            format!("the run stopped here: {}", result.evidence)
        );
        assert!(
            last.exchanges
                .iter()
                .any(|x| x.method == "POST" && x.url.ends_with("/login")),
            "{:?}",
            last.exchanges
        );
    }
}

//! The promise of the lab, checked end to end: every scenario replayed for real
//! against each profile running in-process on an ephemeral loopback port.
//!
//! - the hardened profile blocks every scenario;
//! - the insecure profile falls to every scenario;
//! - the tutorial profile does exactly what each scenario file's `[tutorial]` section claims.
//!
//! `compromised` can only come from the attacker's own response showing the
//! victim's private note, which is random at every start of the app.

use std::collections::BTreeMap;

use sessionlab_app::{Profile, ProfileName};
use sessionlab_attack::{Outcome, RunResult, catalog};
use sessionlab_harness::{run_matrix, start_profiles, stop};

async fn run_all_against(profile: ProfileName) -> Vec<RunResult> {
    let lab = start_profiles(&[Profile::new(profile)])
        .await
        .expect("the app starts on loopback");
    let results = run_matrix(&lab, &catalog::all(), &|_| {}).await;
    stop(lab).await;
    assert_eq!(
        results.len(),
        catalog::all().len(),
        "one result per scenario"
    );
    results
}

fn report(results: &[RunResult]) -> String {
    results
        .iter()
        .map(|r| format!("\n  {} -> {}: {}", r.scenario, r.outcome, r.evidence))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_blocks_every_scenario() {
    let results = run_all_against(ProfileName::Hardened).await;
    let wrong: Vec<RunResult> = results
        .into_iter()
        .filter(|r| r.outcome != Outcome::Blocked)
        .collect();
    assert!(
        wrong.is_empty(),
        "the hardened profile must block every scenario:{}",
        report(&wrong)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_falls_to_every_scenario() {
    let results = run_all_against(ProfileName::Insecure).await;
    let wrong: Vec<RunResult> = results
        .into_iter()
        .filter(|r| r.outcome != Outcome::Compromised)
        .collect();
    assert!(
        wrong.is_empty(),
        "the insecure profile must fall to every scenario:{}",
        report(&wrong)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_matches_the_outcomes_its_scenario_files_claim() {
    let claimed: BTreeMap<String, Outcome> = catalog::all()
        .into_iter()
        .map(|m| (m.id, m.tutorial.outcome.outcome()))
        .collect();
    let results = run_all_against(ProfileName::Tutorial).await;
    assert_eq!(results.len(), claimed.len(), "one run per scenario");
    let wrong: Vec<&RunResult> = results
        .iter()
        .filter(|r| claimed.get(&r.scenario) != Some(&r.outcome))
        .collect();
    assert!(
        wrong.is_empty(),
        "the tutorial profile must do what the [tutorial] sections of scenarios/*.toml say:{}",
        report(&wrong.into_iter().cloned().collect::<Vec<_>>())
    );
}

//! Batches of runs: many profiles, each with its scenarios, spread over the
//! cores. `demo` runs the matrix; `ablate` and the claim check run jobs.

use std::sync::Arc;

use sessionlab_app::Profile;
use sessionlab_attack::{Credentials, RunResult, ScenarioMeta, run_scenarios};

use crate::lab::{LabProfile, start_profiles, stop};

/// One job of a batch: a profile to start and the scenarios to run against it.
#[derive(Debug, Clone)]
pub struct Job {
    pub profile: Profile,
    pub scenarios: Vec<ScenarioMeta>,
}

/// Called as each run of a batch finishes (a progress bar ticks).
pub type OnResult = Arc<dyn Fn(&RunResult) + Send + Sync>;

/// An [`OnResult`] that does nothing.
pub fn ignore_results() -> OnResult {
    Arc::new(|_: &RunResult| {})
}

/// Runs a batch: each job starts its own app on a loopback port, runs its
/// scenarios in turn and stops the app. Up to `parallel` jobs run at once,
/// each on its own task, so both the apps and the attackers' browsers spread
/// over the cores. Results come back in job order.
pub async fn run_jobs(
    jobs: Vec<Job>,
    parallel: usize,
    on_result: OnResult,
) -> anyhow::Result<Vec<Vec<RunResult>>> {
    let slots = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let slots = slots.clone();
            let on_result = on_result.clone();
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await?;
                let lab = start_profiles(std::slice::from_ref(&job.profile)).await?;
                let victim = Credentials::default_victim();
                let attacker = Credentials::default_attacker();
                let results = run_scenarios(
                    &job.scenarios,
                    &lab[0].target,
                    &victim,
                    &attacker,
                    &*on_result,
                )
                .await;
                stop(lab).await;
                anyhow::Ok(results)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(tasks.len());
    for task in tasks {
        all.push(task.await??);
    }
    Ok(all)
}

/// How many apps of a batch run at once: enough to keep every core busy while
/// other runs wait on the network, few enough to keep memory low.
pub fn default_parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 4
}

/// Runs the scenarios against every profile: profiles in parallel, scenarios in
/// turn within a profile. Results come back grouped by scenario, then profile.
pub async fn run_matrix(
    lab: &[LabProfile],
    scenarios: &[ScenarioMeta],
    on_result: &(dyn Fn(&RunResult) + Sync),
) -> Vec<RunResult> {
    let victim = Credentials::default_victim();
    let attacker = Credentials::default_attacker();
    let per_profile: Vec<Vec<RunResult>> = futures::future::join_all(
        lab.iter()
            .map(|p| run_scenarios(scenarios, &p.target, &victim, &attacker, on_result)),
    )
    .await;
    let mut results = Vec::with_capacity(scenarios.len() * lab.len());
    for meta in scenarios {
        for profile_results in &per_profile {
            results.extend(
                profile_results
                    .iter()
                    .filter(|r| r.scenario == meta.id)
                    .cloned(),
            );
        }
    }
    results
}

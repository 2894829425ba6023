//! The ablation: every scenario against the hardened profile with one
//! defense taken away, for each defense in turn.
//!
//! The demo shows that hardened holds; the ablation shows *what* holds it. A
//! removal that reopens an attack marks a defense the attack meets alone; an
//! attack that no single removal reopens is held by defense in depth. A run
//! that ended in `error` has no verdict: it is never a "reopens", it is
//! counted apart ([`Ablation::no_verdict`]), and a claim on it is unchecked.
//!
//! `sessionlab ablate` runs it for every defense; a lesson runs it for the
//! defenses one scenario file names ([`run_beside`]).

mod holding;

pub use holding::Holding;

use sessionlab_app::{Defense, Profile, ProfileName};
use sessionlab_attack::{Outcome, RunResult, ScenarioMeta};

use crate::batch::{Job, OnResult, default_parallelism, run_jobs};
use crate::claims::{self, Check, FalseClaim, UncheckedClaim};

/// The runs of one removed defense.
#[derive(Debug, Clone)]
pub struct Removal {
    pub defense: Defense,
    /// One result per scenario, in the ablation's scenario order.
    pub results: Vec<RunResult>,
}

/// Everything an ablation ran.
#[derive(Debug, Clone)]
pub struct Ablation {
    pub scenarios: Vec<ScenarioMeta>,
    /// The intact hardened profile: the line every removal is compared with.
    pub baseline: Vec<RunResult>,
    /// One entry per removed defense, in `Defense::ALL` order.
    pub removals: Vec<Removal>,
    /// Wall time of the whole batch, start-ups included.
    pub wall_ms: u64,
}

/// A run that ended in error: no verdict either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoVerdict<'a> {
    pub scenario: &'a str,
    /// The removed defense; `None` for the intact hardened profile.
    pub removed: Option<Defense>,
    /// Why the run could not complete.
    pub evidence: &'a str,
}

impl Ablation {
    /// Every result, the baseline first, then removal by removal: what
    /// JSON and JUnit list.
    pub fn all_results(&self) -> Vec<RunResult> {
        let mut all = self.baseline.clone();
        for removal in &self.removals {
            all.extend(removal.results.iter().cloned());
        }
        all
    }

    /// The number of scenario runs, baseline included.
    pub fn run_count(&self) -> usize {
        self.baseline.len() + self.removals.iter().map(|r| r.results.len()).sum::<usize>()
    }

    /// The result of `scenario` with `defense` removed.
    pub fn result(&self, defense: Defense, scenario: &str) -> Option<&RunResult> {
        self.removals
            .iter()
            .find(|r| r.defense == defense)
            .and_then(|r| r.results.iter().find(|res| res.scenario == scenario))
    }

    /// The scenarios that the removal of `defense` reopens (intact hardened blocked them).
    pub fn reopens(&self, defense: Defense) -> Vec<&str> {
        self.scenarios
            .iter()
            .filter(|meta| self.reopened(defense, &meta.id))
            .map(|meta| meta.id.as_str())
            .collect()
    }

    /// The scenarios whose run ended in `error` once `defense` was removed.
    pub fn errors(&self, defense: Defense) -> Vec<&str> {
        self.scenarios
            .iter()
            .filter(|meta| {
                self.result(defense, &meta.id)
                    .is_some_and(|r| r.outcome == Outcome::Error)
            })
            .map(|meta| meta.id.as_str())
            .collect()
    }

    /// Every run without a verdict, the baseline's first: counted and
    /// shown apart from what reopens.
    pub fn no_verdict(&self) -> Vec<NoVerdict<'_>> {
        let baseline = self.baseline.iter().map(|r| (None, r));
        let removals = self
            .removals
            .iter()
            .flat_map(|removal| removal.results.iter().map(|r| (Some(removal.defense), r)));
        baseline
            .chain(removals)
            .filter(|(_, r)| r.outcome == Outcome::Error)
            .map(|(removed, r)| NoVerdict {
                scenario: &r.scenario,
                removed,
                evidence: &r.evidence,
            })
            .collect()
    }

    /// The intact hardened outcome of `scenario` (`error` when it did not run).
    pub fn baseline_outcome(&self, scenario: &str) -> Outcome {
        self.baseline
            .iter()
            .find(|r| r.scenario == scenario)
            .map_or(Outcome::Error, |r| r.outcome)
    }

    /// A removal reopens an attack when intact hardened blocks it and the
    /// profile without that one defense is compromised.
    fn reopened(&self, defense: Defense, scenario: &str) -> bool {
        self.baseline_outcome(scenario) == Outcome::Blocked
            && self
                .result(defense, scenario)
                .is_some_and(|r| r.outcome == Outcome::Compromised)
    }

    /// The defenses without which no run reached a verdict: usually the app
    /// itself stops working (hardened without `tls` cannot keep a session).
    /// With one scenario that is all one can say: a removal whose every run
    /// ended in error gives no verdict, never a "reopens".
    pub fn breaking(&self) -> Vec<Defense> {
        self.removals
            .iter()
            .filter(|r| {
                !r.results.is_empty() && r.results.iter().all(|res| res.outcome == Outcome::Error)
            })
            .map(|r| r.defense)
            .collect()
    }

    /// The run of `scenario` against `profile`, if the ablation made it (the
    /// intact hardened profile, or hardened minus one defense).
    pub fn run_against(&self, profile: &Profile, scenario: &str) -> Option<&RunResult> {
        if *profile == Profile::new(ProfileName::Hardened) {
            return self.baseline.iter().find(|r| r.scenario == scenario);
        }
        self.removals
            .iter()
            .find(|removal| hardened_without(removal.defense) == *profile)
            .and_then(|removal| removal.results.iter().find(|r| r.scenario == scenario))
    }

    /// Each scenario file claim these runs can check (those about hardened
    /// and hardened minus one defense; the test suite checks the rest), with
    /// the run that checks it.
    fn checked_claims(&self) -> Vec<(claims::Claim, &RunResult, Check)> {
        let mut checked = Vec::new();
        for meta in &self.scenarios {
            // A file naming no real defense is the catalog test's failure, not a run's.
            let Ok(file_claims) = claims::claims(meta) else {
                continue;
            };
            for claim in file_claims {
                if let Some(run) = self.run_against(&claim.profile, &claim.scenario) {
                    let check = claim.expect.check(run.outcome);
                    checked.push((claim, run, check));
                }
            }
        }
        checked
    }

    /// The scenario files' claims these runs contradict: a removal that
    /// reopens an attack whose file names neither that defense nor what its
    /// layers require, a file's sole blocker whose removal does not reopen
    /// the attack, hardened itself falling. A run that ended in error
    /// contradicts nothing: its claims are [`Ablation::unchecked`].
    pub fn contradictions(&self) -> Vec<FalseClaim> {
        self.checked_claims()
            .into_iter()
            .filter(|(_, _, check)| *check == Check::False)
            .map(|(claim, run, _)| FalseClaim {
                outcome: run.outcome,
                evidence: run.evidence.clone(),
                claim,
            })
            .collect()
    }

    /// The claims whose run ended in error: neither true nor false.
    pub fn unchecked(&self) -> Vec<UncheckedClaim> {
        self.checked_claims()
            .into_iter()
            .filter(|(_, _, check)| *check == Check::Unchecked)
            .map(|(claim, run, _)| UncheckedClaim {
                evidence: run.evidence.clone(),
                claim,
            })
            .collect()
    }

    /// The defenses whose removal alone reopens none of the scenarios run.
    pub fn without_single_effect(&self) -> Vec<Defense> {
        self.removals
            .iter()
            .map(|r| r.defense)
            .filter(|&d| self.reopens(d).is_empty() && self.errors(d).is_empty())
            .collect()
    }
}

/// The hardened profile without one defense.
pub fn hardened_without(defense: Defense) -> Profile {
    Profile::new(ProfileName::Hardened).without(defense)
}

/// Runs `scenarios` against intact hardened and against hardened minus each
/// defense: one app per profile, `default_parallelism()` of them up at once.
pub async fn run(scenarios: &[ScenarioMeta], on_result: OnResult) -> anyhow::Result<Ablation> {
    run_removing(scenarios, &Defense::ALL, on_result).await
}

/// [`run`] with only `removed` taken away, one at a time.
pub async fn run_removing(
    scenarios: &[ScenarioMeta],
    removed: &[Defense],
    on_result: OnResult,
) -> anyhow::Result<Ablation> {
    let started = std::time::Instant::now();
    let mut jobs = vec![Job {
        profile: Profile::new(ProfileName::Hardened),
        scenarios: scenarios.to_vec(),
    }];
    jobs.extend(removal_jobs(scenarios, removed));
    let mut per_job = run_jobs(jobs, default_parallelism(), on_result)
        .await?
        .into_iter();
    let baseline = per_job.next().unwrap_or_default();
    Ok(assemble(scenarios, baseline, removed, per_job, started))
}

/// The removals of `removed` beside a `baseline` already run (a lesson has
/// just run intact hardened): the same [`Ablation`], without running it twice.
pub async fn run_beside(
    baseline: Vec<RunResult>,
    scenarios: &[ScenarioMeta],
    removed: &[Defense],
    on_result: OnResult,
) -> anyhow::Result<Ablation> {
    let started = std::time::Instant::now();
    let jobs = removal_jobs(scenarios, removed).collect();
    let per_job = run_jobs(jobs, default_parallelism(), on_result).await?;
    Ok(assemble(
        scenarios,
        baseline,
        removed,
        per_job.into_iter(),
        started,
    ))
}

fn removal_jobs<'a>(
    scenarios: &'a [ScenarioMeta],
    removed: &'a [Defense],
) -> impl Iterator<Item = Job> + 'a {
    removed.iter().map(|&defense| Job {
        profile: hardened_without(defense),
        scenarios: scenarios.to_vec(),
    })
}

fn assemble(
    scenarios: &[ScenarioMeta],
    baseline: Vec<RunResult>,
    removed: &[Defense],
    per_job: impl Iterator<Item = Vec<RunResult>>,
    started: std::time::Instant,
) -> Ablation {
    let removals = removed
        .iter()
        .zip(per_job)
        .map(|(&defense, results)| Removal { defense, results })
        .collect();
    Ablation {
        scenarios: scenarios.to_vec(),
        baseline,
        removals,
        wall_ms: started.elapsed().as_millis() as u64,
    }
}

/// How many runs [`run`] makes for `scenarios` (for a progress bar).
pub fn planned_runs(scenarios: &[ScenarioMeta]) -> usize {
    scenarios.len() * (Defense::ALL.len() + 1)
}

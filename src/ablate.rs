//! `sessionlab ablate`: every scenario against the hardened profile with one
//! defense taken away, for each defense in turn.
//!
//! The demo shows that hardened holds; the ablation shows *what* holds it. A
//! removal that reopens an attack marks a defense the attack meets alone; an
//! attack that no single removal reopens is held by defense in depth.

pub mod claims;

pub use claims::check_claims;

use sessionlab_app::{Defense, Profile, ProfileName};
use sessionlab_attack::catalog::Requires;
use sessionlab_attack::{Outcome, RunResult, ScenarioMeta};

use crate::demo::{Job, OnResult, default_parallelism, run_jobs};

/// The runs of one removed defense.
#[derive(Debug, Clone)]
pub struct Removal {
    pub defense: Defense,
    /// One result per scenario, in the ablation's scenario order.
    pub results: Vec<RunResult>,
}

/// Everything `ablate` ran.
#[derive(Debug, Clone)]
pub struct Ablation {
    pub scenarios: Vec<ScenarioMeta>,
    /// The intact hardened profile: the line every removal is compared with.
    pub baseline: Vec<RunResult>,
    /// One entry per defense, in `Defense::ALL` order.
    pub removals: Vec<Removal>,
    /// Wall time of the whole batch, start-ups included.
    pub wall_ms: u64,
}

/// Where the ablation's wording points for the layers it cannot measure.
pub const CLAIMS_CHECKED_BY: &str = "checked by the test suite, tests/ablation.rs";

/// What holds one attack in the hardened profile, as the runs show it.
#[derive(Debug, Clone)]
pub struct Holding<'a> {
    pub meta: &'a ScenarioMeta,
    /// The intact hardened profile's outcome.
    pub hardened: Outcome,
    /// Defenses whose removal alone reopens the attack.
    pub reopened_by: Vec<Defense>,
    /// Defenses whose removal made the run end in `error` (no verdict).
    pub errored_by: Vec<Defense>,
    /// The scenario file's other `blocked_by` defenses (those not in
    /// `reopened_by`), each with what it requires: the layers of its
    /// defense in depth, as the file names them. Single removals cannot
    /// show that each of them blocks alone; the test suite checks that.
    pub layers: Vec<String>,
    /// What the file says every layer requires (`requires = ["tls"]`).
    pub foundation: Vec<String>,
    /// The file's claims that these runs contradict, in words.
    pub contradicted: Vec<String>,
}

impl Holding<'_> {
    /// One sentence for the matrix: "stopped by server-logout alone", "no
    /// single removal reopens it; the scenario file names these layers: ...".
    /// What the runs measured comes first; what only the scenario file says
    /// is attributed to it.
    pub fn verdict(&self) -> String {
        match self.hardened {
            Outcome::Compromised => return "hardened itself falls".into(),
            Outcome::Error => return "no verdict: the intact hardened run ended in error".into(),
            Outcome::Blocked => {}
        }
        let mut verdict = self.holding();
        for contradiction in &self.contradicted {
            verdict.push_str(&format!(
                "; ⚠ the runs contradict the scenario file: {contradiction}"
            ));
        }
        verdict
    }

    fn holding(&self) -> String {
        let critical: Vec<&str> = self.reopened_by.iter().map(|d| d.id()).collect();
        let on_top = if self.foundation.is_empty() {
            String::new()
        } else {
            format!(", on top of {}", self.foundation.join(" + "))
        };
        let layers = self.layers.join(", ");
        match (critical.as_slice(), self.layers.is_empty()) {
            ([], true) => "no single removal reopens it".into(),
            ([], false) => format!(
                "no single removal reopens it; the scenario file names these layers: \
                 {layers}{on_top} ({CLAIMS_CHECKED_BY})"
            ),
            ([only], true) => format!("stopped by {only} alone{on_top}"),
            (critical, true) => format!(
                "removing any one of {} reopens it{on_top}",
                critical.join(", ")
            ),
            (critical, false) => format!(
                "removing {} alone reopens it; the scenario file also names {layers}{on_top} \
                 ({CLAIMS_CHECKED_BY})",
                critical.join(" or ")
            ),
        }
    }
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

    fn baseline_outcome(&self, scenario: &str) -> Outcome {
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

    /// What holds each scenario, in the ablation's scenario order.
    pub fn holdings(&self) -> Vec<Holding<'_>> {
        let contradictions = self.contradictions();
        self.scenarios
            .iter()
            .map(|meta| {
                let reopened_by: Vec<Defense> = self
                    .removals
                    .iter()
                    .map(|r| r.defense)
                    .filter(|&d| self.reopened(d, &meta.id))
                    .collect();
                let errored_by = self
                    .removals
                    .iter()
                    .map(|r| r.defense)
                    .filter(|&d| {
                        self.result(d, &meta.id)
                            .is_some_and(|r| r.outcome == Outcome::Error)
                    })
                    .collect();
                let layers = meta
                    .blocked_by
                    .iter()
                    .filter(|id| !reopened_by.iter().any(|d| d.id() == id.as_str()))
                    .map(|id| match &meta.requires {
                        Requires::Each(_) if !meta.requires.of(id).is_empty() => {
                            format!("{id} (needs {})", meta.requires.of(id).join(" + "))
                        }
                        _ => id.clone(),
                    })
                    .collect();
                let foundation = match &meta.requires {
                    Requires::Every(ids) => ids.clone(),
                    Requires::Each(_) => Vec::new(),
                };
                let contradicted = contradictions
                    .iter()
                    .filter(|c| c.claim.scenario == meta.id)
                    .map(|c| c.claim.says.clone())
                    .collect();
                Holding {
                    meta,
                    hardened: self.baseline_outcome(&meta.id),
                    reopened_by,
                    errored_by,
                    layers,
                    foundation,
                    contradicted,
                }
            })
            .collect()
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

    /// The scenario files' claims these runs contradict (see [`claims`]): a
    /// removal that reopens an attack whose file names neither that defense
    /// nor what its layers require, a file's sole blocker whose removal does
    /// not reopen the attack, hardened itself falling. Single removals check
    /// only the claims about hardened and hardened minus one defense; the
    /// test suite checks the rest. A run that ended in error has no verdict
    /// and contradicts nothing.
    pub fn contradictions(&self) -> Vec<claims::FalseClaim> {
        let mut found = Vec::new();
        for meta in &self.scenarios {
            // A file naming no real defense is the catalog test's failure, not a run's.
            let Ok(file_claims) = claims::claims(meta) else {
                continue;
            };
            for claim in file_claims {
                let Some(run) = self.run_against(&claim.profile, &claim.scenario) else {
                    continue;
                };
                if run.outcome != Outcome::Error && !claim.expect.holds(run.outcome) {
                    found.push(claims::FalseClaim {
                        outcome: run.outcome,
                        evidence: run.evidence.clone(),
                        claim,
                    });
                }
            }
        }
        found
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
/// defense: 24 apps, `default_parallelism()` of them up at once.
pub async fn run(scenarios: &[ScenarioMeta], on_result: OnResult) -> anyhow::Result<Ablation> {
    let started = std::time::Instant::now();
    let mut jobs = vec![Job {
        profile: Profile::new(ProfileName::Hardened),
        scenarios: scenarios.to_vec(),
    }];
    jobs.extend(Defense::ALL.into_iter().map(|defense| Job {
        profile: hardened_without(defense),
        scenarios: scenarios.to_vec(),
    }));
    let mut per_job = run_jobs(jobs, default_parallelism(), on_result)
        .await?
        .into_iter();
    let baseline = per_job.next().unwrap_or_default();
    let removals = Defense::ALL
        .into_iter()
        .zip(per_job)
        .map(|(defense, results)| Removal { defense, results })
        .collect();
    Ok(Ablation {
        scenarios: scenarios.to_vec(),
        baseline,
        removals,
        wall_ms: started.elapsed().as_millis() as u64,
    })
}

/// How many runs [`run`] makes for `scenarios` (for a progress bar).
pub fn planned_runs(scenarios: &[ScenarioMeta]) -> usize {
    scenarios.len() * (Defense::ALL.len() + 1)
}

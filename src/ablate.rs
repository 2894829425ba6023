//! `sessionlab ablate`: every scenario against the hardened profile with one
//! defense taken away, for each defense in turn.
//!
//! The demo shows that hardened holds; the ablation shows *what* holds it. A
//! removal that reopens an attack marks a defense the attack meets alone; an
//! attack that no single removal reopens is held by defense in depth.

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
    /// defense in depth.
    pub layers: Vec<String>,
    /// What the file says every layer requires (`requires = ["tls"]`).
    pub foundation: Vec<String>,
}

impl Holding<'_> {
    /// One sentence for the matrix: "random-ids alone", "defense in depth: any of ...".
    pub fn verdict(&self) -> String {
        let list = |ids: &[String]| ids.join(", ");
        let critical: Vec<String> = self.reopened_by.iter().map(|d| d.to_string()).collect();
        match self.hardened {
            Outcome::Compromised => return "hardened itself falls".into(),
            Outcome::Error => return "no verdict: the intact hardened run ended in error".into(),
            Outcome::Blocked => {}
        }
        let holding = self.holding(&critical, &list);
        if self.foundation.is_empty() {
            holding
        } else {
            format!("{holding}; all on top of {}", self.foundation.join(" + "))
        }
    }

    fn holding(&self, critical: &[String], list: &dyn Fn(&[String]) -> String) -> String {
        match (critical, self.layers.as_slice()) {
            ([], []) => "defense in depth: no single removal reopens it".into(),
            ([], layers) => format!("defense in depth: any of {}", list(layers)),
            ([only], []) => format!("stopped by {only} alone"),
            (critical, []) => format!("needs each of {}", list(critical)),
            (critical, layers) => format!(
                "needs {}, then any of {} (defense in depth)",
                list(critical),
                list(layers)
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
                Holding {
                    meta,
                    hardened: self.baseline_outcome(&meta.id),
                    reopened_by,
                    errored_by,
                    layers,
                    foundation,
                }
            })
            .collect()
    }

    /// The defenses without which no run of several reached a verdict: the
    /// app itself stops working (hardened without `tls` cannot keep a session).
    pub fn breaking(&self) -> Vec<Defense> {
        self.removals
            .iter()
            .filter(|r| {
                r.results.len() > 1 && r.results.iter().all(|res| res.outcome == Outcome::Error)
            })
            .map(|r| r.defense)
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

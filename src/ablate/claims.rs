//! The scenario files' defense claims, as checks on real runs.
//!
//! A scenario file names the defenses that block its attack (`blocked_by`),
//! how they combine (`layers`) and what they need (`requires`); what each
//! field claims is written down in `crates/attack/src/catalog.rs`
//! (`ScenarioMeta`). [`claims`] turns one file into expectations about runs
//! ("hardened without X is compromised"); [`check_claims`] runs everything
//! they need and reports every false one (the test suite does, in
//! `tests/ablation.rs`); `sessionlab ablate` checks the ones its single
//! removals can check ([`crate::ablate::Ablation::contradictions`]).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use sessionlab_app::{Defense, Profile, ProfileName};
use sessionlab_attack::catalog::{Layers, Requires};
use sessionlab_attack::{Outcome, RunResult, ScenarioMeta};

use crate::demo::{Job, default_parallelism, run_jobs};

/// What a claim expects of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Blocked,
    Compromised,
    /// Compromised or error: the defense does not stop the attack.
    NotBlocked,
    /// Blocked or error: the attack does not get through.
    NotCompromised,
}

impl Expect {
    pub fn holds(self, outcome: Outcome) -> bool {
        match self {
            Self::Blocked => outcome == Outcome::Blocked,
            Self::Compromised => outcome == Outcome::Compromised,
            Self::NotBlocked => outcome != Outcome::Blocked,
            Self::NotCompromised => outcome != Outcome::Compromised,
        }
    }
}

/// One expectation a scenario file implies: `scenario` against `profile`
/// ends as `expect` says; `says` is the claim in words.
#[derive(Debug, Clone)]
pub struct Claim {
    pub scenario: String,
    pub profile: Profile,
    pub expect: Expect,
    pub says: String,
}

fn insecure_with(added: &[Defense]) -> Profile {
    added
        .iter()
        .fold(Profile::new(ProfileName::Insecure), |p, &d| p.with(d))
}

fn hardened_minus(removed: &[Defense]) -> Profile {
    removed
        .iter()
        .fold(Profile::new(ProfileName::Hardened), |p, &d| p.without(d))
}

fn ids(defenses: &[Defense]) -> String {
    defenses
        .iter()
        .map(|d| d.id())
        .collect::<Vec<_>>()
        .join(" + ")
}

fn defenses(meta: &ScenarioMeta, ids: &[String]) -> Result<Vec<Defense>, String> {
    ids.iter()
        .map(|id| {
            id.parse()
                .map_err(|e| format!("scenarios/{}.toml: {e}", meta.id))
        })
        .collect()
}

/// Every claim of one scenario file; an error when it names no defense of the app.
pub fn claims(meta: &ScenarioMeta) -> Result<Vec<Claim>, String> {
    let mut claims = Vec::new();
    let mut claim = |profile: Profile, expect: Expect, says: String| {
        claims.push(Claim {
            scenario: meta.id.clone(),
            profile,
            expect,
            says,
        });
    };
    let blocked_by = defenses(meta, &meta.blocked_by)?;
    let listed_ids: Vec<&str> = meta.blocked_by.iter().map(String::as_str).collect();
    let prerequisites = defenses(meta, &meta.requires.all())?;
    let mut requires_of = HashMap::new();
    for &d in &blocked_by {
        requires_of.insert(d, defenses(meta, meta.requires.of(d.id()))?);
    }
    let with_requirements = |d: Defense| {
        let mut set = requires_of[&d].clone();
        set.push(d);
        set
    };
    match meta.layers {
        Layers::Any => {
            for &d in &blocked_by {
                let needs = &requires_of[&d];
                let needs_text = if needs.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", ids(needs))
                };
                claim(
                    insecure_with(&with_requirements(d)),
                    Expect::Blocked,
                    format!(
                        "layers = \"any\": {d}{needs_text}, added to insecure, blocks the attack"
                    ),
                );
            }
            let removed = if blocked_by.len() == 1 {
                "removed"
            } else {
                "removed together"
            };
            claim(
                hardened_minus(&blocked_by),
                Expect::Compromised,
                format!(
                    "layers = \"any\": blocked_by ({}) is what holds; {removed} from hardened, the attack reopens",
                    listed_ids.join(", ")
                ),
            );
        }
        Layers::All => {
            let mut all = blocked_by.clone();
            all.extend(&prerequisites);
            claim(
                insecure_with(&all),
                Expect::Blocked,
                format!(
                    "layers = \"all\": {}, added together to insecure, block the attack",
                    ids(&all)
                ),
            );
            for &d in &blocked_by {
                claim(
                    hardened_minus(&[d]),
                    Expect::Compromised,
                    format!(
                        "layers = \"all\": each is needed, so removing {d} from hardened reopens the attack"
                    ),
                );
            }
        }
    }
    for &d in &blocked_by {
        let needs = &requires_of[&d];
        if !needs.is_empty() {
            claim(
                insecure_with(&[d]),
                Expect::NotBlocked,
                format!(
                    "requires: {d} does nothing without {}, so {d} alone on insecure does not block",
                    ids(needs)
                ),
            );
        }
    }
    for &r in &prerequisites {
        claim(
            insecure_with(&[r]),
            Expect::NotBlocked,
            format!(
                "requires: {r} is a prerequisite, not a layer, so {r} alone on insecure does not block"
            ),
        );
        if let Requires::Every(_) = meta.requires {
            claim(
                hardened_minus(&[r]),
                Expect::NotBlocked,
                format!(
                    "requires = [..]: every layer needs {r}, so hardened without {r} does not block"
                ),
            );
        }
    }
    // Nothing missing: no other single defense blocks alone, or holds alone.
    for d in Defense::ALL {
        if listed_ids.contains(&d.id()) {
            continue;
        }
        claim(
            insecure_with(&[d]),
            Expect::NotBlocked,
            format!(
                "{d} is not in blocked_by, so {d} alone on insecure does not block (or the file misses a layer)"
            ),
        );
        if !prerequisites.contains(&d) && !prerequisites.is_empty() {
            let mut on_its_foundation = prerequisites.clone();
            on_its_foundation.push(d);
            claim(
                insecure_with(&on_its_foundation),
                Expect::NotBlocked,
                format!(
                    "{d} is not in blocked_by, so {d} with {} on insecure does not block (or the file misses a layer)",
                    ids(&prerequisites)
                ),
            );
        }
        if !prerequisites.contains(&d) {
            claim(
                hardened_minus(&[d]),
                Expect::NotCompromised,
                format!(
                    "{d} is in neither blocked_by nor requires, so removing it from hardened does not reopen the attack (or the file misses a claim)"
                ),
            );
        }
    }
    claim(
        Profile::new(ProfileName::Hardened),
        Expect::Blocked,
        "hardened blocks every attack".into(),
    );
    claim(
        Profile::new(ProfileName::Insecure),
        Expect::Compromised,
        "insecure falls to every attack".into(),
    );
    Ok(claims)
}

/// A claim the runs contradict, with the run that does.
#[derive(Debug, Clone)]
pub struct FalseClaim {
    pub claim: Claim,
    pub outcome: Outcome,
    pub evidence: String,
}

impl fmt::Display for FalseClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scenarios/{}.toml: \"{}\" is false: against {} the run was {}: {}",
            self.claim.scenario,
            self.claim.says,
            self.claim.profile.label(),
            self.outcome,
            self.evidence
        )
    }
}

/// What [`check_claims`] found.
#[derive(Debug, Clone)]
pub struct ClaimCheck {
    pub claims: usize,
    pub runs: usize,
    pub profiles: usize,
    pub false_claims: Vec<FalseClaim>,
}

/// Runs every scenario against every profile its file's claims name
/// (hardened, hardened minus each defense, insecure plus each defense, and the
/// combinations the files name) and checks every claim.
pub async fn check_claims(scenarios: &[ScenarioMeta]) -> anyhow::Result<ClaimCheck> {
    let mut all_claims = Vec::new();
    for meta in scenarios {
        all_claims.extend(claims(meta).map_err(anyhow::Error::msg)?);
    }
    // One app per profile, running the scenarios that need it.
    let mut plan: Vec<(Profile, BTreeSet<String>)> = Vec::new();
    for claim in &all_claims {
        match plan.iter_mut().find(|(p, _)| *p == claim.profile) {
            Some((_, ids)) => {
                ids.insert(claim.scenario.clone());
            }
            None => plan.push((
                claim.profile.clone(),
                BTreeSet::from([claim.scenario.clone()]),
            )),
        }
    }
    let jobs: Vec<Job> = plan
        .iter()
        .map(|(profile, ids)| Job {
            profile: profile.clone(),
            scenarios: scenarios
                .iter()
                .filter(|m| ids.contains(&m.id))
                .cloned()
                .collect(),
        })
        .collect();
    let run_count = jobs.iter().map(|j| j.scenarios.len()).sum();
    let results = run_jobs(jobs, default_parallelism(), Arc::new(|_: &RunResult| {})).await?;
    let mut runs: HashMap<(String, String), RunResult> = HashMap::new();
    for ((profile, _), results) in plan.iter().zip(results) {
        for r in results {
            runs.insert((profile.label(), r.scenario.clone()), r);
        }
    }
    let mut false_claims = Vec::new();
    for claim in &all_claims {
        let run = runs
            .get(&(claim.profile.label(), claim.scenario.clone()))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the batch did not run {} against {}",
                    claim.scenario,
                    claim.profile.label()
                )
            })?;
        if !claim.expect.holds(run.outcome) {
            false_claims.push(FalseClaim {
                claim: claim.clone(),
                outcome: run.outcome,
                evidence: run.evidence.clone(),
            });
        }
    }
    Ok(ClaimCheck {
        claims: all_claims.len(),
        runs: run_count,
        profiles: plan.len(),
        false_claims,
    })
}

#[cfg(test)]
mod tests {
    use sessionlab_attack::catalog;

    use super::*;

    fn meta(id: &str) -> ScenarioMeta {
        catalog::all()
            .into_iter()
            .find(|m| m.id == id)
            .expect("a scenario")
    }

    #[test]
    fn a_sole_blocker_must_reopen_and_nothing_else_may() {
        let claims = claims(&meta("logout-reuse")).expect("claims");
        let about = |profile: &Profile| -> Vec<Expect> {
            claims
                .iter()
                .filter(|c| c.profile == *profile)
                .map(|c| c.expect)
                .collect()
        };
        let hardened = Profile::new(ProfileName::Hardened);
        assert_eq!(
            about(&hardened.clone().without(Defense::ServerLogout)),
            [Expect::Compromised]
        );
        assert_eq!(
            about(&hardened.clone().without(Defense::Csp)),
            [Expect::NotCompromised]
        );
        assert_eq!(about(&hardened), [Expect::Blocked]);
    }

    #[test]
    fn an_error_is_neither_blocked_nor_compromised() {
        assert!(!Expect::Blocked.holds(Outcome::Error));
        assert!(!Expect::Compromised.holds(Outcome::Error));
        assert!(Expect::NotBlocked.holds(Outcome::Error));
        assert!(Expect::NotCompromised.holds(Outcome::Error));
    }
}

//! The scenario files' defense claims, as checks on real runs.
//!
//! A scenario file names the defenses that block its attack (`blocked_by`),
//! how they combine (`layers`) and what they need (`requires`); what each
//! field claims is written down in `crates/attack/src/catalog.rs`
//! (`ScenarioMeta`). [`claims`] turns one file into expectations about runs
//! ("hardened without X is compromised"); [`check_claims`] runs everything
//! they need and reports every false claim, and every claim no run could
//! check (the test suite does, in `tests/ablation.rs`); `sessionlab ablate`
//! checks the ones its single removals can check
//! ([`crate::Ablation::contradictions`]).
//!
//! A claim passes or fails only on a real verdict, `blocked` or
//! `compromised`. A run that ended in `error` decides nothing: the claim is
//! *unchecked*, counted apart, never passed. The one foreseen error is a
//! profile that cannot keep a session (a `Secure` or `__Host-` cookie without
//! tls, see [`crate::toggles::unusable_cookie`]): a claim about such a
//! profile is stated as what the run can show, that it ends in error
//! ([`Said::CannotKeepSession`], [`Expect::NoSession`]).

use std::collections::{BTreeSet, HashMap};

use sessionlab_app::{Defense, Profile, ProfileName};
use sessionlab_attack::catalog::{Layers, Requires};
use sessionlab_attack::{Outcome, ScenarioMeta};

use crate::batch::{Job, default_parallelism, ignore_results, run_jobs};
use crate::says::Said;
use crate::toggles::unusable_cookie;

/// What a claim expects of one run. "X does not block" expects the attack
/// to succeed: with only two verdicts, not blocked is compromised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Blocked,
    Compromised,
    /// The profile keeps no session, so the run ends in error.
    NoSession,
}

/// What one run says of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Holds,
    False,
    /// The run ended in error: no verdict, so the claim is neither true nor false.
    Unchecked,
}

impl Expect {
    /// Whether `outcome` bears the claim out; `error` checks nothing except
    /// the claim that the run cannot work.
    pub fn check(self, outcome: Outcome) -> Check {
        match (self, outcome) {
            (Self::NoSession, Outcome::Error) => Check::Holds,
            (Self::NoSession, _) => Check::False,
            (_, Outcome::Error) => Check::Unchecked,
            (Self::Blocked, Outcome::Blocked) | (Self::Compromised, Outcome::Compromised) => {
                Check::Holds
            }
            _ => Check::False,
        }
    }
}

/// One expectation a scenario file implies: `scenario` against `profile`
/// ends as `expect` says; `says` is the claim, worded by its `Display`.
#[derive(Debug, Clone)]
pub struct Claim {
    pub scenario: String,
    pub profile: Profile,
    pub expect: Expect,
    pub says: Said,
}

/// Insecure with `added` on.
pub fn insecure_with(added: &[Defense]) -> Profile {
    added
        .iter()
        .fold(Profile::new(ProfileName::Insecure), |p, &d| p.with(d))
}

/// Hardened with `removed` off.
pub fn hardened_minus(removed: &[Defense]) -> Profile {
    removed
        .iter()
        .fold(Profile::new(ProfileName::Hardened), |p, &d| p.without(d))
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
    let mut claim = |profile: Profile, expect: Expect, says: Said| {
        let refused_by: Vec<Defense> = unusable_cookie(&profile)
            .into_iter()
            // A tossed plain cookie still reaches the app where its own Secure one is refused.
            .filter(|&d| !(meta.tossed_cookie_keeps_session && d == Defense::SecureCookie))
            .collect();
        let (expect, says) = if refused_by.is_empty() {
            (expect, says)
        } else {
            let instead_of = Box::new(says);
            (
                Expect::NoSession,
                Said::CannotKeepSession {
                    refused_by,
                    instead_of,
                },
            )
        };
        claims.push(Claim {
            scenario: meta.id.clone(),
            profile,
            expect,
            says,
        });
    };
    let blocked_by = defenses(meta, &meta.blocked_by)?;
    let prerequisites = defenses(meta, &meta.requires.all())?;
    let mut requires_of = HashMap::new();
    for &d in &blocked_by {
        requires_of.insert(d, defenses(meta, meta.requires.of(d.id()))?);
    }
    let with_requirements = |d: Defense| {
        let mut set: Vec<Defense> = requires_of[&d].clone();
        set.push(d);
        set
    };
    match meta.layers {
        Layers::Any => {
            for &d in &blocked_by {
                claim(
                    insecure_with(&with_requirements(d)),
                    Expect::Blocked,
                    Said::AddedAloneBlocks {
                        defense: d,
                        needs: requires_of[&d].clone(),
                    },
                );
            }
            claim(
                hardened_minus(&blocked_by),
                Expect::Compromised,
                Said::RemovedTogetherReopens {
                    blocked_by: blocked_by.clone(),
                },
            );
        }
        Layers::All => {
            let mut all = blocked_by.clone();
            all.extend(&prerequisites);
            claim(
                insecure_with(&all),
                Expect::Blocked,
                Said::AddedTogetherBlock { defenses: all },
            );
            for &d in &blocked_by {
                claim(
                    hardened_minus(&[d]),
                    Expect::Compromised,
                    Said::EachNeeded { defense: d },
                );
            }
        }
    }
    // `requires`: a defense without what it needs, or a prerequisite alone,
    // leaves the attack to succeed: compromised, nothing less.
    for &d in &blocked_by {
        let needs = &requires_of[&d];
        if !needs.is_empty() {
            claim(
                insecure_with(&[d]),
                Expect::Compromised,
                Said::NothingWithout {
                    defense: d,
                    needs: needs.clone(),
                },
            );
        }
    }
    for &r in &prerequisites {
        claim(
            insecure_with(&[r]),
            Expect::Compromised,
            Said::PrerequisiteAlone { prerequisite: r },
        );
        if let Requires::Every(_) = meta.requires {
            claim(
                hardened_minus(&[r]),
                Expect::Compromised,
                Said::EveryLayerNeeds { prerequisite: r },
            );
        }
    }
    // Nothing missing: no other single defense blocks alone, or holds alone.
    for d in Defense::ALL {
        if blocked_by.contains(&d) {
            continue;
        }
        claim(
            insecure_with(&[d]),
            Expect::Compromised,
            Said::NotALayer {
                defense: d,
                on: Vec::new(),
            },
        );
        if !prerequisites.contains(&d) && !prerequisites.is_empty() {
            let mut on_its_foundation = prerequisites.clone();
            on_its_foundation.push(d);
            claim(
                insecure_with(&on_its_foundation),
                Expect::Compromised,
                Said::NotALayer {
                    defense: d,
                    on: prerequisites.clone(),
                },
            );
        }
        if !prerequisites.contains(&d) {
            claim(
                hardened_minus(&[d]),
                Expect::Blocked,
                Said::NotNeeded { defense: d },
            );
        }
    }
    claim(
        Profile::new(ProfileName::Hardened),
        Expect::Blocked,
        Said::HardenedBlocks,
    );
    claim(
        Profile::new(ProfileName::Insecure),
        Expect::Compromised,
        Said::InsecureFalls,
    );
    Ok(claims)
}

/// A claim the runs contradict, with the run that does (worded in [`crate::says`]).
#[derive(Debug, Clone)]
pub struct FalseClaim {
    pub claim: Claim,
    pub outcome: Outcome,
    pub evidence: String,
}

/// A claim whose run ended in error: nothing could check it (worded in [`crate::says`]).
#[derive(Debug, Clone)]
pub struct UncheckedClaim {
    pub claim: Claim,
    pub evidence: String,
}

/// What [`check_claims`] found.
#[derive(Debug, Clone)]
pub struct ClaimCheck {
    pub claims: usize,
    pub runs: usize,
    pub profiles: usize,
    pub false_claims: Vec<FalseClaim>,
    /// Claims whose run reached no verdict: neither passed nor failed.
    pub unchecked: Vec<UncheckedClaim>,
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
    let results = run_jobs(jobs, default_parallelism(), ignore_results()).await?;
    let mut runs = HashMap::new();
    for ((profile, _), results) in plan.iter().zip(results) {
        for r in results {
            runs.insert((profile.label(), r.scenario.clone()), r);
        }
    }
    let mut false_claims = Vec::new();
    let mut unchecked = Vec::new();
    for claim in all_claims.iter().cloned() {
        let run = runs
            .get(&(claim.profile.label(), claim.scenario.clone()))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the batch did not run {} against {}",
                    claim.scenario,
                    claim.profile.label()
                )
            })?;
        match claim.expect.check(run.outcome) {
            Check::Holds => {}
            Check::False => false_claims.push(FalseClaim {
                claim,
                outcome: run.outcome,
                evidence: run.evidence.clone(),
            }),
            Check::Unchecked => unchecked.push(UncheckedClaim {
                claim,
                evidence: run.evidence.clone(),
            }),
        }
    }
    Ok(ClaimCheck {
        claims: all_claims.len(),
        runs: run_count,
        profiles: plan.len(),
        false_claims,
        unchecked,
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
            [Expect::Blocked]
        );
        assert_eq!(about(&hardened), [Expect::Blocked]);
        // Hardened without tls keeps no session: the claim says so.
        assert_eq!(about(&hardened.without(Defense::Tls)), [Expect::NoSession]);
    }

    #[test]
    fn an_error_is_neither_blocked_nor_compromised() {
        assert_eq!(Expect::Blocked.check(Outcome::Error), Check::Unchecked);
        assert_eq!(Expect::Compromised.check(Outcome::Error), Check::Unchecked);
        assert_eq!(Expect::Compromised.check(Outcome::Blocked), Check::False);
        assert_eq!(Expect::Blocked.check(Outcome::Compromised), Check::False);
        assert_eq!(Expect::Blocked.check(Outcome::Blocked), Check::Holds);
        assert_eq!(Expect::NoSession.check(Outcome::Error), Check::Holds);
        assert_eq!(Expect::NoSession.check(Outcome::Blocked), Check::False);
    }

    #[test]
    fn a_prerequisite_alone_leaves_the_attack_to_succeed() {
        let claims = claims(&meta("hijack-sniff")).expect("claims");
        let tls_alone = claims
            .iter()
            .find(|c| {
                c.says
                    == Said::PrerequisiteAlone {
                        prerequisite: Defense::Tls,
                    }
            })
            .expect("the prerequisite's claim");
        assert_eq!(tls_alone.expect, Expect::Compromised);
    }
}

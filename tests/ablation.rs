//! The scenario files' defense claims, checked against real runs, so the
//! files (and `sessionlab defenses`, the lessons' tables, the ablation's
//! wording) cannot drift from the code. What each field claims is written
//! down in `crates/attack/src/catalog.rs` (`ScenarioMeta`).
//!
//! One batch runs every scenario against hardened, hardened minus each
//! defense, insecure plus each defense, and the combinations the files name;
//! then every claim is checked and every false one is reported at once.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use sessionlab::demo::{Job, default_parallelism, run_jobs};
use sessionlab_app::{Defense, Profile, ProfileName};
use sessionlab_attack::catalog::{self, Layers, Requires};
use sessionlab_attack::{Outcome, RunResult, ScenarioMeta};

fn defense(meta: &ScenarioMeta, id: &str) -> Defense {
    id.parse()
        .unwrap_or_else(|e| panic!("scenarios/{}.toml: {e}", meta.id))
}

fn defenses(meta: &ScenarioMeta, ids: &[String]) -> Vec<Defense> {
    ids.iter().map(|id| defense(meta, id)).collect()
}

fn insecure_with(added: &[Defense]) -> Profile {
    added
        .iter()
        .fold(Profile::new(ProfileName::Insecure), |p, &d| p.with(d))
}

fn hardened_without(removed: &[Defense]) -> Profile {
    removed
        .iter()
        .fold(Profile::new(ProfileName::Hardened), |p, &d| p.without(d))
}

/// The runs of the batch, by profile label and scenario.
struct Runs(HashMap<(String, String), RunResult>);

impl Runs {
    fn get(&self, profile: &Profile, scenario: &str) -> &RunResult {
        self.0
            .get(&(profile.label(), scenario.to_string()))
            .unwrap_or_else(|| {
                panic!(
                    "the batch did not run {scenario} against {}",
                    profile.label()
                )
            })
    }
}

/// Which (profile, scenario) pairs the checks need.
#[derive(Default)]
struct Plan {
    jobs: Vec<(Profile, BTreeSet<String>)>,
}

impl Plan {
    fn need(&mut self, profile: Profile, scenario: &str) {
        match self.jobs.iter_mut().find(|(p, _)| *p == profile) {
            Some((_, scenarios)) => {
                scenarios.insert(scenario.to_string());
            }
            None => self
                .jobs
                .push((profile, BTreeSet::from([scenario.to_string()]))),
        }
    }
}

/// The claims of one scenario file, as (profile, expectation, claim) triples.
enum Expect {
    Blocked,
    Compromised,
    /// Compromised or error: the defense does not stop the attack.
    NotBlocked,
    /// Blocked or error: the attack does not get through.
    NotCompromised,
}

struct Claim {
    profile: Profile,
    expect: Expect,
    says: String,
}

fn claims(meta: &ScenarioMeta) -> Vec<Claim> {
    let mut claims = Vec::new();
    let blocked_by = defenses(meta, &meta.blocked_by);
    let listed_ids: Vec<&str> = meta.blocked_by.iter().map(String::as_str).collect();
    let prerequisites = defenses(meta, &meta.requires.all());
    let requires_of = |d: Defense| defenses(meta, meta.requires.of(d.id()));
    let with_requirements = |d: Defense| {
        let mut set = requires_of(d);
        set.push(d);
        set
    };
    match meta.layers {
        Layers::Any => {
            for &d in &blocked_by {
                let needs = requires_of(d);
                let needs_text = if needs.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", ids(&needs))
                };
                claims.push(Claim {
                    profile: insecure_with(&with_requirements(d)),
                    expect: Expect::Blocked,
                    says: format!(
                        "layers = \"any\": {d}{needs_text}, added to insecure, blocks the attack"
                    ),
                });
            }
            claims.push(Claim {
                profile: hardened_without(&blocked_by),
                expect: Expect::Compromised,
                says: format!(
                    "layers = \"any\": blocked_by ({}) is what holds; removed together from hardened, the attack reopens",
                    listed_ids.join(", ")
                ),
            });
        }
        Layers::All => {
            let mut all = blocked_by.clone();
            all.extend(&prerequisites);
            claims.push(Claim {
                profile: insecure_with(&all),
                expect: Expect::Blocked,
                says: format!(
                    "layers = \"all\": {}, added together to insecure, block the attack",
                    ids(&all)
                ),
            });
            for &d in &blocked_by {
                claims.push(Claim {
                    profile: hardened_without(&[d]),
                    expect: Expect::Compromised,
                    says: format!(
                        "layers = \"all\": each is needed, so removing {d} from hardened reopens the attack"
                    ),
                });
            }
        }
    }
    for &d in &blocked_by {
        let needs = requires_of(d);
        if !needs.is_empty() {
            claims.push(Claim {
                profile: insecure_with(&[d]),
                expect: Expect::NotBlocked,
                says: format!(
                    "requires: {d} does nothing without {}, so {d} alone on insecure does not block",
                    ids(&needs)
                ),
            });
        }
    }
    for &r in &prerequisites {
        claims.push(Claim {
            profile: insecure_with(&[r]),
            expect: Expect::NotBlocked,
            says: format!(
                "requires: {r} is a prerequisite, not a layer, so {r} alone on insecure does not block"
            ),
        });
        if let Requires::Every(_) = meta.requires {
            claims.push(Claim {
                profile: hardened_without(&[r]),
                expect: Expect::NotBlocked,
                says: format!(
                    "requires = [..]: every layer needs {r}, so hardened without {r} does not block"
                ),
            });
        }
    }
    // Nothing missing: no other single defense blocks alone, or holds alone.
    for d in Defense::ALL {
        if listed_ids.contains(&d.id()) {
            continue;
        }
        claims.push(Claim {
            profile: insecure_with(&[d]),
            expect: Expect::NotBlocked,
            says: format!(
                "{d} is not in blocked_by, so {d} alone on insecure does not block (or the file misses a layer)"
            ),
        });
        if !prerequisites.contains(&d) && !prerequisites.is_empty() {
            let mut on_its_foundation = prerequisites.clone();
            on_its_foundation.push(d);
            claims.push(Claim {
                profile: insecure_with(&on_its_foundation),
                expect: Expect::NotBlocked,
                says: format!(
                    "{d} is not in blocked_by, so {d} with {} on insecure does not block (or the file misses a layer)",
                    ids(&prerequisites)
                ),
            });
        }
        if !prerequisites.contains(&d) {
            claims.push(Claim {
                profile: hardened_without(&[d]),
                expect: Expect::NotCompromised,
                says: format!(
                    "{d} is in neither blocked_by nor requires, so removing it from hardened does not reopen the attack (or the file misses a claim)"
                ),
            });
        }
    }
    claims.push(Claim {
        profile: Profile::new(ProfileName::Hardened),
        expect: Expect::Blocked,
        says: "hardened blocks every attack".into(),
    });
    claims.push(Claim {
        profile: Profile::new(ProfileName::Insecure),
        expect: Expect::Compromised,
        says: "insecure falls to every attack".into(),
    });
    claims
}

fn ids(defenses: &[Defense]) -> String {
    defenses
        .iter()
        .map(|d| d.id())
        .collect::<Vec<_>>()
        .join(" + ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_file_claims_what_the_runs_show() {
    let started = Instant::now();
    let scenarios = catalog::all();
    let per_scenario: Vec<(ScenarioMeta, Vec<Claim>)> = scenarios
        .iter()
        .map(|meta| (meta.clone(), claims(meta)))
        .collect();
    let mut plan = Plan::default();
    for (meta, claims) in &per_scenario {
        for claim in claims {
            plan.need(claim.profile.clone(), &meta.id);
        }
    }
    let jobs: Vec<Job> = plan
        .jobs
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
    let run_count: usize = jobs.iter().map(|j| j.scenarios.len()).sum();
    let profile_count = jobs.len();
    let results = run_jobs(jobs, default_parallelism(), Arc::new(|_: &RunResult| {}))
        .await
        .expect("the apps start");
    let mut runs = HashMap::new();
    for ((profile, _), results) in plan.jobs.iter().zip(results) {
        for r in results {
            runs.insert((profile.label(), r.scenario.clone()), r);
        }
    }
    let runs = Runs(runs);

    let mut false_claims = Vec::new();
    for (meta, claims) in &per_scenario {
        for claim in claims {
            let run = runs.get(&claim.profile, &meta.id);
            let holds = match claim.expect {
                Expect::Blocked => run.outcome == Outcome::Blocked,
                Expect::Compromised => run.outcome == Outcome::Compromised,
                Expect::NotBlocked => run.outcome != Outcome::Blocked,
                Expect::NotCompromised => run.outcome != Outcome::Compromised,
            };
            if !holds {
                false_claims.push(format!(
                    "scenarios/{}.toml: \"{}\" is false: against {} the run was {}: {}",
                    meta.id,
                    claim.says,
                    claim.profile.label(),
                    run.outcome,
                    run.evidence
                ));
            }
        }
    }
    eprintln!(
        "ablation test: {run_count} runs against {profile_count} profiles in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        false_claims.is_empty(),
        "{} claim(s) of the scenario files do not match the runs:\n  {}",
        false_claims.len(),
        false_claims.join("\n  ")
    );
}

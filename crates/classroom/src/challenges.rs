//! The class's challenges, derived from the scenario registry: one per
//! scenario whose file's `[challenge]` table names a solve condition, a
//! visible "not hands-on" line for one that says why not, and a visible "no
//! hands-on challenge yet" for one whose file has no table. A new scenario
//! only adds data (`scenarios/<id>.toml`), never code here.

use std::sync::LazyLock;

use sessionlab_attack::catalog::{self, SolveCondition};
use sessionlab_attack::scenarios::REGISTRY;

/// How many hint levels each challenge has: a nudge, the mechanism, the steps.
pub const HINT_LEVELS: usize = 3;

/// One scenario as the class shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: &'static str,
    pub title: String,
    pub kind: Kind,
}

/// Whether the scenario is a hands-on challenge.
#[derive(Debug, Clone)]
pub enum Kind {
    Challenge(Challenge),
    /// The file says why there is no hands-on challenge.
    NotHandsOn(String),
    /// The file has no `[challenge]` table (a test fails on this).
    Undefined,
    /// The file's table is malformed: what is wrong (a test fails on this too).
    Invalid(String),
}

/// A challenge: what solves it, what the story hands the student, the hints.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub solve: SolveCondition,
    pub premise: Option<String>,
    pub hints: Vec<String>,
}

impl Entry {
    pub fn challenge(&self) -> Option<&Challenge> {
        match &self.kind {
            Kind::Challenge(challenge) => Some(challenge),
            _ => None,
        }
    }

    /// What the class shows instead of a challenge, if it is not one.
    pub fn why_not(&self) -> Option<String> {
        match &self.kind {
            Kind::Challenge(_) => None,
            Kind::NotHandsOn(reason) => Some(format!("not a hands-on challenge: {reason}")),
            Kind::Undefined => Some("no hands-on challenge yet".into()),
            Kind::Invalid(problem) => Some(format!(
                "no hands-on challenge yet (scenarios/{}.toml: {problem})",
                self.id
            )),
        }
    }
}

fn entry(scenario: &'static sessionlab_attack::Scenario) -> Entry {
    let meta = match catalog::parse(scenario.metadata) {
        Ok(meta) => meta,
        Err(e) => {
            return Entry {
                id: scenario.id,
                title: scenario.id.to_owned(),
                kind: Kind::Invalid(e.to_string()),
            };
        }
    };
    let kind = match meta.challenge {
        None => Kind::Undefined,
        Some(spec) => match (spec.solve, spec.not_hands_on) {
            (Some(_), Some(_)) => Kind::Invalid("both solve and not-hands-on".into()),
            (None, Some(reason)) => Kind::NotHandsOn(reason),
            (None, None) => Kind::Invalid("neither solve nor not-hands-on".into()),
            (Some(solve), None) if spec.hints.len() != HINT_LEVELS => Kind::Invalid(format!(
                "{} hints for {solve:?}; a challenge has {HINT_LEVELS}",
                spec.hints.len()
            )),
            (Some(solve), None) => Kind::Challenge(Challenge {
                solve,
                premise: spec.premise,
                hints: spec.hints,
            }),
        },
    };
    Entry {
        id: scenario.id,
        title: meta.title,
        kind,
    }
}

static ENTRIES: LazyLock<Vec<Entry>> = LazyLock::new(|| REGISTRY.iter().map(entry).collect());

/// Every scenario of the registry, in teaching order.
pub fn all() -> &'static [Entry] {
    &ENTRIES
}

/// The challenges only.
pub fn challenges() -> impl Iterator<Item = (&'static Entry, &'static Challenge)> {
    all()
        .iter()
        .filter_map(|entry| entry.challenge().map(|c| (entry, c)))
}

/// The entry with this id.
pub fn find(id: &str) -> Option<&'static Entry> {
    all().iter().find(|entry| entry.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scenario is a challenge or says why not: a new scenario cannot
    /// slip out of the class unnoticed.
    #[test]
    fn every_scenario_is_a_challenge_or_says_why_not() {
        for entry in all() {
            match &entry.kind {
                Kind::Challenge(c) => {
                    assert_eq!(c.hints.len(), HINT_LEVELS, "{}", entry.id);
                    assert!(
                        c.hints.iter().all(|h| !h.trim().is_empty()),
                        "{}: an empty hint",
                        entry.id
                    );
                }
                Kind::NotHandsOn(reason) => assert!(!reason.trim().is_empty(), "{}", entry.id),
                Kind::Undefined | Kind::Invalid(_) => panic!(
                    "scenarios/{}.toml: {} - add a [challenge] table with `solve` and three \
                     `hints`, or `not-hands-on` with the reason",
                    entry.id,
                    entry.why_not().unwrap_or_default()
                ),
            }
        }
    }

    #[test]
    fn each_solve_condition_belongs_to_one_challenge() {
        let mut seen = std::collections::HashMap::new();
        for (entry, challenge) in challenges() {
            if let Some(other) = seen.insert(challenge.solve, entry.id) {
                panic!("{} and {other} share {:?}", entry.id, challenge.solve);
            }
        }
    }
}

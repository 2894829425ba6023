//! What a scenario run produces: an outcome, the decisive evidence, and the steps.

use serde::Serialize;

/// The verdict of one scenario against one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The attacker read the victim's private note.
    Compromised,
    /// The attack stopped at a step; the evidence says where and why.
    Blocked,
    /// The run could not complete (target unreachable, login failed, ...).
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compromised => "compromised",
            Self::Blocked => "blocked",
            Self::Error => "error",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acted in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    Victim,
    Attacker,
    /// The on-path observer of the sniffing scenario.
    Observer,
}

/// One step of a run: who did what, and what they observed.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub actor: Actor,
    pub action: String,
    pub observed: String,
}

/// The result of one scenario against one target.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub scenario: String,
    pub profile: String,
    pub outcome: Outcome,
    /// The step where the attack succeeded or stopped, and what was observed there.
    pub evidence: String,
    pub steps: Vec<Step>,
    pub duration_ms: u64,
}

/// How a scenario function ends when nothing went wrong.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub outcome: Outcome,
    pub evidence: String,
}

impl Verdict {
    pub fn compromised(evidence: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Compromised,
            evidence: evidence.into(),
        }
    }
    pub fn blocked(evidence: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Blocked,
            evidence: evidence.into(),
        }
    }
}

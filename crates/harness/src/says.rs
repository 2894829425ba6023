//! The lab's claims and verdicts in words: each sentence is worded here, once.
//!
//! [`Said`] is what a scenario file claims about one run ("X, added to
//! insecure, blocks the attack", "removing X from hardened reopens the
//! attack", "X alone on insecure does not block"); [`Verdict`] is what the
//! ablation's runs show holds an attack ("stopped by X alone", "no single
//! removal reopens it"). `sessionlab ablate`, the lessons, the reports and
//! the test suite all print these values, never their own sentences.

use std::fmt;

use sessionlab_app::Defense;

use crate::claims::{FalseClaim, UncheckedClaim};

/// Where the wording points for the layers single removals cannot measure.
pub const CLAIMS_CHECKED_BY: &str = "checked by the test suite, tests/ablation.rs";

/// Defenses that, removed alone, reopen none of the attacks run.
pub const REOPEN_NOTHING: &str = "Removed alone, these reopen nothing here (one layer among \
     several, or they guard other scenarios)";

/// `a + b + c`
fn plus(defenses: &[Defense]) -> String {
    defenses
        .iter()
        .map(|d| d.id())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// `a, b, c`
fn listed(defenses: &[Defense]) -> String {
    defenses
        .iter()
        .map(|d| d.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One claim a scenario file makes about one run (built by [`crate::claims::claims`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// `layers = "any"`: `defense`, with what it `needs`, added to insecure blocks the attack.
    AddedAloneBlocks {
        defense: Defense,
        needs: Vec<Defense>,
    },
    /// `layers = "any"`: `blocked_by` is what holds; removed (together) from hardened, the attack reopens.
    RemovedTogetherReopens { blocked_by: Vec<Defense> },
    /// `layers = "all"`: all of `defenses`, added together to insecure, block the attack.
    AddedTogetherBlock { defenses: Vec<Defense> },
    /// `layers = "all"`: each is needed, so removing `defense` from hardened reopens the attack.
    EachNeeded { defense: Defense },
    /// `requires`: `defense` does nothing without `needs`, so alone on insecure it does not block.
    NothingWithout {
        defense: Defense,
        needs: Vec<Defense>,
    },
    /// `requires`: a prerequisite is no layer, so alone on insecure it does not block.
    PrerequisiteAlone { prerequisite: Defense },
    /// `requires = [..]`: every layer needs `prerequisite`, so hardened without it does not block.
    EveryLayerNeeds { prerequisite: Defense },
    /// `defense` is not in `blocked_by`, so on insecure (on top of `on`) it does not block.
    NotALayer { defense: Defense, on: Vec<Defense> },
    /// `defense` is in neither `blocked_by` nor `requires`, so its removal does not reopen the attack.
    NotNeeded { defense: Defense },
    /// The intact hardened profile blocks the attack.
    HardenedBlocks,
    /// The intact insecure profile falls to the attack.
    InsecureFalls,
    /// `instead_of` is about a profile that cannot keep a session: browsers
    /// refuse its cookie (it has `refused_by` but not tls), so no run against
    /// it reaches a verdict. What is claimed instead is exactly that.
    CannotKeepSession {
        refused_by: Vec<Defense>,
        instead_of: Box<Said>,
    },
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddedAloneBlocks { defense, needs } => {
                let with = if needs.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", plus(needs))
                };
                write!(
                    f,
                    "layers = \"any\": {defense}{with}, added to insecure, blocks the attack"
                )
            }
            Self::RemovedTogetherReopens { blocked_by } => {
                let removed = if blocked_by.len() == 1 {
                    "removed"
                } else {
                    "removed together"
                };
                write!(
                    f,
                    "layers = \"any\": blocked_by ({}) is what holds; {removed} from hardened, \
                     the attack reopens",
                    listed(blocked_by)
                )
            }
            Self::AddedTogetherBlock { defenses } => write!(
                f,
                "layers = \"all\": {}, added together to insecure, block the attack",
                plus(defenses)
            ),
            Self::EachNeeded { defense } => write!(
                f,
                "layers = \"all\": each is needed, so removing {defense} from hardened reopens \
                 the attack"
            ),
            Self::NothingWithout { defense, needs } => write!(
                f,
                "requires: {defense} does nothing without {}, so {defense} alone on insecure \
                 does not block",
                plus(needs)
            ),
            Self::PrerequisiteAlone { prerequisite: r } => write!(
                f,
                "requires: {r} is a prerequisite, not a layer, so {r} alone on insecure does \
                 not block"
            ),
            Self::EveryLayerNeeds { prerequisite: r } => write!(
                f,
                "requires = [..]: every layer needs {r}, so hardened without {r} does not block"
            ),
            Self::NotALayer { defense: d, on } if on.is_empty() => write!(
                f,
                "{d} is not in blocked_by, so {d} alone on insecure does not block (or the file \
                 misses a layer)"
            ),
            Self::NotALayer { defense: d, on } => write!(
                f,
                "{d} is not in blocked_by, so {d} with {} on insecure does not block (or the \
                 file misses a layer)",
                plus(on)
            ),
            Self::NotNeeded { defense: d } => write!(
                f,
                "{d} is in neither blocked_by nor requires, so removing it from hardened does \
                 not reopen the attack (or the file misses a claim)"
            ),
            Self::HardenedBlocks => f.write_str("hardened blocks every attack"),
            Self::InsecureFalls => f.write_str("insecure falls to every attack"),
            Self::CannotKeepSession {
                refused_by,
                instead_of,
            } => write!(
                f,
                "a profile with {} but not tls keeps no session (browsers refuse its cookie \
                 over plain HTTP), so its run ends in error and \"{instead_of}\" cannot be \
                 checked by a run",
                plus(refused_by)
            ),
        }
    }
}

/// What holds one attack in hardened, as the ablation's runs show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The intact hardened profile was compromised.
    HardenedFalls,
    /// The intact hardened run ended in error: nothing to compare with.
    HardenedNoVerdict,
    /// Hardened blocks the attack.
    Holds {
        /// Defenses whose removal alone reopens the attack.
        reopened_by: Vec<Defense>,
        /// The file's other layers, each with what it needs ("host-prefix (needs tls)").
        layers: Vec<String>,
        /// What every layer needs, as the file says (`requires = ["tls"]`).
        foundation: Vec<String>,
        /// The file's claims the runs contradict.
        contradicted: Vec<Said>,
    },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (reopened_by, layers, foundation, contradicted) = match self {
            Self::HardenedFalls => return f.write_str("hardened itself falls"),
            Self::HardenedNoVerdict => {
                return f.write_str("no verdict: the intact hardened run ended in error");
            }
            Self::Holds {
                reopened_by,
                layers,
                foundation,
                contradicted,
            } => (reopened_by, layers, foundation, contradicted),
        };
        let critical: Vec<&str> = reopened_by.iter().map(|d| d.id()).collect();
        let on_top = if foundation.is_empty() {
            String::new()
        } else {
            format!(", on top of {}", foundation.join(" + "))
        };
        let layers_text = layers.join(", ");
        match (critical.as_slice(), layers.is_empty()) {
            ([], true) => write!(f, "no single removal reopens it")?,
            ([], false) => write!(
                f,
                "no single removal reopens it; the scenario file names these layers: \
                 {layers_text}{on_top} ({CLAIMS_CHECKED_BY})"
            )?,
            ([only], true) => write!(f, "stopped by {only} alone{on_top}")?,
            (critical, true) => write!(
                f,
                "removing any one of {} reopens it{on_top}",
                critical.join(", ")
            )?,
            (critical, false) => write!(
                f,
                "removing {} alone reopens it; the scenario file also names \
                 {layers_text}{on_top} ({CLAIMS_CHECKED_BY})",
                critical.join(" or ")
            )?,
        }
        for said in contradicted {
            write!(f, "; ⚠ the runs contradict the scenario file: {said}")?;
        }
        Ok(())
    }
}

/// `host-prefix (needs tls)`: a layer a scenario file names, with what the
/// file says it requires (`requires = { host-prefix = ["tls"] }`).
pub fn layer(id: &str, needs: &[String]) -> String {
    if needs.is_empty() {
        id.to_string()
    } else {
        format!("{id} (needs {})", needs.join(" + "))
    }
}

/// ` (no verdict without tls, ...)`: removals that left one attack without a verdict.
pub fn no_verdict_without(defenses: &[Defense]) -> String {
    format!(" (no verdict without {})", listed(defenses))
}

/// `scenarios/csrf.toml: "..." is false`
pub fn file_claim_is_false(scenario: &str, said: &Said) -> String {
    format!("scenarios/{scenario}.toml: \"{said}\" is false")
}

impl fmt::Display for FalseClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: against {} the run was {}: {}",
            file_claim_is_false(&self.claim.scenario, &self.claim.says),
            self.claim.profile.label(),
            self.outcome,
            self.evidence
        )
    }
}

impl fmt::Display for UncheckedClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scenarios/{}.toml: \"{}\" is unchecked: against {} the run reached no verdict: {}",
            self.claim.scenario,
            self.claim.says,
            self.claim.profile.label(),
            self.evidence
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_says_what_the_runs_measured_first() {
        let alone = Verdict::Holds {
            reopened_by: vec![Defense::ServerLogout],
            layers: Vec::new(),
            foundation: Vec::new(),
            contradicted: Vec::new(),
        };
        assert_eq!(alone.to_string(), "stopped by server-logout alone");
        let layered = Verdict::Holds {
            reopened_by: Vec::new(),
            layers: vec![layer("host-prefix", &["tls".into()])],
            foundation: Vec::new(),
            contradicted: vec![Said::HardenedBlocks],
        };
        assert_eq!(
            layered.to_string(),
            format!(
                "no single removal reopens it; the scenario file names these layers: \
                 host-prefix (needs tls) ({CLAIMS_CHECKED_BY}); ⚠ the runs contradict the \
                 scenario file: hardened blocks every attack"
            )
        );
    }

    #[test]
    fn a_claim_about_a_profile_without_a_session_says_so() {
        let said = Said::CannotKeepSession {
            refused_by: vec![Defense::SecureCookie, Defense::HostPrefix],
            instead_of: Box::new(Said::NotNeeded {
                defense: Defense::Tls,
            }),
        };
        let text = said.to_string();
        assert!(
            text.starts_with(
                "a profile with secure-cookie + host-prefix but not tls keeps no session"
            ),
            "{text}"
        );
        assert!(text.contains("\"tls is in neither blocked_by"), "{text}");
    }
}

//! What holds each attack in hardened, as an ablation's runs show it.

use sessionlab_app::Defense;
use sessionlab_attack::catalog::Requires;
use sessionlab_attack::{Outcome, ScenarioMeta};

use super::Ablation;
use crate::says::{self, Said, Verdict};

/// What holds one attack in the hardened profile.
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
    /// The file's claims that these runs contradict.
    pub contradicted: Vec<Said>,
}

impl Holding<'_> {
    /// The verdict, typed; its `Display` is the one sentence for it ("stopped
    /// by server-logout alone"). What the runs measured comes first; what
    /// only the scenario file says is attributed to it.
    pub fn verdict(&self) -> Verdict {
        match self.hardened {
            Outcome::Compromised => Verdict::HardenedFalls,
            // The lab's own app runs every scenario; not-applicable is for target files.
            Outcome::Error | Outcome::NotApplicable => Verdict::HardenedNoVerdict,
            Outcome::Blocked => Verdict::Holds {
                reopened_by: self.reopened_by.clone(),
                layers: self.layers.clone(),
                foundation: self.foundation.clone(),
                contradicted: self.contradicted.clone(),
            },
        }
    }
}

impl Ablation {
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
                        Requires::Each(_) => says::layer(id, meta.requires.of(id)),
                        Requires::Every(_) => id.clone(),
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
}

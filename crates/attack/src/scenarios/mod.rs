//! One module per scenario. Each `run` drives the victim and the attacker and
//! ends in a [`Verdict`](crate::outcome::Verdict) whose `compromised` is only
//! ever reached by the attacker's own response showing the victim's note.

pub mod absolute_timeout;
pub mod concurrent_sessions;
pub mod credential_bypass;
pub mod cross_instance_logout;
pub mod csrf;
pub mod fixation_cookie;
pub mod fixation_invented;
pub mod fixation_url;
pub mod forged_cookie;
pub mod hijack_predict;
pub mod hijack_sniff;
pub mod hijack_xss;
pub mod idle_timeout;
pub mod jwt_none;
pub mod logout_reuse;
pub mod password_change;
pub mod referer_leak;
pub mod session_puzzling;

use std::future::Future;
use std::pin::Pin;

use crate::lab::{RunContext, RunError};
use crate::outcome::Verdict;

/// What a scenario's `run` returns, boxed so the registry can hold every `run` in one table.
pub type ScenarioFuture<'a> = Pin<Box<dyn Future<Output = Result<Verdict, RunError>> + Send + 'a>>;

/// One scenario of the catalog: everything the lab derives its lists from.
pub struct Scenario {
    /// The id on the command line, in reports and in file names.
    pub id: &'static str,
    /// `scenarios/<id>.toml`, compiled in (see [`crate::catalog`]).
    pub metadata: &'static str,
    /// `docs/lessons/<id>.md`, compiled in: what handouts carry.
    pub lesson: &'static str,
    /// Whether it lets hours of lab time pass: against an app started with
    /// `sessionlab serve`, it needs `--lab-clock` (and the key it prints).
    pub needs_lab_clock: bool,
    /// Drives the victim and the attacker to a verdict.
    pub run: for<'a> fn(&'a mut RunContext) -> ScenarioFuture<'a>,
}

/// A registry line: the module, its id, and whether it moves the lab clock.
macro_rules! scenario {
    ($module:ident, $id:literal, needs_lab_clock: $clock:literal) => {
        Scenario {
            id: $id,
            metadata: include_str!(concat!("../../../../scenarios/", $id, ".toml")),
            lesson: include_str!(concat!("../../../../docs/lessons/", $id, ".md")),
            needs_lab_clock: $clock,
            run: |ctx| Box::pin($module::run(ctx)),
        }
    };
}

/// Every scenario, in teaching order: the one list the catalog, the CLI, the
/// lessons and the tests derive theirs from. A new scenario is its module,
/// its line here, its `scenarios/<id>.toml` and its `docs/lessons/<id>.md`.
pub static REGISTRY: &[Scenario] = &[
    scenario!(hijack_predict, "hijack-predict", needs_lab_clock: false),
    scenario!(hijack_xss, "hijack-xss", needs_lab_clock: false),
    scenario!(hijack_sniff, "hijack-sniff", needs_lab_clock: false),
    scenario!(fixation_url, "fixation-url", needs_lab_clock: false),
    scenario!(fixation_cookie, "fixation-cookie", needs_lab_clock: false),
    scenario!(logout_reuse, "logout-reuse", needs_lab_clock: false),
    scenario!(idle_timeout, "idle-timeout", needs_lab_clock: true),
    scenario!(absolute_timeout, "absolute-timeout", needs_lab_clock: true),
    scenario!(password_change, "password-change", needs_lab_clock: false),
    scenario!(concurrent_sessions, "concurrent-sessions", needs_lab_clock: false),
    scenario!(cross_instance_logout, "cross-instance-logout", needs_lab_clock: false),
    scenario!(referer_leak, "referer-leak", needs_lab_clock: false),
    scenario!(csrf, "csrf", needs_lab_clock: false),
    scenario!(session_puzzling, "session-puzzling", needs_lab_clock: false),
    scenario!(credential_bypass, "credential-bypass", needs_lab_clock: false),
    scenario!(forged_cookie, "forged-cookie", needs_lab_clock: false),
    scenario!(jwt_none, "jwt-none", needs_lab_clock: false),
    // After the catalog it follows up: fixation-cookie's question, with an ID nobody issued.
    scenario!(fixation_invented, "fixation-invented", needs_lab_clock: false),
];

/// The registry entry with this id.
pub fn find(id: &str) -> Option<&'static Scenario> {
    REGISTRY.iter().find(|scenario| scenario.id == id)
}

/// Whether the scenario `id` moves the app's clock (see [`Scenario::needs_lab_clock`]).
pub fn needs_lab_clock(id: &str) -> bool {
    find(id).is_some_and(|scenario| scenario.needs_lab_clock)
}

#[cfg(test)]
mod tests {
    use super::REGISTRY;

    #[test]
    fn the_scenarios_that_move_the_clock_are_the_ones_marked() {
        for scenario in REGISTRY {
            let file = format!(
                "{}/src/scenarios/{}.rs",
                env!("CARGO_MANIFEST_DIR"),
                scenario.id.replace('-', "_")
            );
            let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(
                source.contains("require_clock_control"),
                scenario.needs_lab_clock,
                "{}",
                scenario.id
            );
        }
    }
}

//! One module per scenario. Each `run` drives the victim and the attacker and
//! ends in a [`Verdict`](crate::outcome::Verdict) whose `compromised` is only
//! ever reached by the attacker's own response showing the victim's note.

pub mod absolute_timeout;
pub mod concurrent_sessions;
pub mod credential_bypass;
pub mod csrf;
pub mod fixation_cookie;
pub mod fixation_url;
pub mod hijack_predict;
pub mod hijack_sniff;
pub mod hijack_xss;
pub mod idle_timeout;
pub mod logout_reuse;
pub mod password_change;
pub mod referer_leak;
pub mod session_puzzling;

use crate::lab::{RunContext, RunError};
use crate::outcome::Verdict;

/// The scenarios that let hours of lab time pass: against an app started
/// with `sessionlab serve`, they need its `--lab-clock` (and the key it prints).
pub const NEEDING_LAB_CLOCK: &[&str] = &["idle-timeout", "absolute-timeout"];

/// Whether the scenario `id` moves the app's clock (see [`NEEDING_LAB_CLOCK`]).
pub fn needs_lab_clock(id: &str) -> bool {
    NEEDING_LAB_CLOCK.contains(&id)
}

/// Runs the scenario with this id; `None` if no scenario has that id.
pub async fn dispatch(id: &str, ctx: &mut RunContext) -> Option<Result<Verdict, RunError>> {
    Some(match id {
        "hijack-predict" => hijack_predict::run(ctx).await,
        "hijack-xss" => hijack_xss::run(ctx).await,
        "hijack-sniff" => hijack_sniff::run(ctx).await,
        "fixation-url" => fixation_url::run(ctx).await,
        "fixation-cookie" => fixation_cookie::run(ctx).await,
        "logout-reuse" => logout_reuse::run(ctx).await,
        "idle-timeout" => idle_timeout::run(ctx).await,
        "absolute-timeout" => absolute_timeout::run(ctx).await,
        "password-change" => password_change::run(ctx).await,
        "concurrent-sessions" => concurrent_sessions::run(ctx).await,
        "referer-leak" => referer_leak::run(ctx).await,
        "csrf" => csrf::run(ctx).await,
        "session-puzzling" => session_puzzling::run(ctx).await,
        "credential-bypass" => credential_bypass::run(ctx).await,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::needs_lab_clock;

    #[test]
    fn the_scenarios_that_move_the_clock_are_the_ones_listed() {
        for meta in crate::catalog::all() {
            let file = format!(
                "{}/src/scenarios/{}.rs",
                env!("CARGO_MANIFEST_DIR"),
                meta.id.replace('-', "_")
            );
            let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(
                source.contains("require_clock_control"),
                needs_lab_clock(&meta.id),
                "{}",
                meta.id
            );
        }
    }
}

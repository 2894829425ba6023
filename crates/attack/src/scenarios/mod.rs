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

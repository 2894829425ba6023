//! `session-puzzling`: TODO(helper).

use crate::lab::{RunContext, RunError};
use crate::outcome::Verdict;

pub async fn run(_ctx: &mut RunContext) -> Result<Verdict, RunError> {
    Err(RunError::Lab("session-puzzling is not written yet".into()))
}

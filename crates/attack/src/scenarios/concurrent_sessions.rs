//! `concurrent-sessions`: TODO(helper).

use crate::lab::{RunContext, RunError};
use crate::outcome::Verdict;

pub async fn run(_ctx: &mut RunContext) -> Result<Verdict, RunError> {
    Err(RunError::Lab(
        "concurrent-sessions is not written yet".into(),
    ))
}

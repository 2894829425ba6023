//! `absolute-timeout`: TODO(helper).

use crate::lab::{RunContext, RunError};
use crate::outcome::Verdict;

pub async fn run(_ctx: &mut RunContext) -> Result<Verdict, RunError> {
    Err(RunError::Lab("absolute-timeout is not written yet".into()))
}

//! The challenges with their state in one lab: the scoreboard the lab page
//! and `/scoreboard` show, and each challenge's state cell on its own
//! (`/lab/status.json`, which `/class.js` polls to put a new solve in place).

use askama::Template;
use sessionlab_attack::lessons::inline_html;

use super::times::time_of_day;
use crate::challenges::{self, Challenge, Entry, Kind};
use crate::goals::Goal;
use crate::roster::{Progress, SolvedRecord};

/// When a challenge's lesson opens: it tells how the attack works, so not
/// before the student has solved it or asked for every hint. The lab page
/// and a lesson still closed say so, in these words.
pub const LESSON_RULE: &str =
    "A challenge's lesson opens here once you solve it or reveal its last hint.";

/// Whether `entry`'s lesson is open to a student with `progress`
/// ([`LESSON_RULE`]); a scenario that is no hands-on challenge has nothing
/// to give away.
pub fn lesson_is_open(entry: &Entry, progress: &Progress) -> bool {
    match entry.challenge() {
        Some(challenge) => {
            progress.is_solved(entry.id) || hints_used(entry, progress) >= challenge.hints.len()
        }
        None => true,
    }
}

fn hints_used(entry: &Entry, progress: &Progress) -> usize {
    progress.hints.get(entry.id).copied().unwrap_or(0)
}

/// One row of the scoreboard.
pub struct Row {
    pub id: &'static str,
    pub title: &'static str,
    pub kind: RowKind,
}

pub enum RowKind {
    Challenge(ChallengeRow),
    /// Why the scenario is no hands-on challenge, as HTML: its `code` (a
    /// command to replay it) set as code (`lessons::inline_html`, where raw
    /// HTML is text).
    NotAChallenge(String),
}

pub struct ChallengeRow {
    pub premise: Option<&'static str>,
    /// What solves it ([`Goal`]).
    pub goal: String,
    pub state: StateCell,
    /// The hints revealed so far, in order.
    pub hints: &'static [String],
    /// How many hints the challenge has.
    pub hint_levels: usize,
}

impl ChallengeRow {
    /// The number of the next hint, if one is left.
    pub fn next_hint(&self) -> Option<usize> {
        (self.hints.len() < self.hint_levels).then_some(self.hints.len() + 1)
    }
}

/// A challenge's state cell: solved or not, and whether its lesson is open.
#[derive(Template)]
#[template(path = "state_cell.html")]
pub struct StateCell {
    pub id: &'static str,
    pub solved: Option<Solved>,
    pub lesson_open: bool,
}

/// A solve as the cell shows it.
pub struct Solved {
    /// Wall time, to the second (UTC).
    pub at: String,
    pub summary: String,
}

impl Solved {
    fn of(record: &SolvedRecord) -> Self {
        Self {
            at: time_of_day(record.at),
            summary: record.summary.clone(),
        }
    }
}

/// The state cell of `entry` for a student with `progress`.
fn state_cell(entry: &'static Entry, progress: &Progress) -> StateCell {
    StateCell {
        id: entry.id,
        solved: progress
            .solved
            .iter()
            .find(|s| s.challenge == entry.id)
            .map(Solved::of),
        lesson_open: lesson_is_open(entry, progress),
    }
}

fn challenge_row(
    entry: &'static Entry,
    challenge: &'static Challenge,
    progress: &Progress,
) -> ChallengeRow {
    let revealed = hints_used(entry, progress).min(challenge.hints.len());
    ChallengeRow {
        premise: challenge.premise.as_deref(),
        goal: Goal::of(challenge.solve).sentence(),
        state: state_cell(entry, progress),
        hints: &challenge.hints[..revealed],
        hint_levels: challenge.hints.len(),
    }
}

/// Every scenario of the class, in teaching order, with its state in `progress`.
pub fn rows(progress: &Progress) -> Vec<Row> {
    challenges::all()
        .iter()
        .map(|entry| Row {
            id: entry.id,
            title: &entry.title,
            kind: match &entry.kind {
                Kind::Challenge(challenge) => {
                    RowKind::Challenge(challenge_row(entry, challenge, progress))
                }
                _ => RowKind::NotAChallenge(inline_html(&entry.why_not().unwrap_or_default())),
            },
        })
        .collect()
}

/// Each challenge's state cell, rendered, by challenge id: what
/// `/lab/status.json` answers.
pub fn rendered_state_cells(
    progress: &Progress,
) -> std::collections::BTreeMap<&'static str, String> {
    challenges::challenges()
        .filter_map(|(entry, _)| {
            let html = state_cell(entry, progress).render().ok()?;
            Some((entry.id, html))
        })
        .collect()
}

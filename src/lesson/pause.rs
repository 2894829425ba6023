//! Pausing between a lesson's steps, only when a person can press Enter.

use std::io::{BufRead, IsTerminal, Write};

use colored::Colorize;

use crate::{out, outln};

/// Whether the lesson waits for Enter between steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Wait at each step (only when stdin and stdout are terminals: see [`Pace::choose`]).
    Pause,
    /// Print everything in one go (`--no-pause`, scripts, CI, a pipe or a file on stdin or stdout).
    NoPause,
}

impl Pace {
    /// Pauses only for a person at a terminal: with stdin a pipe or /dev/null
    /// there is nobody to press Enter, and waiting would hang a script; with
    /// stdout a file or a pipe (`lesson csrf > notes.txt` at a terminal) the
    /// prompt would land in the file, and the lesson would wait, unexplained,
    /// for an Enter the learner has no reason to press.
    pub fn choose(no_pause: bool) -> Pace {
        Self::for_terminals(
            no_pause,
            std::io::stdin().is_terminal(),
            std::io::stdout().is_terminal(),
        )
    }

    fn for_terminals(no_pause: bool, stdin_is_terminal: bool, stdout_is_terminal: bool) -> Pace {
        if !no_pause && stdin_is_terminal && stdout_is_terminal {
            Pace::Pause
        } else {
            Pace::NoPause
        }
    }
}

/// Waits for Enter between steps, when there is someone to press it.
pub(super) struct Pauser {
    pace: Pace,
}

impl Pauser {
    pub(super) fn new(pace: Pace) -> Self {
        Self { pace }
    }

    /// Waits for Enter; `false` when the learner typed `q` (end the lesson).
    /// End of input stops the pausing instead of the lesson.
    pub(super) fn wait(&mut self, next: &str) -> std::io::Result<bool> {
        if self.pace == Pace::NoPause {
            outln!();
            return Ok(true);
        }
        out!("\n{}", format!("[Enter: {next} · q: quit] ").dimmed());
        std::io::stdout().flush()?;
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer)? == 0 {
            self.pace = Pace::NoPause;
            outln!();
            return Ok(true);
        }
        Ok(!answer.trim().eq_ignore_ascii_case("q"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_pauses_only_with_a_terminal_on_both_ends() {
        assert_eq!(Pace::for_terminals(false, true, true), Pace::Pause);
        // `sessionlab lesson csrf > notes.txt` typed at a terminal.
        assert_eq!(Pace::for_terminals(false, true, false), Pace::NoPause);
        assert_eq!(Pace::for_terminals(false, false, true), Pace::NoPause);
        assert_eq!(Pace::for_terminals(true, true, true), Pace::NoPause);
    }
}

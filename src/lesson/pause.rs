//! Pausing between a lesson's steps, only when a person can press a key.
//!
//! The keys come through [`Keys`]: at a terminal one key is read in raw mode
//! ([`TerminalKeys`]: `q` quits without Enter), anywhere else a line is read
//! ([`LineKeys`], which the tests feed from a byte string).

use std::io::{BufRead, IsTerminal, Write};

use colored::Colorize;

/// Whether the lesson waits for a key between steps.
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

/// What the learner asked for at a pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Enter, space or any other key: go on.
    Next,
    /// `q` (or Esc, Ctrl-C at a terminal): end the lesson.
    Quit,
    /// `f`: the step just shown again, with every exchange (after `--brief`).
    Full,
}

impl Key {
    fn of_char(c: char) -> Key {
        match c.to_ascii_lowercase() {
            'q' => Key::Quit,
            'f' => Key::Full,
            _ => Key::Next,
        }
    }
}

/// Where the keys at a pause come from.
pub trait Keys: Send {
    /// The next key, or `None` at the end of input (the lesson then stops pausing).
    fn next_key(&mut self) -> std::io::Result<Option<Key>>;
}

/// Keys read a line at a time: `q`, `f` or anything else, then Enter.
pub struct LineKeys<R>(pub R);

impl<R: BufRead + Send> Keys for LineKeys<R> {
    fn next_key(&mut self) -> std::io::Result<Option<Key>> {
        let mut line = String::new();
        if self.0.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        Ok(Some(
            line.trim().chars().next().map_or(Key::Next, Key::of_char),
        ))
    }
}

/// One key at a time from the terminal, in raw mode, so `q` needs no Enter.
/// Raw mode is on only while a key is awaited.
pub struct TerminalKeys;

impl Keys for TerminalKeys {
    fn next_key(&mut self) -> std::io::Result<Option<Key>> {
        use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
        crossterm::terminal::enable_raw_mode()?;
        let key = loop {
            match event::read() {
                Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => {
                    break Ok(match key.code {
                        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                            Key::Quit
                        }
                        KeyCode::Char(c) => Key::of_char(c),
                        KeyCode::Esc => Key::Quit,
                        _ => Key::Next,
                    });
                }
                Ok(_) => continue,
                Err(e) => break Err(e),
            }
        };
        crossterm::terminal::disable_raw_mode()?;
        key.map(Some)
    }
}

/// The keys of this process: one key from a terminal, else a line from stdin.
pub fn stdin_keys() -> Box<dyn Keys> {
    if std::io::stdin().is_terminal() {
        Box::new(TerminalKeys)
    } else {
        Box::new(LineKeys(std::io::BufReader::new(std::io::stdin())))
    }
}

/// Waits for a key between steps, when there is someone to press it.
pub(super) struct Pauser {
    pace: Pace,
    keys: Box<dyn Keys>,
    /// Whether `f` is offered (the steps were shown `--brief`).
    offer_full: bool,
}

impl Pauser {
    pub(super) fn new(pace: Pace, keys: Box<dyn Keys>, offer_full: bool) -> Self {
        Self {
            pace,
            keys,
            offer_full,
        }
    }

    /// Waits for a key; `Quit` when the learner pressed `q`. End of input
    /// stops the pausing instead of the lesson. `full` says whether `f` means
    /// something here (a step was just shown in brief).
    pub(super) fn wait(
        &mut self,
        out: &mut dyn Write,
        next: &str,
        full: bool,
    ) -> std::io::Result<Key> {
        if self.pace == Pace::NoPause {
            writeln!(out)?;
            return Ok(Key::Next);
        }
        let full_hint = if full && self.offer_full {
            " · f: full HTTP"
        } else {
            ""
        };
        write!(
            out,
            "\n{}",
            format!("[Enter: {next}{full_hint} · q: quit] ").bold()
        )?;
        out.flush()?;
        let key = self.keys.next_key()?;
        writeln!(out)?;
        match key {
            None => {
                self.pace = Pace::NoPause;
                Ok(Key::Next)
            }
            Some(Key::Full) if !(full && self.offer_full) => Ok(Key::Next),
            Some(key) => Ok(key),
        }
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

    #[test]
    fn lines_become_keys() {
        let mut keys = LineKeys(&b"\nF\nq\n"[..]);
        assert_eq!(keys.next_key().unwrap(), Some(Key::Next));
        assert_eq!(keys.next_key().unwrap(), Some(Key::Full));
        assert_eq!(keys.next_key().unwrap(), Some(Key::Quit));
        assert_eq!(keys.next_key().unwrap(), None);
    }
}

//! Writing to stdout when the reader may leave early.
//!
//! `sessionlab demo --format json | head -1` closes the pipe after one line.
//! `print!` panics on the broken pipe (Rust ignores SIGPIPE), and restoring
//! the default SIGPIPE handler is no fix here: the apps run in this process,
//! and their sockets write with `writev`, which would then kill the whole lab
//! the moment a browser hangs up mid-response. So the CLI prints through
//! [`write`] ([`out!`](crate::out), [`outln!`](crate::outln)): a reader that
//! went away ends the program at once with exit code 0, as `cat` would.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code when stdout cannot be written for another reason (a full disk).
const EXIT_FAILURE: i32 = 1;

static ASCII: AtomicBool = AtomicBool::new(false);

/// `--ascii` (or `TERM=dumb`): everything printed through [`write`] is plain
/// ASCII: no box drawing, arrows or check marks (screen readers, logs).
pub fn set_ascii(on: bool) {
    ASCII.store(on, Ordering::Relaxed);
}

/// Whether output is kept to ASCII.
pub fn ascii() -> bool {
    ASCII.load(Ordering::Relaxed)
}

/// `text` with each character outside ASCII replaced by an ASCII stand-in.
pub fn to_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            '→' => out.push_str("->"),
            '←' => out.push_str("<-"),
            '⇢' => out.push_str("=>"),
            '✗' | '❌' => out.push('X'),
            '✓' | '✅' => out.push_str("ok"),
            '⚠' => out.push('!'),
            '…' => out.push_str("..."),
            '·' | '•' => out.push('-'),
            '—' | '–' => out.push('-'),
            '“' | '”' => out.push('"'),
            '‘' | '’' => out.push('\''),
            '─' | '━' | '═' | '┄' | '╌' => out.push('-'),
            '│' | '┃' | '║' | '┆' | '╎' => out.push('|'),
            '\u{2500}'..='\u{257F}' => out.push('+'),
            '\u{FE0F}' => {}
            _ => out.push('?'),
        }
    }
    out
}

/// Writes `args` to stdout and flushes; see the module documentation for
/// what happens when that fails.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let written = if ascii() {
        stdout.write_all(to_ascii(&args.to_string()).as_bytes())
    } else {
        stdout.write_fmt(args)
    };
    if let Err(error) = written.and_then(|()| stdout.flush()) {
        if error.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {error}");
        std::process::exit(EXIT_FAILURE);
    }
}

/// Stdout as a [`Write`], with [`write`]'s handling of a reader that went
/// away: for code that writes to any writer (the lesson, which tests run
/// into a buffer).
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write(format_args!("{}", String::from_utf8_lossy(buf)));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `print!` that ends the program quietly (exit 0) when stdout's reader has gone.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdout::write(::std::format_args!($($arg)*))
    };
}

/// `println!` that ends the program quietly (exit 0) when stdout's reader has gone.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::stdout::write(::std::format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(::std::format_args!("{}\n", ::std::format_args!($($arg)*)))
    };
}

//! One printer for everything a command says: data on stdout, the rest on stderr, respecting
//! `--quiet`, `--verbose`, colour (`NO_COLOR`, terminals only) and a progress bar for large
//! fleets on a terminal (never in CI or when piped).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the one printer of the program"
)]

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How chatty a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors and data only.
    Quiet,
    /// Summaries.
    Normal,
    /// Everything.
    Verbose,
}

/// The printer.
#[derive(Debug, Clone)]
pub struct Printer {
    /// How chatty.
    pub verbosity: Verbosity,
    /// Whether stdout gets ANSI colours.
    pub colour: bool,
    /// Set once the reader of stdout went away (`eksvend schema | head -1`): nothing more is
    /// written there, and the run ends quietly with exit 0, as ripgrep does.
    stdout_closed: Arc<AtomicBool>,
}

impl Printer {
    /// A printer for this process: colour when stdout is a terminal and `NO_COLOR` is unset.
    pub fn new(verbosity: Verbosity) -> Printer {
        let colour = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Printer {
            verbosity,
            colour,
            stdout_closed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Data for stdout (always printed).
    pub fn data(&self, text: &str) {
        self.out(text.as_bytes(), true);
    }

    /// Bytes for stdout as they are (completions, the man page).
    pub fn raw(&self, bytes: &[u8]) {
        self.out(bytes, false);
    }

    /// A summary line for stdout (not with --quiet).
    pub fn info(&self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.out(text.as_bytes(), true);
        }
    }

    /// Whether the reader of stdout went away.
    pub fn stdout_closed(&self) -> bool {
        self.stdout_closed.load(Ordering::Relaxed)
    }

    fn out(&self, bytes: &[u8], newline: bool) {
        if self.stdout_closed() {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        let written = stdout
            .write_all(bytes)
            .and_then(|()| {
                if newline {
                    stdout.write_all(b"\n")
                } else {
                    Ok(())
                }
            })
            .and_then(|()| stdout.flush());
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.stdout_closed.store(true, Ordering::Relaxed);
            } else {
                eprintln!("error: cannot write to stdout: {e}");
            }
        }
    }

    /// Detail for stderr (only with --verbose).
    pub fn detail(&self, text: &str) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!("{text}");
        }
    }

    /// A warning for stderr (not with --quiet).
    pub fn warn(&self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("warning: {text}");
        }
    }

    /// An error for stderr (always).
    pub fn error(&self, text: &str) {
        eprintln!("{text}");
    }

    /// `text` in an ANSI colour (`31` red, `32` green, `33` yellow, `36` cyan) when enabled.
    pub fn paint(&self, code: u8, text: &str) -> String {
        if self.colour {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }

    /// A progress bar for `n` items, shown only on a terminal, outside CI, for more than a few items.
    pub fn progress(&self, n: usize, what: &str) -> indicatif::ProgressBar {
        let show = n > 5
            && self.verbosity != Verbosity::Quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        if !show {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(n as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({eta})")
        {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar
    }
}

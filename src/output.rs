//! One printer for everything a command says: data on stdout, the rest on stderr, respecting
//! `--quiet`, `--verbose`, colour (`NO_COLOR`, terminals only) and a progress bar for large
//! fleets on a terminal (never in CI or when piped).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the one printer of the program"
)]

use std::io::IsTerminal;

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
}

impl Printer {
    /// A printer for this process: colour when stdout is a terminal and `NO_COLOR` is unset.
    pub fn new(verbosity: Verbosity) -> Printer {
        let colour = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Printer { verbosity, colour }
    }

    /// Data for stdout (always printed).
    pub fn data(&self, text: &str) {
        println!("{text}");
    }

    /// A summary line for stdout (not with --quiet).
    pub fn info(&self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            println!("{text}");
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

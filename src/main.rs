//! The `eksvend` binary: parse arguments, run, exit.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = eksvend::cli::Cli::parse();
    eksvend::commands::run(cli).into()
}

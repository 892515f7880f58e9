//! The `eksvend` binary: parse arguments, run, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = eksvend::cli::Cli::parse_args();
    eksvend::commands::run(cli).into()
}

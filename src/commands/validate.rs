//! `eksvend validate`: load and validate, print every error.

use super::{report, ExitStatus};
use crate::cli::FleetArgs;
use crate::output::Printer;
use crate::pipeline;

pub(super) fn run(p: &Printer, f: &FleetArgs) -> ExitStatus {
    let result = pipeline::catalog_for(&f.fleet, &f.blueprints)
        .and_then(|c| pipeline::load_valid(&f.fleet, &c));
    match result {
        Ok(inv) => {
            let (a, n) = (inv.accounts.len(), inv.networks.len());
            p.info(&format!(
                "{}: valid ({a} account{}, {n} network{})",
                f.fleet.display(),
                if a == 1 { "" } else { "s" },
                if n == 1 { "" } else { "s" },
            ));
            ExitStatus::Success
        }
        Err(e) => report(p, &e),
    }
}

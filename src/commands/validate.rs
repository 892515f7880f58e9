//! `eksvend validate`: load and validate the inventory, then render and verify every account
//! in memory (so template and schema errors surface too); print every error, write nothing.

use super::{report, ExitStatus};
use crate::cli::FleetArgs;
use crate::output::Printer;
use crate::pipeline;

pub(super) fn run(p: &Printer, f: &FleetArgs) -> ExitStatus {
    let result = pipeline::prepare(&f.fleet, &f.blueprints).and_then(|(inv, catalog)| {
        pipeline::render_inventory(&inv, &catalog, |_| true)?;
        Ok(inv)
    });
    match result {
        Ok(inv) => {
            let (a, n) = (inv.accounts.len(), inv.networks.len());
            p.info(&format!(
                "{}: valid ({a} account{}, {n} network{}; every repository renders and verifies)",
                f.fleet.display(),
                if a == 1 { "" } else { "s" },
                if n == 1 { "" } else { "s" },
            ));
            ExitStatus::Success
        }
        Err(e) => report(p, &e),
    }
}

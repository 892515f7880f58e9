//! `eksvend validate`: load and validate the inventory, then render and verify every account
//! in memory (so template and schema errors surface too); print every error, write nothing.

use super::ExitStatus;
use crate::cli::FleetArgs;
use crate::error::Error;
use crate::output::Printer;
use crate::pipeline;

pub(super) fn run(p: &Printer, f: &FleetArgs) -> Result<ExitStatus, Error> {
    let (inv, catalog) = pipeline::prepare(&f.fleet, &f.blueprints)?;
    let prepared = pipeline::prepare_accounts(&inv, &catalog, |_| true)?;
    prepared.verify_all()?;
    super::print_warnings(p, prepared.accounts.iter());
    let (a, n) = (inv.accounts.len(), inv.networks.len());
    p.info(&format!(
        "{}: valid ({a} account{}, {n} network{}; every repository renders and verifies)",
        f.fleet.display(),
        if a == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" },
    ));
    Ok(ExitStatus::Success)
}

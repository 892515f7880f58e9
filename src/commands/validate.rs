//! `eksvend validate`: load and validate, print every error.

use std::path::Path;

use super::{report, ExitStatus};
use crate::blueprint::catalog::Catalog;
use crate::pipeline;

pub(super) fn run(fleet: &Path, catalog: &Catalog) -> ExitStatus {
    match pipeline::load_valid(fleet, catalog) {
        Ok(inv) => {
            println!(
                "{}: valid ({} account{}, {} network{})",
                fleet.display(),
                inv.accounts.len(),
                if inv.accounts.len() == 1 { "" } else { "s" },
                inv.networks.len(),
                if inv.networks.len() == 1 { "" } else { "s" },
            );
            ExitStatus::Success
        }
        Err(e) => {
            report(&e);
            ExitStatus::Failure
        }
    }
}

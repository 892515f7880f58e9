//! Integration tests: the real binary, real git, the bundled example inventory.

mod architecture;
mod bad_inventory;
mod catalog;
mod cli;
mod errors;
mod golden;
mod hostile;
mod identity;
mod pipelines;
mod regeneration;
mod remotes;
mod servers;
mod stages;
mod support;

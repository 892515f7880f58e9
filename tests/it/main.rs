//! Integration tests: the real binary, real git, the bundled example inventory. The scenario
//! builder is `support::Test`.

mod bad_inventory;
mod catalog;
mod cli;
mod golden;
mod hostile;
mod identity;
mod pipelines;
mod regeneration;
mod remotes;
mod support;

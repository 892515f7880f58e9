//! Integration tests: the real binary, real git, the bundled example inventory. The scenario
//! builder is `support::Test`.
#![allow(
    unreachable_pub,
    reason = "a test crate has no public API; pub marks what its modules share"
)]

mod addons;
mod architecture;
mod bad_inventory;
mod catalog;
mod cli;
mod containment;
mod errors;
mod golden;
mod hostile;
mod identity;
mod merge_base;
mod newcomer;
mod outcomes;
mod pipelines;
mod pipes;
mod plan_is_apply;
mod regeneration;
mod remotes;
mod rounds;
mod saved_plan;
mod stages;
mod support;

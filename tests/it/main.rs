//! Integration tests: the real binary, real git, the bundled example inventory. The scenario
//! builder is `support::Test`.
#![allow(
    unreachable_pub,
    reason = "a test crate has no public API; pub marks what its modules share"
)]

mod addons;
mod architecture;
mod aws_sdk;
mod aws_stack;
mod bad_inventory;
mod catalog;
mod cluster;
mod cli;
mod commits;
mod containment;
mod dns_zones;
mod endpoint_storage_logs;
mod errors;
mod golden;
mod hostile;
mod identity;
mod inventory_tree;
mod kubernetes_versions;
mod lifecycle;
mod late_refusals;
mod load_balancing;
mod manual;
mod merge_base;
mod messages;
mod newcomer;
mod no_op;
mod outcomes;
mod pipelines;
mod pipes;
mod plan_is_apply;
mod regeneration;
mod remotes;
mod rounds;
mod runbook;
mod saved_plan;
mod stages;
mod tenancy;
mod training;
mod trust_eval;
mod support;

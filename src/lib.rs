//! eksvend vends Amazon EKS clusters in the de-centralized multi-account model: from a fleet
//! inventory and a catalog of blueprints it renders one GitOps repository per workload account
//! and commits it with libgit2.
//!
//! The pipeline, one module per stage, in order:
//!
//! 1. **load** ([`fleet::load`]): the inventory files → typed documents with source positions;
//! 2. **validate** ([`fleet::validate`]): every rule, all errors at once;
//! 3. **resolve** ([`resolve`]): inventory + blueprint + network → one [`resolve::ClusterSpec`]
//!    per account, once per command;
//! 4. **iam** ([`iam`]): each resolved account → its IAM documents, built once;
//! 5. **check** ([`check`]): the resolved model and its IAM documents against IAM's quotas and
//!    the guard rails, findings mapped back to inventory fields;
//! 6. **render** ([`render`]): Tera templates and the IAM documents → a file tree per account;
//! 7. **verify** ([`verify`]): every rendered YAML/JSON file parses back and is well-formed;
//! 8. **plan** ([`plan`]): the rendered tree against the repository's current tree;
//! 9. **apply** ([`apply`]): write objects, move the branch, update the worktree.
//!
//! No stage imports a later one. [`pipeline`] composes them; [`commands`] print.
//!
//! Failures outside inventory validation are one [`error::Error`]; the commands word them and
//! [`error::Error::exit_status`] decides how the run ends.

// Shared vocabulary, used by every stage.
pub mod diag;
pub mod document;
pub mod domain;
pub mod error;
pub mod gitops;
pub mod identity;
pub mod network;
pub mod stats;

// The stages, in pipeline order.
pub mod blueprint;
pub mod fleet;
pub mod resolve;
pub mod iam;
pub mod check;
pub mod render;
pub mod verify;
pub mod plan;
pub mod apply;

// Composition and the command line.
pub mod cli;
pub mod commands;
pub mod git;
pub mod output;
pub mod pipeline;
pub mod preview;
pub mod saved_plan;
pub mod select;
pub mod state;

//! eksvend vends Amazon EKS clusters in the de-centralized multi-account model: from a fleet
//! inventory and a catalog of blueprints it renders one GitOps repository per workload account
//! and commits it with libgit2.
//!
//! The pipeline, one module per stage, in order:
//!
//! 1. **load** ([`fleet::load`]): the inventory files → typed documents with source positions;
//! 2. **validate** ([`fleet::validate`]): every rule, all errors at once;
//! 3. **resolve** ([`resolve`]): inventory + blueprint + network → one [`resolve::ClusterSpec`]
//!    per account, the only thing templates see;
//! 4. **render** ([`render`]): Tera templates and typed IAM documents → a file tree per account;
//! 5. **verify** ([`verify`]): every rendered YAML/JSON file parses back and is well-formed;
//! 6. **plan** ([`plan`]): the rendered tree against the repository's current tree;
//! 7. **apply** ([`apply`]): write objects, move the branch, update the worktree.

pub mod apply;
pub mod blueprint;
pub mod cli;
pub mod commands;
pub mod diag;
pub mod domain;
pub mod fleet;
pub mod git;
pub mod identity;
pub mod network;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod preview;
pub mod render;
pub mod resolve;
pub mod select;
pub mod state;
pub mod verify;

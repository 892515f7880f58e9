//! Workload identity: the IAM policy documents for service accounts, Karpenter's nodes and the SCP.
//!
//! Policy documents are typed JSON values built here, never hand-typed in templates.

pub mod abac;
pub mod chaining;
pub mod irsa;
pub mod karpenter;
pub mod lint;
pub mod modes;
pub mod pod_identity;
pub mod policy;
pub mod scp;
pub mod statement;

/// The IAM policy language version.
pub const VERSION: &str = "2012-10-17";

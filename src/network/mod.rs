//! The shared network: what the central networking account shares with a workload account.
//! Regions, AZ IDs, VPC and subnet IDs are [`crate::domain`] types.

pub mod handoff;

//! The network hand-off: what the central networking account must share and tag for a cluster.
//! Rendered from `templates/network/handoff.yaml`; this module holds the tag conventions.

/// The tag load balancers use to find public subnets (set by the networking account).
pub const ELB_TAG: &str = "kubernetes.io/role/elb";
/// The tag load balancers use to find private subnets (set by the networking account).
pub const INTERNAL_ELB_TAG: &str = "kubernetes.io/role/internal-elb";

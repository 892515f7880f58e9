//! The network hand-off: what the central networking account must share and provide for a
//! cluster. Rendered from `templates/network/handoff.yaml` and `templates/network/README.md`.
//!
//! It asks for no subnet tags: tags the VPC's owner sets on shared subnets are not visible in
//! the workload account, so the cluster takes every subnet by ID (eksctl, Karpenter, and the AWS
//! Load Balancer Controller through [`SERVICE_SUBNETS_ANNOTATION`] and the `IngressClassParams`
//! of `templates/network/ingressclasses.yaml`).

/// The Service annotation that gives the AWS Load Balancer Controller an NLB's subnets by ID
/// (comma-separated), documented in the team README.
pub const SERVICE_SUBNETS_ANNOTATION: &str = "service.beta.kubernetes.io/aws-load-balancer-subnets";

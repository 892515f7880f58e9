//! Cross-account access: the trust policies target roles must install, the permission of a
//! chaining role, and the AWS config file + credential script of profile chaining.

use serde_json::{json, Map, Value};

use sha2::{Digest, Sha256};

use super::{abac, irsa, VERSION};
use crate::domain::{limits, OidcIssuer};

/// Who assumes a target role.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    /// A role session of the workload account: the service account's own role or the shared
    /// chaining role, assumed through EKS Pod Identity (so the session carries its tags).
    Role {
        /// The role in the workload account that calls `sts:AssumeRole`.
        role_arn: &'a str,
        /// The cluster the pod runs in.
        cluster_arn: &'a str,
        /// Namespace of the service account.
        namespace: &'a str,
        /// Service account name.
        service_account: &'a str,
        /// Native chaining: the association's external ID (`sts:ExternalId`).
        external_id: Option<&'a str>,
        /// Whether EKS sets session tags (false only with `disableSessionTags`, native chaining).
        session_tags: bool,
    },
    /// IRSA: the pod's web identity token, through the cluster's OIDC provider registered in
    /// the target account.
    WebIdentity {
        /// The OIDC provider's ARN in the target account.
        provider_arn: String,
        /// The cluster's issuer URL.
        issuer: &'a OidcIssuer,
        /// Namespace of the service account.
        namespace: &'a str,
        /// Service account name.
        service_account: &'a str,
    },
}

/// A statement ID: letters and digits only, as IAM requires.
pub fn sid(parts: &[&str]) -> String {
    parts
        .iter()
        .flat_map(|p| p.split(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The trust statements a target role needs for one source. `account` names the source's
/// workload account (statement IDs stay unique when many accounts share a target).
pub fn target_statements(src: &Source<'_>, account: &str) -> Vec<Value> {
    match src {
        Source::WebIdentity {
            provider_arn,
            issuer,
            namespace,
            service_account,
        } => vec![irsa::statement(
            &sid(&[namespace, service_account, "from", account]),
            provider_arn,
            issuer,
            namespace,
            service_account,
        )],
        Source::Role {
            role_arn,
            cluster_arn,
            namespace,
            service_account,
            external_id,
            session_tags,
        } => {
            let base = sid(&[namespace, service_account, "from", account]);
            let tags = if *session_tags {
                abac::principal_tag_conditions(cluster_arn, namespace, service_account)
            } else {
                Map::new()
            };
            let statement = |sid: String, action: Value, extra: Option<(&str, &str)>| {
                let mut eq = tags.clone();
                if let Some((k, v)) = extra {
                    eq.insert(k.to_string(), json!(v));
                }
                let mut st = json!({
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"AWS": role_arn},
                    "Action": action,
                });
                if !eq.is_empty() {
                    st["Condition"] = json!({"StringEquals": eq});
                }
                st
            };
            match external_id {
                // IRSA's own role chains without session tags: sts:AssumeRole of that one role.
                None if !*session_tags => vec![statement(base, json!("sts:AssumeRole"), None)],
                None => vec![statement(
                    base,
                    json!(["sts:AssumeRole", "sts:TagSession"]),
                    None,
                )],
                Some(id) => {
                    let mut out = vec![statement(
                        base.clone(),
                        json!("sts:AssumeRole"),
                        Some(("sts:ExternalId", id)),
                    )];
                    if *session_tags {
                        out.push(statement(
                            format!("{base}Tags"),
                            json!("sts:TagSession"),
                            None,
                        ));
                    }
                    out
                }
            }
        }
    }
}

/// A trust policy of the given statements.
pub fn trust(statements: Vec<Value>) -> Value {
    json!({"Version": VERSION, "Statement": statements})
}

/// The permission policy of a chaining role: `sts:AssumeRole` and `sts:TagSession` on exactly
/// `targets`, nothing else. The Pod Identity session tags are transitive, and a chained
/// `AssumeRole` that carries session tags needs `sts:TagSession` in the caller's identity policy
/// as well as in the target's trust (IAM user guide, "Passing session tags in AWS STS",
/// permissions required to add session tags).
pub fn assume_only(targets: &[String]) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [{
            "Sid": "AssumeTargetRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": targets
        }]
    })
}

/// Where the AWS config file is mounted in the pod.
pub const MOUNT_PATH: &str = "/etc/eksvend/aws";

/// Name of the IRSA source profile: the service account's own role through its web identity
/// token. Target profiles name it as `source_profile`.
pub const IRSA_SOURCE_PROFILE: &str = "eks-irsa";

/// Path of the IRSA token eks-pod-identity-webhook mounts into pods.
pub const IRSA_TOKEN_FILE: &str = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";

/// One target profile of the AWS config file.
#[derive(Debug, Clone)]
pub struct Profile<'a> {
    /// Profile name.
    pub name: &'a str,
    /// Target role ARN.
    pub role_arn: &'a str,
}

/// Where the first hop of a profile chain gets its credentials.
#[derive(Debug, Clone, Copy)]
pub enum FirstHop<'a> {
    /// EKS Pod Identity: the container credentials endpoint of the Pod Identity agent
    /// (`credential_source = EcsContainer`: `AWS_CONTAINER_CREDENTIALS_FULL_URI` with the token
    /// of `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, both set by EKS in the pod).
    PodIdentity,
    /// IRSA: the service account's own role (`role_arn`), assumed with the pod's web identity
    /// token (`web_identity_token_file`), in a profile of its own.
    WebIdentity {
        /// The service account's own IRSA role.
        own_role_arn: &'a str,
    },
}

/// The role session name of a service account's chained sessions: `<namespace>-<sa>`, or, when
/// longer than STS's 64 characters ([`limits::ROLE_SESSION_NAME`]), cut and ended by `-` and
/// 8 hex digits of the SHA-256 of the full name, so distinct service accounts keep distinct names.
pub fn session_name(namespace: &str, service_account: &str) -> String {
    let full = format!("{namespace}-{service_account}");
    if full.len() <= limits::ROLE_SESSION_NAME {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let suffix = format!(
        "{:08x}",
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
    );
    // DNS-1123 names are ASCII: every index is a char boundary.
    let keep = limits::ROLE_SESSION_NAME - suffix.len() - 1;
    format!("{}-{suffix}", full[..keep].trim_end_matches(['-', '.']))
}

/// The AWS config file of profile chaining: one profile per target with `role_arn`, and where its
/// first hop comes from.
///
/// Why not `web_identity_token_file` on each target profile (IRSA): botocore and the AWS CLI read
/// `AWS_ROLE_ARN` (which the EKS webhook injects with the pod's own role) *before* the profile's
/// `role_arn` in that provider, so the pod would silently run as its own role. A profile that is
/// a `source_profile` is resolved with the environment ignored (botocore
/// `AssumeRoleProvider._resolve_credentials_from_profile`, `disable_env_vars=True`; JS v3
/// `fromIni` passes the profile's values to `fromTokenFile`), so the web identity goes into
/// [`IRSA_SOURCE_PROFILE`] and each target chains from it with `sts:AssumeRole`.
///
/// Why `credential_source = EcsContainer` (Pod Identity) rather than a `credential_process`
/// script: no shell, curl or wget in the image, and no silent fallback — JS v3 goes on to the
/// next provider (the container provider, i.e. the source role) when a `credential_process`
/// fails; with `EcsContainer` the chain and its fallback read the same agent, so a broken agent
/// or a missing token fails every SDK. (AWS SDKs and Tools reference guide, "Assume role
/// credential provider", `credential_source`.)
pub fn config_file(profiles: &[Profile<'_>], session_name: &str, first: FirstHop<'_>) -> String {
    let mut out =
        String::from("# Managed by eksvend: AWS config for role chaining (AWS_CONFIG_FILE).\n");
    if let FirstHop::WebIdentity { own_role_arn } = first {
        out.push_str(&format!(
            "# [profile {IRSA_SOURCE_PROFILE}] is this service account's own IRSA role (its web identity token).\n\
             [profile {IRSA_SOURCE_PROFILE}]\nrole_arn = {own_role_arn}\nweb_identity_token_file = {IRSA_TOKEN_FILE}\nrole_session_name = {session_name}\n"
        ));
    }
    for p in profiles {
        out.push_str(&format!(
            "\n[profile {}]\nrole_arn = {}\n",
            p.name, p.role_arn
        ));
        match first {
            FirstHop::WebIdentity { .. } => {
                out.push_str(&format!("source_profile = {IRSA_SOURCE_PROFILE}\n"));
            }
            FirstHop::PodIdentity => out.push_str("credential_source = EcsContainer\n"),
        }
        out.push_str(&format!("role_session_name = {session_name}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_alphanumeric() {
        assert_eq!(
            sid(&["payments", "ledger-api", "from", "payments-prod"]),
            "PaymentsLedgerApiFromPaymentsProd"
        );
    }

    #[test]
    fn profile_chain_trust_pins_role_and_three_tags() {
        let src = Source::Role {
            role_arn: "arn:aws:iam::111122223333:role/c_ns_sa",
            cluster_arn: "arn:aws:eks:us-east-1:111122223333:cluster/c",
            namespace: "ns",
            service_account: "sa",
            external_id: None,
            session_tags: true,
        };
        let st = target_statements(&src, "acct");
        assert_eq!(st.len(), 1);
        assert_eq!(
            st[0]["Principal"]["AWS"],
            "arn:aws:iam::111122223333:role/c_ns_sa"
        );
        assert_eq!(abac::pinned_tags(&st[0]), 3);
        assert_eq!(st[0]["Action"], json!(["sts:AssumeRole", "sts:TagSession"]));
    }

    #[test]
    fn native_chain_trust_needs_the_external_id() {
        let src = Source::Role {
            role_arn: "arn:aws:iam::111122223333:role/c_ns_sa",
            cluster_arn: "arn:aws:eks:us-east-1:111122223333:cluster/c",
            namespace: "ns",
            service_account: "sa",
            external_id: Some("ext-1"),
            session_tags: true,
        };
        let st = target_statements(&src, "acct");
        assert_eq!(
            st[0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "ext-1"
        );
        assert_eq!(st[1]["Action"], "sts:TagSession");
        assert_eq!(abac::pinned_tags(&st[1]), 3);
    }

    #[test]
    fn config_file_has_a_source_and_one_profile_per_target() {
        let text = config_file(
            &[Profile {
                name: "reader",
                role_arn: "arn:aws:iam::444455556666:role/reader",
            }],
            "ns-sa",
            FirstHop::PodIdentity,
        );
        assert!(text.contains("[profile reader]\nrole_arn = arn:aws:iam::444455556666:role/reader\ncredential_source = EcsContainer\n"));
        let irsa = config_file(
            &[Profile {
                name: "reader",
                role_arn: "arn:aws:iam::444455556666:role/reader",
            }],
            "ns-sa",
            FirstHop::WebIdentity {
                own_role_arn: "arn:aws:iam::111122223333:role/c_ns_sa",
            },
        );
        assert!(irsa.contains("[profile eks-irsa]\nrole_arn = arn:aws:iam::111122223333:role/c_ns_sa\nweb_identity_token_file = /var/run/secrets/eks.amazonaws.com/serviceaccount/token\n"));
        assert!(irsa.contains("[profile reader]\nrole_arn = arn:aws:iam::444455556666:role/reader\nsource_profile = eks-irsa\n"));
    }

    #[test]
    fn session_names_fit_sts() {
        assert_eq!(session_name("ns", "sa"), "ns-sa");
        let long = session_name(&"n".repeat(63), "sa");
        assert_eq!(long.len(), 64, "{long}");
        assert_ne!(long, session_name(&"n".repeat(63), "sb"));
        assert_eq!(long, session_name(&"n".repeat(63), "sa"));
    }
}

//! Cross-account access: the trust policies target roles must install, the permission of a
//! chaining role, and the AWS config file + credential script of profile chaining.

use serde_json::{json, Map, Value};

use super::{abac, irsa, VERSION};
use crate::domain::OidcIssuer;

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

/// The permission policy of a chaining role: `sts:AssumeRole` on exactly `targets`, nothing else.
pub fn assume_only(targets: &[String]) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [{
            "Sid": "AssumeTargetRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": targets
        }]
    })
}

/// Where the AWS config file and the credential script are mounted in the pod.
pub const MOUNT_PATH: &str = "/etc/eksvend/aws";

/// Name of the profile whose `credential_process` returns the Pod Identity credentials.
pub const SOURCE_PROFILE: &str = "eks-pod-identity";

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

/// The AWS config file of profile chaining. `web_identity` (IRSA) assumes each target with the
/// pod's token; otherwise each target is assumed from the `credential_process` profile.
pub fn config_file(profiles: &[Profile<'_>], session_name: &str, web_identity: bool) -> String {
    let mut out =
        String::from("# Managed by eksvend: AWS config for role chaining (AWS_CONFIG_FILE).\n");
    if !web_identity {
        out.push_str(&format!(
            "# [profile {SOURCE_PROFILE}] holds the EKS Pod Identity credentials of this service account.\n\
             [profile {SOURCE_PROFILE}]\ncredential_process = /bin/sh {MOUNT_PATH}/credential-process.sh\n"
        ));
    }
    for p in profiles {
        out.push_str(&format!(
            "\n[profile {}]\nrole_arn = {}\n",
            p.name, p.role_arn
        ));
        if web_identity {
            out.push_str(&format!("web_identity_token_file = {IRSA_TOKEN_FILE}\n"));
        } else {
            out.push_str(&format!("source_profile = {SOURCE_PROFILE}\n"));
        }
        out.push_str(&format!("role_session_name = {session_name}\n"));
    }
    out
}

/// The `credential_process` script: POSIX sh with curl or wget, no jq, no python. It asks the
/// EKS Pod Identity agent for credentials (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with the token
/// in `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`) and reshapes the answer (`AccessKeyId`,
/// `SecretAccessKey`, `Token`, `Expiration`) into the `credential_process` format (`Version: 1`,
/// `SessionToken`).
pub const CREDENTIAL_SCRIPT: &str = r#"#!/bin/sh
# Managed by eksvend: credential_process for AWS SDKs and the AWS CLI.
# Returns this pod's EKS Pod Identity credentials in the credential_process format, so that an
# AWS config profile with role_arn + source_profile can chain to a role in another account.
# Needs /bin/sh and curl or wget (busybox wget works); no jq or python.
set -eu
uri="${AWS_CONTAINER_CREDENTIALS_FULL_URI:?not set: is the service account associated with EKS Pod Identity?}"
token="$(cat "${AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE:?not set: is the service account associated with EKS Pod Identity?}")"
if command -v curl >/dev/null 2>&1; then
  body="$(curl -fsS --max-time 5 -H "Authorization: $token" "$uri")"
elif command -v wget >/dev/null 2>&1; then
  body="$(wget -q -T 5 -O - --header "Authorization: $token" "$uri")"
else
  echo "credential-process: neither curl nor wget is installed" >&2
  exit 1
fi
case "$body" in
  *'"AccessKeyId"'*'"SecretAccessKey"'*'"Token"'*) ;;
  *) echo "credential-process: unexpected answer from the EKS Pod Identity agent" >&2; exit 1 ;;
esac
# {"AccessKeyId":…,"SecretAccessKey":…,"Token":…,"Expiration":…} -> credential_process JSON.
printf '%s' "$body" | tr -d '\n\r' | sed -e 's/^[[:space:]]*{/{"Version": 1, /' -e 's/"Token"[[:space:]]*:/"SessionToken":/'
"#;

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
            false,
        );
        assert!(text.contains("[profile eks-pod-identity]\ncredential_process = /bin/sh /etc/eksvend/aws/credential-process.sh\n"));
        assert!(text.contains("[profile reader]\nrole_arn = arn:aws:iam::444455556666:role/reader\nsource_profile = eks-pod-identity\n"));
    }
}

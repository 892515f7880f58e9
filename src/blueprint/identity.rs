//! Add-on identities: the IAM policy documents blueprints ship beside their blueprint.yaml, and
//! the checks that keep an add-on's `identity` consistent with its Helm values.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{misplaced_list_placeholder, Addon, POLICY_LIST_PLACEHOLDERS, POLICY_PLACEHOLDERS};
use crate::domain::{DnsLabel, RepoPath};

/// Why an add-on's `identity.policy.file` cannot be used. `path` is the file as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyFileError {
    /// An absolute path, `..`, or characters outside `[A-Za-z0-9._-]`.
    #[error("{path:?}: expected a relative path inside the blueprint's folder (segments of letters, digits, '-', '_' or '.'; no '..')")]
    Unsafe {
        /// The path as written.
        path: String,
    },
    /// The file cannot be read.
    #[error(
        "{path:?}: cannot read it beside the blueprint.yaml that declares the add-on: {reason}"
    )]
    Unreadable {
        /// The path as written.
        path: String,
        /// What the filesystem (or the built-in catalog) said.
        reason: String,
    },
    /// Not JSON.
    #[error("{path:?}: not JSON: {reason}")]
    Json {
        /// The path as written.
        path: String,
        /// The parser's message, with line and column.
        reason: String,
    },
    /// JSON, but not an IAM policy document.
    #[error("{path:?}: not an IAM policy document: expected {expected}")]
    NotAPolicy {
        /// The path as written.
        path: String,
        /// What a policy document has that this one lacks.
        expected: &'static str,
    },
    /// A list placeholder inside a longer string or a key, where no list can go.
    #[error("{path:?}: {at}: a list placeholder (${{dns.hostedZoneArns}}) must be a whole value (e.g. \"Resource\": \"${{dns.hostedZoneArns}}\") or an item of a list")]
    MisplacedList {
        /// The path as written.
        path: String,
        /// JSON pointer of the use.
        at: String,
    },
    /// A `${name}` that is neither a known placeholder nor an IAM policy variable.
    #[error("{path:?}: unknown placeholder `${{{name}}}`; known: {known}")]
    UnknownPlaceholder {
        /// The path as written.
        path: String,
        /// The name between `${` and `}`.
        name: String,
        /// The known placeholders, for the message.
        known: String,
    },
}

/// Read the policy document `path` with `read` (relative to the declaring blueprint's folder)
/// and check it: a safe relative path, JSON, `Version` `2012-10-17`, a non-empty `Statement`
/// array of `Allow`/`Deny` statements, only known placeholders.
pub(crate) fn load_document(
    path: &str,
    read: impl FnOnce(&str) -> std::io::Result<String>,
) -> Result<Value, PolicyFileError> {
    if RepoPath::try_from(path).is_err() {
        return Err(PolicyFileError::Unsafe { path: path.into() });
    }
    let text = read(path).map_err(|e| PolicyFileError::Unreadable {
        path: path.into(),
        reason: e.to_string(),
    })?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| PolicyFileError::Json {
        path: path.into(),
        reason: e.to_string(),
    })?;
    let not_a_policy = |expected| PolicyFileError::NotAPolicy {
        path: path.into(),
        expected,
    };
    if doc.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        return Err(not_a_policy("\"Version\": \"2012-10-17\""));
    }
    let statements = doc
        .get("Statement")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| not_a_policy("a non-empty \"Statement\" array"))?;
    let effect_ok = |s: &Value| {
        matches!(
            s.get("Effect").and_then(Value::as_str),
            Some("Allow" | "Deny")
        )
    };
    if !statements.iter().all(effect_ok) {
        return Err(not_a_policy(
            "statements with \"Effect\": \"Allow\" or \"Deny\"",
        ));
    }
    if let Some(at) = misplaced_list_placeholder(&doc, POLICY_LIST_PLACEHOLDERS) {
        return Err(PolicyFileError::MisplacedList {
            path: path.into(),
            at,
        });
    }
    if let Some(name) = unknown_placeholder(&doc) {
        return Err(PolicyFileError::UnknownPlaceholder {
            path: path.into(),
            name,
            known: POLICY_PLACEHOLDERS
                .iter()
                .chain(POLICY_LIST_PLACEHOLDERS)
                .map(|p| format!("${{{p}}}"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(doc)
}

/// The first `${name}` in a string or key of `v` that is not one of [`POLICY_PLACEHOLDERS`].
/// IAM policy variables (`${aws:username}`, `${*}`, `${?}`, `${$}`) are not placeholders.
fn unknown_placeholder(v: &Value) -> Option<String> {
    let in_str = |s: &str| {
        s.split("${").skip(1).find_map(|rest| {
            let name = rest.split_once('}').map_or(rest, |(n, _)| n);
            let iam_variable = name.contains(':') || matches!(name, "*" | "?" | "$");
            let known =
                POLICY_PLACEHOLDERS.contains(&name) || POLICY_LIST_PLACEHOLDERS.contains(&name);
            (!iam_variable && !known).then(|| name.to_string())
        })
    };
    match v {
        Value::String(s) => in_str(s),
        Value::Array(a) => a.iter().find_map(unknown_placeholder),
        Value::Object(o) => o
            .iter()
            .find_map(|(k, x)| in_str(k).or_else(|| unknown_placeholder(x))),
        _ => None,
    }
}

/// Where Helm values name the chart's service account, as (pointer, field for messages).
const VALUES_SERVICE_ACCOUNTS: &[(&str, &str)] = &[
    ("/serviceAccount/name", "values.serviceAccount.name"),
    (
        "/controller/serviceAccount/name",
        "values.controller.serviceAccount.name",
    ),
];

/// Check the identities of `addons`; `report(field, message)` gets each problem, with fields
/// such as `spec.addons[2].identity.serviceAccount`.
pub(crate) fn check_identities(addons: &[Addon], report: &mut impl FnMut(String, String)) {
    let mut claimed: BTreeMap<(&str, &str), (usize, &str)> = BTreeMap::new();
    for (i, a) in addons.iter().enumerate() {
        let Some(id) = &a.identity else { continue };
        let sa_field = format!("spec.addons[{i}].identity.serviceAccount");
        if let Err(expected) = DnsLabel::try_from(id.service_account.as_str()) {
            report(
                sa_field.clone(),
                format!("{:?}: {expected}", id.service_account),
            );
        }
        let values = Value::Object(a.values.clone());
        for (pointer, field) in VALUES_SERVICE_ACCOUNTS {
            if let Some(named) = values.pointer(pointer).and_then(Value::as_str) {
                if named != id.service_account {
                    report(
                        sa_field.clone(),
                        format!(
                            "{:?} is not the service account the Helm values name ({field}: {named:?}); the role would go to a service account nothing runs as",
                            id.service_account
                        ),
                    );
                }
            }
        }
        let key = (a.namespace.as_str(), id.service_account.as_str());
        if let Some((first, name)) = claimed.get(&key) {
            report(
                sa_field.clone(),
                format!(
                    "{}/{} is already the identity of add-on {name:?} (spec.addons[{first}]); one service account has one role",
                    a.namespace, id.service_account
                ),
            );
        } else {
            claimed.insert(key, (i, &a.name));
        }
        check_policy(i, &id.policy, report);
    }
}

/// Exactly one of `wellKnown`, `file`, `files` and `managed`; managed names are policy names,
/// not ARNs; `files` name distinct policies, no more than a role may have attached.
fn check_policy(i: usize, p: &super::AddonPolicy, report: &mut impl FnMut(String, String)) {
    let set: Vec<&str> = [
        ("wellKnown", p.well_known.is_some()),
        ("file", p.file.is_some()),
        ("files", !p.files.is_empty()),
        ("managed", !p.managed.is_empty()),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| *name)
    .collect();
    if set.len() != 1 {
        let found = if set.is_empty() {
            "none".to_string()
        } else {
            set.join(" and ")
        };
        report(
            format!("spec.addons[{i}].identity.policy"),
            format!("expected exactly one of `wellKnown`, `file`, `files` or `managed` (they do not combine); found {found}"),
        );
    }
    for (j, name) in p.managed.iter().enumerate() {
        if !is_managed_policy_name(name) {
            report(
                format!("spec.addons[{i}].identity.policy.managed[{j}]"),
                format!("{name:?}: expected the name of an AWS-managed policy such as AmazonFSxFullAccess or service-role/AmazonEBSCSIDriverPolicy (not an ARN)"),
            );
        }
    }
    if p.files.len() > MANAGED_PER_ROLE {
        report(
            format!("spec.addons[{i}].identity.policy.files"),
            format!(
                "{} files: each is a managed policy of the role, and IAM attaches at most {MANAGED_PER_ROLE} to a role",
                p.files.len()
            ),
        );
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (j, file) in p.files.iter().enumerate() {
        let name = super::policy_name(file);
        let field = format!("spec.addons[{i}].identity.policy.files[{j}]");
        if let Some(first) = seen.insert(name, j) {
            report(
                field,
                format!("{file:?}: names the policy {name:?}, as files[{first}] does; each file is one managed policy, named by its file name"),
            );
        } else if name.is_empty() || name.len() > POLICY_NAME_MAX {
            report(
                field,
                format!("{file:?}: the policy name {name:?} (the file name without its extension) must have 1 to {POLICY_NAME_MAX} characters"),
            );
        }
    }
}

/// Managed policies attached to one role (IAM's default quota).
const MANAGED_PER_ROLE: usize = crate::domain::limits::MANAGED_PER_ROLE;

/// The longest policy name taken from a file name: the managed policy is named
/// `<role name>-<policy name>`, and IAM policy names have at most 128 characters (a role name at
/// most 64).
const POLICY_NAME_MAX: usize = 63;

/// An IAM policy name with an optional path: segments of `[A-Za-z0-9+=,.@_-]` joined by `/`.
fn is_managed_policy_name(name: &str) -> bool {
    name.len() <= 128
        && name.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::{AddonIdentity, AddonPolicy, WellKnownPolicy};

    fn read_ok(text: &'static str) -> impl FnOnce(&str) -> std::io::Result<String> {
        move |_| Ok(text.to_string())
    }

    #[test]
    fn policy_files_are_checked() {
        let ok = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:${partition}:s3:::b/${aws:PrincipalTag/team}/*"}]}"#;
        assert!(load_document("policies/p.json", read_ok(ok)).is_ok());
        // (path, content, expected message)
        let table: &[(&str, &str, &str)] = &[
            ("../p.json", ok, "\"../p.json\": expected a relative path inside the blueprint's folder"),
            ("/etc/p.json", ok, "\"/etc/p.json\": expected a relative path"),
            (".GIT/p.json", ok, "\".GIT/p.json\": expected a relative path inside the blueprint's folder"),
            ("p.json", "{", "\"p.json\": not JSON: EOF while parsing an object at line 1 column 1"),
            ("p.json", r#"{"Statement": []}"#, "\"p.json\": not an IAM policy document: expected \"Version\": \"2012-10-17\""),
            ("p.json", r#"{"Version": "2012-10-17", "Statement": {}}"#, "expected a non-empty \"Statement\" array"),
            ("p.json", r#"{"Version": "2012-10-17", "Statement": [{"Action": "x"}]}"#, "expected statements with \"Effect\": \"Allow\" or \"Deny\""),
            ("p.json", r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Condition": {"StringEquals": {"aws:ResourceTag/${cluster}": "owned"}}}]}"#,
             "\"p.json\": unknown placeholder `${cluster}`; known: ${partition}, ${region}, ${account.id}, ${cluster.name}, ${karpenter.nodeRoleArn}, ${ec2.servicePrincipal}"),
        ];
        for (path, text, expected) in table {
            let text = text.to_string();
            let err = load_document(path, move |_| Ok(text))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{path}: {err}");
        }
        let err = load_document("p.json", |_| {
            Err(std::io::Error::new(std::io::ErrorKind::NotFound, "gone"))
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"p.json\": cannot read it beside the blueprint.yaml that declares the add-on: gone"
        );
    }

    fn addon(name: &str, ns: &str, values: Value, identity: Option<(&str, AddonPolicy)>) -> Addon {
        Addon {
            name: name.into(),
            repo_url: "https://example.com".into(),
            chart: name.into(),
            version: "1.0.0".into(),
            namespace: ns.into(),
            when: None,
            identity: identity.map(|(sa, policy)| AddonIdentity {
                service_account: sa.into(),
                policy,
            }),
            values: values.as_object().cloned().unwrap(),
            dns_zones_required_in: Vec::new(),
        }
    }

    fn policy(
        well_known: Option<WellKnownPolicy>,
        managed: &[&str],
        file: Option<&str>,
    ) -> AddonPolicy {
        AddonPolicy {
            well_known,
            managed: managed.iter().map(ToString::to_string).collect(),
            file: file.map(str::to_string),
            files: Vec::new(),
            documents: Vec::new(),
        }
    }

    fn files(paths: &[&str]) -> AddonPolicy {
        AddonPolicy {
            files: paths.iter().map(ToString::to_string).collect(),
            ..policy(None, &[], None)
        }
    }

    fn problems(addons: &[Addon]) -> Vec<String> {
        let mut out = Vec::new();
        check_identities(addons, &mut |f, m| out.push(format!("{f}: {m}")));
        out
    }

    #[test]
    fn identities_are_checked() {
        let lbc = || policy(Some(WellKnownPolicy::AwsLoadBalancerController), &[], None);
        let sa = |n: &str| serde_json::json!({"serviceAccount": {"name": n}});
        let table: Vec<(Vec<Addon>, Vec<&str>)> = vec![
            (vec![addon("a", "kube-system", sa("a"), Some(("a", lbc())))], vec![]),
            (vec![addon("m", "kube-system", serde_json::json!({}), None)], vec![]),
            (
                vec![addon("fsx", "kube-system", serde_json::json!({"controller": {"serviceAccount": {"name": "fsx-sa"}}}), Some(("fsx", policy(None, &["AmazonFSxFullAccess"], None))))],
                vec![r#"spec.addons[0].identity.serviceAccount: "fsx" is not the service account the Helm values name (values.controller.serviceAccount.name: "fsx-sa"); the role would go to a service account nothing runs as"#],
            ),
            (
                vec![addon("a", "kube-system", sa("a"), Some(("a", lbc()))), addon("b", "kube-system", sa("a"), Some(("a", lbc())))],
                vec![r#"spec.addons[1].identity.serviceAccount: kube-system/a is already the identity of add-on "a" (spec.addons[0]); one service account has one role"#],
            ),
            // the same name in another namespace is another service account
            (vec![addon("a", "kube-system", sa("a"), Some(("a", lbc()))), addon("b", "other", sa("a"), Some(("a", lbc())))], vec![]),
            (
                vec![addon("a", "kube-system", sa("a"), Some(("a", policy(Some(WellKnownPolicy::CertManager), &["AmazonS3ReadOnlyAccess"], None))))],
                vec!["spec.addons[0].identity.policy: expected exactly one of `wellKnown`, `file`, `files` or `managed` (they do not combine); found wellKnown and managed"],
            ),
            (
                vec![addon("a", "kube-system", sa("a"), Some(("a", policy(None, &[], None))))],
                vec!["spec.addons[0].identity.policy: expected exactly one of `wellKnown`, `file`, `files` or `managed` (they do not combine); found none"],
            ),
            (
                vec![addon("a", "kube-system", sa("a"), Some(("a", policy(None, &["service-role/AmazonEBSCSIDriverPolicy", "arn:aws:iam::aws:policy/X"], None))))],
                vec![r#"spec.addons[0].identity.policy.managed[1]: "arn:aws:iam::aws:policy/X": expected the name of an AWS-managed policy such as AmazonFSxFullAccess or service-role/AmazonEBSCSIDriverPolicy (not an ARN)"#],
            ),
            (
                vec![addon("a", "kube-system", sa("a"), Some(("a", files(&["p/a.json", "q/a.json", "b.json"]))))],
                vec![r#"spec.addons[0].identity.policy.files[1]: "q/a.json": names the policy "a", as files[0] does; each file is one managed policy, named by its file name"#],
            ),
            (
                vec![addon("a", "kube-system", sa("a"), Some(("a", files(&["1.json", "2.json", "3.json", "4.json", "5.json", "6.json", "7.json", "8.json", "9.json", "10.json", "11.json"]))))],
                vec!["spec.addons[0].identity.policy.files: 11 files: each is a managed policy of the role, and IAM attaches at most 10 to a role"],
            ),
            (
                vec![addon("a", "kube-system", sa("a"), Some(("a", AddonPolicy { file: Some("p.json".into()), ..files(&["q.json"]) })))],
                vec!["spec.addons[0].identity.policy: expected exactly one of `wellKnown`, `file`, `files` or `managed` (they do not combine); found file and files"],
            ),
            (
                vec![addon("a", "kube-system", serde_json::json!({}), Some(("Bad_SA", lbc())))],
                vec![r#"spec.addons[0].identity.serviceAccount: "Bad_SA": expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit"#],
            ),
        ];
        for (addons, expected) in table {
            assert_eq!(problems(&addons), expected, "{addons:?}");
        }
    }
}

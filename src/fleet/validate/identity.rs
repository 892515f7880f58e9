//! Validation of workload identity in the inventory: service account chaining settings, typed
//! IAM statements and IAM quota settings. (The documents themselves are measured by the check
//! stage, after resolve.)

use std::collections::BTreeSet;

use super::Check;
use crate::domain::{limits, suggest, ExternalId, IamAction, RoleArn};
use crate::fleet::wire::{
    ChainingMode, Document, Effect, FleetSpec, IdentityMode, ServiceAccount, Statement,
    WorkloadAccountSpec,
};
use crate::identity::policy;

/// IAM condition operators (before `IfExists` and the set prefixes).
const CONDITION_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// The Fleet's `spec.iam`.
pub(super) fn check_fleet_iam(c: &mut Check<'_, Document<FleetSpec>>) {
    let iam = &c.src.doc.spec.iam;
    if let Some(n) = iam.trust_policy_max_chars {
        check_quota(c, "spec.iam.trustPolicyMaxChars", n);
    }
    if let Some(arn) = &iam.platform_role_arn {
        if arn.contains(['*', '?']) {
            c.error(
                "spec.iam.platformRoleArn",
                format!("wildcard principal {arn:?}: the SCP exempts exactly one platform role; name its ARN"),
            );
        } else {
            c.parse::<RoleArn>("spec.iam.platformRoleArn", arn);
        }
    }
}

fn check_quota<T>(c: &mut Check<'_, T>, field: &str, n: u32) {
    let n = n as usize;
    if !(limits::TRUST_DEFAULT..=limits::TRUST_MAX).contains(&n) {
        c.error(
            field,
            format!(
                "{n} is outside IAM's trust policy quota: {} (default) to {} characters",
                limits::TRUST_DEFAULT,
                limits::TRUST_MAX
            ),
        );
    }
}

/// The WorkloadAccount's `spec.iam`.
pub(super) fn check_account_iam(c: &mut Check<'_, Document<WorkloadAccountSpec>>) {
    if let Some(n) = c.src.doc.spec.iam.trust_policy_max_chars {
        check_quota(c, "spec.iam.trustPolicyMaxChars", n);
    }
}

/// One service account's identity settings; `f` makes its field paths.
pub(super) fn check_service_account(
    c: &mut Check<'_, Document<WorkloadAccountSpec>>,
    f: &dyn Fn(&str) -> String,
    sa: &ServiceAccount,
    mode: IdentityMode,
) {
    let spec = &c.src.doc.spec;
    let chaining = sa.chaining.unwrap_or_default();
    let pod_identity = mode == IdentityMode::PodIdentity;
    if mode == IdentityMode::Irsa && sa.name.contains(['*', '?']) {
        c.error(&f("name"), format!("IRSA subject with a wildcard: {:?} would trust every matching service account; name exactly one", sa.name));
    }
    let mut seen = BTreeSet::new();
    for (k, arn) in sa.assume_roles.iter().enumerate() {
        if !seen.insert(arn) {
            c.error(
                &f(&format!("assumeRoles[{k}]")),
                format!("{arn:?} is listed twice"),
            );
        }
    }
    match (sa.chaining, pod_identity) {
        (Some(ChainingMode::Native | ChainingMode::Shared), false) => c.error(
            &f("chaining"),
            "native and shared chaining are EKS Pod Identity's; an IRSA service account assumes its targets directly with its web identity token",
        ),
        (Some(ChainingMode::Native), true) if sa.assume_roles.len() != 1 => c.error(
            &f("chaining"),
            format!("native chaining assumes exactly one target role per association (targetRoleARN); assumeRoles has {}", sa.assume_roles.len()),
        ),
        (Some(ChainingMode::Shared), true) if !spec.iam.shared_chaining_role => c.error(
            &f("chaining"),
            "chaining: shared needs the account's shared chaining role: set spec.iam.sharedChainingRole: true",
        ),
        _ => {}
    }
    if chaining == ChainingMode::Shared && pod_identity {
        for (field, n) in [
            ("statements", sa.statements.len()),
            ("policyArns", sa.policy_arns.len()),
        ] {
            if n > 0 {
                c.error(&f(field), "a chaining role may hold sts:AssumeRole and nothing else: a service account with chaining: shared uses the shared chaining role, so its permissions belong on the target roles");
            }
        }
    }
    for (arn, id) in &sa.external_ids {
        let field = f(&format!("externalIds.{arn}"));
        if chaining != ChainingMode::Native || !sa.assume_roles.contains(arn) {
            c.error(&field, format!("an external ID belongs to a native-chaining target of this service account; {arn:?} is not one"));
        } else {
            c.parse::<ExternalId>(&field, id);
        }
    }
    if sa.disable_session_tags {
        if !pod_identity {
            c.error(
                &f("disableSessionTags"),
                "session tags are EKS Pod Identity's; IRSA has none to disable",
            );
        } else if !sa.assume_roles.is_empty() && chaining != ChainingMode::Native {
            c.error(&f("disableSessionTags"), "ABAC with fewer than three tags: the target roles' trust policies pin the session tags eks-cluster-arn, kubernetes-namespace and kubernetes-service-account, which disableSessionTags removes (use chaining: native, pinned by the association's external ID, or keep the tags)");
        }
    }
    if !sa.session_policy.is_empty() {
        if !pod_identity {
            c.error(
                &f("sessionPolicy"),
                "a session policy is set on an EKS Pod Identity association; IRSA has none",
            );
        } else if !sa.disable_session_tags {
            c.error(&f("sessionPolicy"), "AWS accepts a session policy on a Pod Identity association only with disableSessionTags: true");
        }
    }
    for (k, st) in sa.statements.iter().enumerate() {
        check_statement(c, &f(&format!("statements[{k}]")), st);
    }
    for (k, st) in sa.session_policy.iter().enumerate() {
        check_statement(c, &f(&format!("sessionPolicy[{k}]")), st);
    }
}

/// A typed IAM statement: Action xor NotAction, no wildcard action, `"*"` resources only by
/// explicit opt-in for actions without resource-level permissions, known condition operators.
fn check_statement(c: &mut Check<'_, Document<WorkloadAccountSpec>>, at: &str, st: &Statement) {
    match (&st.action, &st.not_action) {
        (None, None) | (Some(_), Some(_)) => c.error(at, "expected exactly one of Action and NotAction"),
        (None, Some(_)) if st.effect == Effect::Allow => c.error(
            &format!("{at}.NotAction"),
            "Allow with NotAction grants every other action of every service; list the actions with Action, or use NotAction with Deny",
        ),
        _ => {}
    }
    let actions = st
        .action
        .as_ref()
        .or(st.not_action.as_ref())
        .map(crate::identity::statement::OneOrMany::to_vec)
        .unwrap_or_default();
    let key = if st.action.is_some() {
        "Action"
    } else {
        "NotAction"
    };
    for (a, action) in actions.iter().enumerate() {
        c.parse::<IamAction>(&format!("{at}.{key}[{a}]"), action);
    }
    let resources = st.resource.to_vec();
    if resources.is_empty() {
        c.error(
            &format!("{at}.Resource"),
            "expected at least one resource ARN",
        );
    }
    if resources.iter().any(|r| r == "*") {
        let scoped: Vec<&String> = actions
            .iter()
            .filter(|a| !policy::has_no_resource_level_permissions(a))
            .collect();
        if st.action.is_some() && !scoped.is_empty() {
            c.error(&format!("{at}.Resource"), format!("\"*\" is allowed only for actions without resource-level permissions; {} can be scoped to ARNs", scoped.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
        } else if !st.allow_wildcard_resource {
            c.error(&format!("{at}.Resource"), "\"*\" needs the explicit opt-in allowWildcardResource: true (these actions have no resource-level permissions)");
        }
    }
    for (op, keys) in st.condition.iter().flatten() {
        let base = op
            .strip_prefix("ForAllValues:")
            .or_else(|| op.strip_prefix("ForAnyValue:"))
            .unwrap_or(op);
        let base = if base == "NullIfExists" {
            base
        } else {
            base.strip_suffix("IfExists").unwrap_or(base)
        };
        if !CONDITION_OPERATORS.contains(&base) {
            let hint = suggest(base, CONDITION_OPERATORS.iter().copied())
                .map(|s| format!("; did you mean {s:?}?"))
                .unwrap_or_default();
            c.error(
                &format!("{at}.Condition.{op}"),
                format!("{op:?} is not an IAM condition operator{hint}"),
            );
        }
        for k in keys.keys() {
            if !k.contains(':') || k.starts_with(':') {
                c.error(
                    &format!("{at}.Condition.{op}.{k}"),
                    format!("{k:?} is not a condition key such as aws:SourceIp or s3:prefix"),
                );
            }
        }
    }
}

//! Guard rails over every generated IAM document: no wildcard principal or action, IRSA subjects
//! without wildcards, ABAC on all three tags, chaining roles that can only `sts:AssumeRole`.
//!
//! Validation keeps bad inventories out; this is the last line, run on each document rendered.

use serde_json::Value;

use super::abac;

/// What a document is, which decides the rules that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A role's trust policy in the workload account.
    Trust,
    /// The trust policy a target role installs; `abac`: its role principals must pin the tags.
    TargetTrust {
        /// Whether session tags exist (false only for native chaining with tags disabled).
        abac: bool,
    },
    /// An identity (permission) policy.
    Permission,
    /// The permission policy of a chaining role.
    ChainingRole,
}

/// Every guard rail `doc` breaks, as messages.
pub fn lint(doc: &Value, kind: Kind) -> Vec<String> {
    let mut out = Vec::new();
    let statements = doc["Statement"].as_array().cloned().unwrap_or_default();
    for (i, st) in statements.iter().enumerate() {
        let at = |m: String| format!("Statement[{i}]: {m}");
        for p in principals(st) {
            if p.contains('*') {
                out.push(at(format!("wildcard principal {p:?}")));
            } else if is_account_root(&p) && st.get("Condition").is_none() {
                out.push(at(format!(
                    "account principal {p:?} without conditions trusts every role of that account"
                )));
            }
        }
        let allow = st["Effect"] == "Allow";
        for a in strings(&st["Action"]) {
            if allow && (a == "*" || a.ends_with(":*")) {
                out.push(at(format!("wildcard action {a:?}")));
            }
            if kind == Kind::ChainingRole && a != "sts:AssumeRole" && a != "sts:TagSession" {
                out.push(at(format!(
                    "a chaining role may only sts:AssumeRole (and sts:TagSession), found {a:?}"
                )));
            }
        }
        if kind == Kind::ChainingRole && (!allow || st.get("NotAction").is_some()) {
            out.push(at(
                "a chaining role holds one Allow of sts:AssumeRole and nothing else".into(),
            ));
        }
        if strings(&st["Action"])
            .iter()
            .any(|a| a == "sts:AssumeRoleWithWebIdentity")
        {
            out.extend(irsa_subject(st).into_iter().map(at));
        }
        if kind == (Kind::TargetTrust { abac: true }) && st.pointer("/Principal/AWS").is_some() {
            let n = abac::pinned_tags(st);
            if n < abac::TAGS.len() {
                out.push(at(format!(
                    "ABAC pins {n} of the 3 session tags ({}); all three are required",
                    abac::TAGS.join(", ")
                )));
            }
        }
    }
    out
}

fn irsa_subject(st: &Value) -> Vec<String> {
    let subs: Vec<(String, String)> = st["Condition"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(op, kv)| {
            kv.as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| k.ends_with(":sub"))
                .flat_map(|(_, v)| strings(v))
                .map(move |v| (op.clone(), v))
        })
        .collect();
    if subs.is_empty() {
        return vec!["IRSA trust without a :sub condition trusts every service account".into()];
    }
    subs.into_iter()
        .filter(|(op, v)| op != "StringEquals" || v.contains(['*', '?']))
        .map(|(op, v)| format!("IRSA subject {v:?} ({op}) is not one exact service account"))
        .collect()
}

fn principals(st: &Value) -> Vec<String> {
    match &st["Principal"] {
        Value::String(s) => vec![s.clone()],
        Value::Object(m) => m.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

fn is_account_root(p: &str) -> bool {
    (p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit())) || p.ends_with(":root")
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(st: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [st]})
    }

    #[test]
    fn each_guard_rail() {
        let cases = [
            (
                json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}),
                Kind::Trust,
                "wildcard principal \"*\"",
            ),
            (
                json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}),
                Kind::Trust,
                "without conditions",
            ),
            (
                json!({"Effect": "Allow", "Action": "s3:*", "Resource": "x"}),
                Kind::Permission,
                "wildcard action \"s3:*\"",
            ),
            (
                json!({"Effect": "Allow", "Action": ["sts:AssumeRole", "s3:GetObject"], "Resource": "x"}),
                Kind::ChainingRole,
                "may only sts:AssumeRole",
            ),
            (
                json!({"Effect": "Allow", "Principal": {"Federated": "p"}, "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {"i:sub": "system:serviceaccount:ns:*"}}}),
                Kind::Trust,
                "is not one exact service account",
            ),
            (
                json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/r"}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:PrincipalTag/kubernetes-namespace": "ns"}}}),
                Kind::TargetTrust { abac: true },
                "ABAC pins 1 of the 3 session tags",
            ),
        ];
        for (st, kind, expect) in cases {
            let found = lint(&doc(st), kind);
            assert!(
                found.iter().any(|m| m.contains(expect)),
                "{expect}: {found:?}"
            );
        }
    }
}

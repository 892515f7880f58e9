//! A small evaluator of IAM policies (issue 12), enough for the trust policies and the SCP
//! eksvend writes, documented against the IAM policy grammar (IAM user guide, "IAM JSON policy
//! elements" and "Policy evaluation logic"):
//!
//! * a request is allowed when some `Allow` statement matches it and no `Deny` statement does;
//! * a statement matches when its `Principal` (for trust policies; `"*"` matches any), its
//!   `Action` (case-insensitive, `*` and `?` wildcards) and every operator of its `Condition`
//!   match; within an operator every key must match, and a key with several values matches when
//!   any value does;
//! * condition *keys* are case-insensitive (`aws:PrincipalTag/Kubernetes-Namespace` is the key
//!   `aws:principaltag/kubernetes-namespace`), condition *values* are case-sensitive except for
//!   the `…IgnoreCase` operators;
//! * operators: `StringEquals`, `StringLike` (`*`, `?`), `StringEqualsIgnoreCase`, `ArnEquals`,
//!   `ArnLike` (both compared like `StringLike` on the whole ARN), `ArnNotEquals`, `ArnNotLike`
//!   (a missing key matches the negated operators), `Bool`, and the set prefixes
//!   `ForAnyValue:` (some request value matches) and `ForAllValues:`; a missing key fails every
//!   positive operator. Any other operator panics: the evaluator never guesses.
//!
//! The test shows, for every trust policy rendered for the example fleet: the intended principal
//! with its session tags (or its token's `sub`/`aud`) is allowed; another namespace, another
//! service account, another cluster, another principal are denied; and for the SCP: every case
//! variant of the session tag keys is denied except to the platform role of each account.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{read_tree, Test};

/// One request: who calls, what, with which condition context (keys as IAM spells them).
#[derive(Debug, Clone)]
struct Request {
    principal: (&'static str, String),
    action: String,
    context: BTreeMap<String, Vec<String>>,
}

impl Request {
    fn new(kind: &'static str, principal: &str, action: &str) -> Request {
        Request {
            principal: (kind, principal.to_string()),
            action: action.to_string(),
            context: BTreeMap::new(),
        }
    }
    fn with(mut self, key: &str, values: &[&str]) -> Request {
        self.context.insert(
            key.to_ascii_lowercase(),
            values.iter().map(ToString::to_string).collect(),
        );
        self
    }
    fn get(&self, key: &str) -> Option<&Vec<String>> {
        self.context.get(&key.to_ascii_lowercase())
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Value::Bool(b) => vec![b.to_string()],
        _ => Vec::new(),
    }
}

/// `*` and `?` wildcards, as `StringLike` and `Action` use them: the same matcher as
/// `--only` (case-sensitive, `*` any run, `?` one character).
fn glob(pattern: &str, text: &str) -> bool {
    eksvend::select::glob(pattern, text)
}

fn operator_matches(op: &str, want: &[String], have: Option<&Vec<String>>) -> bool {
    let (set, base) = match op.split_once(':') {
        Some((set, base)) => (Some(set), base),
        None => (None, op),
    };
    let one = |w: &str, h: &str| match base {
        // The negated ones compare like their positive forms; `negated` flips the result.
        "StringEquals" | "ArnEquals" | "Bool" | "ArnNotEquals" => w == h,
        "StringEqualsIgnoreCase" => w.eq_ignore_ascii_case(h),
        "StringLike" | "ArnLike" | "ArnNotLike" => glob(w, h),
        other => panic!("operator {other} is not known to the evaluator"),
    };
    let negated = matches!(base, "ArnNotEquals" | "ArnNotLike");
    let Some(have) = have else {
        return negated;
    };
    let any = |h: &String| want.iter().any(|w| one(w, h));
    let hit = match set {
        Some("ForAnyValue") => have.iter().any(any),
        Some("ForAllValues") => have.iter().all(any),
        None => have.first().is_some_and(any),
        Some(other) => panic!("set operator {other} is not known to the evaluator"),
    };
    hit != negated
}

fn statement_matches(st: &Value, r: &Request) -> bool {
    if let Some(p) = st.get("Principal") {
        let ok = match p {
            Value::String(s) => s == "*",
            Value::Object(m) => m
                .get(r.principal.0)
                .is_some_and(|v| strings(v).iter().any(|x| x == "*" || *x == r.principal.1)),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    if !strings(&st["Action"])
        .iter()
        .any(|a| glob(&a.to_ascii_lowercase(), &r.action.to_ascii_lowercase()))
    {
        return false;
    }
    st.get("Condition")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(op, block)| {
            block
                .as_object()
                .unwrap()
                .iter()
                .all(|(key, want)| operator_matches(op, &strings(want), r.get(key)))
        })
}

/// Allowed: some Allow matches and no Deny does.
fn allows(policy: &Value, r: &Request) -> bool {
    let sts = policy["Statement"].as_array().unwrap();
    let m = |effect: &str| {
        sts.iter()
            .filter(|s| s["Effect"] == effect)
            .any(|s| statement_matches(s, r))
    };
    m("Allow") && !m("Deny")
}

/// A Pod Identity request as EKS makes it: the service principal, with the session tags.
fn pod_identity(account: &str, cluster: &str, ns: &str, sa: &str) -> Request {
    Request::new("Service", "pods.eks.amazonaws.com", "sts:AssumeRole")
        .with("aws:SourceAccount", &[account])
        .with("aws:RequestTag/eks-cluster-arn", &[cluster])
        .with("aws:RequestTag/kubernetes-namespace", &[ns])
        .with("aws:RequestTag/kubernetes-service-account", &[sa])
}

/// A chained AssumeRole from a Pod Identity session: its principal tags (transitive).
fn chained(role: &str, cluster: &str, ns: &str, sa: &str) -> Request {
    Request::new("AWS", role, "sts:AssumeRole")
        .with("aws:PrincipalTag/eks-cluster-arn", &[cluster])
        .with("aws:PrincipalTag/kubernetes-namespace", &[ns])
        .with("aws:PrincipalTag/kubernetes-service-account", &[sa])
}

/// The chained requests that differ from the intended pod's in one subject each: another
/// namespace, service account, cluster or source role.
fn impostors(source: &str, cluster: &str, ns: &str, sa: &str) -> [(&'static str, Request); 4] {
    [
        ("another namespace", chained(source, cluster, "other", sa)),
        (
            "another service account",
            chained(source, cluster, ns, "other"),
        ),
        (
            "another cluster",
            chained(source, &other_cluster(cluster), ns, sa),
        ),
        (
            "another role",
            chained(&format!("{source}-other"), cluster, ns, sa),
        ),
    ]
}

fn other_cluster(cluster: &str) -> String {
    format!("{cluster}-other")
}

fn json_at(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> Option<Value> {
    tree.get(path).map(|b| serde_json::from_slice(b).unwrap())
}

#[test]
fn every_rendered_trust_admits_exactly_its_principal() {
    let t = Test::new();
    t.render("out").success();
    let out = t.path("out");
    let mut checked = 0;
    for account in std::fs::read_dir(&out).unwrap() {
        let dir = account.unwrap().path();
        if !dir.is_dir() {
            continue; // render's marker file
        }
        let tree = read_tree(&dir);
        for (path, bytes) in &tree {
            let Some(dir_of) = path.strip_suffix("/role.json") else {
                continue;
            };
            if !dir_of.starts_with("iam/") || dir_of.starts_with("iam/cross-account/") {
                continue;
            }
            let role: Value = serde_json::from_slice(bytes).unwrap();
            let own_trust = json_at(&tree, &format!("{dir_of}/trust-policy.json"));
            let cluster = role["cluster"].as_str().unwrap();
            let account_id = cluster.split(':').nth(4).unwrap();
            let (ns, sa) = (
                role["serviceAccount"]["namespace"].as_str(),
                role["serviceAccount"]["name"].as_str(),
            );
            if let Some(trust) = &own_trust {
                let trust = trust.clone();
                let first = &trust["Statement"][0];
                match (
                    first["Principal"].get("Service").and_then(Value::as_str),
                    ns,
                    sa,
                ) {
                    (Some("pods.eks.amazonaws.com"), Some(ns), Some(sa)) => {
                        let tags = role.get("disableSessionTags") != Some(&Value::Bool(true));
                        let ok = pod_identity(account_id, cluster, ns, sa);
                        assert!(allows(&trust, &ok), "{path}: the intended pod is denied");
                        if tags {
                            for (what, bad) in [
                                (
                                    "another namespace",
                                    pod_identity(account_id, cluster, "other", sa),
                                ),
                                (
                                    "another service account",
                                    pod_identity(account_id, cluster, ns, "other"),
                                ),
                                (
                                    "another cluster",
                                    pod_identity(account_id, &other_cluster(cluster), ns, sa),
                                ),
                            ] {
                                assert!(!allows(&trust, &bad), "{path}: {what} is allowed");
                            }
                        }
                        let other_account = Request {
                            context: ok.context.clone(),
                            ..ok.clone()
                        }
                        .with("aws:SourceAccount", &["000000000000"]);
                        assert!(!allows(&trust, &other_account), "{path}: another account");
                        let role_principal = Request {
                            principal: ("AWS", format!("arn:aws:iam::{account_id}:root")),
                            ..ok
                        };
                        assert!(
                            !allows(&trust, &role_principal),
                            "{path}: a non-EKS principal"
                        );
                    }
                    (Some("pods.eks.amazonaws.com"), _, _) => {
                        // The shared chaining role: any association of this cluster, no other.
                        let ok = pod_identity(account_id, cluster, "any", "any");
                        assert!(allows(&trust, &ok), "{path}");
                        let bad = pod_identity(account_id, &other_cluster(cluster), "any", "any");
                        assert!(!allows(&trust, &bad), "{path}: another cluster");
                    }
                    (Some(ec2), _, _) if ec2.starts_with("ec2.") => {
                        assert!(allows(
                            &trust,
                            &Request::new("Service", ec2, "sts:AssumeRole")
                        ));
                        assert!(!allows(
                            &trust,
                            &Request::new("Service", "lambda.amazonaws.com", "sts:AssumeRole")
                        ));
                    }
                    (None, Some(ns), Some(sa)) => {
                        // IRSA: the cluster's OIDC provider, one sub, aud sts.amazonaws.com.
                        let provider = first["Principal"]["Federated"].as_str().unwrap();
                        let host = provider.split_once("oidc-provider/").unwrap().1;
                        let web = |p: &str, sub: &str, aud: &str| {
                            Request::new("Federated", p, "sts:AssumeRoleWithWebIdentity")
                                .with(&format!("{host}:sub"), &[sub])
                                .with(&format!("{host}:aud"), &[aud])
                        };
                        let sub = format!("system:serviceaccount:{ns}:{sa}");
                        assert!(
                            allows(&trust, &web(provider, &sub, "sts.amazonaws.com")),
                            "{path}"
                        );
                        for (what, bad) in [
                            (
                                "another namespace",
                                web(
                                    provider,
                                    &format!("system:serviceaccount:other:{sa}"),
                                    "sts.amazonaws.com",
                                ),
                            ),
                            (
                                "another service account",
                                web(
                                    provider,
                                    &format!("system:serviceaccount:{ns}:other"),
                                    "sts.amazonaws.com",
                                ),
                            ),
                            ("another audience", web(provider, &sub, "other")),
                            (
                                "another cluster",
                                web(&format!("{provider}OTHER"), &sub, "sts.amazonaws.com"),
                            ),
                        ] {
                            assert!(!allows(&trust, &bad), "{path}: {what} is allowed");
                        }
                    }
                    other => panic!("{path}: unexpected trust {other:?}"),
                }
                checked += 1;
            }
            // The targets of this service account: their trust admits this pod only.
            for target in role["targets"].as_array().into_iter().flatten() {
                let tp = target["trustPolicy"].as_str().unwrap();
                let Some(tt) = json_at(&tree, tp) else {
                    continue; // pending (native chaining before the external ID is recorded)
                };
                let source = role["roleArn"].as_str().unwrap();
                let (ns, sa) = (ns.unwrap(), sa.unwrap());
                if role["identity"] == "irsa" {
                    let ok = Request::new("AWS", source, "sts:AssumeRole");
                    assert!(allows(&tt, &ok), "{tp}: the source role is denied");
                    let bad = Request::new("AWS", &format!("{source}-other"), "sts:AssumeRole");
                    assert!(!allows(&tt, &bad), "{tp}: another role is allowed");
                } else if role["chaining"] == "native" {
                    let bad = Request::new("AWS", &format!("{source}-other"), "sts:AssumeRole");
                    assert!(!allows(&tt, &bad), "{tp}: another role is allowed");
                    assert!(
                        !allows(&tt, &Request::new("AWS", source, "sts:AssumeRole")),
                        "{tp}: no external ID"
                    );
                } else {
                    let ok = chained(source, cluster, ns, sa);
                    assert!(allows(&tt, &ok), "{tp}: the intended pod is denied");
                    let tag = Request {
                        action: "sts:TagSession".into(),
                        ..ok.clone()
                    };
                    assert!(allows(&tt, &tag), "{tp}: sts:TagSession is denied");
                    for (what, bad) in impostors(source, cluster, ns, sa) {
                        assert!(!allows(&tt, &bad), "{tp}: {what} is allowed");
                    }
                    // Condition keys are case-insensitive: a role *tagged* Kubernetes-Namespace
                    // would pass — which is why the SCP below denies every case variant.
                    let variant = Request::new("AWS", source, "sts:AssumeRole")
                        .with("aws:PrincipalTag/EKS-Cluster-Arn", &[cluster])
                        .with("aws:PrincipalTag/Kubernetes-Namespace", &[ns])
                        .with("aws:PrincipalTag/Kubernetes-Service-Account", &[sa]);
                    assert!(
                        allows(&tt, &variant),
                        "{tp}: keys are case-insensitive in IAM"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "{checked} trusts checked");
    crate::aws_sdk::note(format_args!(
        "trust evaluator: {checked} trust policies checked"
    ));
}

#[test]
fn the_scp_denies_every_case_variant_except_to_each_account_s_platform_role() {
    let t = Test::new();
    t.render("out").success();
    let scp: Value =
        serde_json::from_str(&t.read("out/payments-prod/iam/scp/deny-eks-session-tag-keys.json"))
            .unwrap();
    // The SCP's Deny is evaluated beside an Allow everything (FullAWSAccess).
    let mut with_allow = scp.clone();
    with_allow["Statement"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
    let tag = |who: &str, key: &str| {
        Request::new("AWS", who, "iam:TagRole")
            .with("aws:TagKeys", &[key, "team"])
            .with("aws:PrincipalArn", &[who])
    };
    let someone = "arn:aws:iam::111122223333:role/developer";
    let platform_here = "arn:aws:iam::111122223333:role/acme-platform-iam";
    for key in [
        "kubernetes-namespace",
        "Kubernetes-Namespace",
        "KUBERNETES-SERVICE-ACCOUNT",
        "Eks-Cluster-Arn",
        "kubernetes-pod-name",
        "eks-anything-new",
    ] {
        assert!(
            !allows(&with_allow, &tag(someone, key)),
            "{key} is not denied"
        );
        assert!(
            allows(&with_allow, &tag(platform_here, key)),
            "{key}: the platform role of this account is denied"
        );
    }
    assert!(allows(&with_allow, &tag(someone, "team")));
    // The SCP before issue 12 let the case variant through, and exempted one account only.
    let old = serde_json::json!({"Statement": [
        {"Effect": "Deny", "Action": ["iam:TagRole"], "Resource": "*", "Condition": {
            "ForAnyValue:StringLike": {"aws:TagKeys": ["kubernetes-*", "eks-*"]},
            "ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/acme-platform-iam"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    assert!(allows(&old, &tag(someone, "Kubernetes-Namespace")));
    assert!(!allows(&old, &tag(platform_here, "kubernetes-namespace")));
}

#[test]
fn the_trust_before_issue_12_let_any_association_of_the_account_in() {
    // iam/payments/ledger-api/trust-policy.json as eksvend rendered it before: aws:SourceArn
    // (whose value for Pod Identity AWS does not document) and no request tags.
    let old = serde_json::json!({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"},
                      "ArnEquals": {"aws:SourceArn": "arn:aws:eks:us-east-1:111122223333:cluster/payments-prod"}}}]});
    let cluster = "arn:aws:eks:us-east-1:111122223333:cluster/payments-prod";
    let other_sa = pod_identity("111122223333", cluster, "payments", "other")
        .with("aws:SourceArn", &[cluster]);
    assert!(allows(&old, &other_sa));
    let t = Test::new();
    t.render("out").success();
    let now: Value = serde_json::from_str(
        &t.read("out/payments-prod/iam/payments/ledger-api/trust-policy.json"),
    )
    .unwrap();
    assert!(!allows(&now, &other_sa));
}

#[test]
fn the_evaluator_follows_the_grammar() {
    assert!(glob("kubernetes-*", "kubernetes-namespace"));
    assert!(!glob("kubernetes-*", "Kubernetes-namespace"));
    assert!(glob("arn:aws:iam::*:role/p", "arn:aws:iam::1:role/p"));
    assert!(glob("a?c", "abc") && !glob("a?c", "abbc"));
    let r = Request::new("AWS", "x", "sts:AssumeRole").with("aws:PrincipalTag/K", &["v"]);
    assert_eq!(r.get("AWS:principaltag/k"), Some(&vec!["v".to_string()]));
    assert!(operator_matches("ArnNotLike", &["a*".into()], None));
    assert!(!operator_matches("StringEquals", &["a".into()], None));
    assert!(operator_matches(
        "StringEqualsIgnoreCase",
        &["ab".into()],
        Some(&vec!["AB".into()])
    ));
}

/// A role outside the inventory that two workload accounts assume (issue 12, point 3): one
/// hand-off stack creates it — the first source account's by name — with a trust that admits
/// both sources' pods and nobody else; both repositories hold the same `trust-policy.json`, the
/// other one's README and runbook name the owning stack; the stacks pass cfn-lint.
#[test]
fn a_role_two_accounts_assume_has_one_hand_off_stack_that_trusts_both() {
    let t = Test::new();
    // billing-dev sorts before payments-prod, which assumes ledger-reader in the example fleet.
    t.file(
        "fleet/accounts/billing-dev.yaml",
        "apiVersion: eksvend.dev/v1alpha1
kind: WorkloadAccount
metadata:
  name: billing-dev
spec:
  accountId: \"777788889999\"
  team: billing
  environment: dev
  region: us-east-1
  network: prod-use1
  blueprint: general
  tenants:
    - namespace: billing
      serviceAccounts:
        - name: invoicer
          identity: podIdentity
          assumeRoles: [arn:aws:iam::444455556666:role/ledger-reader]
",
    );
    t.render("out").success();
    let out = t.path("out");
    let handoff = "handoff/444455556666";
    let mut creators = Vec::new();
    let mut stacks = Vec::new();
    for account in ["billing-dev", "payments-prod", "checkout-dev"] {
        let tree = read_tree(&out.join(account));
        for (path, bytes) in &tree {
            if !path.ends_with("stack.yaml") {
                continue;
            }
            stacks.push(out.join(account).join(path));
            let stack: serde_yaml::Value = serde_yaml::from_slice(bytes).unwrap();
            for r in stack["Resources"].as_mapping().unwrap().values() {
                if r["Properties"]["RoleName"].as_str() == Some("ledger-reader") {
                    let trust: Value =
                        serde_json::to_value(&r["Properties"]["AssumeRolePolicyDocument"]).unwrap();
                    creators.push((format!("{account}/{path}"), trust));
                }
            }
        }
    }
    let names: Vec<&str> = creators.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [format!("billing-dev/{handoff}/stack.yaml")],
        "one owner"
    );
    let trust = &creators[0].1;
    for account in ["billing-dev", "payments-prod"] {
        let file: Value = serde_json::from_str(&t.read(&format!(
            "out/{account}/{handoff}/ledger-reader/trust-policy.json"
        )))
        .unwrap();
        assert_eq!(
            &file, trust,
            "{account}: the trust-policy.json is the stack's trust"
        );
    }
    for (account, ns, sa) in [
        ("billing-dev", "billing", "invoicer"),
        ("payments-prod", "payments", "ledger-api"),
    ] {
        let role: Value =
            serde_json::from_str(&t.read(&format!("out/{account}/iam/{ns}/{sa}/role.json")))
                .unwrap();
        let (source, cluster) = (
            role["roleArn"].as_str().unwrap(),
            role["cluster"].as_str().unwrap(),
        );
        assert!(
            allows(trust, &chained(source, cluster, ns, sa)),
            "{account}: {ns}/{sa} is denied"
        );
        for (what, bad) in impostors(source, cluster, ns, sa) {
            assert!(!allows(trust, &bad), "{account}: {what} is allowed");
        }
    }
    // The other source: its stack (if any) leaves the role out, and its READMEs say whose it is.
    let readme = t.read(&format!(
        "out/payments-prod/{handoff}/ledger-reader/README.md"
    ));
    assert!(
        readme.contains("The stack `eksvend-handoff-billing-dev`"),
        "{readme}"
    );
    let runbook = t.read("out/payments-prod/README.md");
    assert!(
        runbook.contains(
            "arn:aws:iam::444455556666:role/ledger-reader`: stack `eksvend-handoff-billing-dev`"
        ),
        "the runbook names the owning stack"
    );
    let Some(python) = crate::aws_sdk::tool("EKSVEND_PYTHON", "cfn-lint") else {
        return;
    };
    let lint = std::process::Command::new(python.with_file_name("cfn-lint"))
        .args(["--format", "parseable"])
        .args(&stacks)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(
        lint.status.code().unwrap_or(-1) & 2,
        0,
        "cfn-lint errors:\n{report}"
    );
    crate::aws_sdk::note(format_args!(
        "one owner: {} stacks of 3 repositories, cfn-lint {} findings, 0 errors",
        stacks.len(),
        report.lines().count()
    ));
}

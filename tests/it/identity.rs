//! Workload identity: one failing inventory per guard rail (with its exact message), pending
//! trust policies, the credential script, and a property test over the trust policies.

use proptest::prelude::*;
use serde_json::Value;

use eksvend::identity::chaining::{self, Source};
use eksvend::identity::lint::{self, Kind};
use eksvend::identity::{irsa, pod_identity};

use crate::support::Scenario;

const PAY: &str = "fleet/accounts/payments-prod.yaml";
const CHK: &str = "fleet/accounts/checkout-dev.yaml";
const ML: &str = "fleet/accounts/ml-research-dev.yaml";
const RISK: &str = "fleet/accounts/risk-batch-prod.yaml";
const FLEET: &str = "fleet/fleet.yaml";

/// A bad inventory: edits to the example, and the exact error lines (file:line:col: field: message).
struct Rail {
    name: &'static str,
    edits: &'static [(&'static str, &'static str, &'static str)],
    expect: &'static [&'static str],
}

const RAILS: &[Rail] = &[
    Rail {
        name: "wildcard principal",
        edits: &[(FLEET, "role/acme-platform-iam", "role/*")],
        expect: &["fleet/fleet.yaml:22:22: spec.iam.platformRoleArn: wildcard principal \"arn:aws:iam::123456789012:role/*\": the SCP exempts exactly one platform role; name its ARN"],
    },
    Rail {
        name: "IRSA subject with a wildcard",
        edits: &[(CHK, "- name: cart", "- name: \"cart*\"")],
        expect: &["fleet/accounts/checkout-dev.yaml:25:17: spec.tenants[0].serviceAccounts[0].name: IRSA subject with a wildcard: \"cart*\" would trust every matching service account; name exactly one"],
    },
    Rail {
        name: "ABAC with fewer than three tags",
        edits: &[(PAY, "        - name: ledger-api\n", "        - name: ledger-api\n          disableSessionTags: true\n")],
        expect: &["fleet/accounts/payments-prod.yaml:31:31: spec.tenants[0].serviceAccounts[0].disableSessionTags: ABAC with fewer than three tags: the target roles' trust policies pin the session tags eks-cluster-arn, kubernetes-namespace and kubernetes-service-account, which disableSessionTags removes (use chaining: native, pinned by the association's external ID, or keep the tags)"],
    },
    Rail {
        name: "chaining role with a permission other than sts:AssumeRole",
        edits: &[(RISK, "        - name: market-data\n", "        - name: market-data\n          policyArns: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n")],
        expect: &["fleet/accounts/risk-batch-prod.yaml:43:11: spec.tenants[0].serviceAccounts[1].policyArns: a chaining role may hold sts:AssumeRole and nothing else: a service account with chaining: shared uses the shared chaining role, so its permissions belong on the target roles"],
    },
    Rail {
        name: "target ARN that is not a role ARN",
        edits: &[(PAY, "role/ledger-reader", "user/ledger-reader")],
        expect: &["fleet/accounts/payments-prod.yaml:36:15: spec.tenants[0].serviceAccounts[0].assumeRoles[0]: \"arn:aws:iam::444455556666:user/ledger-reader\" is not valid: expected an IAM role ARN such as arn:aws:iam::444455556666:role/ledger-reader (roles only, no wildcards)"],
    },
    Rail {
        name: "duplicate association",
        edits: &[(ML, "  tenants:\n", "  tenants:\n    - namespace: cert-manager\n      serviceAccounts:\n        - name: cert-manager\n          identity: podIdentity\n")],
        expect: &["fleet/accounts/ml-research-dev.yaml:34:17: spec.tenants[0].serviceAccounts[0].name: duplicate Pod Identity association for cert-manager/cert-manager: the blueprint's add-on cert-manager already has one (EKS allows one per service account)"],
    },
    Rail {
        name: "wildcard resource without the opt-in",
        edits: &[(ML, "              allowWildcardResource: true\n", "")],
        expect: &["spec.tenants[0].serviceAccounts[1].statements[0].Resource: \"*\" needs the explicit opt-in allowWildcardResource: true (these actions have no resource-level permissions)"],
    },
    Rail {
        name: "wildcard resource for an action with resource-level permissions",
        edits: &[(ML, "Action: [sts:GetCallerIdentity]", "Action: [sts:GetCallerIdentity, s3:GetObject]")],
        expect: &["spec.tenants[0].serviceAccounts[1].statements[0].Resource: \"*\" is allowed only for actions without resource-level permissions; s3:GetObject can be scoped to ARNs"],
    },
    Rail {
        name: "Allow with NotAction",
        edits: &[(ML, "Action: [sts:GetCallerIdentity]", "NotAction: [iam:CreateUser]")],
        expect: &["spec.tenants[0].serviceAccounts[1].statements[0].NotAction: Allow with NotAction grants every other action of every service; list the actions with Action, or use NotAction with Deny"],
    },
    Rail {
        name: "unknown condition operator",
        edits: &[(ML, "              allowWildcardResource: true\n", "              allowWildcardResource: true\n              Condition: {StringEqual: {aws:RequestedRegion: eu-west-1}}\n")],
        expect: &["spec.tenants[0].serviceAccounts[1].statements[0].Condition.StringEqual: \"StringEqual\" is not an IAM condition operator; did you mean \"StringEquals\"?"],
    },
    Rail {
        name: "session policy without disableSessionTags",
        edits: &[(PAY, "          disableSessionTags: true\n", "")],
        expect: &["spec.tenants[0].serviceAccounts[1].sessionPolicy: AWS accepts a session policy on a Pod Identity association only with disableSessionTags: true"],
    },
    Rail {
        name: "native chaining with two targets",
        edits: &[(PAY, "assumeRoles: [arn:aws:iam::555566667777:role/fx-rates-reader]", "assumeRoles: [arn:aws:iam::555566667777:role/fx-rates-reader, arn:aws:iam::444455556666:role/fx-archive]")],
        expect: &["spec.tenants[0].serviceAccounts[2].chaining: native chaining assumes exactly one target role per association (targetRoleARN); assumeRoles has 2"],
    },
    Rail {
        name: "shared chaining without the account's shared role",
        edits: &[(RISK, "    sharedChainingRole: true\n", "    sharedChainingRole: false\n")],
        expect: &["spec.tenants[0].serviceAccounts[1].chaining: chaining: shared needs the account's shared chaining role: set spec.iam.sharedChainingRole: true"],
    },
    Rail {
        name: "native chaining for IRSA",
        edits: &[(CHK, "          identity: irsa\n", "          identity: irsa\n          chaining: native\n")],
        expect: &["spec.tenants[0].serviceAccounts[0].chaining: native and shared chaining are EKS Pod Identity's; an IRSA service account assumes its targets directly with its web identity token"],
    },
    Rail {
        name: "external ID of a target that is not native",
        edits: &[(PAY, "        - name: fx-rates\n", "        - name: fx-rates\n          externalIds: {\"arn:aws:iam::444455556666:role/ledger-reader\": abc}\n")],
        expect: &["spec.tenants[0].serviceAccounts[2].externalIds.arn:aws:iam::444455556666:role/ledger-reader: an external ID belongs to a native-chaining target of this service account; \"arn:aws:iam::444455556666:role/ledger-reader\" is not one"],
    },
    Rail {
        name: "trust policy quota out of range",
        edits: &[(FLEET, "trustPolicyMaxChars: 2048", "trustPolicyMaxChars: 100000")],
        expect: &["fleet/fleet.yaml:20:26: spec.iam.trustPolicyMaxChars: 100000 is outside IAM's trust policy quota: 2048 (default) to 8192 characters"],
    },
];

#[test]
fn each_guard_rail_refuses_its_inventory_with_its_message() {
    let mut failures = Vec::new();
    for rail in RAILS {
        let s = Scenario::example();
        for (file, from, to) in rail.edits {
            s.edit(file, from, to);
        }
        let run = s.eksvend(&["render", "-f", "fleet", "--out", "out"]);
        let missing: Vec<&&str> = rail
            .expect
            .iter()
            .filter(|e| !run.stderr.contains(**e))
            .collect();
        if run.code != 1 || !missing.is_empty() || s.path("out").exists() {
            failures.push(format!(
                "{} (exit {}): missing {missing:?}\n{}",
                rail.name, run.code, run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `n` service accounts of risk-batch-prod that chain (shared role) to the same outside role.
fn many_sources(n: usize) -> String {
    (0..n)
        .map(|i| format!("        - name: reader-with-a-long-name-{i:02}\n          chaining: shared\n          assumeRoles: [arn:aws:iam::444455556666:role/market-data-reader]\n"))
        .collect()
}

#[test]
fn trust_policy_over_the_quota_is_an_error_until_the_quota_is_raised() {
    let s = Scenario::example();
    s.edit(
        RISK,
        "        - name: report-publisher\n",
        &format!("{}        - name: report-publisher\n", many_sources(6)),
    );
    let run = s.eksvend(&["validate", "-f", "fleet"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("risk-batch-prod.yaml:44:11: spec.tenants[0].serviceAccounts[1].assumeRoles: handoff/444455556666/market-data-reader/trust-policy.json: the trust policy would be 3197 characters (whitespace not counted); IAM allows 2048; raise the account's quota and set spec.iam.trustPolicyMaxChars (Fleet or WorkloadAccount)"),
        "{}",
        run.stderr
    );
    s.edit(
        FLEET,
        "trustPolicyMaxChars: 2048",
        "trustPolicyMaxChars: 4096",
    );
    let run = s.eksvend(&["validate", "-f", "fleet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn inline_policy_over_the_limit_is_an_error() {
    let s = Scenario::example();
    let resources: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "arn:aws:s3:::acme-risk-scenarios/a-rather-long-prefix-for-scenario-data/{i:04}/*"
            )
        })
        .collect();
    s.edit(
        RISK,
        "Resource: [arn:aws:s3:::acme-risk-scenarios/*]",
        &format!("Resource: [{}]", resources.join(", ")),
    );
    let run = s.eksvend(&["validate", "-f", "fleet"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("spec.tenants[0].serviceAccounts[0].statements: iam/risk-jobs/var-engine/permission-policy.json: the inline permission policy would be"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("IAM allows 10240; split the statements over managed policies (policyArns)"),
        "{}",
        run.stderr
    );
}

#[test]
fn pending_trust_policies_warn_and_are_written_once_known() {
    let s = Scenario::example();
    let run = s.eksvend(&["render", "-f", "fleet", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: checkout-dev: spec.cluster.oidcIssuer is not set"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("warning: payments-prod: the trust policy of target role arn:aws:iam::555566667777:role/fx-rates-reader for payments/fx-rates is pending"), "{}", run.stderr);
    let fx = s.path("out/payments-prod/handoff/555566667777/fx-rates-reader");
    assert!(fx.join("README.md").exists() && !fx.join("trust-policy.json").exists());
    assert!(!s
        .path("out/checkout-dev/iam/checkout/cart/trust-policy.json")
        .exists());

    s.edit(PAY, "        - name: fx-rates\n", "        - name: fx-rates\n          externalIds: {\"arn:aws:iam::555566667777:role/fx-rates-reader\": us-east-1/111122223333/payments-prod/payments/fx-rates}\n");
    let run = s.eksvend(&["render", "-f", "fleet", "--out", "out2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for path in [
        "out2/payments-prod/handoff/555566667777/fx-rates-reader/trust-policy.json",
        "out2/risk-batch-prod/iam/cross-account/fx-rates-reader/trust-policy.json",
    ] {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(s.path(path)).unwrap()).unwrap();
        let st = &v["Statement"][0];
        assert_eq!(
            st["Principal"]["AWS"],
            "arn:aws:iam::111122223333:role/payments-prod_payments_fx-rates"
        );
        assert_eq!(
            st["Condition"]["StringEquals"]["sts:ExternalId"],
            "us-east-1/111122223333/payments-prod/payments/fx-rates"
        );
        assert_eq!(
            st["Condition"]["StringEquals"]["aws:PrincipalTag/kubernetes-service-account"],
            "fx-rates"
        );
    }
}

#[test]
fn credential_script_reshapes_the_agent_answer() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let curl = bin.join("curl");
    std::fs::write(
        &curl,
        "#!/bin/sh\nprintf '{\\n \"AccessKeyId\": \"ASIAX\",\\n \"SecretAccessKey\": \"s/+=\",\\n \"Token\": \"t+/=\",\\n \"AccountId\": \"111122223333\",\\n \"Expiration\": \"2030-01-01T00:00:00Z\"\\n}\\n'\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &curl,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(dir.path().join("token"), "tkn").unwrap();
    std::fs::write(dir.path().join("cp.sh"), chaining::CREDENTIAL_SCRIPT).unwrap();
    let out = std::process::Command::new("/bin/sh")
        .arg(dir.path().join("cp.sh"))
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://169.254.170.23/v1/credentials",
        )
        .env(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            dir.path().join("token"),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], "ASIAX");
    assert_eq!(v["SecretAccessKey"], "s/+=");
    assert_eq!(v["SessionToken"], "t+/=");
    assert_eq!(v["Expiration"], "2030-01-01T00:00:00Z");
}

fn dns_label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?"
}

fn account() -> impl Strategy<Value = String> {
    "[0-9]{12}"
}

fn principal_strings(doc: &Value) -> Vec<String> {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|st| match &st["Principal"] {
            Value::Object(m) => m
                .values()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        })
        .collect()
}

proptest! {
    /// For any valid namespace, service account and accounts: every trust policy pins exactly
    /// that subject, and no document has a wildcard principal or action.
    #[test]
    fn trust_policies_pin_exactly_one_subject(ns in dns_label(), sa in dns_label(), source in account(), target in account(), cluster in dns_label(), id in "[A-Za-z0-9]{1,32}") {
        let cluster_arn = format!("arn:aws:eks:us-east-1:{source}:cluster/{cluster}");
        let issuer = format!("https://oidc.eks.us-east-1.amazonaws.com/id/{id}");
        let role = format!("arn:aws:iam::{source}:role/{cluster}_{ns}_{sa}");
        let subject = format!("system:serviceaccount:{ns}:{sa}");
        let host = issuer.trim_start_matches("https://");

        let own_irsa = irsa::trust(&irsa::provider_arn("aws", &source, &issuer), &issuer, &ns, &sa);
        let web = chaining::trust(chaining::target_statements(&Source::WebIdentity {
            provider_arn: irsa::provider_arn("aws", &target, &issuer), issuer: &issuer, namespace: &ns, service_account: &sa,
        }, "acct"));
        for doc in [&own_irsa, &web] {
            let st = &doc["Statement"][0];
            prop_assert_eq!(&st["Condition"]["StringEquals"][format!("{host}:sub")], &Value::String(subject.clone()));
            prop_assert_eq!(&st["Condition"]["StringEquals"][format!("{host}:aud")], "sts.amazonaws.com");
            prop_assert_eq!(st["Condition"].as_object().unwrap().len(), 1);
        }
        let mut docs = vec![(own_irsa.clone(), Kind::Trust), (web.clone(), Kind::TargetTrust { abac: true }), (pod_identity::trust(&source, &cluster_arn), Kind::Trust)];
        for external_id in [None, Some("ext")] {
            let doc = chaining::trust(chaining::target_statements(&Source::Role {
                role_arn: &role, cluster_arn: &cluster_arn, namespace: &ns, service_account: &sa, external_id, session_tags: true,
            }, "acct"));
            for st in doc["Statement"].as_array().unwrap() {
                let eq = &st["Condition"]["StringEquals"];
                prop_assert_eq!(&eq["aws:PrincipalTag/eks-cluster-arn"], &Value::String(cluster_arn.clone()));
                prop_assert_eq!(&eq["aws:PrincipalTag/kubernetes-namespace"], &Value::String(ns.clone()));
                prop_assert_eq!(&eq["aws:PrincipalTag/kubernetes-service-account"], &Value::String(sa.clone()));
                prop_assert_eq!(&st["Principal"]["AWS"], &Value::String(role.clone()));
            }
            docs.push((doc, Kind::TargetTrust { abac: true }));
        }
        docs.push((chaining::assume_only(&[format!("arn:aws:iam::{target}:role/r")]), Kind::ChainingRole));
        for (doc, kind) in &docs {
            prop_assert!(lint::lint(doc, *kind).is_empty(), "{:?}", lint::lint(doc, *kind));
            for p in principal_strings(doc) {
                prop_assert!(!p.contains('*'), "wildcard principal {}", p);
            }
            let text = doc.to_string();
            prop_assert!(!text.contains("\"Action\":\"*\""));
        }
    }
}

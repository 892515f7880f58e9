//! Workload identity: one failing inventory per guard rail (with its exact message), IAM size
//! quotas, pending trust policies, the credential script, and a property test over the trust
//! policies.

use proptest::prelude::*;
use serde_json::Value;

use eksvend::domain::{arn, AccountId, OidcIssuer, Partition, Region};
use eksvend::identity::chaining::{self, Source};
use eksvend::identity::lint::{self, Kind};
use eksvend::identity::{irsa, pod_identity};

use crate::support::{refused, Test, CHK, FLEET, ML, PAY, RISK};

// Guard rails: one bad inventory each, refused with its exact message.

#[test]
fn wildcard_principal() {
    let stderr = refused(&[(FLEET, "role/acme-platform-iam", "role/*")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/fleet.yaml:22:22: spec.iam.platformRoleArn: wildcard principal "arn:aws:iam::123456789012:role/*": the SCP exempts exactly one platform role; name its ARN
       |
    22 |     platformRoleArn: arn:aws:iam::123456789012:role/*
       |                      ^
    1 error found; nothing was written
    "#);
}

#[test]
fn irsa_subject_with_a_wildcard() {
    let stderr = refused(&[(CHK, "- name: cart", "- name: \"cart*\"")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/checkout-dev.yaml:25:17: spec.tenants[0].serviceAccounts[0].name: "cart*" is not valid: expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit
       |
    25 |         - name: "cart*"
       |                 ^
    error: fleet/accounts/checkout-dev.yaml:25:17: spec.tenants[0].serviceAccounts[0].name: IRSA subject with a wildcard: "cart*" would trust every matching service account; name exactly one
       |
    25 |         - name: "cart*"
       |                 ^
    2 errors found; nothing was written
    "#);
}

#[test]
fn abac_with_fewer_than_three_tags() {
    let stderr = refused(&[(
        PAY,
        "        - name: ledger-api\n",
        "        - name: ledger-api\n          disableSessionTags: true\n",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:36:31: spec.tenants[0].serviceAccounts[0].disableSessionTags: ABAC with fewer than three tags: the target roles' trust policies pin the session tags eks-cluster-arn, kubernetes-namespace and kubernetes-service-account, which disableSessionTags removes (use chaining: native, pinned by the association's external ID, or keep the tags)
       |
    36 |           disableSessionTags: true
       |                               ^
    1 error found; nothing was written
    "#);
}

#[test]
fn chaining_role_with_a_permission_other_than_sts_assume_role() {
    let stderr = refused(&[(RISK, "        - name: market-data\n", "        - name: market-data\n          policyArns: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/risk-batch-prod.yaml:43:11: spec.tenants[0].serviceAccounts[1].policyArns: a chaining role may hold sts:AssumeRole and nothing else: a service account with chaining: shared uses the shared chaining role, so its permissions belong on the target roles
       |
    43 |           policyArns: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
       |           ^
    1 error found; nothing was written
    "#);
}

#[test]
fn target_arn_that_is_not_a_role_arn() {
    let stderr = refused(&[(PAY, "role/ledger-reader", "user/ledger-reader")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:41:15: spec.tenants[0].serviceAccounts[0].assumeRoles[0]: "arn:aws:iam::444455556666:user/ledger-reader" is not valid: expected an IAM role ARN such as arn:aws:iam::444455556666:role/ledger-reader (roles only, no wildcards)
       |
    41 |             - arn:aws:iam::444455556666:user/ledger-reader
       |               ^
    1 error found; nothing was written
    "#);
}

#[test]
fn duplicate_association() {
    let stderr = refused(&[(ML, "  tenants:\n", "  tenants:\n    - namespace: cert-manager\n      serviceAccounts:\n        - name: cert-manager\n          identity: podIdentity\n")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:34:17: spec.tenants[0].serviceAccounts[0].name: duplicate Pod Identity association for cert-manager/cert-manager: the blueprint's add-on cert-manager already has one (EKS allows one per service account)
       |
    34 |         - name: cert-manager
       |                 ^
    1 error found; nothing was written
    "#);
}

#[test]
fn wildcard_resource_without_the_opt_in() {
    let stderr = refused(&[(ML, "              allowWildcardResource: true\n", "")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:50:25: spec.tenants[0].serviceAccounts[1].statements[0].Resource: "*" needs the explicit opt-in allowWildcardResource: true (these actions have no resource-level permissions)
       |
    50 |               Resource: "*"
       |                         ^
    1 error found; nothing was written
    "#);
}

#[test]
fn wildcard_resource_for_an_action_with_resource_level_permissions() {
    let stderr = refused(&[(
        ML,
        "Action: [sts:GetCallerIdentity]",
        "Action: [sts:GetCallerIdentity, s3:GetObject]",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:50:25: spec.tenants[0].serviceAccounts[1].statements[0].Resource: "*" is allowed only for actions without resource-level permissions; s3:GetObject can be scoped to ARNs
       |
    50 |               Resource: "*"
       |                         ^
    1 error found; nothing was written
    "#);
}

#[test]
fn allow_with_not_action() {
    let stderr = refused(&[(
        ML,
        "Action: [sts:GetCallerIdentity]",
        "NotAction: [iam:CreateUser]",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:49:15: spec.tenants[0].serviceAccounts[1].statements[0].NotAction: Allow with NotAction grants every other action of every service; list the actions with Action, or use NotAction with Deny
       |
    49 |               NotAction: [iam:CreateUser]
       |               ^
    1 error found; nothing was written
    "#);
}

#[test]
fn unknown_condition_operator() {
    let stderr = refused(&[(ML, "              allowWildcardResource: true\n", "              allowWildcardResource: true\n              Condition: {StringEqual: {aws:RequestedRegion: eu-west-1}}\n")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:52:27: spec.tenants[0].serviceAccounts[1].statements[0].Condition.StringEqual: "StringEqual" is not an IAM condition operator; did you mean "StringEquals"?
       |
    52 |               Condition: {StringEqual: {aws:RequestedRegion: eu-west-1}}
       |                           ^
    1 error found; nothing was written
    "#);
}

#[test]
fn session_policy_without_disable_session_tags() {
    let stderr = refused(&[(PAY, "          disableSessionTags: true\n", "")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:51:11: spec.tenants[0].serviceAccounts[1].sessionPolicy: AWS accepts a session policy on a Pod Identity association only with disableSessionTags: true
       |
    51 |           sessionPolicy:
       |           ^
    1 error found; nothing was written
    "#);
}

#[test]
fn native_chaining_with_two_targets() {
    let stderr = refused(&[(PAY, "assumeRoles: [arn:aws:iam::555566667777:role/fx-rates-reader]", "assumeRoles: [arn:aws:iam::555566667777:role/fx-rates-reader, arn:aws:iam::444455556666:role/fx-archive]")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:58:21: spec.tenants[0].serviceAccounts[2].chaining: native chaining assumes exactly one target role per association (targetRoleARN); assumeRoles has 2
       |
    58 |           chaining: native
       |                     ^
    1 error found; nothing was written
    "#);
}

#[test]
fn shared_chaining_without_the_accounts_shared_role() {
    let stderr = refused(&[(
        RISK,
        "    sharedChainingRole: true\n",
        "    sharedChainingRole: false\n",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/risk-batch-prod.yaml:43:21: spec.tenants[0].serviceAccounts[1].chaining: chaining: shared needs the account's shared chaining role: set spec.iam.sharedChainingRole: true
       |
    43 |           chaining: shared
       |                     ^
    error: fleet/accounts/risk-batch-prod.yaml:46:21: spec.tenants[0].serviceAccounts[2].chaining: chaining: shared needs the account's shared chaining role: set spec.iam.sharedChainingRole: true
       |
    46 |           chaining: shared
       |                     ^
    2 errors found; nothing was written
    "#);
}

#[test]
fn native_chaining_for_irsa() {
    let stderr = refused(&[(
        CHK,
        "          identity: irsa\n",
        "          identity: irsa\n          chaining: native\n",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/checkout-dev.yaml:27:21: spec.tenants[0].serviceAccounts[0].chaining: native and shared chaining are EKS Pod Identity's; an IRSA service account assumes its targets directly with its web identity token
       |
    27 |           chaining: native
       |                     ^
    1 error found; nothing was written
    "#);
}

#[test]
fn external_id_of_a_target_that_is_not_native() {
    let stderr = refused(&[(PAY, "        - name: fx-rates\n", "        - name: fx-rates\n          externalIds: {\"arn:aws:iam::444455556666:role/ledger-reader\": abc}\n")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:58:73: spec.tenants[0].serviceAccounts[2].externalIds.arn:aws:iam::444455556666:role/ledger-reader: an external ID belongs to a native-chaining target of this service account; "arn:aws:iam::444455556666:role/ledger-reader" is not one
       |
    58 |           externalIds: {"arn:aws:iam::444455556666:role/ledger-reader": abc}
       |                                                                         ^
    1 error found; nothing was written
    "#);
}

/// STS takes external IDs of 2 to 1224 characters; validation accepted a single character,
/// which `sts:AssumeRole` would reject. Validation reports it with every other finding (here
/// the account ID), not only once the rest of the inventory is valid.
#[test]
fn external_id_of_one_character() {
    let stderr = refused(&[
        (
            PAY,
            "          assumeRoles: [arn:aws:iam::555566667777:role/fx-rates-reader]\n",
            "          assumeRoles: [arn:aws:iam::555566667777:role/fx-rates-reader]\n          externalIds: {\"arn:aws:iam::555566667777:role/fx-rates-reader\": x}\n",
        ),
        (PAY, "accountId: \"111122223333\"", "accountId: \"11112222333\""),
    ]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:7:14: spec.accountId: "11112222333" is not a 12-digit AWS account ID (write it as a quoted string)
      |
    7 |   accountId: "11112222333"
      |              ^
    error: fleet/accounts/payments-prod.yaml:60:75: spec.tenants[0].serviceAccounts[2].externalIds.arn:aws:iam::555566667777:role/fx-rates-reader: "x" is not an STS external ID: 2-1224 of letters, digits and +=,.@:/-_
       |
    60 |           externalIds: {"arn:aws:iam::555566667777:role/fx-rates-reader": x}
       |                                                                           ^
    2 errors found; nothing was written
    "#);
}

#[test]
fn trust_policy_quota_out_of_range() {
    let stderr = refused(&[(
        FLEET,
        "trustPolicyMaxChars: 2048",
        "trustPolicyMaxChars: 100000",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/fleet.yaml:20:26: spec.iam.trustPolicyMaxChars: 100000 is outside IAM's trust policy quota: 2048 (default) to 8192 characters
       |
    20 |     trustPolicyMaxChars: 100000
       |                          ^
    1 error found; nothing was written
    "#);
}

/// `n` service accounts of risk-batch-prod that chain (shared role) to the same outside role.
fn many_sources(n: usize) -> String {
    (0..n)
        .map(|i| format!("        - name: reader-with-a-long-name-{i:02}\n          chaining: shared\n          assumeRoles: [arn:aws:iam::444455556666:role/market-data-reader]\n"))
        .collect()
}

#[test]
fn trust_policy_over_the_quota_is_an_error_until_the_quota_is_raised() {
    let t = Test::new();
    t.edit(
        &format!("fleet/{RISK}"),
        "        - name: report-publisher\n",
        &format!("{}        - name: report-publisher\n", many_sources(6)),
    );
    let out = t.validate().run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: fleet/accounts/risk-batch-prod.yaml:44:11: spec.tenants[0].serviceAccounts[1].assumeRoles: handoff/444455556666/market-data-reader/trust-policy.json: the trust policy would be 3197 characters (whitespace not counted); IAM allows 2048; raise the account's quota and set spec.iam.trustPolicyMaxChars (Fleet or WorkloadAccount)
       |
    44 |           assumeRoles: [arn:aws:iam::444455556666:role/market-data-reader]
       |           ^
    1 error found; nothing was written
    "#);
    t.edit(
        &format!("fleet/{FLEET}"),
        "trustPolicyMaxChars: 2048",
        "trustPolicyMaxChars: 4096",
    );
    t.validate().success();
}

#[test]
fn inline_policy_over_the_limit_is_an_error() {
    let resources: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "arn:aws:s3:::acme-risk-scenarios/a-rather-long-prefix-for-scenario-data/{i:04}/*"
            )
        })
        .collect();
    let resources = format!("Resource: [{}]", resources.join(", "));
    let stderr = refused(&[(
        RISK,
        "Resource: [arn:aws:s3:::acme-risk-scenarios/*]",
        &resources,
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/risk-batch-prod.yaml:35:11: spec.tenants[0].serviceAccounts[0].statements: iam/risk-jobs/var-engine/permission-policy.json: the inline permission policy would be 16405 characters (whitespace not counted); IAM allows 10240; split the statements over managed policies (policyArns)
       |
    35 |           statements:
       |           ^
    1 error found; nothing was written
    "#);
}

#[test]
fn pending_trust_policies_warn_and_are_written_once_known() {
    let t = Test::new();
    let out = t.render("out").success();
    insta::assert_snapshot!(out.stderr, @r#"
    warning: checkout-dev: spec.cluster.oidcIssuer is not set: the IRSA trust policies of 1 service account(s) are pending; eksctl creates those roles (iam.serviceAccounts) until you set it
    warning: payments-prod: the trust policy of target role arn:aws:iam::555566667777:role/fx-rates-reader for payments/fx-rates is pending: the external ID of the Pod Identity association payments/fx-rates is known once EKS creates it; record it in spec.tenants[].serviceAccounts[].externalIds of WorkloadAccount payments-prod
    "#);
    let fx = t.path("out/payments-prod/handoff/555566667777/fx-rates-reader");
    assert!(fx.join("README.md").exists() && !fx.join("trust-policy.json").exists());
    assert!(!t.exists("out/checkout-dev/iam/checkout/cart/trust-policy.json"));

    t.edit(&format!("fleet/{PAY}"), "        - name: fx-rates\n", "        - name: fx-rates\n          externalIds: {\"arn:aws:iam::555566667777:role/fx-rates-reader\": us-east-1/111122223333/payments-prod/payments/fx-rates}\n");
    t.render("out2").success();
    for path in [
        "out2/payments-prod/handoff/555566667777/fx-rates-reader/trust-policy.json",
        "out2/risk-batch-prod/iam/cross-account/fx-rates-reader/trust-policy.json",
    ] {
        let v: Value = serde_json::from_str(&t.read(path)).unwrap();
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
        let region = Region::try_from("us-east-1").unwrap();
        let issuer = OidcIssuer::parse(&format!("https://oidc.eks.us-east-1.amazonaws.com/id/{id}"), &region).unwrap();
        let (source_id, target_id) = (AccountId::try_from(source.as_str()).unwrap(), AccountId::try_from(target.as_str()).unwrap());
        let role = format!("arn:aws:iam::{source}:role/{cluster}_{ns}_{sa}");
        let subject = format!("system:serviceaccount:{ns}:{sa}");
        let host = issuer.host_path();

        let own_irsa = irsa::trust(&arn::oidc_provider(Partition::Aws, &source_id, &issuer), &issuer, &ns, &sa);
        let web = chaining::trust(chaining::target_statements(&Source::WebIdentity {
            provider_arn: arn::oidc_provider(Partition::Aws, &target_id, &issuer), issuer: &issuer, namespace: &ns, service_account: &sa,
        }, "acct"));
        for doc in [&own_irsa, &web] {
            let st = &doc["Statement"][0];
            prop_assert_eq!(&st["Condition"]["StringEquals"][format!("{host}:sub")], &Value::String(subject.clone()));
            prop_assert_eq!(&st["Condition"]["StringEquals"][format!("{host}:aud")], "sts.amazonaws.com");
            prop_assert_eq!(st["Condition"].as_object().unwrap().len(), 1);
        }
        let mut docs = vec![(own_irsa.clone(), Kind::Trust), (web.clone(), Kind::TargetTrust { abac: true }), (pod_identity::trust(&source, &cluster_arn, &[pod_identity::Subject { namespace: &ns, service_account: &sa, session_tags: true }]), Kind::Trust)];
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

#[test]
fn a_target_that_eksvend_manages_for_another_purpose_is_refused() {
    let t = Test::new();
    t.edit(
        &format!("fleet/{PAY}"),
        "            - arn:aws:iam::555566667777:role/risk-scenarios-reader\n",
        "            - arn:aws:iam::555566667777:role/risk-scenarios-reader\n            - arn:aws:iam::555566667777:role/risk-batch-prod_risk-jobs_var-engine\n            - arn:aws:iam::555566667777:role/risk-batch-prod_karpenter-node\n",
    );
    let out = t.validate().run().code(1);
    out.stderr_has("spec.tenants[0].serviceAccounts[0].assumeRoles[2]: arn:aws:iam::555566667777:role/risk-batch-prod_risk-jobs_var-engine is the own role of service account risk-jobs/var-engine of risk-batch-prod");
    out.stderr_has("spec.tenants[0].serviceAccounts[0].assumeRoles[3]: arn:aws:iam::555566667777:role/risk-batch-prod_karpenter-node is Karpenter's node role of risk-batch-prod");
}

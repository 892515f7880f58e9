//! Add-ons are data: an add-on's IAM comes from the identity its blueprint entry declares, never
//! from its name. Renaming an add-on in a user catalog keeps its role and association; a new
//! add-on with its own role is one blueprint entry plus its policy file, and its documents pass
//! the same guard rails as tenant roles.

use crate::support::{root, Test};

const ACCOUNT: &str = "fleet/accounts/payments-prod.yaml";

/// The built-in general blueprint with every add-on renamed (Karpenter, from base, replaced by a
/// renamed copy that brings base's policy file along).
fn renamed_general() -> String {
    let text = std::fs::read_to_string(root().join("blueprints/general/blueprint.yaml")).unwrap();
    let renamed = text
        .replace(
            "    - name: aws-load-balancer-controller\n",
            "    - name: lbc\n",
        )
        .replace("    - name: external-dns\n", "    - name: externaldns\n")
        .replace("    - name: cert-manager\n", "    - name: certs\n");
    assert_ne!(renamed, text);
    let karpenter = r"
    - {name: karpenter, remove: true}
    - name: autoscaler
      repoUrl: oci://public.ecr.aws/karpenter
      chart: karpenter
      version: 1.15.0
      namespace: kube-system
      identity:
        serviceAccount: karpenter
        policy:
          files:
            - policies/karpenter-controller/node-lifecycle.json
            - policies/karpenter-controller/iam-integration.json
            - policies/karpenter-controller/eks-integration.json
            - policies/karpenter-controller/interruption.json
            - policies/karpenter-controller/zonal-shift.json
            - policies/karpenter-controller/resource-discovery.json
      values:
        settings:
          clusterName: ${cluster.name}
        serviceAccount:
          name: karpenter";
    renamed.replacen("  addons:", &format!("  addons:{karpenter}"), 1)
}

fn with_user_catalog(t: &Test, blueprint: &str) {
    t.file("custom/general/blueprint.yaml", blueprint);
    let base = root().join("blueprints/base/policies/karpenter-controller");
    for file in std::fs::read_dir(&base).unwrap() {
        let file = file.unwrap().path();
        t.file(
            &format!(
                "custom/general/policies/karpenter-controller/{}",
                file.file_name().unwrap().to_string_lossy()
            ),
            &std::fs::read_to_string(&file).unwrap(),
        );
    }
    // general's own policy files come along with its blueprint.yaml.
    for policy in ["ack-eks-controller.json", "external-dns.json"] {
        let text = std::fs::read_to_string(root().join("blueprints/general/policies").join(policy));
        t.file(&format!("custom/general/policies/{policy}"), &text.unwrap());
    }
}

#[test]
fn renaming_every_addon_keeps_its_role_and_association() {
    let t = Test::new();
    with_user_catalog(&t, &renamed_general());
    t.edit(
        ACCOUNT,
        "  parameters:\n",
        "  parameters:\n    certManager: true\n",
    );
    t.render("out").args(["--blueprints", "custom"]).success();
    let cluster = t.read("out/payments-prod/cluster/cluster.yaml");
    for (sa, how) in [
        (
            "\"karpenter\"",
            "roleARN: \"arn:aws:iam::111122223333:role/payments-prod_kube-system_karpenter\"",
        ),
        (
            "\"aws-load-balancer-controller\"",
            "wellKnownPolicies:\n        awsLoadBalancerController: true",
        ),
        (
            "\"external-dns\"",
            "roleARN: \"arn:aws:iam::111122223333:role/payments-prod_kube-system_external-dns\"",
        ),
        (
            "\"cert-manager\"",
            "wellKnownPolicies:\n        certManager: true",
        ),
    ] {
        let entry = format!("serviceAccountName: {sa}\n      {how}");
        assert!(cluster.contains(&entry), "{entry}\nnot in\n{cluster}");
    }
    // The renamed Karpenter's role is described under its new name, with the same documents.
    let golden = root().join("tests/golden/payments-prod/iam/platform/karpenter-controller");
    for file in [
        "node-lifecycle-policy.json",
        "iam-integration-policy.json",
        "eks-integration-policy.json",
        "interruption-policy.json",
        "zonal-shift-policy.json",
        "resource-discovery-policy.json",
        "trust-policy.json",
    ] {
        assert_eq!(
            t.read(&format!(
                "out/payments-prod/iam/platform/autoscaler-controller/{file}"
            )),
            std::fs::read_to_string(golden.join(file)).unwrap(),
            "{file}"
        );
    }
    assert!(!t.exists("out/payments-prod/iam/platform/karpenter-controller"));
}

const EXTERNAL_SECRETS: &str = r"apiVersion: eksvend.dev/v1alpha1
kind: Blueprint
metadata: {name: general}
spec:
  version: 2.1.0
  description: general with External Secrets Operator reading this cluster's secrets
  extends: general@2.0.0
  addons:
    - name: external-secrets
      repoUrl: https://charts.external-secrets.io
      chart: external-secrets
      version: 0.19.2
      namespace: external-secrets
      identity:
        serviceAccount: external-secrets
        policy: {file: policies/external-secrets.json}
      values:
        serviceAccount: {name: external-secrets}
";

const EXTERNAL_SECRETS_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadThisClustersSecrets",
      "Effect": "Allow",
      "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      "Resource": "arn:${partition}:secretsmanager:${region}:${account.id}:secret:${cluster.name}/*"
    }
  ]
}
"#;

#[test]
fn a_user_addon_with_its_own_policy_gets_a_role_trust_policy_and_association() {
    let t = Test::new();
    t.file("custom/general-1.1/blueprint.yaml", EXTERNAL_SECRETS)
        .file(
            "custom/general-1.1/policies/external-secrets.json",
            EXTERNAL_SECRETS_POLICY,
        );
    t.validate().args(["--blueprints", "custom"]).success();
    t.render("out").args(["--blueprints", "custom"]).success();
    let dir = "out/payments-prod/iam/platform/external-secrets-controller";
    let policy: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{dir}/permission-policy.json"))).unwrap();
    assert_eq!(
        policy["Statement"][0]["Resource"],
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:payments-prod/*"
    );
    let trust: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{dir}/trust-policy.json"))).unwrap();
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "pods.eks.amazonaws.com"
    );
    let role: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{dir}/role.json"))).unwrap();
    assert_eq!(
        role["roleName"],
        "payments-prod_external-secrets_external-secrets"
    );
    assert_eq!(
        role["serviceAccount"],
        serde_json::json!({"namespace": "external-secrets", "name": "external-secrets"})
    );
    let cluster = t.read("out/payments-prod/cluster/cluster.yaml");
    assert!(
        cluster.contains("    - namespace: \"external-secrets\"\n      serviceAccountName: \"external-secrets\"\n      roleARN: \"arn:aws:iam::111122223333:role/payments-prod_external-secrets_external-secrets\"\n"),
        "{cluster}"
    );
    assert!(t
        .read("out/payments-prod/bootstrap/argocd/apps/addons.yaml")
        .contains("chart: \"external-secrets\""));
}

#[test]
fn a_user_addon_policy_meets_the_same_guard_rails_as_tenant_roles() {
    let t = Test::new();
    let wildcard = EXTERNAL_SECRETS_POLICY.replace(
        "[\"secretsmanager:GetSecretValue\", \"secretsmanager:DescribeSecret\"]",
        "\"secretsmanager:*\"",
    );
    t.file("custom/general-1.1/blueprint.yaml", EXTERNAL_SECRETS)
        .file(
            "custom/general-1.1/policies/external-secrets.json",
            &wildcard,
        );
    let out = t.validate().args(["--blueprints", "custom"]).run().code(1);
    out.stderr_has("spec.blueprint: iam/platform/external-secrets-controller/permission-policy.json: Statement[0]: wildcard action \"secretsmanager:*\"");
    out.stderr_has("nothing was written");
}

#[test]
fn renaming_only_the_service_account_in_the_helm_values_is_an_error_at_the_blueprint_field() {
    let t = Test::new();
    let text = std::fs::read_to_string(root().join("blueprints/general/blueprint.yaml")).unwrap();
    let renamed = text.replacen(
        "          name: external-dns\n",
        "          name: externaldns\n",
        1,
    );
    assert_ne!(renamed, text);
    with_user_catalog(&t, &renamed);
    let out = t.validate().args(["--blueprints", "custom"]).run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: custom/general/blueprint.yaml: spec.addons[3].identity.serviceAccount: general@2.0.0: "external-dns" is not the service account the Helm values name (values.serviceAccount.name: "externaldns"); the role would go to a service account nothing runs as
    1 error found; nothing was written
    "#);
}

/// Issue 14: Karpenter's controller policy, one managed policy, refused cluster names longer
/// than ~40 characters (the size check at `spec.blueprint`). Split into six managed policies as
/// upstream splits it, the longest cluster name the inventory allows (a DNS-1123 label, 63
/// characters) renders, each policy within the 6,144-character quota, each attached to the
/// controller's role by the stack.
#[test]
fn the_longest_cluster_name_fits_karpenter_s_managed_policies() {
    let t = Test::new();
    let cluster = format!("payments-prod-{}", "x".repeat(63 - "payments-prod-".len()));
    t.edit(
        ACCOUNT,
        "  blueprint: general@^2.0\n",
        &format!("  blueprint: general@^2.0\n  cluster:\n    name: {cluster}\n"),
    );
    t.render("out").success();
    let dir = "out/payments-prod/iam/platform/karpenter-controller";
    let role: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{dir}/role.json"))).unwrap();
    let policies = role["customerManagedPolicies"].as_array().unwrap();
    let names: Vec<&str> = policies
        .iter()
        .map(|p| p["policyDocument"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "node-lifecycle-policy.json",
            "iam-integration-policy.json",
            "eks-integration-policy.json",
            "interruption-policy.json",
            "zonal-shift-policy.json",
            "resource-discovery-policy.json"
        ]
    );
    for p in policies {
        let text = t.read(&format!("{dir}/{}", p["policyDocument"].as_str().unwrap()));
        let chars = text.chars().filter(|c| !c.is_whitespace()).count();
        assert!(chars <= 6_144, "{p}: {chars}");
        assert!(text.contains(&cluster) || p["policyDocument"] == "resource-discovery-policy.json");
    }
    let stack: serde_yaml::Value =
        serde_yaml::from_str(&t.read("out/payments-prod/iam/stack.yaml")).unwrap();
    let resources = stack["Resources"].as_mapping().unwrap();
    // Karpenter's six managed policies, named after its role (ExternalDNS has its own).
    let role_name = role["roleName"].as_str().unwrap();
    let managed: Vec<&str> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::IAM::ManagedPolicy"))
        .map(|(_, r)| r["Properties"]["ManagedPolicyName"].as_str().unwrap())
        .filter(|m| m.starts_with(&format!("{role_name}-")))
        .collect();
    assert_eq!(managed.len(), 6, "{managed:?}");
    assert!(managed.iter().all(|m| m.len() <= 128));
    let attached = resources
        .iter()
        .find(|(_, r)| r["Properties"]["RoleName"].as_str() == Some(role_name))
        .map(|(_, r)| {
            r["Properties"]["ManagedPolicyArns"]
                .as_sequence()
                .unwrap()
                .len()
        });
    assert_eq!(attached, Some(6));
}

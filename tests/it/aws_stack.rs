//! CloudFormation (issue 12): every rendered template passes cfn-lint with 0 errors, for the
//! example fleet and for a fleet of every blueprint × identity mode; every role has one owner
//! (the stack or eksctl, never both); the ARNs eksctl uses are the stack's; Karpenter's queue is
//! the one its Helm values and its policy name; the eksctl version in the header covers the
//! fields the file uses; metrics-server has one owner.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::aws_sdk::{note, tool};
use crate::support::{read_tree, Test};

/// A fleet of every built-in blueprint × identity mode, added to the example fleet: each
/// account has a service account that chains to a role outside the inventory (profile chaining
/// for Pod Identity, plus native chaining with a recorded external ID; the own role for IRSA,
/// with and without a known OIDC issuer).
fn generated_fleet(t: &Test) {
    let mut n = 0;
    for bp in ["general", "batch", "aiml"] {
        for mode in ["podIdentity", "irsa"] {
            for issuer in [false, true] {
                if mode == "podIdentity" && issuer {
                    continue;
                }
                n += 1;
                let name = format!(
                    "gen-{bp}-{}{}",
                    mode.to_lowercase(),
                    if issuer { "-oidc" } else { "" }
                );
                let id = format!("7000000000{n:02}");
                let cluster = if issuer {
                    format!("  cluster:\n    oidcIssuer: https://oidc.eks.us-east-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F{n}\n")
                } else {
                    String::new()
                };
                let native = if mode == "podIdentity" {
                    format!("        - name: native\n          chaining: native\n          assumeRoles: [arn:aws:iam::888899990000:role/{name}-native]\n          externalIds: {{\"arn:aws:iam::888899990000:role/{name}-native\": us-east-1/{id}/{name}/apps/native}}\n")
                } else {
                    String::new()
                };
                t.file(
                    &format!("fleet/accounts/{name}.yaml"),
                    &format!(
                        "apiVersion: eksvend.dev/v1alpha1\nkind: WorkloadAccount\nmetadata:\n  name: {name}\nspec:\n  accountId: \"{id}\"\n  team: gen\n  environment: dev\n  region: us-east-1\n  network: prod-use1\n  blueprint: {bp}\n{cluster}  tenants:\n    - namespace: apps\n      serviceAccounts:\n        - name: worker\n          identity: {mode}\n          statements:\n            - Effect: Allow\n              Action: [s3:GetObject]\n              Resource: [arn:aws:s3:::gen-{n}/*]\n          assumeRoles: [arn:aws:iam::888899990000:role/{name}-reader]\n{native}"
                    ),
                );
            }
        }
    }
}

/// Every CloudFormation template under `out`.
fn templates(out: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = read_tree(out)
        .keys()
        .filter(|p| p.ends_with("stack.yaml"))
        .map(|p| out.join(p))
        .collect();
    found.sort();
    found
}

fn yaml(path: &Path) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every `RoleName` of a template.
fn stack_roles(template: &serde_yaml::Value) -> Vec<String> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::IAM::Role"))
        .map(|r| r["Properties"]["RoleName"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_template_passes_cfn_lint_for_the_example_and_a_generated_fleet() {
    let Some(python) = tool("EKSVEND_PYTHON", "cfn-lint") else {
        return;
    };
    let t = Test::new();
    generated_fleet(&t);
    t.render("out").success();
    let files = templates(&t.path("out"));
    // 5 example accounts + 9 generated ones, each with iam/stack.yaml, plus wave 2 and hand-offs.
    assert!(files.len() >= 14 + 9, "{} templates", files.len());
    let lint = python.with_file_name("cfn-lint");
    let out = Command::new(&lint)
        .args(["--format", "parseable"])
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", lint.display()));
    let report = String::from_utf8_lossy(&out.stdout);
    let errors: Vec<&str> = report
        .lines()
        .filter(|l| {
            l.split(':')
                .nth(5)
                .is_some_and(|code| code.starts_with('E'))
        })
        .collect();
    note(format_args!(
        "cfn-lint: {} templates, {} findings, {} errors",
        files.len(),
        report.lines().count(),
        errors.len()
    ));
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // cfn-lint exits 2 on errors, 4 on warnings, 8 on informational findings.
    assert_eq!(
        out.status.code().unwrap_or(-1) & 2,
        0,
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cfn_lint_sees_a_broken_template() {
    let Some(python) = tool("EKSVEND_PYTHON", "cfn-lint") else {
        return;
    };
    let t = Test::new();
    t.render("out").success();
    let good = t.read("out/payments-prod/iam/stack.yaml");
    t.file(
        "bad.yaml",
        &good.replace("Type: AWS::SQS::Queue\n", "Type: AWS::SQS::Queu\n"),
    );
    let out = Command::new(python.with_file_name("cfn-lint"))
        .arg(t.path("bad.yaml"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("E3006"));
}

#[test]
fn every_role_has_one_owner_and_eksctl_uses_the_stack_s_arns() {
    let t = Test::new();
    generated_fleet(&t);
    t.render("out").success();
    let mut checked = 0;
    for account in std::fs::read_dir(t.path("out")).unwrap() {
        let dir = account.unwrap().path();
        if !dir.is_dir() {
            continue; // render's marker file
        }
        let stack = yaml(&dir.join("iam/stack.yaml"));
        let roles = stack_roles(&stack);
        let cluster = yaml(&dir.join("cluster/cluster.yaml"));
        let eksctl_roles: Vec<String> = cluster["iam"]["serviceAccounts"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|sa| sa["roleName"].as_str().unwrap().to_string())
            .collect();
        for r in &eksctl_roles {
            assert!(
                !roles.contains(r),
                "{}: role {r} is created by eksctl and by iam/stack.yaml",
                dir.display()
            );
        }
        let name_of = |arn: &str| arn.rsplit('/').next().unwrap().to_string();
        let mut referenced: Vec<String> = cluster["iam"]["podIdentityAssociations"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|a| a["roleARN"].as_str().map(name_of))
            .collect();
        referenced.extend(
            cluster["accessConfig"]["accessEntries"]
                .as_sequence()
                .into_iter()
                .flatten()
                // people's access entries name their own (e.g. IAM Identity Center) roles
                .filter(|e| e["type"].as_str() == Some("EC2_LINUX"))
                .filter_map(|e| e["principalARN"].as_str().map(name_of)),
        );
        for r in &referenced {
            assert!(
                roles.contains(r),
                "{}: cluster.yaml uses role {r}, which iam/stack.yaml does not create",
                dir.display()
            );
        }
        // Karpenter: the queue of the stack is the one of the Helm values and of the policy.
        let queue = stack["Resources"]["KarpenterInterruptionQueue"]["Properties"]["QueueName"]
            .as_str()
            .unwrap()
            .to_string();
        let tree = read_tree(&dir);
        let addons = tree
            .iter()
            .find(|(p, _)| {
                p.ends_with("addons.yaml")
                    && (p.starts_with("bootstrap/") || p.starts_with("addons/"))
            })
            .map(|(_, b)| String::from_utf8_lossy(b).to_string())
            .unwrap();
        assert!(
            addons.contains(&format!("\"interruptionQueue\": \"{queue}\"")),
            "{}: settings.interruptionQueue is not {queue}",
            dir.display()
        );
        let policy: Value = serde_json::from_str(&t.read(&format!(
            "out/{}/iam/platform/karpenter-controller/interruption-policy.json",
            dir.file_name().unwrap().to_string_lossy()
        )))
        .unwrap();
        let sqs = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| {
                s["Action"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "sqs:ReceiveMessage"))
            })
            .unwrap();
        assert!(sqs["Resource"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":{queue}")));
        for rule in [
            "ScheduledChangeRule",
            "SpotInterruptionRule",
            "RebalanceRule",
            "InstanceStateChangeRule",
            "CapacityReservationInterruptionRule",
        ] {
            assert!(
                stack["Resources"][rule]["Type"].as_str() == Some("AWS::Events::Rule"),
                "{rule}"
            );
        }
        // metrics-server: no default EKS add-on beside the chart.
        assert_eq!(
            cluster["addonsConfig"]["disableDefaultAddons"].as_bool(),
            Some(true)
        );
        let eks_addons: Vec<&str> = cluster["addons"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|a| a["name"].as_str())
            .collect();
        for needed in ["vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"] {
            assert!(eks_addons.contains(&needed), "{needed}");
        }
        assert!(!eks_addons.contains(&"metrics-server"));
        checked += 1;
    }
    assert_eq!(checked, 14);
}

#[test]
fn the_eksctl_header_names_a_version_that_has_every_field_used() {
    let t = Test::new();
    generated_fleet(&t);
    t.render("out").success();
    for account in std::fs::read_dir(t.path("out")).unwrap() {
        let dir = account.unwrap().path();
        if !dir.is_dir() {
            continue; // render's marker file
        }
        let text = std::fs::read_to_string(dir.join("cluster/cluster.yaml")).unwrap();
        let header = text
            .lines()
            .find_map(|l| l.strip_prefix("# Needs eksctl >= "))
            .unwrap_or_else(|| panic!("{}: no eksctl version", dir.display()));
        let version: Vec<u32> = header
            .trim_start_matches('"')
            .split(['"', ' '])
            .next()
            .unwrap()
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let mut need = vec![0, 201, 0];
        if body.contains("targetRoleARN:") || body.contains("disableSessionTags:") {
            need = vec![0, 212, 0];
        }
        if body.contains("\n      policy:") {
            need = vec![0, 223, 0];
        }
        assert!(version >= need, "{}: {version:?} < {need:?}", dir.display());
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let shown = format!("{}.{}.{}", version[0], version[1], version[2]);
        assert!(
            readme.contains(&format!("eksctl >= {shown}")),
            "{}: README does not say eksctl >= {shown}",
            dir.display()
        );
    }
}

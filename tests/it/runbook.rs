//! The vended READMEs are runbooks: every repository path they name (in prose, in a command,
//! after `-f`, `--path=` or `file://`) exists in the rendered repository, for every example
//! account; the network hand-off's commands carry the inventory's values, shell-quoted.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::Test;

/// First path segments that mean "a file or folder of this repository".
const REPO_DIRS: &[&str] = &[
    ".eksvend",
    "bootstrap",
    "cluster",
    "handoff",
    "iam",
    "network",
    "platform",
    "tenants",
];

/// The repository paths `text` names. A path with a `<placeholder>` is checked up to it
/// (`iam/<namespace>/…` names the folder `iam/`).
fn named_paths(text: &str) -> BTreeSet<String> {
    let separators = |c: char| c.is_whitespace() || "`'\"(),=[]".contains(c);
    text.split(separators)
        .map(|t| t.strip_prefix("file://").unwrap_or(t))
        .map(|t| t.trim_end_matches(['.', ':', ';']))
        .filter(|t| {
            t.split('/')
                .next()
                .is_some_and(|first| t.contains('/') && REPO_DIRS.contains(&first))
        })
        .map(|t| match t.find('<') {
            Some(i) => t[..i].to_string(),
            None => t.to_string(),
        })
        .collect()
}

/// The named paths of `readme` that are neither a file nor (ending in `/`) a folder of `files`.
fn missing(readme: &str, files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    named_paths(readme)
        .into_iter()
        .filter(|p| {
            let exists = if p.ends_with('/') {
                files.keys().any(|f| f.starts_with(p.as_str()))
            } else {
                files.contains_key(p) || files.keys().any(|f| f.starts_with(&format!("{p}/")))
            };
            !exists
        })
        .collect()
}

#[test]
fn every_path_the_vended_readmes_name_exists_in_the_repository() {
    let t = Test::new();
    t.render("out").success();
    let accounts: Vec<String> = std::fs::read_dir(t.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.')) // render's marker
        .collect();
    assert_eq!(accounts.len(), 5, "{accounts:?}");
    let mut checked = 0;
    for account in &accounts {
        let files = t.tree(&format!("out/{account}"));
        for (readme, at_least) in [("README.md", 10), ("network/README.md", 1)] {
            let text = String::from_utf8(files[readme].clone()).unwrap();
            assert!(
                named_paths(&text).len() >= at_least,
                "{account}/{readme} names almost no paths: {:?}",
                named_paths(&text)
            );
            checked += named_paths(&text).len();
            let gone = missing(&text, &files);
            assert!(
                gone.is_empty(),
                "{account}/{readme} names paths the repository does not have: {gone:?}"
            );
        }
    }
    assert!(checked > 50, "only {checked} paths checked");
}

#[test]
fn a_path_the_repository_lacks_is_found() {
    let files = BTreeMap::from([
        ("cluster/cluster.yaml".to_string(), Vec::new()),
        (
            "iam/platform/karpenter-node/trust-policy.json".to_string(),
            Vec::new(),
        ),
    ]);
    let readme = "Run `eksctl create cluster -f cluster/cluster.yaml`, then\n\
        `aws iam create-role --assume-role-policy-document file://iam/platform/karpenter-node/trust-policy.json`\n\
        and `kubectl apply -f bootstrap/argocd/root.yaml`; see `iam/<namespace>/` and `tenants/`.\n";
    assert_eq!(
        missing(readme, &files),
        ["bootstrap/argocd/root.yaml", "tenants/"]
    );
}

#[test]
fn the_readme_is_a_numbered_runbook_from_the_network_to_the_team_repositories() {
    let t = Test::new();
    t.render("out").success();
    let mut steps = Vec::new();
    for account in ["payments-prod", "ml-research-dev"] {
        let readme = t.read(&format!("out/{account}/README.md"));
        steps.extend(
            readme
                .lines()
                .filter(|l| l.starts_with("### "))
                .map(|l| format!("{account}: {l}")),
        );
        for step in readme.split("\n### ").skip(1) {
            let step = step.split("\n## ").next().unwrap();
            assert!(
                step.contains("**Who:**"),
                "{account}: a step without who: {step}"
            );
            assert!(
                step.contains("**Check"),
                "{account}: a step without a check: {step}"
            );
        }
    }
    insta::assert_snapshot!(steps.join("\n"), @r#"
    payments-prod: ### 1. Networking account: share the subnets, provide egress, DNS and IP space
    payments-prod: ### 2. This account: deploy the IAM stack (roles and Karpenter's interruption queue)
    payments-prod: ### 3. This account: create the cluster
    payments-prod: ### 4. This cluster: install argocd and bootstrap this repository
    payments-prod: ### 5. Team repositories synced
    ml-research-dev: ### 1. Networking account: share the subnets, provide egress, DNS and IP space
    ml-research-dev: ### 2. This account: deploy the IAM stack (roles and Karpenter's interruption queue)
    ml-research-dev: ### 3. This account: create the cluster
    ml-research-dev: ### 4. This cluster: install flux and bootstrap this repository
    ml-research-dev: ### 5. Team repositories synced
    "#);
}

#[test]
fn the_network_handoff_shares_every_subnet_with_the_workload_account() {
    let t = Test::new();
    t.render("out").success();
    let readme = t.read("out/ml-research-dev/network/README.md");
    let share = readme
        .lines()
        .find(|l| l.starts_with("aws ram associate-resource-share"))
        .unwrap();
    insta::assert_snapshot!(share, @"aws ram associate-resource-share --region eu-west-1 --resource-share-arn arn:aws:ram:eu-west-1:999988887777:resource-share/0c7e2a51-3f4d-4e8b-9a6c-fedcba987654 --principals 333344445555 --resource-arns arn:aws:ec2:eu-west-1:999988887777:subnet/subnet-0f1e2d3c4b5a69788 arn:aws:ec2:eu-west-1:999988887777:subnet/subnet-0a9b8c7d6e5f40312 arn:aws:ec2:eu-west-1:999988887777:subnet/subnet-0b1c2d3e4f5a60718");
    for service in [
        "sts",
        "eks-auth",
        "ecr.api",
        "ecr.dkr",
        "s3",
        "ec2",
        "sqs",
        "ssm",
        "elasticloadbalancing",
    ] {
        assert!(
            readme.contains(&format!(
                "--service-name com.amazonaws.eu-west-1.{service} "
            )),
            "no endpoint for {service}"
        );
    }
    for needed in [
        "aws route53 associate-vpc-with-hosted-zone",
        "aws route53 create-vpc-association-authorization",
        "aws ec2 create-subnet-cidr-reservation",
        "--reservation-type prefix",
        "## What the workload account cannot do in a shared VPC",
    ] {
        assert!(readme.contains(needed), "missing {needed}");
    }
}

#[test]
fn the_data_account_readme_names_its_cross_account_roles() {
    let t = Test::new();
    t.render("out").success();
    let readme = t.read("out/risk-batch-prod/README.md");
    let section = readme
        .split("## Roles other accounts assume")
        .nth(1)
        .expect("risk-batch-prod holds roles other accounts assume")
        .split("\n## ")
        .next()
        .unwrap();
    let roles: Vec<&str> = section.lines().filter(|l| l.starts_with("- ")).collect();
    insta::assert_snapshot!(roles.join("\n"), @r"
    - `iam/cross-account/fx-rates-reader/`: assumed by payments-prod
    - `iam/cross-account/risk-scenarios-reader/`: assumed by payments-prod
    ");
}

//! Bad inventories: each is refused with exit code 1, a message naming file, line and field,
//! and nothing written.

use crate::support::Scenario;

struct Case {
    name: &'static str,
    /// (file under fleet/, from, to) edits.
    edits: &'static [(&'static str, &'static str, &'static str)],
    /// Substrings the error output must contain (file:line:col: field: message).
    expect: &'static [&'static str],
}

const PAY: &str = "accounts/payments-prod.yaml";
const CHK: &str = "accounts/checkout-dev.yaml";
const ML: &str = "accounts/ml-research-dev.yaml";
const NET: &str = "networks.yaml";
const FLEET: &str = "fleet.yaml";

const CASES: &[Case] = &[
    Case {
        name: "account id with 11 digits",
        edits: &[(PAY, "accountId: \"111122223333\"", "accountId: \"11112222333\"")],
        expect: &["fleet/accounts/payments-prod.yaml:7:14: spec.accountId: \"11112222333\" is not a 12-digit AWS account ID"],
    },
    Case {
        name: "duplicate tenant namespace",
        edits: &[(CHK, "namespace: checkout-jobs", "namespace: checkout")],
        expect: &["checkout-dev.yaml:30:18: spec.tenants[1].namespace: duplicate tenant namespace \"checkout\""],
    },
    Case {
        name: "unknown region and region differing from the network",
        edits: &[(PAY, "region: us-east-1", "region: us-east-7")],
        expect: &[
            "payments-prod.yaml:10:11: spec.region: \"us-east-7\" is not an AWS region (commercial, GovCloud or China); did you mean \"us-east-1\"?",
            "spec.region: \"us-east-7\" differs from the region of network \"prod-use1\" (us-east-1)",
        ],
    },
    Case {
        name: "VPC ID shape",
        edits: &[(NET, "vpcId: vpc-0a1b2c3d4e5f67890", "vpcId: vpc-xyz")],
        expect: &["fleet/networks.yaml:10:10: spec.vpcId: \"vpc-xyz\" is not a VPC ID"],
    },
    Case {
        name: "subnet ID shape",
        edits: &[(NET, "subnet-0aaa1111bbbb22223", "subnet-0aaa")],
        expect: &["networks.yaml:14:", "spec.subnets.private[0].id: \"subnet-0aaa\" is not a subnet ID"],
    },
    Case {
        name: "AZ ID of another region",
        edits: &[(NET, "zoneId: use1-az2}", "zoneId: euw1-az2}")],
        expect: &["networks.yaml:15:", "spec.subnets.private[1].zoneId: AZ ID \"euw1-az2\" belongs to eu-west-1, not to the network's region us-east-1"],
    },
    Case {
        name: "AZ name instead of AZ ID",
        edits: &[(NET, "zoneId: use1-az1}", "zoneId: us-east-1a}")],
        expect: &["spec.subnets.private[0].zoneId: \"us-east-1a\" is not an AZ ID"],
    },
    Case {
        name: "private subnets in a single AZ",
        edits: &[(NET, "zoneId: euw1-az2}", "zoneId: euw1-az1}"), (NET, "zoneId: euw1-az3}", "zoneId: euw1-az1}")],
        expect: &["networks.yaml:", "spec.subnets.private: private subnets span 1 AZ ID(s); EKS needs subnets in at least 2 distinct AZ IDs"],
    },
    Case {
        name: "RAM share of another account",
        edits: &[(NET, "resource-share/7ab63972", "resource-share/7ab63972-XX")],
        expect: &["networks.yaml:11:", "spec.ramShareArn:", "RAM resource share ARN"],
    },
    Case {
        name: "network that does not exist",
        edits: &[(PAY, "network: prod-use1", "network: prod-use")],
        expect: &["payments-prod.yaml:11:12: spec.network: no Network named \"prod-use\"; did you mean \"prod-use1\"?"],
    },
    Case {
        name: "blueprint that does not exist",
        edits: &[(PAY, "blueprint: general@^1.0", "blueprint: generic")],
        expect: &["payments-prod.yaml:12:14: spec.blueprint: no blueprint named \"generic\"; available: aiml@1.0.0, batch@1.0.0, general@1.0.0"],
    },
    Case {
        name: "blueprint version that does not exist",
        edits: &[(PAY, "blueprint: general@^1.0", "blueprint: general@^2")],
        expect: &["spec.blueprint: no version of blueprint \"general\" matches ^2; available versions: 1.0.0"],
    },
    Case {
        name: "unknown field",
        edits: &[(PAY, "team: payments", "teem: payments")],
        expect: &["payments-prod.yaml:", "spec.teem: unknown field `teem`, expected one of"],
    },
    Case {
        name: "namespace that is not a DNS label",
        edits: &[(PAY, "namespace: payments", "namespace: Payments_NS")],
        expect: &["spec.tenants[0].namespace: \"Payments_NS\" is not valid: expected a DNS-1123 label"],
    },
    Case {
        name: "namespace that would be a path outside the repo",
        edits: &[(CHK, "namespace: checkout-jobs", "namespace: ../../etc")],
        expect: &["checkout-dev.yaml:30:18: spec.tenants[1].namespace: \"../../etc\" is not valid: expected a DNS-1123 label"],
    },
    Case {
        name: "duplicate account and cluster names",
        edits: &[(CHK, "name: checkout-dev", "name: payments-prod")],
        expect: &[
            "metadata.name: duplicate WorkloadAccount \"payments-prod\": already used at",
            "spec.cluster.name: duplicate cluster name \"payments-prod\"",
        ],
    },
    Case {
        name: "team that is not a label value",
        edits: &[(CHK, "team: checkout", "team: \"check out!\"")],
        expect: &["checkout-dev.yaml:8:9: spec.team: \"check out!\" is not valid: expected a Kubernetes label value"],
    },
    Case {
        name: "policy ARN that is not a managed policy",
        edits: &[(CHK, "arn:aws:iam::aws:policy/AmazonSQSFullAccess", "arn:aws:iam::aws:role/AmazonSQSFullAccess")],
        expect: &["spec.tenants[0].serviceAccounts[0].policyArns[0]: \"arn:aws:iam::aws:role/AmazonSQSFullAccess\" is not valid: expected an IAM managed policy ARN"],
    },
    Case {
        name: "assumeRoles entry that is not a role",
        edits: &[(PAY, "role/ledger-reader", "user/ledger-reader")],
        expect: &["spec.tenants[0].serviceAccounts[0].assumeRoles[0]: \"arn:aws:iam::444455556666:user/ledger-reader\" is not valid: expected an IAM role ARN"],
    },
    Case {
        name: "wildcard action",
        edits: &[(PAY, "Action: [s3:PutObject]\n              Resource: [arn:aws:s3:::acme-payments-statements/*]", "Action: [\"*\"]\n              Resource: [arn:aws:s3:::acme-payments-statements/*]")],
        expect: &["spec.tenants[0].serviceAccounts[3].statements[0].Action[0]: \"*\" is not valid: expected a specific IAM action"],
    },
    Case {
        name: "git URL",
        edits: &[(PAY, "url: https://git.acme.example/payments/apps.git", "url: not a url")],
        expect: &["spec.gitops.repos[0].url: \"not a url\" is not valid: expected a git URL"],
    },
    Case {
        name: "Kubernetes version",
        edits: &[(FLEET, "kubernetesVersion: \"1.33\"", "kubernetesVersion: \"1.3x\"")],
        expect: &["fleet/fleet.yaml:15:24: spec.defaults.kubernetesVersion: \"1.3x\" is not valid: expected a Kubernetes minor version"],
    },
    Case {
        name: "two Fleet documents",
        edits: &[(NET, "---\n", "---\napiVersion: eksvend.dev/v1alpha1\nkind: Fleet\nmetadata: {name: second}\nspec: {}\n---\n")],
        expect: &["networks.yaml:", "kind: a second Fleet document; exactly one is allowed"],
    },
    Case {
        name: "wrong apiVersion",
        edits: &[(ML, "apiVersion: eksvend.dev/v1alpha1", "apiVersion: eksvend.dev/v1")],
        expect: &["ml-research-dev.yaml:4:13: apiVersion: \"eksvend.dev/v1\" is not supported; expected `eksvend.dev/v1alpha1`"],
    },
    Case {
        name: "YAML syntax error",
        edits: &[(ML, "team: ml-research", "team: [ml-research")],
        expect: &["ml-research-dev.yaml:"],
    },
    Case {
        name: "quota that is not a quantity",
        edits: &[(PAY, "memory: 256Gi", "memory: 256GB")],
        expect: &["spec.tenants[0].quota.memory: \"256GB\" is not valid: expected a Kubernetes quantity"],
    },
    Case {
        name: "unknown and mistyped blueprint parameters",
        edits: &[(PAY, "externalDns: true", "externalDNS: true"), (ML, "publicEndpoint: false", "publicEndpoint: \"no\"")],
        expect: &[
            "payments-prod.yaml:14:", "spec.parameters.externalDNS: blueprint general@1.0.0 has no parameter \"externalDNS\"",
            "spec.parameters.publicEndpoint: expected a boolean for parameter \"publicEndpoint\"",
        ],
    },
    Case {
        name: "OIDC issuer of another region",
        edits: &[(ML, "oidc.eks.eu-west-1", "oidc.eks.us-east-1")],
        expect: &["spec.cluster.oidcIssuer:", "expected the cluster's OIDC issuer URL: https://oidc.eks.eu-west-1.amazonaws.com/id/<ID>"],
    },
    Case {
        name: "reserved namespace",
        edits: &[(CHK, "namespace: checkout-jobs", "namespace: kube-system")],
        expect: &["spec.tenants[1].namespace: namespace \"kube-system\" is reserved for the platform"],
    },
];

#[test]
fn each_bad_inventory_is_refused_with_file_line_and_field() {
    assert!(CASES.len() >= 15);
    let mut failures = Vec::new();
    for case in CASES {
        let s = Scenario::example();
        for (file, from, to) in case.edits {
            s.edit(&format!("fleet/{file}"), from, to);
        }
        for command in [
            &["validate", "-f", "fleet"][..],
            &["apply", "-f", "fleet", "--repos", "repos"],
            &["render", "-f", "fleet", "--out", "out"],
        ] {
            let run = s.eksvend(command);
            let problems: Vec<String> = case
                .expect
                .iter()
                .filter(|e| !run.stderr.contains(*e))
                .map(|e| format!("missing {e:?}"))
                .chain((run.code != 1).then(|| format!("exit code {}", run.code)))
                .chain(
                    s.path("repos")
                        .exists()
                        .then(|| "repos/ was written".to_string()),
                )
                .chain(
                    s.path("out")
                        .exists()
                        .then(|| "out/ was written".to_string()),
                )
                .collect();
            if !problems.is_empty() {
                failures.push(format!(
                    "{} ({}): {}\n--- stderr:\n{}",
                    case.name,
                    command[0],
                    problems.join("; "),
                    run.stderr
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn all_errors_are_reported_at_once() {
    let s = Scenario::example();
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "accountId: \"111122223333\"",
        "accountId: \"1\"",
    );
    s.edit(
        "fleet/accounts/checkout-dev.yaml",
        "team: checkout",
        "team: \"-x\"",
    );
    s.edit(
        "fleet/networks.yaml",
        "vpcId: vpc-0a1b2c3d4e5f67890",
        "vpcId: vpc-1",
    );
    let run = s.eksvend(&["validate", "-f", "fleet"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("3 errors found; nothing was written"),
        "{}",
        run.stderr
    );
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    // sorted by file
    assert!(
        lines[0].contains("checkout-dev.yaml")
            && lines[1].contains("payments-prod.yaml")
            && lines[2].contains("networks.yaml"),
        "{lines:?}"
    );
}

#[test]
fn missing_inventory_is_a_clear_error() {
    let s = Scenario::example();
    let run = s.eksvend(&["validate", "-f", "nope"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("nope: no such file or directory; pass the inventory with -f/--fleet"),
        "{}",
        run.stderr
    );
}

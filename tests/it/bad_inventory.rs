//! Bad inventories: each is refused by validate, apply and render alike — exit code 1, the same
//! exact message (file, line and column, field, what was found and expected, the source line),
//! and nothing written. One named test per bad input.

use crate::support::{refused, Test, CHK, FLEET, ML, NET, PAY};

#[test]
fn account_id_with_11_digits() {
    let stderr = refused(&[(
        PAY,
        "accountId: \"111122223333\"",
        "accountId: \"11112222333\"",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:7:14: spec.accountId: "11112222333" is not a 12-digit AWS account ID (write it as a quoted string)
      |
    7 |   accountId: "11112222333"
      |              ^
    1 error found; nothing was written
    "#);
}

#[test]
fn duplicate_tenant_namespace() {
    let stderr = refused(&[(CHK, "namespace: checkout-jobs", "namespace: checkout")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/checkout-dev.yaml:30:18: spec.tenants[1].namespace: duplicate tenant namespace "checkout"
       |
    30 |     - namespace: checkout
       |                  ^
    1 error found; nothing was written
    "#);
}

#[test]
fn unknown_region_and_region_differing_from_the_network() {
    let stderr = refused(&[(PAY, "region: us-east-1", "region: us-east-7")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:10:11: spec.region: "us-east-7" differs from the region of network "prod-use1" (us-east-1); the cluster must be in its network's region
       |
    10 |   region: us-east-7
       |           ^
    error: fleet/accounts/payments-prod.yaml:10:11: spec.region: "us-east-7" is not an AWS region (commercial, GovCloud or China); did you mean "us-east-1"?
       |
    10 |   region: us-east-7
       |           ^
    2 errors found; nothing was written
    "#);
}

#[test]
fn vpc_id_shape() {
    let stderr = refused(&[(NET, "vpcId: vpc-0a1b2c3d4e5f67890", "vpcId: vpc-xyz")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/networks.yaml:10:10: spec.vpcId: "vpc-xyz" is not a VPC ID: expected vpc- followed by 8 or 17 lowercase hex digits (document 1)
       |
    10 |   vpcId: vpc-xyz
       |          ^
    1 error found; nothing was written
    "#);
}

#[test]
fn subnet_id_shape() {
    let stderr = refused(&[(NET, "subnet-0aaa1111bbbb22223", "subnet-0aaa")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/networks.yaml:14:14: spec.subnets.private[0].id: "subnet-0aaa" is not a subnet ID: expected subnet- followed by 8 or 17 lowercase hex digits (document 1)
       |
    14 |       - {id: subnet-0aaa, zoneId: use1-az1}
       |              ^
    1 error found; nothing was written
    "#);
}

#[test]
fn az_id_of_another_region() {
    let stderr = refused(&[(NET, "zoneId: use1-az2}", "zoneId: euw1-az2}")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/networks.yaml:15:48: spec.subnets.private[1].zoneId: AZ ID "euw1-az2" belongs to eu-west-1, not to the network's region us-east-1 (expected use1-azN) (document 1)
       |
    15 |       - {id: subnet-0ccc3333dddd44445, zoneId: euw1-az2}
       |                                                ^
    1 error found; nothing was written
    "#);
}

#[test]
fn az_name_instead_of_az_id() {
    let stderr = refused(&[(NET, "zoneId: use1-az1}", "zoneId: us-east-1a}")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/networks.yaml:14:48: spec.subnets.private[0].zoneId: "us-east-1a" is not an AZ ID: expected the AZ *ID* such as use1-az1 (AZ names like us-east-1a differ between accounts) (document 1)
       |
    14 |       - {id: subnet-0aaa1111bbbb22223, zoneId: us-east-1a}
       |                                                ^
    1 error found; nothing was written
    "#);
}

#[test]
fn private_subnets_in_a_single_az() {
    let stderr = refused(&[
        (NET, "zoneId: euw1-az2}", "zoneId: euw1-az1}"),
        (NET, "zoneId: euw1-az3}", "zoneId: euw1-az1}"),
    ]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/networks.yaml:31:5: spec.subnets.private: private subnets span 1 AZ ID(s); EKS needs subnets in at least 2 distinct AZ IDs (document 2)
       |
    31 |     private:
       |     ^
    error: fleet/networks.yaml:33:48: spec.subnets.private[1].zoneId: a second private subnet in AZ ID "euw1-az1" (the first is spec.subnets.private[0]); the cluster takes one private subnet per AZ ID (eksctl's vpc.subnets.private is keyed by AZ ID): list one of them (document 2)
       |
    33 |       - {id: subnet-0a9b8c7d6e5f40312, zoneId: euw1-az1}
       |                                                ^
    error: fleet/networks.yaml:34:48: spec.subnets.private[2].zoneId: a second private subnet in AZ ID "euw1-az1" (the first is spec.subnets.private[0]); the cluster takes one private subnet per AZ ID (eksctl's vpc.subnets.private is keyed by AZ ID): list one of them (document 2)
       |
    34 |       - {id: subnet-0b1c2d3e4f5a60718, zoneId: euw1-az1}
       |                                                ^
    3 errors found; nothing was written
    "#);
}

#[test]
fn ram_share_of_another_account() {
    let stderr = refused(&[(NET, "resource-share/7ab63972", "resource-share/7ab63972-XX")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/networks.yaml:11:16: spec.ramShareArn: "arn:aws:ram:us-east-1:999988887777:resource-share/7ab63972-XX-b505-4d47-9a3c-0123456789ab" is not valid: expected a RAM resource share ARN of the network's region and account: arn:aws:ram:us-east-1:999988887777:resource-share/<uuid> (document 1)
       |
    11 |   ramShareArn: arn:aws:ram:us-east-1:999988887777:resource-share/7ab63972-XX-b505-4d47-9a3c-0123456789ab
       |                ^
    1 error found; nothing was written
    "#);
}

#[test]
fn network_that_does_not_exist() {
    let stderr = refused(&[(PAY, "network: prod-use1", "network: prod-use")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:11:12: spec.network: no Network named "prod-use"; did you mean "prod-use1"?
       |
    11 |   network: prod-use
       |            ^
    1 error found; nothing was written
    "#);
}

#[test]
fn blueprint_that_does_not_exist() {
    let stderr = refused(&[(PAY, "blueprint: general@^2.0", "blueprint: generic")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:12:14: spec.blueprint: no blueprint named "generic"; available: aiml@2.0.0, batch@2.0.0, general@2.0.0
       |
    12 |   blueprint: generic
       |              ^
    1 error found; nothing was written
    "#);
}

#[test]
fn blueprint_version_that_does_not_exist() {
    let stderr = refused(&[(PAY, "blueprint: general@^2.0", "blueprint: general@^3")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:12:14: spec.blueprint: no version of blueprint "general" matches ^3; available versions: 2.0.0
       |
    12 |   blueprint: general@^3
       |              ^
    1 error found; nothing was written
    "#);
}

/// Issue 14 (blueprint versions): the built-in blueprints are 2.0.0, a major version; an account
/// still on `general@^1.0` is refused, listing the version to move to (blueprints/CHANGELOG.md).
#[test]
fn an_account_on_the_previous_major_is_refused_until_it_names_2() {
    let stderr = refused(&[(PAY, "blueprint: general@^2.0", "blueprint: general@^1.0")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:12:14: spec.blueprint: no version of blueprint "general" matches ^1.0; available versions: 2.0.0
       |
    12 |   blueprint: general@^1.0
       |              ^
    1 error found; nothing was written
    "#);
}

#[test]
fn unknown_field() {
    let stderr = refused(&[(PAY, "team: payments", "teem: payments")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:8:3: spec.teem: unknown field `teem`, expected one of `accountId`, `team`, `environment`, `region`, `network`, `blueprint`, `identity`, `parameters`, `cluster`, `gitops`, `tenants`, `iam`, `access`, `dns`
      |
    8 |   teem: payments
      |   ^
    1 error found; nothing was written
    "#);
}

#[test]
fn namespace_that_is_not_a_dns_label() {
    let stderr = refused(&[(PAY, "namespace: payments", "namespace: Payments_NS")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:32:18: spec.tenants[0].namespace: "Payments_NS" is not valid: expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit
       |
    32 |     - namespace: Payments_NS
       |                  ^
    1 error found; nothing was written
    "#);
}

#[test]
fn namespace_that_would_be_a_path_outside_the_repo() {
    let stderr = refused(&[(CHK, "namespace: checkout-jobs", "namespace: ../../etc")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/checkout-dev.yaml:30:18: spec.tenants[1].namespace: "../../etc" is not valid: expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit
       |
    30 |     - namespace: ../../etc
       |                  ^
    1 error found; nothing was written
    "#);
}

#[test]
fn duplicate_account_and_cluster_names() {
    let stderr = refused(&[(CHK, "name: checkout-dev", "name: payments-prod")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:5:9: metadata.name: duplicate WorkloadAccount "payments-prod": already used at fleet/accounts/checkout-dev.yaml:5; each must be unique
      |
    5 |   name: payments-prod
      |         ^
    error: fleet/accounts/payments-prod.yaml:6:1: spec.cluster.name: duplicate cluster name "payments-prod": already used at fleet/accounts/checkout-dev.yaml:6; each must be unique
      |
    6 | spec:
      | ^
    2 errors found; nothing was written
    "#);
}

#[test]
fn team_that_is_not_a_label_value() {
    let stderr = refused(&[(CHK, "team: checkout", "team: \"check out!\"")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/checkout-dev.yaml:8:9: spec.team: "check out!" is not valid: expected a Kubernetes label value: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit
      |
    8 |   team: "check out!"
      |         ^
    1 error found; nothing was written
    "#);
}

#[test]
fn policy_arn_that_is_not_a_managed_policy() {
    let stderr = refused(&[(
        CHK,
        "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
        "arn:aws:iam::aws:role/AmazonSQSFullAccess",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/checkout-dev.yaml:27:24: spec.tenants[0].serviceAccounts[0].policyArns[0]: "arn:aws:iam::aws:role/AmazonSQSFullAccess" is not valid: expected an IAM managed policy ARN such as arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
       |
    27 |           policyArns: [arn:aws:iam::aws:role/AmazonSQSFullAccess]
       |                        ^
    1 error found; nothing was written
    "#);
}

#[test]
fn wildcard_action() {
    let stderr = refused(&[(
        PAY,
        "Action: [s3:PutObject]\n              Resource: [arn:aws:s3:::acme-payments-statements/*]",
        "Action: [\"*\"]\n              Resource: [arn:aws:s3:::acme-payments-statements/*]",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:63:24: spec.tenants[0].serviceAccounts[3].statements[0].Action[0]: "*" is not valid: expected a specific IAM action such as s3:GetObject ("*" and "service:*" are not least privilege)
       |
    63 |               Action: ["*"]
       |                        ^
    1 error found; nothing was written
    "#);
}

#[test]
fn git_url_that_is_not_a_url() {
    let stderr = refused(&[(
        PAY,
        "url: https://git.acme.example/payments/apps.git",
        "url: not a url",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:19:14: spec.gitops.repos[0].url: "not a url" is not valid: expected a git URL: https://host/path.git, ssh://git@host/path.git, git@host:path.git or file:///path
       |
    19 |         url: not a url
       |              ^
    1 error found; nothing was written
    "#);
}

#[test]
fn kubernetes_version_that_is_not_a_minor_version() {
    let stderr = refused(&[(
        FLEET,
        "kubernetesVersion: \"1.35\"",
        "kubernetesVersion: \"1.3x\"",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/fleet.yaml:15:24: spec.defaults.kubernetesVersion: "1.3x" is not valid: expected a Kubernetes minor version such as "1.33" (quoted)
       |
    15 |     kubernetesVersion: "1.3x"
       |                        ^
    1 error found; nothing was written
    "#);
}

#[test]
fn two_fleet_documents() {
    let stderr = refused(&[(NET, "---\n", "---\napiVersion: eksvend.dev/v1alpha1\nkind: Fleet\nmetadata: {name: second}\nspec: {}\n---\n")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/networks.yaml:22:7: kind: a second Fleet document; exactly one is allowed (the first is in fleet/fleet.yaml) (document 2)
       |
    22 | kind: Fleet
       |       ^
    error: fleet/networks.yaml:24:1: spec.git: spec.git.remote is required: Argo CD and Flux read each account's repository from it, e.g. "https://git.acme.example/platform/eks-{account}.git" (document 2)
       |
    24 | spec: {}
       | ^
    2 errors found; nothing was written
    "#);
}

#[test]
fn wrong_api_version() {
    let stderr = refused(&[(
        ML,
        "apiVersion: eksvend.dev/v1alpha1",
        "apiVersion: eksvend.dev/v1",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:4:13: apiVersion: "eksvend.dev/v1" is not supported; expected `eksvend.dev/v1alpha1`
      |
    4 | apiVersion: eksvend.dev/v1
      |             ^
    1 error found; nothing was written
    "#);
}

#[test]
fn yaml_syntax_error() {
    let stderr = refused(&[(ML, "team: ml-research", "team: [ml-research")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:11:14: did not find expected ',' or ']'
       |
    11 |   environment: dev
       |              ^
    1 error found; nothing was written
    "#);
}

#[test]
fn quota_that_is_not_a_quantity() {
    let stderr = refused(&[(PAY, "memory: 256Gi", "memory: 256GB")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:33:34: spec.tenants[0].quota.memory: "256GB" is not valid: expected a Kubernetes quantity such as "64", "500m" or "256Gi"
       |
    33 |       quota: {cpu: "64", memory: 256GB, pods: 500}
       |                                  ^
    1 error found; nothing was written
    "#);
}

#[test]
fn unknown_and_mistyped_blueprint_parameters() {
    let stderr = refused(&[
        (PAY, "externalDns: true", "externalDNS: true"),
        (ML, "publicEndpoint: false", "publicEndpoint: \"no\""),
    ]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:17:21: spec.parameters.publicEndpoint: expected a boolean for parameter "publicEndpoint" of blueprint general@2.0.0, found "no"
       |
    17 |     publicEndpoint: "no"
       |                     ^
    error: fleet/accounts/payments-prod.yaml:14:18: spec.parameters.externalDNS: blueprint general@2.0.0 has no parameter "externalDNS"; known: ackPodIdentity, amiAlias, argocdVersion, certManager, controlPlaneLogRetentionDays, controlPlaneLogTypes, externalDns, fluxVersion, publicAccessCidrs, publicEndpoint, systemInstanceType, tenantDefaultCpuRequest, tenantDefaultMemoryRequest
       |
    14 |     externalDNS: true
       |                  ^
    2 errors found; nothing was written
    "#);
}

#[test]
fn oidc_issuer_of_another_region() {
    let stderr = refused(&[(ML, "oidc.eks.eu-west-1", "oidc.eks.us-east-1")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:22:17: spec.cluster.oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/5C1E4F0B2A9D8E7F6A5B4C3D2E1F0A9B" is not valid: expected the cluster's OIDC issuer URL: https://oidc.eks.eu-west-1.amazonaws.com/id/<ID>
       |
    22 |     oidcIssuer: https://oidc.eks.us-east-1.amazonaws.com/id/5C1E4F0B2A9D8E7F6A5B4C3D2E1F0A9B
       |                 ^
    1 error found; nothing was written
    "#);
}

#[test]
fn reserved_namespace() {
    let stderr = refused(&[(CHK, "namespace: checkout-jobs", "namespace: kube-system")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/checkout-dev.yaml:30:18: spec.tenants[1].namespace: namespace "kube-system" is reserved for the platform; choose a team namespace
       |
    30 |     - namespace: kube-system
       |                  ^
    1 error found; nothing was written
    "#);
}

#[test]
fn all_errors_are_reported_at_once_sorted_by_file() {
    let stderr = refused(&[
        (PAY, "accountId: \"111122223333\"", "accountId: \"1\""),
        (CHK, "team: checkout", "team: \"-x\""),
        (NET, "vpcId: vpc-0a1b2c3d4e5f67890", "vpcId: vpc-1"),
    ]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/checkout-dev.yaml:8:9: spec.team: "-x" is not valid: expected a Kubernetes label value: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit
      |
    8 |   team: "-x"
      |         ^
    error: fleet/accounts/payments-prod.yaml:7:14: spec.accountId: "1" is not a 12-digit AWS account ID (write it as a quoted string)
      |
    7 |   accountId: "1"
      |              ^
    error: fleet/networks.yaml:10:10: spec.vpcId: "vpc-1" is not a VPC ID: expected vpc- followed by 8 or 17 lowercase hex digits (document 1)
       |
    10 |   vpcId: vpc-1
       |          ^
    3 errors found; nothing was written
    "#);
}

#[test]
fn missing_inventory() {
    let out = Test::empty().args(["validate", "-f", "nope"]).run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: nope: no such file or directory; pass the inventory with -f/--fleet (a YAML file or a directory of them)
    1 error found; nothing was written
    "#);
}

/// A team repository's `path` is a directory of *that* repository, which Argo CD or Flux reads:
/// `.` (its root) is valid there, unlike in the paths of the files eksvend writes.
#[test]
fn team_repo_path_is_a_directory_of_that_repository() {
    let t = Test::new();
    t.edit(&format!("fleet/{PAY}"), "path: clusters/prod", "path: .");
    t.validate().success();
    let stderr = refused(&[(PAY, "path: deploy/prod", "path: deploy/../../prod")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:20:15: spec.gitops.repos[0].path: "deploy/../../prod" is not valid: expected a relative path inside the repository (letters, digits, '-', '_', '.', '/'; no '..')
       |
    20 |         path: deploy/../../prod
       |               ^
    1 error found; nothing was written
    "#);
}

#[test]
fn git_url_with_credentials_is_refused_and_redacted() {
    let stderr = refused(&[
        (
            FLEET,
            "remote: \"https://git.acme.example/platform/eks-{account}.git\"",
            "remote: \"https://alice:secret@git.acme.example/platform/eks-{account}.git\"",
        ),
        (
            PAY,
            "url: https://git.acme.example/payments/apps.git",
            "url: https://bob@git.acme.example/payments/apps.git",
        ),
    ]);
    assert!(!stderr.contains("secret"), "{stderr}");
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:19:14: spec.gitops.repos[0].url: "https://bob@git.acme.example/payments/apps.git" is not valid: credentials in a git URL are refused (they would be committed to the repositories and printed); remove them and use EKSVEND_GIT_TOKEN or a git credential helper
       |
    19 |         url: https://bob@git.acme.example/payments/apps.git
       |              ^
    error: fleet/fleet.yaml:9:13: spec.git.remote: "https://alice:***@git.acme.example/platform/eks-x.git" is not valid: credentials in a git URL are refused (they would be committed to the repositories and printed); remove them and use EKSVEND_GIT_TOKEN or a git credential helper
      |
    9 |     remote: "https://alice:***@git.acme.example/platform/eks-{account}.git"
      |             ^
    2 errors found; nothing was written
    "#);
}

#[test]
fn git_url_with_shell_metacharacters() {
    let stderr = refused(&[(
        PAY,
        "url: https://git.acme.example/payments/apps.git",
        "url: https://git.acme.example/$(id);x|y&z.git",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:19:14: spec.gitops.repos[0].url: "https://git.acme.example/$(id);x|y&z.git" is not valid: expected a git URL: https://host/path.git, ssh://git@host/path.git, git@host:path.git or file:///path
       |
    19 |         url: https://git.acme.example/$(id);x|y&z.git
       |              ^
    1 error found; nothing was written
    "#);
}

#[test]
fn git_branch_that_check_ref_format_refuses() {
    let stderr = refused(&[(FLEET, "branch: main", "branch: a//b.lock")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/fleet.yaml:10:13: spec.git.branch: "a//b.lock" is not valid: expected a branch, tag or commit name such as `main` or `v1.2.0`
       |
    10 |     branch: a//b.lock
       |             ^
    1 error found; nothing was written
    "#);
}

#[test]
fn control_characters_in_the_author_name() {
    let stderr = refused(&[(
        FLEET,
        "name: Acme Platform",
        "name: \"Acme\\0Platform\\u0085\"",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/fleet.yaml:12:13: spec.git.author.name: holds the control character U+0000; remove it (only printable characters, tabs and line breaks are allowed)
       |
    12 |       name: "Acme\0Platform\u0085"
       |             ^
    1 error found; nothing was written
    "#);
}

/// Before: a C1 control character in a team name passed validation and was refused only when a
/// rendered file was checked, with an error naming that file.
#[test]
fn c1_control_character_in_a_free_text_value() {
    let stderr = refused(&[(PAY, "team: payments", "team: \"pay\\u009bments\"")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:8:9: spec.team: holds the control character U+009B; remove it (only printable characters, tabs and line breaks are allowed)
      |
    8 |   team: "pay\u009bments"
      |         ^
    1 error found; nothing was written
    "#);
}

/// Before: "found character that cannot start any token", the tab shown as spaces.
#[test]
fn tab_indentation() {
    let stderr = refused(&[(PAY, "  team: payments", "\tteam: payments")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:8:1: a tab character at column 1: YAML indents with spaces only; replace the tab with spaces
      |
    8 | →   team: payments
      | ^
    1 error found; nothing was written
    "#);
}

/// Before: reported as `spec: duplicate field` at the mapping's first line.
#[test]
fn duplicate_key_on_its_own_line() {
    let stderr = refused(&[(PAY, "  team: payments", "  team: payments\n  team: risk")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:9:3: spec.team: duplicate key `team` (first at line 8); keep one of them
      |
    9 |   team: risk
      |   ^
    1 error found; nothing was written
    "#);
}

/// Before: only the first unknown field of a document was reported.
#[test]
fn every_unknown_field_is_reported() {
    let stderr = refused(&[(
        PAY,
        "  team: payments",
        "  teem: payments\n  regoin: us-east-1",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:8:3: spec.teem: unknown field `teem`, expected one of `accountId`, `team`, `environment`, `region`, `network`, `blueprint`, `identity`, `parameters`, `cluster`, `gitops`, `tenants`, `iam`, `access`, `dns`
      |
    8 |   teem: payments
      |   ^
    error: fleet/accounts/payments-prod.yaml:9:3: spec.regoin: unknown field `regoin`, expected one of `accountId`, `team`, `environment`, `region`, `network`, `blueprint`, `identity`, `parameters`, `cluster`, `gitops`, `tenants`, `iam`, `access`, `dns`
      |
    9 |   regoin: us-east-1
      |   ^
    2 errors found; nothing was written
    "#);
}

/// Before: `!vault payments` was read as `payments`, the tag silently dropped.
#[test]
fn custom_tags_are_refused() {
    let stderr = refused(&[(PAY, "team: payments", "team: !vault payments")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:8:16: spec.team: the tag `!vault` is not supported: the inventory is plain YAML (only !!str, !!int, !!float, !!bool, !!null, !!map, !!seq); remove the tag and write the value itself
      |
    8 |   team: !vault payments
      |                ^
    1 error found; nothing was written
    "#);
}

/// Before: 100,000 nested brackets (200 KB) kept validate busy for over a minute.
#[test]
fn nesting_is_bounded() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let started = std::time::Instant::now();
    let stderr = refused(&[(
        PAY,
        "  team: payments",
        &format!("  team: payments\n  deep: {deep}"),
    )]);
    // not a timing assertion: a bound far above the linear check, to turn a hang into a failure
    assert!(started.elapsed().as_secs() < 60);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:9:41: brackets nested more than 32 levels deep; no inventory field is nested this deeply
      |
    9 |   deep: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[…
      |                                         ^
    1 error found; nothing was written
    "#);
}

#[test]
fn block_nesting_is_bounded_too() {
    let mut deep = String::from("  deep:\n");
    for i in 1..40 {
        deep.push_str(&format!("{}k:\n", "  ".repeat(i + 1)));
    }
    let stderr = refused(&[(
        PAY,
        "  team: payments",
        &format!("  team: payments\n{deep}"),
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:40:66: spec.deep.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k: nested more than 32 levels deep; no inventory field is nested this deeply
       |
    40 |                                                                 k:
       |                                                                  ^
    1 error found; nothing was written
    "#);
}

#[test]
fn document_size_is_bounded() {
    let big = format!("  team: payments\n  # {}", "x".repeat(1024 * 1024));
    let stderr = refused(&[(PAY, "  team: payments", &big)]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:1:1: this document is 1052432 bytes; an inventory document may be at most 1048576 bytes (split the fleet into one file per account)
      |
    1 | # yaml-language-server: $schema=../../eksvend.schema.json
      | ^
    1 error found; nothing was written
    "#);
}

/// Before: refused only at render time, naming `handoff/444455556666/../README.md`.
#[test]
fn role_arn_with_a_dot_dot_segment() {
    let stderr = refused(&[(PAY, "role/ledger-reader", "role/x/..")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:41:15: spec.tenants[0].serviceAccounts[0].assumeRoles[0]: "arn:aws:iam::444455556666:role/x/.." is not valid: expected an IAM role ARN such as arn:aws:iam::444455556666:role/ledger-reader (roles only, no wildcards)
       |
    41 |             - arn:aws:iam::444455556666:role/x/..
       |               ^
    1 error found; nothing was written
    "#);
}

/// Before: validate said valid; render failed in template storage/fsx-lustre.yaml.
#[test]
fn parameter_required_by_another() {
    let stderr = refused(&[(
        "accounts/vision-aiml-dev.yaml",
        "sharedStorageSecurityGroupId: sg-0c1d2e3f4a5b69788",
        "sharedStorageSecurityGroupId: \"\"",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/vision-aiml-dev.yaml:17:35: spec.parameters.sharedStorageSecurityGroupId: parameter "sharedStorageSecurityGroupId" of blueprint aiml@2.0.0 must be set when "sharedStorage" is true: Security group of the FSx for Lustre file systems (required with sharedStorage), an existing group (its ID is needed before the cluster exists, so not the cluster security group) that allows Lustre traffic (TCP 988, 1018-1023) from the nodes and between the file servers
       |
    17 |     sharedStorageSecurityGroupId: ""
       |                                   ^
    1 error found; nothing was written
    "#);
}

/// People's access (issue 11, point 5): a group no RoleBinding binds, a malformed role ARN and a
/// wildcard principal are refused at their field.
#[test]
fn access_entries_name_bound_groups_and_one_role_each() {
    let stderr = refused(&[
        (PAY, "      security:\n", "      securty:\n"),
        (
            PAY,
            "AWSReservedSSO_PaymentsDeveloper_0a1b2c3d4e5f6789",
            "*",
        ),
        (PAY, "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PlatformAdmin", "arn:aws:iam::1111:role/x"),
    ]);
    for want in [
        "fleet/accounts/payments-prod.yaml:73:7: spec.access.teams.securty: no namespace of this account is bound to group \"securty\"; groups: payments, security",
        "payments-prod.yaml:72:11: spec.access.teams.payments[0]: wildcard principal",
        "payments-prod.yaml:69:9: spec.access.platformAdmins[0]: \"arn:aws:iam::1111:role/x_2f1e0d9c8b7a6543\" is not valid",
    ] {
        assert!(stderr.contains(want), "no {want:?} in:\n{stderr}");
    }
}

#[test]
fn two_private_subnets_in_one_az_id_are_refused_at_the_second() {
    // Issue 14, point 5: before, this failed at render time naming cluster/cluster.yaml.
    let stderr = refused(&[(
        NET,
        "{id: subnet-0ccc3333dddd44445, zoneId: use1-az2}",
        "{id: subnet-0ccc3333dddd44445, zoneId: use1-az1}",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/networks.yaml:15:48: spec.subnets.private[1].zoneId: a second private subnet in AZ ID "use1-az1" (the first is spec.subnets.private[0]); the cluster takes one private subnet per AZ ID (eksctl's vpc.subnets.private is keyed by AZ ID): list one of them (document 1)
       |
    15 |       - {id: subnet-0ccc3333dddd44445, zoneId: use1-az1}
       |                                                ^
    1 error found; nothing was written
    "#);
}

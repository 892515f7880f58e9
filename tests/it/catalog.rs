//! The blueprint catalog: listing, explaining, versions, `extends`, user overrides, and the
//! in-tool schema verification of what templates render.

use crate::support::{root, with_general_1_1, Test};

#[test]
fn list_shows_every_builtin_blueprint_with_its_version() {
    let out = Test::empty().args(["blueprints", "list"]).success();
    for name in ["general", "batch", "aiml"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with(name) && l.contains("2.0.0")),
            "{name} missing:\n{}",
            out.stdout
        );
    }
}

#[test]
fn the_abstract_base_blueprint_is_neither_listed_nor_selectable() {
    let t = Test::empty();
    let out = t.args(["blueprints", "list"]).success();
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("base ")),
        "{}",
        out.stdout
    );
    let out = t.args(["blueprints", "show", "base"]).run().code(1);
    assert_eq!(
        out.stderr.trim_end(),
        "error: blueprint \"base\" is abstract (only for extends); available: aiml@2.0.0, batch@2.0.0, general@2.0.0"
    );
    t.args(["blueprints", "show", "batch"])
        .success()
        .stdout_has("extends: base@^2");
}

#[test]
fn show_explains_parameters_addons_and_pools() {
    let t = Test::empty();
    for name in ["general", "batch", "aiml"] {
        let out = t.args(["blueprints", "show", name]).success();
        for section in [
            "Parameters",
            "EKS managed add-ons",
            "Helm add-ons (chart versions pinned)",
            "Karpenter node pools",
            "Files rendered",
            "karpenter karpenter 1.15.0",
        ] {
            out.stdout_has(section);
        }
    }
}

#[test]
fn extends_merges_and_the_highest_matching_version_is_selected() {
    let t = with_general_1_1();
    let show = |which: &str| {
        let args = ["blueprints", "show", which, "--blueprints", "custom"];
        t.args(args).success().stdout
    };
    let out = show("general");
    assert!(out.starts_with("general@2.1.0"), "{out}");
    assert!(out.contains("extends: general@2.0.0"), "{out}");
    assert!(
        out.contains(
            "amiAlias (string, default \"al2023@v20261001\"): Karpenter EC2NodeClass AMI alias"
        ),
        "parameter description inherited:\n{out}"
    );
    assert!(out.contains("general-spot"), "node pools inherited:\n{out}");
    assert!(show("general@~2.0").starts_with("general@2.0.0"));
    let out = t
        .args(["blueprints", "list", "--blueprints", "custom"])
        .success();
    assert!(
        out.stdout.contains("general  2.0.0") && out.stdout.contains("general  2.1.0"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_blueprint_bump_is_a_minimal_diff() {
    let t = with_general_1_1();
    // payments-prod follows general@^2.0; checkout-dev is pinned to exactly 1.0.0.
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "blueprint: general",
        "blueprint: general@2.0.0",
    );
    t.apply().success();
    let out = t.apply().args(["--blueprints", "custom"]).success();
    let repo = t.repo("payments-prod");
    assert_eq!(
        repo.changed("HEAD~1", "HEAD"),
        [
            ".eksvend/state.yaml",
            "platform/karpenter/ec2nodeclass.yaml"
        ]
    );
    let diff = repo.git(&[
        "diff",
        "-U0",
        "HEAD~1",
        "HEAD",
        "--",
        "platform/karpenter/ec2nodeclass.yaml",
    ]);
    assert!(
        diff.contains("-    - alias: \"al2023@v20260903\"\n+    - alias: \"al2023@v20261001\""),
        "{diff}"
    );
    assert!(
        repo.message()
            .contains("\nEksvend-Blueprint: general@2.1.0\n"),
        "{}",
        repo.message()
    );
    assert!(repo
        .file(".eksvend/state.yaml")
        .contains("blueprint: general@2.1.0"));
    // the pinned account did not move
    out.stdout_has("unchanged  repos/checkout-dev");
}

#[test]
fn the_fleet_can_name_catalog_directories() {
    let t = with_general_1_1();
    t.edit(
        "fleet/fleet.yaml",
        "spec:\n",
        "spec:\n  blueprints: [../custom]\n",
    );
    t.render("out").success();
    let state = t.read("out/payments-prod/.eksvend/state.yaml");
    assert!(state.contains("blueprint: general@2.1.0"), "{state}");
}

/// The built-in template `rel`, changed by replacing `from` with `to`.
fn builtin_template(rel: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(root().join("templates").join(rel)).unwrap();
    assert!(text.contains(from), "templates/{rel} has no {from:?}");
    text.replace(from, to)
}

#[test]
fn a_user_template_overrides_the_builtin_one() {
    let t = Test::new();
    let handoff = builtin_template(
        "network/handoff.yaml",
        "useDefaultSecurityGroup: false",
        "useDefaultSecurityGroup: false\n    ticket: NET-1234",
    );
    t.file("custom/templates/network/handoff.yaml", &handoff);
    t.render("out").args(["--blueprints", "custom"]).success();
    assert!(t
        .read("out/payments-prod/network/handoff.yaml")
        .contains("ticket: NET-1234"));
}

#[test]
fn a_broken_user_template_is_caught_before_anything_is_written() {
    let t = Test::new();
    let nodepools = builtin_template(
        "karpenter/nodepools.yaml",
        "consolidationPolicy:",
        "consolidationPolicyy:",
    );
    t.file("custom/templates/karpenter/nodepools.yaml", &nodepools)
        .file(
            "custom/templates/tenants/tenant-kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [tenant.yaml]\nreplicas: \"three\"\n",
        );
    let out = t.apply().args(["--blueprints", "custom"]).run().code(1);
    assert!(!t.exists("repos"), "nothing written");
    for expect in [
        "error: payments-prod: platform/karpenter/nodepools.yaml (from template karpenter/nodepools.yaml): document 2: karpenter.sh/v1 NodePool violates crds/karpenter.sh/nodepool_v1.json at /spec/disruption:",
        "consolidationPolicyy",
        "error: checkout-dev: tenants/checkout/kustomization.yaml (from template tenants/tenant-kustomization.yaml): document 1: kustomize.config.k8s.io/v1beta1 Kustomization violates kustomize/kustomization.json at /replicas:",
        "nothing was written",
    ] {
        out.stderr_has(expect);
    }
}

/// A user blueprint named `name` whose `spec` ends with `rest`.
fn blueprint(name: &str, rest: &str) -> String {
    format!("apiVersion: eksvend.dev/v1alpha1\nkind: Blueprint\nmetadata: {{name: {name}}}\nspec:\n  description: x\n{rest}")
}

#[test]
fn catalog_errors_name_the_blueprint_file() {
    let t = Test::new();
    for (name, rest) in [
        ("loop-a", "  version: 1.0.0\n  extends: loop-b@1\n"),
        ("loop-b", "  version: 1.0.0\n  extends: loop-a@1\n"),
        ("orphan", "  version: 1.0.0\n  extends: nothing@1\n"),
        ("bad", "  version: one\n  files: []\n"),
        ("when", "  version: 1.0.0\n  files:\n    - {template: missing.yaml, path: ../x.yaml, when: nope}\n"),
        ("git", "  version: 1.0.0\n  files:\n    - {template: platform/kustomization.yaml, path: .GIT/hooks/x.yaml}\n"),
    ] {
        t.file(&format!("custom/blueprints/{name}/blueprint.yaml"), &blueprint(name, rest));
    }
    let out = t.validate().args(["--blueprints", "custom"]).run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: custom/blueprints/bad/blueprint.yaml: spec.version: "one" is not a semantic version such as 1.2.0: unexpected character 'o' while parsing major version number
    error: custom/blueprints/git/blueprint.yaml: spec.files[0].path: git@1.0.0: ".GIT/hooks/x.yaml": expected a relative path inside the repository, with {tenant} exactly when forEach: tenants
    error: custom/blueprints/loop-a/blueprint.yaml: spec.extends: extends forms a cycle: loop-a@1.0.0 -> loop-b@1.0.0 -> loop-a@1.0.0
    error: custom/blueprints/loop-b/blueprint.yaml: spec.extends: extends forms a cycle: loop-b@1.0.0 -> loop-a@1.0.0 -> loop-b@1.0.0
    error: custom/blueprints/orphan/blueprint.yaml: spec.extends: extends "nothing@1", but no such blueprint version is in the catalog
    error: custom/blueprints/when/blueprint.yaml: spec.files[0].path: when@1.0.0: "../x.yaml": expected a relative path inside the repository, with {tenant} exactly when forEach: tenants
    error: custom/blueprints/when/blueprint.yaml: spec.files[0].template: when@1.0.0: no template "missing.yaml" in the catalog
    error: custom/blueprints/when/blueprint.yaml: spec.files[0].when: when@1.0.0: must name a boolean parameter of the blueprint
    8 errors found; nothing was written
    "#);
}

#[test]
fn validate_catches_template_errors_too() {
    let t = Test::new();
    // sharedStorage on without a security group: the blueprint says the parameter is
    // requiredWhen sharedStorage, so validation names the inventory, not the template
    t.edit(
        "fleet/accounts/vision-aiml-dev.yaml",
        "    sharedStorageSecurityGroupId: sg-0c1d2e3f4a5b69788\n",
        "",
    );
    let out = t.validate().run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: fleet/accounts/vision-aiml-dev.yaml:16:20: spec.parameters.sharedStorage: parameter "sharedStorageSecurityGroupId" of blueprint aiml@2.0.0 must be set when "sharedStorage" is true: Security group of the FSx for Lustre file systems (required with sharedStorage), an existing group (its ID is needed before the cluster exists, so not the cluster security group) that allows Lustre traffic (TCP 988, 1018-1023) from the nodes and between the file servers
       |
    16 |     sharedStorage: true
       |                    ^
    1 error found; nothing was written
    "#);
}

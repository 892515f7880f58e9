//! The blueprint catalog: listing, explaining, versions, `extends`, user overrides, and the
//! in-tool schema verification of what templates render.

use crate::support::Scenario;

/// Write `files` (path, content) under the scenario's `custom/` catalog directory.
fn custom_catalog(s: &Scenario, files: &[(&str, &str)]) {
    for (path, content) in files {
        let p = s.path(&format!("custom/{path}"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

#[test]
fn list_shows_every_builtin_blueprint_with_its_version() {
    let s = Scenario::example();
    let run = s.eksvend(&["blueprints", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in ["general", "batch", "aiml"] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(name) && l.contains("1.0.0")),
            "{name} missing:\n{}",
            run.stdout
        );
    }
}

#[test]
fn the_abstract_base_blueprint_is_neither_listed_nor_selectable() {
    let s = Scenario::example();
    let run = s.eksvend(&["blueprints", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("base ")),
        "{}",
        run.stdout
    );
    let run = s.eksvend(&["blueprints", "show", "base"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim_end(),
        "error: blueprint \"base\" is abstract (only for extends); available: aiml@1.0.0, batch@1.0.0, general@1.0.0"
    );
    let run = s.eksvend(&["blueprints", "show", "batch"]);
    assert!(run.stdout.contains("extends: base@^1"), "{}", run.stdout);
}

#[test]
fn show_explains_parameters_addons_and_pools() {
    let s = Scenario::example();
    for name in ["general", "batch", "aiml"] {
        let run = s.eksvend(&["blueprints", "show", name]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for section in [
            "Parameters",
            "EKS managed add-ons",
            "Helm add-ons (chart versions pinned)",
            "Karpenter node pools",
            "Files rendered",
        ] {
            assert!(run.stdout.contains(section), "{name}: {section} missing");
        }
        assert!(
            run.stdout.contains("karpenter karpenter 1.14.1"),
            "{}",
            run.stdout
        );
    }
    let run = s.eksvend(&["blueprints", "show", "genral"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("no blueprint named \"genral\"; available: "),
        "{}",
        run.stderr
    );
}

#[test]
fn extends_merges_and_the_highest_matching_version_is_selected() {
    let s = Scenario::example();
    custom_catalog(
        &s,
        &[(
            "blueprints/general-1.1/blueprint.yaml",
            crate::support::GENERAL_1_1,
        )],
    );
    let run = s.eksvend(&["blueprints", "show", "general", "--blueprints", "custom"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("general@1.1.0"), "{}", run.stdout);
    assert!(run.stdout.contains("extends: general@1.0.0"));
    assert!(
        run.stdout.contains(
            "amiAlias (string, default \"al2023@v20251117\"): Karpenter EC2NodeClass AMI alias"
        ),
        "parameter description inherited:\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("general-spot"), "node pools inherited");
    let run = s.eksvend(&["blueprints", "list", "--blueprints", "custom"]);
    assert!(
        run.stdout.contains("general  1.0.0") && run.stdout.contains("general  1.1.0"),
        "{}",
        run.stdout
    );
    let run = s.eksvend(&[
        "blueprints",
        "show",
        "general@~1.0",
        "--blueprints",
        "custom",
    ]);
    assert!(run.stdout.starts_with("general@1.0.0"), "{}", run.stdout);
}

#[test]
fn a_blueprint_bump_is_a_minimal_diff() {
    let s = Scenario::example();
    // payments-prod follows general@^1.0; checkout-dev is pinned to exactly 1.0.0.
    s.edit(
        "fleet/accounts/checkout-dev.yaml",
        "blueprint: general",
        "blueprint: general@1.0.0",
    );
    assert_eq!(s.apply().code, 0);
    custom_catalog(
        &s,
        &[(
            "blueprints/general-1.1/blueprint.yaml",
            crate::support::GENERAL_1_1,
        )],
    );
    let run = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--blueprints",
        "custom",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let repo = "repos/payments-prod";
    let changed = s.git(repo, &["diff", "--name-only", "HEAD~1", "HEAD"]);
    assert_eq!(
        changed,
        ".eksvend/state.yaml\nplatform/karpenter/ec2nodeclass.yaml\n"
    );
    let diff = s.git(
        repo,
        &[
            "diff",
            "-U0",
            "HEAD~1",
            "HEAD",
            "--",
            "platform/karpenter/ec2nodeclass.yaml",
        ],
    );
    assert!(
        diff.contains("-    - alias: \"al2023@latest\"\n+    - alias: \"al2023@v20251117\""),
        "{diff}"
    );
    let trailers = s.git(
        repo,
        &[
            "log",
            "-1",
            "--format=%(trailers:key=Eksvend-Blueprint,valueonly)",
        ],
    );
    assert_eq!(trailers.trim(), "general@1.1.0");
    let state = std::fs::read_to_string(s.path(&format!("{repo}/.eksvend/state.yaml"))).unwrap();
    assert!(state.contains("blueprint: general@1.1.0"), "{state}");
    // the pinned account did not move
    assert!(
        run.stdout.contains("unchanged  repos/checkout-dev"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_fleet_can_name_catalog_directories() {
    let s = Scenario::example();
    custom_catalog(
        &s,
        &[(
            "blueprints/general-1.1/blueprint.yaml",
            crate::support::GENERAL_1_1,
        )],
    );
    s.edit(
        "fleet/fleet.yaml",
        "spec:\n",
        "spec:\n  blueprints: [../custom]\n",
    );
    let run = s.eksvend(&["render", "-f", "fleet", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let state = std::fs::read_to_string(s.path("out/payments-prod/.eksvend/state.yaml")).unwrap();
    assert!(state.contains("blueprint: general@1.1.0"), "{state}");
}

#[test]
fn a_user_template_overrides_the_builtin_one() {
    let s = Scenario::example();
    let original =
        std::fs::read_to_string(crate::support::root().join("templates/network/handoff.yaml"))
            .unwrap();
    custom_catalog(
        &s,
        &[(
            "templates/network/handoff.yaml",
            &original.replace(
                "useDefaultSecurityGroup: false",
                "useDefaultSecurityGroup: false\n    ticket: NET-1234",
            ),
        )],
    );
    let run = s.eksvend(&[
        "render",
        "-f",
        "fleet",
        "--out",
        "out",
        "--blueprints",
        "custom",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let handoff =
        std::fs::read_to_string(s.path("out/payments-prod/network/handoff.yaml")).unwrap();
    assert!(handoff.contains("ticket: NET-1234"));
}

#[test]
fn a_broken_user_template_is_caught_before_anything_is_written() {
    let s = Scenario::example();
    let nodepools =
        std::fs::read_to_string(crate::support::root().join("templates/karpenter/nodepools.yaml"))
            .unwrap();
    custom_catalog(
        &s,
        &[
            ("templates/karpenter/nodepools.yaml", &nodepools.replace("consolidationPolicy:", "consolidationPolicyy:")),
            (
                "templates/tenants/tenant-kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [tenant.yaml]\nreplicas: \"three\"\n",
            ),
        ],
    );
    let run = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--blueprints",
        "custom",
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(!s.path("repos").exists(), "nothing written");
    for expect in [
        "error: payments-prod: platform/karpenter/nodepools.yaml (from template karpenter/nodepools.yaml): document 2: karpenter.sh/v1 NodePool violates crds/karpenter.sh/nodepool_v1.json at /spec/disruption:",
        "consolidationPolicyy",
        "error: checkout-dev: tenants/checkout/kustomization.yaml (from template tenants/tenant-kustomization.yaml): document 1: kustomize.config.k8s.io/v1beta1 Kustomization violates kustomize/kustomization.json at /replicas:",
        "nothing was written",
    ] {
        assert!(run.stderr.contains(expect), "missing {expect:?} in\n{}", run.stderr);
    }
}

#[test]
fn catalog_errors_name_the_blueprint_file() {
    let s = Scenario::example();
    custom_catalog(
        &s,
        &[
            ("blueprints/loop-a/blueprint.yaml", "apiVersion: eksvend.dev/v1alpha1\nkind: Blueprint\nmetadata: {name: loop-a}\nspec:\n  version: 1.0.0\n  description: x\n  extends: loop-b@1\n"),
            ("blueprints/loop-b/blueprint.yaml", "apiVersion: eksvend.dev/v1alpha1\nkind: Blueprint\nmetadata: {name: loop-b}\nspec:\n  version: 1.0.0\n  description: x\n  extends: loop-a@1\n"),
            ("blueprints/orphan/blueprint.yaml", "apiVersion: eksvend.dev/v1alpha1\nkind: Blueprint\nmetadata: {name: orphan}\nspec:\n  version: 1.0.0\n  description: x\n  extends: nothing@1\n"),
            ("blueprints/bad/blueprint.yaml", "apiVersion: eksvend.dev/v1alpha1\nkind: Blueprint\nmetadata: {name: bad}\nspec:\n  version: one\n  description: x\n  files: []\n"),
            ("blueprints/when/blueprint.yaml", "apiVersion: eksvend.dev/v1alpha1\nkind: Blueprint\nmetadata: {name: when}\nspec:\n  version: 1.0.0\n  description: x\n  files:\n    - {template: missing.yaml, path: ../x.yaml, when: nope}\n"),
        ],
    );
    let run = s.eksvend(&["validate", "-f", "fleet", "--blueprints", "custom"]);
    assert_eq!(run.code, 1);
    for expect in [
        "custom/blueprints/loop-a/blueprint.yaml: spec.extends: extends forms a cycle: loop-a@1.0.0 -> loop-b@1.0.0 -> loop-a@1.0.0",
        "custom/blueprints/orphan/blueprint.yaml: spec.extends: extends \"nothing@1\", but no such blueprint version is in the catalog",
        "custom/blueprints/bad/blueprint.yaml: spec.version: \"one\" is not a semantic version",
        "custom/blueprints/when/blueprint.yaml: spec.files[0].template: when@1.0.0: no template \"missing.yaml\" in the catalog",
        "spec.files[0].when: when@1.0.0: must name a boolean parameter of the blueprint",
        "spec.files[0].path: when@1.0.0: \"../x.yaml\": expected a relative path inside the repository",
    ] {
        assert!(run.stderr.contains(expect), "missing {expect:?} in\n{}", run.stderr);
    }
}

#[test]
fn validate_catches_template_errors_too() {
    let s = Scenario::example();
    // sharedStorage on without a security group: only the template knows this is wrong
    s.edit(
        "fleet/accounts/vision-aiml-dev.yaml",
        "    sharedStorageSecurityGroupId: sg-0c1d2e3f4a5b69788\n",
        "",
    );
    let run = s.eksvend(&["validate", "-f", "fleet"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("vision-aiml-dev: template storage/fsx-lustre.yaml"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("sharedStorageSecurityGroupId"),
        "{}",
        run.stderr
    );
}

//! Kubernetes versions (issue 14, point 1): EKS must support the cluster's version on today's
//! date, every pin of the blueprint must support it (blueprints/compatibility.yaml), and a
//! version in extended support is a warning. "Today" is fixed by `EKSVEND_TODAY` (tests only).

use crate::support::example::{refused, FLEET, ML};
use crate::support::Test;

#[test]
fn a_version_eks_does_not_offer_is_refused_at_its_field_listing_the_supported_ones() {
    for bad in ["1.25", "1.40"] {
        let stderr = refused(&[(
            ML,
            "kubernetesVersion: \"1.35\"",
            &format!("kubernetesVersion: \"{bad}\""),
        )]);
        assert!(
            stderr.contains(&format!(
                "fleet/accounts/ml-research-dev.yaml:21:24: spec.cluster.kubernetesVersion: Kubernetes {bad} is not an EKS version of the catalog's compatibility table; supported on 2026-02-01: 1.35 (standard support until 2027-03-27), 1.34 (standard support until 2026-12-02), 1.33 (standard support until 2026-07-29), 1.32 (standard support until 2026-03-23), 1.31 (extended support until 2026-11-26 (standard support ended 2025-11-26)), 1.30 (extended support until 2026-07-23 (standard support ended 2025-07-23))"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn the_fleet_default_is_checked_at_the_fleet() {
    let stderr = refused(&[(
        FLEET,
        "kubernetesVersion: \"1.35\"",
        "kubernetesVersion: \"1.28\"",
    )]);
    assert!(
        stderr.contains("fleet/fleet.yaml:15:24: spec.defaults.kubernetesVersion: Kubernetes 1.28 is not an EKS version"),
        "{stderr}"
    );
}

#[test]
fn a_version_past_its_extended_support_is_refused_on_that_date() {
    let t = on_1_31_without_cert_manager();
    t.validate().success();
    t.validate().env("EKSVEND_TODAY", "2026-11-26").success();
    let out = t
        .validate()
        .env("EKSVEND_TODAY", "2026-11-27")
        .run()
        .code(1);
    out.stderr_has("fleet/accounts/ml-research-dev.yaml:21:24: spec.cluster.kubernetesVersion: Kubernetes 1.31: support ended 2026-11-26 on EKS; supported on 2026-11-27: 1.35 (standard support until 2027-03-27), 1.34 (standard support until 2026-12-02), 1.33 (extended support until 2027-07-29 (standard support ended 2026-07-29)), 1.32 (extended support until 2027-03-23 (standard support ended 2026-03-23))");
}

#[test]
fn a_pin_that_does_not_support_the_version_is_refused_naming_it_and_its_source() {
    // ml-research-dev installs cert-manager v1.20.0 (1.32–1.35): 1.31 is still an EKS version.
    let stderr = refused(&[(
        ML,
        "kubernetesVersion: \"1.35\"",
        "kubernetesVersion: \"1.31\"",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/ml-research-dev.yaml:21:24: spec.cluster.kubernetesVersion: Kubernetes 1.31 is not supported by cert-manager v1.20.0 of blueprint general@2.0.0, which supports Kubernetes 1.32–1.35 (https://cert-manager.io/docs/releases/); versions every add-on of this account supports: 1.35, 1.34, 1.33, 1.32
       |
    21 |     kubernetesVersion: "1.31"   # its own pin: a new Fleet default does not upgrade this cluster
       |                        ^
    1 error found; nothing was written
    "#);
}

#[test]
fn an_optional_add_on_is_only_checked_when_it_is_installed() {
    let t = on_1_31_without_cert_manager();
    let out = t.validate().success();
    // 1.31 is in extended support on the tests' date: a warning, not an error.
    out.stderr_has("warning: ml-research-dev: Kubernetes 1.31 is in EKS extended support: extended support until 2026-11-26 (standard support ended 2025-11-26)");
}

#[test]
fn versions_in_standard_support_validate_without_a_warning() {
    let t = Test::new();
    for v in ["1.35", "1.34"] {
        t.edit(
            "fleet/accounts/ml-research-dev.yaml",
            "kubernetesVersion: \"1.35\"",
            &format!("kubernetesVersion: \"{v}\""),
        );
        let out = t.validate().success();
        assert!(!out.stderr.contains("extended support"), "{}", out.stderr);
        t.edit(
            "fleet/accounts/ml-research-dev.yaml",
            &format!("kubernetesVersion: \"{v}\""),
            "kubernetesVersion: \"1.35\"",
        );
    }
}

#[test]
fn show_prints_the_blueprints_versions_and_each_pins_compatibility() {
    let out = Test::empty()
        .args(["blueprints", "show", "general"])
        .env("EKSVEND_TODAY", "2026-12-01")
        .success();
    let text = &out.stdout;
    let start = text.find("Kubernetes versions").unwrap();
    let end = text.find("Karpenter node pools").unwrap();
    insta::assert_snapshot!(&text[start..end], @r#"
    Kubernetes versions (EKS support on 2026-12-01; every pin supports them unless noted):
      1.35  standard support until 2027-03-27
      1.34  standard support until 2026-12-02
      1.33  extended support until 2027-07-29 (standard support ended 2026-07-29)
      1.32  extended support until 2027-03-23 (standard support ended 2026-03-23)

    Pin compatibility (blueprints/compatibility.yaml):
      karpenter 1.15.0: Kubernetes 1.31–1.37 (https://karpenter.sh/v1.15/upgrading/compatibility/)
      aws-load-balancer-controller 1.16.0: Kubernetes 1.22+ (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/installation/)
      metrics-server 3.13.0: Kubernetes 1.31+ (https://github.com/kubernetes-sigs/metrics-server#compatibility-matrix)
      external-dns 1.20.0: Kubernetes 1.22+ (https://github.com/kubernetes-sigs/external-dns#kubernetes-version-compatibility)  [when externalDns]
      eks-chart 1.20.0: Kubernetes 1.16+ (https://github.com/aws-controllers-k8s/eks-controller/blob/main/helm/Chart.yaml)  [when ackPodIdentity]
      cert-manager v1.20.0: Kubernetes 1.32–1.35 (https://cert-manager.io/docs/releases/)  [when certManager]
      vpc-cni (EKS add-on): every EKS version (https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html)
      coredns (EKS add-on): every EKS version (https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html)
      kube-proxy (EKS add-on): every EKS version (https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html)
      eks-pod-identity-agent (EKS add-on): every EKS version (https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html)
      aws-ebs-csi-driver (EKS add-on): every EKS version (https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html)
    "#);
}

/// Issue 14 (supported example versions): on 2026-12-03 (1.34's standard support ended the day
/// before) the example fleet and the `init` starter validate without an extended-support
/// warning, so a newcomer's first run is on a version in standard support.
#[test]
fn the_example_and_starter_fleets_are_in_standard_support_after_1_34_left_it() {
    let example = Test::new();
    let starter = Test::empty();
    starter.args(["init"]).success();
    for t in [&example, &starter] {
        let out = t.validate().env("EKSVEND_TODAY", "2026-12-03").success();
        assert!(!out.stderr.contains("extended support"), "{}", out.stderr);
    }
}

/// The example fleet with ml-research-dev on Kubernetes 1.31, without cert-manager (v1.20.0
/// does not support 1.31).
fn on_1_31_without_cert_manager() -> Test {
    let t = Test::new();
    let ml = format!("fleet/{ML}");
    t.edit(
        &ml,
        "kubernetesVersion: \"1.35\"",
        "kubernetesVersion: \"1.31\"",
    );
    t.edit(&ml, "certManager: true", "certManager: false");
    t
}

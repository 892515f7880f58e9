//! aiml for distributed training (issue 14, point 3): EFA device plugin, the training pool in
//! one AZ with its placement group and capacity reservations (capacity type `reserved`), and
//! FSx for Lustre in that AZ.

use crate::support::Test;

const AIML: &str = "fleet/accounts/vision-aiml-dev.yaml";

fn with_training(zone: &str) -> Test {
    let t = Test::new();
    t.edit(
        AIML,
        "    sharedStorage: true\n",
        &format!("    sharedStorage: true\n    trainingZoneId: {zone}\n    trainingPlacementGroup: training-pg\n    trainingCapacityReservationIds: \"cr-0123456789abcdef0, cr-0fedcba9876543210\"\n"),
    );
    t
}

#[test]
fn the_training_pool_shares_one_zone_a_placement_group_reservations_and_its_file_system() {
    let t = with_training("euw1-az2");
    t.render("out").success();
    let classes = t.read("out/vision-aiml-dev/platform/karpenter/ec2nodeclass-gpu.yaml");
    let training = classes.split("\n---\n").nth(2).expect("gpu-training");
    assert!(training.contains("name: \"gpu-training\""), "{training}");
    assert!(
        training.contains("  subnetSelectorTerms:\n    - id: \"subnet-0a9b8c7d6e5f40312\"\n  securityGroupSelectorTerms:"),
        "only the subnet of euw1-az2:\n{training}"
    );
    assert!(
        training.contains("  placementGroupSelector:\n    name: \"training-pg\"\n  capacityReservationSelectorTerms:\n    - id: \"cr-0123456789abcdef0\"\n    - id: \"cr-0fedcba9876543210\"\n"),
        "{training}"
    );
    let gpu = classes.split("\n---\n").nth(1).expect("gpu");
    assert!(!gpu.contains("placementGroupSelector") && !gpu.contains("capacityReservation"));
    let pools = t.read("out/vision-aiml-dev/platform/karpenter/nodepools.yaml");
    let gpu_p = pools
        .split("\n---\n")
        .find(|p| p.contains("name: \"gpu-p\""))
        .unwrap();
    assert!(gpu_p.contains("name: \"gpu-training\""), "{gpu_p}");
    assert!(
        gpu_p.contains("values: [\"reserved\", \"on-demand\"]"),
        "{gpu_p}"
    );
    let fsx = t.read("out/vision-aiml-dev/platform/storage/fsx-lustre.yaml");
    assert!(
        fsx.contains("subnetId: \"subnet-0a9b8c7d6e5f40312\""),
        "{fsx}"
    );
    let addons = t.read("out/vision-aiml-dev/addons/addons.yaml");
    assert!(
        addons.contains("chart: \"aws-efa-k8s-device-plugin\""),
        "{addons}"
    );
}

#[test]
fn without_the_parameters_the_training_pool_spans_every_zone_on_demand() {
    let t = Test::new();
    t.render("out").success();
    let classes = t.read("out/vision-aiml-dev/platform/karpenter/ec2nodeclass-gpu.yaml");
    let training = classes.split("\n---\n").nth(2).expect("gpu-training");
    assert_eq!(
        training.matches("    - id: \"subnet-").count(),
        3,
        "{training}"
    );
    let pools = t.read("out/vision-aiml-dev/platform/karpenter/nodepools.yaml");
    assert!(!pools.contains("\"reserved\""), "{pools}");
}

#[test]
fn a_training_zone_outside_the_network_is_refused_at_its_parameter() {
    let t = with_training("euw1-az9");
    let out = t.validate().run().code(1);
    out.stderr_has("fleet/accounts/vision-aiml-dev.yaml:17:21: spec.parameters.trainingZoneId: \"euw1-az9\" is not the AZ ID of a private subnet of network \"dev-euw1\"; its zones: euw1-az1, euw1-az2, euw1-az3");
}

//! The tenancy model as rendered (issue 11): the baseline egress of a Network with and without
//! VPC endpoints, the security team's cluster-scoped kinds, and the order in which each engine
//! applies ACK objects after the ACK controller that serves their CRDs. `cluster.rs` shows the
//! same repositories converge on a real API server.

use crate::support::Test;

/// The baseline egress rule to TCP 443 of a rendered tenant, from `allow-dns-and-pod-identity`.
fn https_egress(t: &Test, account: &str, ns: &str) -> serde_json::Value {
    let text = t.read(&format!("out/{account}/tenants/{ns}/tenant.yaml"));
    let policy = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde_json::Value::deserialize(d).unwrap())
        .find(|d| d["metadata"]["name"] == "allow-dns-and-pod-identity")
        .expect("the baseline egress policy");
    policy["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["ports"][0]["port"] == 443)
        .cloned()
        .expect("a 443 rule")
}

use serde::Deserialize;

#[test]
fn https_egress_goes_only_to_the_vpc_endpoints_a_network_declares() {
    let t = Test::new();
    t.render("out").success();
    // dev-euw1 declares its endpoints: 443 only to them.
    let declared = https_egress(&t, "vision-aiml-dev", "vision");
    assert_eq!(
        declared["to"],
        serde_json::json!([
            {"ipBlock": {"cidr": "10.20.240.0/24"}},
            {"ipBlock": {"cidr": "10.20.241.0/24"}},
            {"ipBlock": {"cidr": "10.20.242.0/24"}},
        ])
    );
    // prod-use1 declares none: 443 to any address, and the team README says so.
    let open = https_egress(&t, "payments-prod", "payments");
    assert!(open.get("to").is_none(), "{open}");
    let readme = t.read("out/payments-prod/README.md");
    assert!(
        readme.contains("HTTPS (443) to any address")
            && readme.contains("network `prod-use1` declares no VPC endpoints"),
        "{readme}"
    );
    let readme = t.read("out/vision-aiml-dev/README.md");
    assert!(
        readme.contains("HTTPS (443) only to the VPC endpoints of network `dev-euw1`")
            && readme.contains("`10.20.240.0/24`, `10.20.241.0/24`, `10.20.242.0/24`"),
        "{readme}"
    );
}

#[test]
fn endpoint_cidrs_are_validated_at_their_field() {
    let t = Test::new();
    t.edit(
        "fleet/networks.yaml",
        "cidrs: [10.20.240.0/24, 10.20.241.0/24, 10.20.242.0/24]",
        "cidrs: [10.20.240.1/24, 0.0.0.0/0, 10.20.242.0/24, 10.20.242.0/24]",
    );
    let out = t.validate().run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: fleet/networks.yaml:38:13: spec.endpoints.cidrs[0]: "10.20.240.1/24" is not an IPv4 CIDR block: expected a.b.c.d/n with n from 1 to 32 and no host bits set, e.g. "10.0.128.0/24" (0.0.0.0/0 is what leaving the list out means) (document 2)
       |
    38 |     cidrs: [10.20.240.1/24, 0.0.0.0/0, 10.20.242.0/24, 10.20.242.0/24]
       |             ^
    error: fleet/networks.yaml:38:29: spec.endpoints.cidrs[1]: "0.0.0.0/0" is not an IPv4 CIDR block: expected a.b.c.d/n with n from 1 to 32 and no host bits set, e.g. "10.0.128.0/24" (0.0.0.0/0 is what leaving the list out means) (document 2)
       |
    38 |     cidrs: [10.20.240.1/24, 0.0.0.0/0, 10.20.242.0/24, 10.20.242.0/24]
       |                             ^
    error: fleet/networks.yaml:38:56: spec.endpoints.cidrs[3]: duplicate CIDR block "10.20.242.0/24" (document 2)
       |
    38 |     cidrs: [10.20.240.1/24, 0.0.0.0/0, 10.20.242.0/24, 10.20.242.0/24]
       |                                                        ^
    3 errors found; nothing was written
    "#);
}

const PAY: &str = "fleet/accounts/payments-prod.yaml";

#[test]
fn cluster_resources_are_validated_at_their_field() {
    let t = Test::new();
    t.edit(
        PAY,
        "        namespaces: [payments]\n",
        "        namespaces: [payments]\n        clusterResources: [{group: storage.k8s.io, kind: StorageClass}]\n",
    );
    t.edit(
        PAY,
        "          - {group: kyverno.io, kind: ClusterCleanupPolicy}\n",
        "          - {group: kyverno.io, kind: ClusterPolicy}
          - {group: rbac.authorization.k8s.io, kind: ClusterRoleBinding}
          - {group: \"*\", kind: \"*\"}
          - {group: Kyverno.io, kind: clusterPolicy, resource: Policies}
          - {group: \"\", kind: Namespace}
          - {group: admissionregistration.k8s.io, kind: ValidatingAdmissionPolicy}
",
    );
    let out = t.validate().run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:22:9: spec.gitops.repos[0].clusterResources: an application repository deploys into its namespaces only; cluster-scoped kinds are for a contributing team's repository (e.g. team: security)
       |
    22 |         clusterResources: [{group: storage.k8s.io, kind: StorageClass}]
       |         ^
    error: fleet/accounts/payments-prod.yaml:31:39: spec.gitops.repos[1].clusterResources[1].kind: duplicate kind ClusterPolicy of group "kyverno.io"
       |
    31 |           - {group: kyverno.io, kind: ClusterPolicy}
       |                                       ^
    error: fleet/accounts/payments-prod.yaml:32:54: spec.gitops.repos[1].clusterResources[2].kind: ClusterRoleBinding of group "rbac.authorization.k8s.io" is not given to a team: RBAC is the platform's: a ClusterRoleBinding grants cluster-wide rights to any subject, and RBAC cannot limit ClusterRole updates to the team's own (cluster-admin, eksvend-tenant)
       |
    32 |           - {group: rbac.authorization.k8s.io, kind: ClusterRoleBinding}
       |                                                      ^
    error: fleet/accounts/payments-prod.yaml:33:21: spec.gitops.repos[1].clusterResources[3].group: "*" is not valid: expected a Kubernetes API group: "" for the core group, or a DNS subdomain such as "kyverno.io" (lowercase, no wildcard)
       |
    33 |           - {group: "*", kind: "*"}
       |                     ^
    error: fleet/accounts/payments-prod.yaml:33:32: spec.gitops.repos[1].clusterResources[3].kind: "*" is not valid: expected a Kubernetes kind: 1-63 letters or digits starting with an uppercase letter, such as "ClusterPolicy" (no wildcard)
       |
    33 |           - {group: "*", kind: "*"}
       |                                ^
    error: fleet/accounts/payments-prod.yaml:34:21: spec.gitops.repos[1].clusterResources[4].group: "Kyverno.io" is not valid: expected a Kubernetes API group: "" for the core group, or a DNS subdomain such as "kyverno.io" (lowercase, no wildcard)
       |
    34 |           - {group: Kyverno.io, kind: clusterPolicy, resource: Policies}
       |                     ^
    error: fleet/accounts/payments-prod.yaml:34:39: spec.gitops.repos[1].clusterResources[4].kind: "clusterPolicy" is not valid: expected a Kubernetes kind: 1-63 letters or digits starting with an uppercase letter, such as "ClusterPolicy" (no wildcard)
       |
    34 |           - {group: Kyverno.io, kind: clusterPolicy, resource: Policies}
       |                                       ^
    error: fleet/accounts/payments-prod.yaml:34:64: spec.gitops.repos[1].clusterResources[4].resource: "Policies" is not valid: expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit
       |
    34 |           - {group: Kyverno.io, kind: clusterPolicy, resource: Policies}
       |                                                                ^
    error: fleet/accounts/payments-prod.yaml:35:31: spec.gitops.repos[1].clusterResources[5].kind: Namespace of group "" is not given to a team: namespaces are the platform's tenants (spec.tenants, spec.gitops.repos[].namespaces), each with its guard rails
       |
    35 |           - {group: "", kind: Namespace}
       |                               ^
    error: fleet/accounts/payments-prod.yaml:36:57: spec.gitops.repos[1].clusterResources[6].kind: ValidatingAdmissionPolicy of group "admissionregistration.k8s.io" is not given to a team: admission objects are exempt from admission policies: the team could remove the platform's guard rails (ValidatingAdmissionPolicy eksvend-tenant-baseline)
       |
    36 |           - {group: admissionregistration.k8s.io, kind: ValidatingAdmissionPolicy}
       |                                                         ^
    10 errors found; nothing was written
    "#);
}

#[test]
fn cluster_resources_become_the_projects_whitelist_and_the_sync_identitys_cluster_role() {
    let t = Test::new();
    // Flux: the ClusterRole is the repository's (flux-<repository>), Argo CD: the team's.
    t.edit(
        "fleet/accounts/ml-research-dev.yaml",
        "        namespaces: [research]\n",
        "        namespaces: [research]
      - name: policies
        team: security
        url: https://git.acme.example/security/baseline.git
        clusterResources:
          - {group: storage.k8s.io, kind: StorageClass}
          - {group: gateway.networking.k8s.io, kind: GatewayClass}
          - {group: example.io, kind: Gateway, resource: gateways}
",
    );
    t.render("out").success();
    let docs = |rel: &str| -> Vec<serde_json::Value> {
        let text = t.read(rel);
        serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde_json::Value::deserialize(d).unwrap())
            .filter(|d| !d.is_null())
            .collect()
    };
    let find = |docs: &[serde_json::Value], kind: &str, name: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    };
    let flux = docs("out/ml-research-dev/tenants/guard-rails.yaml");
    let role = find(&flux, "ClusterRole", "eksvend-cluster-policies");
    assert_eq!(
        role["rules"],
        serde_json::json!([
            {"apiGroups": ["example.io"], "resources": ["gateways"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
            {"apiGroups": ["gateway.networking.k8s.io"], "resources": ["gatewayclasses"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
            {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
        ])
    );
    let binding = find(&flux, "ClusterRoleBinding", "eksvend-cluster-policies");
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": "flux-policies", "namespace": "security"}])
    );
    let view = find(&flux, "ClusterRoleBinding", "eksvend-cluster-policies-view");
    assert_eq!(view["subjects"][0]["name"], "security");
    // Only the declaring repository: no other ClusterRoleBinding is rendered.
    let bindings: Vec<&serde_json::Value> = flux
        .iter()
        .filter(|d| d["kind"] == "ClusterRoleBinding")
        .collect();
    assert_eq!(bindings.len(), 2, "{bindings:?}");

    let argo = docs("out/payments-prod/bootstrap/argocd/apps/projects.yaml");
    let security = find(&argo, "AppProject", "security");
    assert_eq!(
        security["spec"]["clusterResourceWhitelist"],
        serde_json::json!([
            {"group": "kyverno.io", "kind": "ClusterCleanupPolicy"},
            {"group": "kyverno.io", "kind": "ClusterPolicy"},
        ])
    );
    let application = find(&argo, "AppProject", "application");
    assert_eq!(
        application["spec"]["clusterResourceWhitelist"],
        serde_json::json!([])
    );
    let rails = docs("out/payments-prod/tenants/guard-rails.yaml");
    let binding = find(&rails, "ClusterRoleBinding", "eksvend-cluster-security");
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": "argocd-security", "namespace": "security"}])
    );
    // Repositories without clusterResources get nothing cluster-wide.
    let checkout = docs("out/checkout-dev/tenants/guard-rails.yaml");
    assert!(
        !checkout.iter().any(|d| d["kind"] == "ClusterRoleBinding"),
        "{checkout:?}"
    );
}

/// The YAML documents of a rendered file.
fn yaml_docs(t: &Test, rel: &str) -> Vec<serde_json::Value> {
    let text = t.read(rel);
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde_json::Value::deserialize(d).unwrap())
        .filter(|d| !d.is_null())
        .collect()
}

fn named<'a>(docs: &'a [serde_json::Value], kind: &str, name: &str) -> &'a serde_json::Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// ACK objects wait for the ACK controller's chart (which ships their CRD): under Flux through
/// `dependsOn` on the Kustomization that waits for the HelmReleases, under Argo CD through a
/// wave after the add-ons'. `cluster.rs` shows the order matters on a real API server.
#[test]
fn ack_objects_are_synced_after_the_chart_that_ships_their_crd() {
    let t = Test::new();
    t.edit(
        "fleet/accounts/payments-prod.yaml",
        "    externalDns: true\n",
        "    externalDns: true\n    ackPodIdentity: true\n",
    );
    t.render("out").success();
    // Flux (ml-research-dev): HelmReleases in addons/, applied by a Kustomization that waits.
    let flux = yaml_docs(&t, "out/ml-research-dev/bootstrap/flux/root.yaml");
    let addons = named(&flux, "Kustomization", "addons");
    assert_eq!(addons["spec"]["path"], "./addons");
    assert_eq!(addons["spec"]["wait"], true);
    let releases = yaml_docs(&t, "out/ml-research-dev/addons/addons.yaml");
    assert!(releases
        .iter()
        .any(|d| d["kind"] == "HelmRelease" && d["spec"]["chart"]["spec"]["chart"] == "eks-chart"));
    assert!(!t.exists("out/ml-research-dev/bootstrap/flux/addons.yaml"));
    for name in ["pod-identity", "platform"] {
        let ks = named(&flux, "Kustomization", name);
        assert_eq!(
            ks["spec"]["dependsOn"],
            serde_json::json!([{"name": "tenants"}, {"name": "addons"}]),
            "{name}"
        );
    }
    assert_eq!(
        named(&flux, "Kustomization", "pod-identity")["spec"]["path"],
        "./pod-identity"
    );
    let pia = yaml_docs(&t, "out/ml-research-dev/pod-identity/research.yaml");
    assert!(
        pia.iter().all(|d| d["kind"] == "PodIdentityAssociation"),
        "{pia:?}"
    );
    let tenant = t.read("out/ml-research-dev/tenants/research/kustomization.yaml");
    assert!(!tenant.contains("pod-identity"), "{tenant}");

    // Argo CD (payments-prod with ackPodIdentity): pod-identity after the add-ons, before platform.
    let wave = |rel: &str, name: &str| -> i64 {
        let docs = yaml_docs(&t, rel);
        named(&docs, "Application", name)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let apps = "out/payments-prod/bootstrap/argocd/apps";
    let ack = wave(&format!("{apps}/addons.yaml"), "addon-ack-eks-controller");
    let pod_identity = wave(&format!("{apps}/platform.yaml"), "pod-identity");
    let tenants = wave(&format!("{apps}/platform.yaml"), "tenants");
    let platform = wave(&format!("{apps}/platform.yaml"), "platform");
    assert!(
        tenants < ack && ack < pod_identity && pod_identity < platform,
        "tenants {tenants}, ack {ack}, pod-identity {pod_identity}, platform {platform}"
    );
    assert!(t.exists("out/payments-prod/pod-identity/payments.yaml"));
    // Without ACK objects there is no pod-identity tree.
    assert!(!t.exists("out/checkout-dev/pod-identity"));
    let checkout = yaml_docs(&t, "out/checkout-dev/bootstrap/argocd/apps/platform.yaml");
    assert!(!checkout
        .iter()
        .any(|d| d["metadata"]["name"] == "pod-identity"));
}

//! The library's upstream-schema check (`eksvend::verify::schema`, the `assets/schemas/` copy the
//! binary embeds, see its `NOTICE.md`) over every YAML manifest rendered for the bundled example
//! fleet — and proof that the check is not vacuous: every account and every kind listed in
//! `REQUIRED_KINDS` reaches a schema, the kinds without one are exactly `EXPECTED_SKIPS`, and
//! broken documents are rejected at the right place.
#![allow(
    unreachable_pub,
    reason = "a test crate has no public API; pub marks what its modules share"
)]
#![allow(
    clippy::print_stderr,
    reason = "the test reports its tally of checked kinds on stderr"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Value};

use eksvend::pipeline::Rendered;
use eksvend::verify::schema::{schemas, Verdict, Violation};

/// Kinds rendered on purpose although the bundle has no schema for them.
const EXPECTED_SKIPS: &[(&str, &str)] = &[
    // The tenant guard rail (tenants/guard-rails.yaml): validated, with its CEL, by the real
    // API server of tests/it/cluster.rs.
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicy",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("eksvend.dev/v1alpha1", "NetworkHandoff"),
    ("eksvend.dev/v1alpha1", "State"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("kueue.x-k8s.io/v1beta1", "ClusterQueue"),
    ("kueue.x-k8s.io/v1beta1", "LocalQueue"),
    ("kueue.x-k8s.io/v1beta1", "ResourceFlavor"),
    // platform/load-balancing/ingressclasses.yaml: the Kubernetes bundle has no IngressClass
    // schema; the real API server of tests/it/cluster.rs stores it and the test reads it back.
    ("networking.k8s.io/v1", "IngressClass"),
];

/// `(API group, kind)` that the example fleet must exercise, so the test cannot pass vacuously.
const REQUIRED_KINDS: &[(&str, &str)] = &[
    ("eksctl.io", "ClusterConfig"),
    ("argoproj.io", "Application"),
    ("argoproj.io", "AppProject"),
    ("karpenter.sh", "NodePool"),
    ("karpenter.k8s.aws", "EC2NodeClass"),
    ("", "Namespace"),
    ("", "ServiceAccount"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("source.toolkit.fluxcd.io", "GitRepository"),
    ("kustomize.toolkit.fluxcd.io", "Kustomization"),
    ("source.toolkit.fluxcd.io", "HelmRepository"),
    ("elbv2.k8s.aws", "IngressClassParams"),
];

/// Fewer validated documents than this means the fleet or the routing lost something.
const MIN_VALIDATED: usize = 50;

/// `apiVersion kind` of a document.
fn gvk(doc: &Value) -> (String, String) {
    let field = |name: &str| doc[name].as_str().unwrap_or_default().to_string();
    (field("apiVersion"), field("kind"))
}

/// The API group of an `apiVersion` (`""` for the core group).
fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

fn render(select: impl Fn(&eksvend::resolve::ClusterSpec) -> bool) -> Vec<Rendered> {
    let catalog = eksvend::blueprint::catalog::Catalog::builtin().expect("builtin catalog");
    let fleet = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
    eksvend::pipeline::render_fleet(&fleet, &catalog, select)
        .unwrap_or_else(|e| panic!("rendering examples/fleet failed:\n{e}"))
}

/// Every (path, file name, document) of the YAML files of a rendered repository.
fn documents(r: &Rendered) -> Vec<(String, String, Value)> {
    let yaml = |p: &&String| p.ends_with(".yaml") || p.ends_with(".yml");
    let mut docs = Vec::new();
    for (path, file) in r.tree.files.iter().filter(|(p, _)| yaml(p)) {
        let file_name = path.rsplit('/').next().unwrap_or(path).to_string();
        for de in serde_yaml::Deserializer::from_str(&file.content) {
            let doc = serde_json::to_value(serde_yaml::Value::deserialize(de).unwrap()).unwrap();
            // CloudFormation templates (iam/stack.yaml, …) are no Kubernetes manifests:
            // tests/it/aws_stack.rs checks them with cfn-lint.
            if !doc.is_null() && doc.get("AWSTemplateFormatVersion").is_none() {
                docs.push((path.clone(), file_name.clone(), doc));
            }
        }
    }
    docs
}

/// Counts of what the check did, printed with every failure.
#[derive(Default)]
struct Tally {
    validated: BTreeMap<(String, String), usize>,
    skipped: BTreeMap<(String, String), usize>,
    per_account: BTreeMap<String, usize>,
    per_schema: BTreeMap<&'static str, usize>,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "documents validated per kind:")?;
        for ((api_version, kind), n) in &self.validated {
            writeln!(f, "  {n:4}  {api_version} {kind}")?;
        }
        writeln!(f, "documents skipped (no schema in the bundle):")?;
        for ((api_version, kind), n) in &self.skipped {
            writeln!(f, "  {n:4}  {api_version} {kind}")?;
        }
        writeln!(f, "documents validated per account:")?;
        for (account, n) in &self.per_account {
            writeln!(f, "  {n:4}  {account}")?;
        }
        writeln!(f, "documents validated per schema file:")?;
        for (schema, n) in &self.per_schema {
            writeln!(f, "  {n:4}  {schema}")?;
        }
        Ok(())
    }
}

#[test]
fn rendered_manifests_match_upstream_schemas() {
    let rendered = render(|_| true);
    assert_eq!(rendered.len(), 5, "the example fleet has five accounts");
    let mut tally = Tally::default();
    let mut failures = String::new();
    for r in &rendered {
        let account = &r.spec.account.name;
        for (path, file_name, doc) in documents(r) {
            let kind = gvk(&doc);
            let schema = match schemas().check(&file_name, &doc) {
                Verdict::Valid { schema } => schema,
                Verdict::Invalid { schema, violations } => {
                    // the library lets a kustomize patch (`*-patch.yaml`) lack required fields
                    let partial = file_name.ends_with("-patch.yaml");
                    for v in violations
                        .iter()
                        .filter(|v| !(partial && v.schema_path.ends_with("/required")))
                    {
                        let _ = writeln!(
                            failures,
                            "{account}: {path}: {kind:?} violates {schema}: {v:?}"
                        );
                    }
                    schema
                }
                Verdict::UnknownVersion => {
                    let _ = writeln!(failures, "{account}: {path}: {kind:?}: unknown version");
                    continue;
                }
                Verdict::NoSchema => {
                    *tally.skipped.entry(kind).or_default() += 1;
                    continue;
                }
            };
            *tally.validated.entry(kind).or_default() += 1;
            *tally.per_account.entry(account.clone()).or_default() += 1;
            *tally.per_schema.entry(schema).or_default() += 1;
        }
    }
    eprintln!("{tally}");
    assert!(failures.is_empty(), "{failures}\n{tally}");

    let total: usize = tally.validated.values().sum();
    assert!(
        total > MIN_VALIDATED,
        "only {total} documents validated\n{tally}"
    );
    for r in &rendered {
        let account = &r.spec.account.name;
        assert!(
            tally.per_account.contains_key(account),
            "no document of {account} validated\n{tally}"
        );
    }
    for (g, kind) in REQUIRED_KINDS {
        assert!(
            tally
                .validated
                .keys()
                .any(|(a, k)| group(a) == *g && k == kind),
            "no {kind} of API group {g:?} was validated\n{tally}"
        );
    }
    let skipped: BTreeSet<(&str, &str)> = tally
        .skipped
        .keys()
        .map(|(a, k)| (a.as_str(), k.as_str()))
        .collect();
    let expected: BTreeSet<(&str, &str)> = EXPECTED_SKIPS.iter().copied().collect();
    assert_eq!(skipped, expected, "kinds without a schema\n{tally}");
}

/// The violations of `doc` as the file `file_name`; panics unless it was routed to a schema.
fn violations(file_name: &str, doc: &Value) -> Vec<Violation> {
    match schemas().check(file_name, doc) {
        Verdict::Valid { .. } => Vec::new(),
        Verdict::Invalid { violations, .. } => violations,
        other => panic!("{file_name}: expected a validated document, got {other:?}"),
    }
}

/// The first document of kind `kind` in API group `g` among `docs`, with its file name.
fn find(docs: &[(String, String, Value)], g: &str, kind: &str) -> (String, Value) {
    docs.iter()
        .find(|(_, _, doc)| {
            let (a, k) = gvk(doc);
            group(&a) == g && k == kind
        })
        .map_or_else(
            || panic!("payments-prod renders a {kind}"),
            |(_, file_name, doc)| (file_name.clone(), doc.clone()),
        )
}

#[test]
fn broken_documents_are_rejected_where_they_break() {
    let docs = documents(&render(|spec| spec.account.name == "payments-prod")[0]);
    let (cluster_file, cluster) = find(&docs, "eksctl.io", "ClusterConfig");
    let (nodepool_file, nodepool) = find(&docs, "karpenter.sh", "NodePool");
    let zone = cluster["vpc"]["subnets"]["private"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("ClusterConfig has vpc.subnets.private");
    let subnet = format!("/vpc/subnets/private/{zone}");
    let mut misspelled = cluster.pointer(&subnet).cloned().expect("a private subnet");
    let id = misspelled.as_object_mut().and_then(|m| m.remove("id"));
    misspelled["subnetId"] = id.expect("the subnet spec has an id");
    let (cf, np) = (cluster_file.as_str(), nodepool_file.as_str());
    // (file, document, JSON pointer to set, value, where a violation must be, what it mentions);
    // vpc.cidr is an `ipnet.IPNet` string, defined under a `|` name reached through an encoded $ref
    #[rustfmt::skip]
    let cases = [
        (cf, &cluster, subnet.as_str(), misspelled, subnet.as_str(), "subnetId"),
        (cf, &cluster, "/managedNodegroup", json!([]), "/", "managedNodegroup"),
        (cf, &cluster, "/vpc/cidr", json!(10), "/vpc/cidr", ""),
        (np, &nodepool, "/spec/disruption/consolidationPolicy", json!("Sometimes"), "/spec/disruption/consolidationPolicy", "Sometimes"),
    ];
    for (file, doc, pointer, value, at, mentions) in cases {
        assert_eq!(violations(file, doc), [], "the rendered {file} is valid");
        let mut broken = doc.clone();
        set(&mut broken, pointer, value);
        let found = violations(file, &broken);
        assert!(
            found
                .iter()
                .any(|v| v.instance_path == at && v.message.contains(mentions)),
            "{pointer} not rejected at {at}: {found:#?}"
        );
    }
}

/// Set the value at a JSON pointer, creating missing objects on the way.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    let mut at = doc;
    for segment in parent.split('/').skip(1) {
        at = at
            .as_object_mut()
            .expect("an object on the way")
            .entry(segment)
            .or_insert_with(|| json!({}));
    }
    at.as_object_mut()
        .expect("an object")
        .insert(key.to_string(), value);
}

#[test]
fn kustomizations_are_routed_by_file_name() {
    let kustomization = json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "replicas": "three"});
    for (file_name, routed) in [
        ("kustomization.yaml", true),
        ("kustomization.yml", true),
        ("patch.yaml", false),
    ] {
        let verdict = schemas().check(file_name, &kustomization);
        assert_eq!(
            matches!(verdict, Verdict::Invalid { .. }),
            routed,
            "{file_name}: {verdict:?}"
        );
    }
    let state =
        json!({"apiVersion": "eksvend.dev/v1alpha1", "kind": "State", "metadata": {"name": "s"}});
    assert_eq!(schemas().check("state.yaml", &state), Verdict::NoSchema);
}

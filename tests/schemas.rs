//! Every YAML manifest eksvend renders for the bundled example fleet, checked against the real
//! upstream JSON schemas vendored in `assets/schemas/` (see its `NOTICE.md`).
//!
//! Routing by `apiVersion` + `kind`:
//! * `eksctl.io/v1alpha5` `ClusterConfig` → `eksctl/v0.230.0/schema.json`;
//! * `kustomization.yaml` files (`kustomize.config.k8s.io/*`) → `kustomize/kustomization.json`;
//! * CRD kinds (Argo CD, Karpenter, Flux, ACK) → `crds/index.json`;
//! * Kubernetes built-in kinds → `k8s/v1.33.0-standalone-strict/index.json`;
//! * eksvend's own kinds, Flux `HelmRelease` and the Kueue kinds (no schema in the shared set) →
//!   skipped, counted;
//! * anything else fails the test.
//!
//! Format validation is off (the Kubernetes schemas use `int32`, `int-or-string`, ... as
//! annotations), and `x-kubernetes-*` keywords are ignored, so CEL rules are not checked here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

const EKSCTL_SCHEMA: &str = "eksctl/v0.230.0/schema.json";
const KUSTOMIZE_SCHEMA: &str = "kustomize/kustomization.json";
const CRD_DIR: &str = "crds";
const K8S_DIR: &str = "k8s/v1.33.0-standalone-strict";

/// Kinds rendered on purpose although the shared schema set has no schema for them.
const EXPECTED_SKIPS: &[(&str, &str)] = &[
    ("eksvend.dev/v1alpha1", "NetworkHandoff"),
    ("eksvend.dev/v1alpha1", "State"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("kueue.x-k8s.io/v1beta1", "ClusterQueue"),
    ("kueue.x-k8s.io/v1beta1", "LocalQueue"),
    ("kueue.x-k8s.io/v1beta1", "ResourceFlavor"),
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
];

/// Fewer validated documents than this means the fleet or the routing lost something.
const MIN_VALIDATED: usize = 50;

/// Longest schema message kept in a report (some quote the whole instance).
const MAX_MESSAGE: usize = 400;

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `apiVersion` and `kind` of a document (empty when missing).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Gvk {
    api_version: String,
    kind: String,
}

impl Gvk {
    fn of(doc: &Value) -> Gvk {
        let field = |name: &str| {
            doc.get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Gvk {
            api_version: field("apiVersion"),
            kind: field("kind"),
        }
    }

    /// The API group (`""` for the core group).
    fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }
}

impl std::fmt::Display for Gvk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.api_version, self.kind)
    }
}

/// One schema violation in a document.
#[derive(Debug, Clone)]
struct Violation {
    instance_path: String,
    schema_path: String,
    message: String,
}

/// What happened to a document.
#[derive(Debug)]
enum Outcome {
    /// Validated against `schema` (relative to the fixtures directory); empty = valid.
    Validated {
        gvk: Gvk,
        schema: String,
        violations: Vec<Violation>,
    },
    /// A kind without a schema in the shared set.
    Skipped { gvk: Gvk },
}

/// Routes documents to the vendored schemas and validates them; validators are compiled once.
struct Checker {
    root: PathBuf,
    /// `apiVersion|kind` → schema path relative to `root`.
    crds: HashMap<String, String>,
    /// `apiVersion|kind` → schema path relative to `root`.
    k8s: HashMap<String, String>,
    validators: HashMap<String, jsonschema::Validator>,
}

impl Checker {
    fn new() -> Checker {
        let root = crate_root().join("assets/schemas");
        let crds = read_index(&root, CRD_DIR);
        let k8s = read_index(&root, K8S_DIR);
        Checker {
            root,
            crds,
            k8s,
            validators: HashMap::new(),
        }
    }

    /// The schema for a document of `file`, `Ok(None)` for a kind skipped on purpose.
    fn route(&self, file: &str, gvk: &Gvk) -> Result<Option<String>, String> {
        let file_name = file.rsplit('/').next().unwrap_or(file);
        let key = format!("{}|{}", gvk.api_version, gvk.kind);
        if gvk.api_version == "eksctl.io/v1alpha5" && gvk.kind == "ClusterConfig" {
            return Ok(Some(EKSCTL_SCHEMA.to_string()));
        }
        if matches!(file_name, "kustomization.yaml" | "kustomization.yml")
            && gvk.group() == "kustomize.config.k8s.io"
        {
            return Ok(Some(KUSTOMIZE_SCHEMA.to_string()));
        }
        if gvk.group() == "eksvend.dev"
            || EXPECTED_SKIPS.contains(&(gvk.api_version.as_str(), gvk.kind.as_str()))
        {
            return Ok(None);
        }
        if let Some(path) = self.crds.get(&key).or_else(|| self.k8s.get(&key)) {
            return Ok(Some(path.clone()));
        }
        Err(format!(
            "no schema for apiVersion {:?} / kind {:?} in file {file}",
            gvk.api_version, gvk.kind
        ))
    }

    /// Route and validate one document of `file`.
    fn check(&mut self, file: &str, doc: &Value) -> Result<Outcome, String> {
        let gvk = Gvk::of(doc);
        let Some(schema) = self.route(file, &gvk)? else {
            return Ok(Outcome::Skipped { gvk });
        };
        let violations = self
            .validator(&schema)?
            .iter_errors(doc)
            .map(|e| Violation {
                instance_path: match e.instance_path().to_string() {
                    p if p.is_empty() => "/".to_string(),
                    p => p,
                },
                schema_path: e.schema_path().to_string(),
                message: truncate(&e.to_string()),
            })
            .collect();
        Ok(Outcome::Validated {
            gvk,
            schema,
            violations,
        })
    }

    fn validator(&mut self, schema: &str) -> Result<&jsonschema::Validator, String> {
        if !self.validators.contains_key(schema) {
            let path = self.root.join(schema);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("schema {} (routed from the index): {e}", path.display()))?;
            let mut json: Value = serde_json::from_str(&text)
                .map_err(|e| format!("schema {}: {e}", path.display()))?;
            encode_local_refs(&mut json);
            let draft = match json.get("$schema").and_then(Value::as_str) {
                Some("http://json-schema.org/draft-07/schema#") => jsonschema::Draft::Draft7,
                Some("https://json-schema.org/draft/2020-12/schema") => {
                    jsonschema::Draft::Draft202012
                }
                other => return Err(format!("schema {schema}: unexpected $schema {other:?}")),
            };
            let validator = jsonschema::options()
                .with_draft(draft)
                .should_validate_formats(false)
                .build(&json)
                .map_err(|e| format!("schema {schema} does not compile: {e}"))?;
            self.validators.insert(schema.to_string(), validator);
        }
        Ok(&self.validators[schema])
    }
}

/// Percent-encode the characters of local `$ref`s that a URI fragment cannot hold.
///
/// eksctl's schema names definitions after Go packages (`#/definitions/github.com|aws|...`); `|`
/// is not allowed in a URI reference, so the draft-07 meta-schema (`"format": "uri-reference"`),
/// which the validator checks every schema against, rejects the schema as written. JSON Pointer
/// fragments are percent-decoded before use (RFC 6901, section 6), so `%7C` points at the same
/// definition: the schema means exactly what it did. A no-op for the other vendored schemas.
fn encode_local_refs(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(reference) if key == "$ref" && reference.starts_with('#') => {
                        *reference = encode_fragment(reference);
                    }
                    _ => encode_local_refs(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(encode_local_refs),
        _ => {}
    }
}

/// `reference` with every byte outside RFC 3986's `fragment` characters (and `#`) as `%XX`.
fn encode_fragment(reference: &str) -> String {
    let mut encoded = String::with_capacity(reference.len());
    for c in reference.chars() {
        if c.is_ascii_alphanumeric() || "#-._~!$&'()*+,;=:@/?%".contains(c) {
            encoded.push(c);
        } else {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                let _ = write!(encoded, "%{byte:02X}");
            }
        }
    }
    encoded
}

/// `<dir>/index.json` as `apiVersion|kind` → path relative to the fixtures root.
fn read_index(root: &Path, dir: &str) -> HashMap<String, String> {
    let path = root.join(dir).join("index.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let index: BTreeMap<String, Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()));
    index
        .into_iter()
        .map(|(key, entry)| {
            let file = entry["path"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: entry {key} has no path", path.display()));
            (key, format!("{dir}/{file}"))
        })
        .collect()
}

/// The non-empty documents of a YAML file, as JSON values.
fn documents(text: &str) -> Result<Vec<(usize, Value)>, String> {
    let mut docs = Vec::new();
    for (index, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let yaml = serde_yaml::Value::deserialize(de)
            .map_err(|e| format!("document {index}: not YAML: {e}"))?;
        let json = serde_json::to_value(&yaml)
            .map_err(|e| format!("document {index}: not representable as JSON: {e}"))?;
        if !json.is_null() {
            docs.push((index, json));
        }
    }
    Ok(docs)
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

fn truncate(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_string(),
    }
}

fn render(
    select: impl Fn(&eksvend::resolve::ClusterSpec) -> bool,
) -> Vec<eksvend::pipeline::Rendered> {
    let catalog = eksvend::blueprint::catalog::Catalog::builtin().expect("builtin catalog");
    eksvend::pipeline::render_fleet(&crate_root().join("examples/fleet"), &catalog, select)
        .unwrap_or_else(|e| panic!("rendering examples/fleet failed:\n{e}"))
}

#[test]
fn rendered_manifests_match_upstream_schemas() {
    let rendered = render(|_| true);
    let accounts: BTreeSet<&str> = rendered
        .iter()
        .map(|r| r.spec.account.name.as_str())
        .collect();
    assert_eq!(accounts.len(), 5, "example accounts rendered: {accounts:?}");

    let mut checker = Checker::new();
    let mut failures: Vec<String> = Vec::new();
    let mut validated: BTreeMap<Gvk, usize> = BTreeMap::new();
    let mut skipped: BTreeMap<Gvk, usize> = BTreeMap::new();
    let mut per_account: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_schema: BTreeMap<String, usize> = BTreeMap::new();

    for r in &rendered {
        let account = r.spec.account.name.as_str();
        for (file, rendered_file) in &r.tree.files {
            if !is_yaml(file) {
                continue;
            }
            let docs = match documents(&rendered_file.content) {
                Ok(docs) => docs,
                Err(e) => {
                    failures.push(format!("{account}: {file}: {e}"));
                    continue;
                }
            };
            for (index, doc) in docs {
                match checker.check(file, &doc) {
                    Err(e) => failures.push(format!("{account}: {file} [doc {index}]: {e}")),
                    Ok(Outcome::Skipped { gvk }) => *skipped.entry(gvk).or_default() += 1,
                    Ok(Outcome::Validated {
                        gvk,
                        schema,
                        violations,
                    }) => {
                        // A kustomize patch (`*-patch.yaml`) is a partial object:
                        // required fields may be missing, like kustomize's own validation.
                        let partial = file.ends_with("-patch.yaml");
                        for v in violations
                            .iter()
                            .filter(|v| !(partial && v.schema_path.ends_with("/required")))
                        {
                            failures.push(format!(
                                "{account}: {file} [doc {index}] {gvk}: at {} (schema {schema}#{}): {}",
                                v.instance_path, v.schema_path, v.message
                            ));
                        }
                        *validated.entry(gvk).or_default() += 1;
                        *per_account.entry(account).or_default() += 1;
                        *per_schema.entry(schema).or_default() += 1;
                    }
                }
            }
        }
    }

    let mut summary = String::from("documents validated per kind:\n");
    for (gvk, n) in &validated {
        let _ = writeln!(summary, "  {n:4}  {gvk}");
    }
    summary.push_str("documents skipped (no schema in the shared set):\n");
    for (gvk, n) in &skipped {
        let _ = writeln!(summary, "  {n:4}  {gvk}");
    }
    summary.push_str("documents validated per account:\n");
    for (account, n) in &per_account {
        let _ = writeln!(summary, "  {n:4}  {account}");
    }
    summary.push_str("documents validated per schema file:\n");
    for (schema, n) in &per_schema {
        let _ = writeln!(summary, "  {n:4}  {schema}");
    }
    eprintln!("{summary}");

    assert!(
        failures.is_empty(),
        "{} schema problem(s) in the rendered example fleet:\n{}\n\n{summary}",
        failures.len(),
        failures.join("\n")
    );

    let total: usize = validated.values().sum();
    assert!(
        total > MIN_VALIDATED,
        "only {total} documents validated (expected more than {MIN_VALIDATED})\n{summary}"
    );
    for account in &accounts {
        assert!(
            per_account.get(account).copied().unwrap_or(0) > 0,
            "no document of {account} was validated\n{summary}"
        );
    }
    for (group, kind) in REQUIRED_KINDS {
        assert!(
            validated
                .keys()
                .any(|gvk| gvk.group() == *group && gvk.kind == *kind),
            "no {kind} of API group {group:?} was validated\n{summary}"
        );
    }
    let skipped_kinds: BTreeSet<(&str, &str)> = skipped
        .keys()
        .map(|gvk| (gvk.api_version.as_str(), gvk.kind.as_str()))
        .collect();
    let expected: BTreeSet<(&str, &str)> = EXPECTED_SKIPS.iter().copied().collect();
    assert_eq!(skipped_kinds, expected, "kinds skipped without a schema");
}

/// The violations of a document of `file`; panics unless it was routed to a schema.
fn violations(checker: &mut Checker, file: &str, doc: &Value) -> Vec<Violation> {
    match checker.check(file, doc) {
        Ok(Outcome::Validated { violations, .. }) => violations,
        other => panic!("{file}: expected a validated document, got {other:?}"),
    }
}

fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("  at {}: {}", v.instance_path, v.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn checker_rejects_broken_documents() {
    let rendered = render(|spec| spec.account.name == "payments-prod");
    assert_eq!(rendered.len(), 1, "payments-prod is in examples/fleet");
    let files = &rendered[0].tree.files;
    let mut checker = Checker::new();

    // eksctl ClusterConfig: the rendered one is valid ...
    let cluster_file = "cluster/cluster.yaml";
    let cluster_text = &files
        .get(cluster_file)
        .unwrap_or_else(|| panic!("payments-prod renders {cluster_file}"))
        .content;
    let cluster = documents(cluster_text)
        .expect("cluster.yaml parses")
        .into_iter()
        .map(|(_, doc)| doc)
        .find(|doc| Gvk::of(doc).kind == "ClusterConfig")
        .expect("cluster.yaml holds a ClusterConfig");
    let baseline = violations(&mut checker, cluster_file, &cluster);
    assert!(
        baseline.is_empty(),
        "rendered ClusterConfig:\n{}",
        describe(&baseline)
    );

    // ... a subnet spec with `subnetId` instead of `id` is not ...
    let mut misspelled = cluster.clone();
    let private = misspelled
        .pointer_mut("/vpc/subnets/private")
        .and_then(Value::as_object_mut)
        .expect("ClusterConfig has vpc.subnets.private");
    let (zone, subnet) = private.iter_mut().next().expect("a private subnet");
    let zone = zone.clone();
    let subnet = subnet.as_object_mut().expect("subnet spec is a mapping");
    let id = subnet.remove("id").expect("subnet spec has an id");
    subnet.insert("subnetId".to_string(), id);
    let found = violations(&mut checker, cluster_file, &misspelled);
    assert!(
        found.iter().any(
            |v| v.instance_path == format!("/vpc/subnets/private/{zone}")
                && v.message.contains("subnetId")
        ),
        "subnetId in vpc.subnets.private.{zone} not rejected:\n{}",
        describe(&found)
    );

    // ... nor is an unknown top-level key.
    let mut unknown = cluster.clone();
    unknown
        .as_object_mut()
        .expect("ClusterConfig is a mapping")
        .insert("managedNodegroup".to_string(), serde_json::json!([]));
    let found = violations(&mut checker, cluster_file, &unknown);
    assert!(
        found
            .iter()
            .any(|v| v.instance_path == "/" && v.message.contains("managedNodegroup")),
        "unknown top-level key not rejected:\n{}",
        describe(&found)
    );

    // ... and the `|` definitions, reached through percent-encoded `$ref`s, do apply.
    let mut cidr = cluster.clone();
    cidr.pointer_mut("/vpc")
        .and_then(Value::as_object_mut)
        .expect("ClusterConfig has vpc")
        .insert("cidr".to_string(), serde_json::json!(10));
    let found = violations(&mut checker, cluster_file, &cidr);
    assert!(
        found.iter().any(|v| v.instance_path == "/vpc/cidr"),
        "vpc.cidr: 10 (ipnet.IPNet is a string) not rejected:\n{}",
        describe(&found)
    );

    // Karpenter NodePool: the rendered one is valid, `consolidationPolicy: Sometimes` is not.
    let (nodepool_file, nodepool) = files
        .iter()
        .filter(|(path, _)| is_yaml(path))
        .flat_map(|(path, file)| {
            documents(&file.content)
                .unwrap_or_else(|e| panic!("{path}: {e}"))
                .into_iter()
                .map(move |(_, doc)| (path.clone(), doc))
        })
        .find(|(_, doc)| {
            let gvk = Gvk::of(doc);
            gvk.group() == "karpenter.sh" && gvk.kind == "NodePool"
        })
        .expect("payments-prod renders a NodePool");
    let baseline = violations(&mut checker, &nodepool_file, &nodepool);
    assert!(
        baseline.is_empty(),
        "rendered NodePool:\n{}",
        describe(&baseline)
    );
    let mut sometimes = nodepool.clone();
    let spec = sometimes
        .get_mut("spec")
        .and_then(Value::as_object_mut)
        .expect("NodePool has a spec");
    let disruption = spec
        .entry("disruption")
        .or_insert_with(|| serde_json::json!({}))
        .as_object_mut()
        .expect("disruption is a mapping");
    disruption.insert(
        "consolidationPolicy".to_string(),
        Value::String("Sometimes".to_string()),
    );
    let found = violations(&mut checker, &nodepool_file, &sometimes);
    assert!(
        found
            .iter()
            .any(|v| v.instance_path == "/spec/disruption/consolidationPolicy"),
        "consolidationPolicy: Sometimes not rejected:\n{}",
        describe(&found)
    );

    // Routing: an unknown kind is an error, eksvend's own kinds are skipped.
    let widget = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget"});
    let err = checker
        .check("apps/widget.yaml", &widget)
        .expect_err("an unknown kind has no schema");
    assert!(err.contains("no schema"), "{err}");
    let state = serde_json::json!({"apiVersion": "eksvend.dev/v1alpha1", "kind": "State"});
    assert!(matches!(
        checker.check(".eksvend/state.yaml", &state),
        Ok(Outcome::Skipped { .. })
    ));
}

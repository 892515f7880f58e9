//! Upstream schemas bundled into the binary: every rendered manifest of a known kind is checked
//! against the schema of its real consumer (eksctl, Kubernetes 1.33, Argo CD, Flux, Karpenter,
//! ACK, the AWS Load Balancer Controller, kustomize) before anything is written.
//!
//! The schema files are the project's vendored copy in `assets/schemas/` (see its NOTICE.md),
//! embedded at build time; the tests check through this module too, so the tool and its tests
//! use one copy of the same upstream releases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use include_dir::{include_dir, Dir};
use serde_json::Value;

static SCHEMAS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets/schemas");

const EKSCTL: &str = "eksctl/v0.230.0/schema.json";
const KUSTOMIZE: &str = "kustomize/kustomization.json";
const CRD_DIR: &str = "crds";
const K8S_DIR: &str = "k8s/v1.33.0-standalone-strict";

/// API groups whose kinds must have a schema: a kind or version of these groups that the
/// bundle does not know (e.g. `karpenter.sh/v1beta1`) is an error, not a pass.
const KNOWN_GROUPS: &[&str] = &[
    "eksctl.io",
    "argoproj.io",
    "karpenter.sh",
    "karpenter.k8s.aws",
    "source.toolkit.fluxcd.io",
    "kustomize.toolkit.fluxcd.io",
    "elbv2.k8s.aws",
];

/// One way a document breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the document (JSON pointer).
    pub instance_path: String,
    /// Which schema rule (JSON pointer into the schema).
    pub schema_path: String,
    /// The schema's complaint.
    pub message: String,
}

/// The verdict on one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Valid against `schema`.
    Valid {
        /// The schema file used.
        schema: &'static str,
    },
    /// Invalid against `schema`.
    Invalid {
        /// The schema file used.
        schema: &'static str,
        /// Every violation.
        violations: Vec<Violation>,
    },
    /// A kind of a group the bundle covers, but no schema for it.
    UnknownVersion,
    /// A kind the bundle does not cover (checked for apiVersion, kind and metadata.name only).
    NoSchema,
}

/// The bundled schemas, routed by `apiVersion|kind`, compiled on first use.
pub struct SchemaSet {
    routes: HashMap<String, &'static str>,
    compiled: Mutex<HashMap<&'static str, Arc<jsonschema::Validator>>>,
}

/// The process-wide schema set.
pub fn schemas() -> &'static SchemaSet {
    static SET: OnceLock<SchemaSet> = OnceLock::new();
    SET.get_or_init(SchemaSet::new)
}

impl SchemaSet {
    fn new() -> SchemaSet {
        let mut routes = HashMap::new();
        for dir in [CRD_DIR, K8S_DIR] {
            let index: HashMap<String, Value> = SCHEMAS
                .get_file(format!("{dir}/index.json"))
                .and_then(|f| serde_json::from_slice(f.contents()).ok())
                .unwrap_or_default();
            for (key, entry) in index {
                let Some(rel) = entry.get("path").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(file) = SCHEMAS.get_file(format!("{dir}/{rel}")) {
                    if let Some(p) = file.path().to_str() {
                        routes.insert(key, p);
                    }
                }
            }
        }
        routes.insert("eksctl.io/v1alpha5|ClusterConfig".into(), EKSCTL);
        SchemaSet {
            routes,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// Check one document of the file named `file_name`.
    pub fn check(&self, file_name: &str, doc: &Value) -> Verdict {
        let s = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default();
        let (api_version, kind) = (s("apiVersion"), s("kind"));
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let route = if group == "kustomize.config.k8s.io" && file_name.starts_with("kustomization.")
        {
            Some(KUSTOMIZE)
        } else {
            self.routes.get(&format!("{api_version}|{kind}")).copied()
        };
        let Some(schema) = route else {
            return if KNOWN_GROUPS.contains(&group) {
                Verdict::UnknownVersion
            } else {
                Verdict::NoSchema
            };
        };
        let Some(validator) = self.validator(schema) else {
            return Verdict::NoSchema;
        };
        let violations: Vec<Violation> = validator
            .iter_errors(doc)
            .map(|e| Violation {
                instance_path: match e.instance_path().to_string() {
                    p if p.is_empty() => "/".into(),
                    p => p,
                },
                schema_path: e.schema_path().to_string(),
                message: shorten(&e.to_string()),
            })
            .collect();
        if violations.is_empty() {
            Verdict::Valid { schema }
        } else {
            Verdict::Invalid { schema, violations }
        }
    }

    fn validator(&self, schema: &'static str) -> Option<Arc<jsonschema::Validator>> {
        if let Some(v) = self.compiled.lock().ok()?.get(schema) {
            return Some(v.clone());
        }
        let mut json: Value = serde_json::from_slice(SCHEMAS.get_file(schema)?.contents()).ok()?;
        encode_local_refs(&mut json);
        let draft = match json.get("$schema").and_then(Value::as_str) {
            Some(s) if s.contains("2020-12") => jsonschema::Draft::Draft202012,
            Some(s) if s.contains("draft-04") => jsonschema::Draft::Draft4,
            _ => jsonschema::Draft::Draft7,
        };
        let v = Arc::new(
            jsonschema::options()
                .with_draft(draft)
                .should_validate_formats(false)
                .build(&json)
                .ok()?,
        );
        self.compiled.lock().ok()?.insert(schema, v.clone());
        Some(v)
    }
}

fn shorten(message: &str) -> String {
    match message.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_string(),
    }
}

/// Percent-encode characters of local `$ref`s that a URI fragment cannot hold: eksctl names
/// definitions after Go packages (`#/definitions/github.com|aws|…`), and `|` is not a valid URI
/// character. Fragments are percent-decoded on lookup, so the refs still point at the same place.
fn encode_local_refs(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(r) if key == "$ref" && r.starts_with('#') => {
                        *r = r
                            .chars()
                            .map(|c| {
                                if c.is_ascii_alphanumeric() || "#-._~!$&'()*+,;=:@/?%".contains(c)
                                {
                                    c.to_string()
                                } else {
                                    let mut buf = [0; 4];
                                    c.encode_utf8(&mut buf)
                                        .bytes()
                                        .map(|b| format!("%{b:02X}"))
                                        .collect()
                                }
                            })
                            .collect();
                    }
                    _ => encode_local_refs(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(encode_local_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_validates_and_rejects() {
        let set = schemas();
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}});
        assert!(matches!(set.check("t.yaml", &ns), Verdict::Valid { .. }));
        let bad =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}, "spek": {}});
        assert!(matches!(set.check("t.yaml", &bad), Verdict::Invalid { .. }));
        let cc = json!({"apiVersion": "eksctl.io/v1alpha5", "kind": "ClusterConfig", "metadata": {"name": "c", "region": "us-east-1"}, "vpc": {"cidr": 10}});
        match set.check("cluster.yaml", &cc) {
            Verdict::Invalid { violations, .. } => {
                assert_eq!(violations[0].instance_path, "/vpc/cidr");
            }
            other => panic!("{other:?}"),
        }
        let old = json!({"apiVersion": "karpenter.sh/v1beta1", "kind": "NodePool", "metadata": {"name": "a"}});
        assert_eq!(set.check("n.yaml", &old), Verdict::UnknownVersion);
        // The load balancer subnets by ID: the controller's CRD takes only subnet IDs there.
        let params = |ids: Value| json!({"apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "IngressClassParams", "metadata": {"name": "alb"}, "spec": {"scheme": "internal", "subnets": {"ids": ids}}});
        let good = params(json!(["subnet-0aaa1111bbbb22223"]));
        assert!(matches!(set.check("i.yaml", &good), Verdict::Valid { .. }));
        for bad in [json!(["sg-0aaa1111bbbb22223"]), json!([])] {
            assert!(matches!(
                set.check("i.yaml", &params(bad)),
                Verdict::Invalid { .. }
            ));
        }
        let old = json!({"apiVersion": "elbv2.k8s.aws/v1alpha1", "kind": "IngressClassParams", "metadata": {"name": "a"}});
        assert_eq!(set.check("i.yaml", &old), Verdict::UnknownVersion);
        let own =
            json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "a"}});
        assert_eq!(set.check("n.yaml", &own), Verdict::NoSchema);
    }
}

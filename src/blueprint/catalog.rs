//! The blueprint catalog: built-in blueprints and templates embedded in the binary, with user
//! directories (`--blueprints DIR`, `Fleet.spec.blueprints`) layered over them.
//!
//! A user directory holds blueprints as `**/blueprint.yaml` and templates under `templates/`.
//! A blueprint with the same name and version as an earlier one replaces it; a template with
//! the same path replaces the built-in one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde_json::Value;

use super::{extends, Blueprint, BlueprintSpec, ParamType};
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::fleet::validate::parse_blueprint_ref;
use crate::fleet::wire::{Document, API_VERSION};

static BUILTIN_BLUEPRINTS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/blueprints");
static BUILTIN_TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Blueprints and the templates they render.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Every blueprint version, sorted by name then version.
    pub blueprints: Vec<Blueprint>,
    /// Template path (relative to `templates/`) → template text.
    pub templates: BTreeMap<String, String>,
    /// Where each blueprint came from (`name@version` → file), for messages.
    pub sources: BTreeMap<String, PathBuf>,
}

/// A blueprint file before `extends` is resolved.
struct Raw {
    path: PathBuf,
    name: String,
    version: semver::Version,
    doc: Value,
}

impl Catalog {
    /// The catalog compiled into this binary.
    pub fn builtin() -> Result<Catalog, Diagnostics> {
        Catalog::load(&[])
    }

    /// The built-in catalog with `dirs` layered over it, in order.
    pub fn load(dirs: &[PathBuf]) -> Result<Catalog, Diagnostics> {
        let mut diags = Diagnostics::default();
        let mut raws: Vec<Raw> = Vec::new();
        let mut templates = BTreeMap::new();
        for file in all_files(&BUILTIN_BLUEPRINTS) {
            if file
                .path()
                .file_name()
                .is_some_and(|n| n == "blueprint.yaml")
            {
                let shown = Path::new("blueprints").join(file.path());
                read_raw(
                    &shown,
                    file.contents_utf8().unwrap_or_default(),
                    &mut raws,
                    &mut diags,
                );
            }
        }
        for file in all_files(&BUILTIN_TEMPLATES) {
            let name = file.path().to_string_lossy().replace('\\', "/");
            templates.insert(name, file.contents_utf8().unwrap_or_default().to_string());
        }
        for dir in dirs {
            load_dir(dir, &mut raws, &mut templates, &mut diags);
        }
        let mut catalog = Catalog {
            templates,
            ..Catalog::default()
        };
        for i in 0..raws.len() {
            match resolve_extends(&raws, i, &mut Vec::new()).and_then(|doc| typed(&raws[i], doc)) {
                Ok(bp) => {
                    catalog.sources.insert(bp.id(), raws[i].path.clone());
                    catalog.blueprints.retain(|b| b.id() != bp.id());
                    catalog.blueprints.push(bp);
                }
                Err(d) => diags.push(d),
            }
        }
        catalog
            .blueprints
            .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        for bp in &catalog.blueprints {
            check_blueprint(bp, &catalog, &mut diags);
        }
        if diags.is_empty() {
            Ok(catalog)
        } else {
            Err(diags.sorted())
        }
    }

    /// The highest version of `name` that matches `req` (any version when `req` is `None`).
    /// Abstract blueprints are only parents for `extends` and are never selected.
    pub fn select(
        &self,
        name: &str,
        req: Option<&semver::VersionReq>,
    ) -> Result<&Blueprint, String> {
        let candidates: Vec<&Blueprint> = self.selectable().filter(|b| b.name == name).collect();
        if candidates.is_empty() && self.blueprints.iter().any(|b| b.name == name) {
            return Err(format!(
                "blueprint {name:?} is abstract (only for extends); available: {}",
                self.available()
            ));
        }
        if candidates.is_empty() {
            return Err(format!(
                "no blueprint named {name:?}; available: {}",
                self.available()
            ));
        }
        candidates
            .iter()
            .rev()
            .find(|b| req.is_none_or(|r| r.matches(&b.version)))
            .copied()
            .ok_or_else(|| {
                let versions: Vec<String> =
                    candidates.iter().map(|b| b.version.to_string()).collect();
                format!(
                    "no version of blueprint {name:?} matches {}; available versions: {}",
                    req.map(ToString::to_string).unwrap_or_default(),
                    versions.join(", ")
                )
            })
    }

    /// `aiml@1.0.0, batch@1.0.0, …` (the selectable ones) for error messages.
    pub fn available(&self) -> String {
        let ids: Vec<String> = self.selectable().map(Blueprint::id).collect();
        ids.join(", ")
    }

    /// The blueprints a WorkloadAccount can select: all but the abstract ones.
    pub fn selectable(&self) -> impl Iterator<Item = &Blueprint> {
        self.blueprints.iter().filter(|b| !b.spec.is_abstract)
    }
}

fn all_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut out: Vec<&include_dir::File<'a>> = dir.files().collect();
    for sub in dir.dirs() {
        out.extend(all_files(sub));
    }
    out.sort_by_key(|f| f.path());
    out
}

/// Read a user directory: `**/blueprint.yaml` and `templates/**`.
fn load_dir(
    dir: &Path,
    raws: &mut Vec<Raw>,
    templates: &mut BTreeMap<String, String>,
    diags: &mut Diagnostics,
) {
    if !dir.is_dir() {
        diags.push(Diagnostic::new(
            Location::file(dir),
            "",
            "blueprint directory not found (expected a directory holding **/blueprint.yaml and templates/)",
        ));
        return;
    }
    let template_root = dir.join("templates");
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::new(
                    Location::file(path),
                    "",
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        if let Ok(rel) = path.strip_prefix(&template_root) {
            templates.insert(rel.to_string_lossy().replace('\\', "/"), text);
        } else if entry.file_name() == "blueprint.yaml" {
            read_raw(path, &text, raws, diags);
        }
    }
}

fn read_raw(path: &Path, text: &str, raws: &mut Vec<Raw>, diags: &mut Diagnostics) {
    let err = |field: &str, msg: String| Diagnostic::new(Location::file(path), field, msg);
    let doc: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => return diags.push(err("", format!("invalid blueprint YAML: {e}"))),
    };
    if doc.get("apiVersion").and_then(Value::as_str) != Some(API_VERSION)
        || doc.get("kind").and_then(Value::as_str) != Some("Blueprint")
    {
        return diags.push(err(
            "kind",
            format!("expected `apiVersion: {API_VERSION}` and `kind: Blueprint`"),
        ));
    }
    let name = doc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if crate::fleet::rules::dns_label(&name).is_err() {
        return diags.push(err(
            "metadata.name",
            format!("{name:?} is not a valid blueprint name (a DNS-1123 label)"),
        ));
    }
    let version_text = doc
        .pointer("/spec/version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match semver::Version::parse(version_text) {
        Ok(version) => raws.push(Raw {
            path: path.to_path_buf(),
            name,
            version,
            doc,
        }),
        Err(e) => diags.push(err(
            "spec.version",
            format!("{version_text:?} is not a semantic version such as 1.2.0: {e}"),
        )),
    }
}

/// The document of `raws[i]` with its `extends` chain merged in (see [`extends`]).
fn resolve_extends(raws: &[Raw], i: usize, chain: &mut Vec<String>) -> Result<Value, Diagnostic> {
    let raw = &raws[i];
    let id = format!("{}@{}", raw.name, raw.version);
    let at = |field: &str, msg: String| Diagnostic::new(Location::file(&raw.path), field, msg);
    let err = |msg: String| at("spec.extends", msg);
    if chain.contains(&id) {
        return Err(err(format!(
            "extends forms a cycle: {} -> {id}",
            chain.join(" -> ")
        )));
    }
    let own_spec = raw.doc.get("spec").unwrap_or(&Value::Null);
    let merge_err = |e: extends::MergeError| at(e.field(), format!("{id}: {e}"));
    let Some(parent_ref) = own_spec.get("extends").and_then(Value::as_str) else {
        extends::reject_removals(own_spec).map_err(merge_err)?;
        return Ok(raw.doc.clone());
    };
    let (name, req) = parse_blueprint_ref(parent_ref).map_err(&err)?;
    let parent = raws
        .iter()
        .enumerate()
        .filter(|(j, r)| {
            *j != i && r.name == name && req.as_ref().is_none_or(|q| q.matches(&r.version))
        })
        .max_by(|a, b| a.1.version.cmp(&b.1.version))
        .map(|(j, _)| j)
        .ok_or_else(|| {
            err(format!(
                "extends {parent_ref:?}, but no such blueprint version is in the catalog"
            ))
        })?;
    chain.push(id.clone());
    let parent_doc = resolve_extends(raws, parent, chain)?;
    chain.pop();
    let mut parent_spec = parent_doc.get("spec").cloned().unwrap_or(Value::Null);
    if let Some(o) = parent_spec.as_object_mut() {
        // `abstract` describes the parent only
        o.remove("abstract");
    }
    let mut spec = extends::merge_spec(&parent_spec, own_spec).map_err(merge_err)?;
    if let Some(o) = spec.as_object_mut() {
        o.insert("extends".into(), Value::String(parent_ref.to_string()));
    }
    let mut doc = raw.doc.clone();
    doc["spec"] = spec;
    Ok(doc)
}

fn typed(raw: &Raw, doc: Value) -> Result<Blueprint, Diagnostic> {
    let doc: Document<BlueprintSpec> = serde_path_to_error::deserialize(doc).map_err(|e| {
        Diagnostic::new(
            Location::file(&raw.path),
            e.path().to_string(),
            format!("invalid blueprint: {}", e.inner()),
        )
    })?;
    Ok(Blueprint {
        name: raw.name.clone(),
        version: raw.version.clone(),
        spec: doc.spec,
    })
}

/// A blueprint's internal consistency: templates exist, `when` names boolean parameters,
/// defaults have their parameter's type, keys of the keyed lists are unique.
fn check_blueprint(bp: &Blueprint, catalog: &Catalog, diags: &mut Diagnostics) {
    let path = catalog.sources.get(&bp.id()).cloned().unwrap_or_default();
    let mut err = |field: String, msg: String| {
        diags.push(Diagnostic::new(
            Location::file(&path),
            field,
            format!("{}: {msg}", bp.id()),
        ))
    };
    for (name, p) in &bp.spec.parameters {
        if !p.kind.accepts(&p.default) {
            err(
                format!("spec.parameters.{name}.default"),
                format!("{} is not a {}", p.default, p.kind.name()),
            );
        }
    }
    let is_bool = |p: &str| {
        bp.spec
            .parameters
            .get(p)
            .is_some_and(|x| x.kind == ParamType::Boolean)
    };
    for (i, f) in bp.spec.files.iter().enumerate() {
        if !catalog.templates.contains_key(&f.template) {
            err(
                format!("spec.files[{i}].template"),
                format!("no template {:?} in the catalog", f.template),
            );
        }
        if f.when.as_ref().is_some_and(|w| !is_bool(w)) {
            err(
                format!("spec.files[{i}].when"),
                "must name a boolean parameter of the blueprint".into(),
            );
        }
        let placeholder_ok = f.path.contains("{tenant}") == f.for_each.is_some();
        if !placeholder_ok || !crate::verify::is_safe_path(&f.path.replace("{tenant}", "x")) {
            err(format!("spec.files[{i}].path"), format!("{:?}: expected a relative path inside the repository, with {{tenant}} exactly when forEach: tenants", f.path));
        }
    }
    for (i, a) in bp.spec.addons.iter().enumerate() {
        if a.when.as_ref().is_some_and(|w| !is_bool(w)) {
            err(
                format!("spec.addons[{i}].when"),
                "must name a boolean parameter of the blueprint".into(),
            );
        }
    }
    let s = &bp.spec;
    let keys: [(&str, &str, Vec<&str>); 4] = [
        (
            "eksAddons",
            "name",
            s.eks_addons.iter().map(|a| a.name.as_str()).collect(),
        ),
        (
            "nodePools",
            "name",
            s.node_pools.iter().map(|p| p.name.as_str()).collect(),
        ),
        (
            "addons",
            "name",
            s.addons.iter().map(|a| a.name.as_str()).collect(),
        ),
        (
            "files",
            "path",
            s.files.iter().map(|f| f.path.as_str()).collect(),
        ),
    ];
    for (list, key, values) in keys {
        let mut seen = std::collections::BTreeSet::new();
        for (i, v) in values.into_iter().enumerate() {
            if !seen.insert(v) {
                err(
                    format!("spec.{list}[{i}].{key}"),
                    format!("duplicate {list} {key} {v:?}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads_and_selects() {
        let catalog = Catalog::builtin().expect("built-in catalog is valid");
        let general = catalog.select("general", None).unwrap();
        assert_eq!(general.name, "general");
        let req = semver::VersionReq::parse("^1").unwrap();
        assert!(catalog.select("general", Some(&req)).is_ok());
        let req = semver::VersionReq::parse("^9").unwrap();
        let err = catalog.select("general", Some(&req)).unwrap_err();
        assert!(err.contains("available versions"), "{err}");
        let err = catalog.select("generl", None).unwrap_err();
        assert!(err.contains("general@"), "{err}");
    }

    #[test]
    fn an_abstract_blueprint_is_not_selectable() {
        let catalog = Catalog::builtin().unwrap();
        assert_eq!(
            catalog.select("base", None).unwrap_err(),
            "blueprint \"base\" is abstract (only for extends); available: aiml@1.0.0, batch@1.0.0, general@1.0.0"
        );
        let names: Vec<&str> = catalog.selectable().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["aiml", "batch", "general"]);
    }

    #[test]
    fn the_builtin_blueprints_extend_base() {
        let catalog = Catalog::builtin().unwrap();
        // (blueprint, add-ons in order: karpenter from base first, then the blueprint's own)
        let table: &[(&str, &[&str])] = &[
            (
                "general",
                &[
                    "karpenter",
                    "aws-load-balancer-controller",
                    "metrics-server",
                    "external-dns",
                    "cert-manager",
                ],
            ),
            ("batch", &["karpenter", "metrics-server", "kueue"]),
            (
                "aiml",
                &[
                    "karpenter",
                    "metrics-server",
                    "nvidia-device-plugin",
                    "kueue",
                    "aws-fsx-csi-driver",
                ],
            ),
        ];
        for (name, addons) in table {
            let bp = catalog.select(name, None).unwrap();
            assert_eq!(bp.spec.extends.as_deref(), Some("base@^1"));
            assert!(!bp.spec.is_abstract, "{name}: abstract is not inherited");
            let names: Vec<&str> = bp.spec.addons.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(&names, addons);
            let eks: Vec<&str> = bp.spec.eks_addons.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(
                eks,
                [
                    "vpc-cni",
                    "coredns",
                    "kube-proxy",
                    "eks-pod-identity-agent",
                    "aws-ebs-csi-driver"
                ]
            );
            for p in ["amiAlias", "systemInstanceType", "publicEndpoint"] {
                assert!(bp.spec.parameters.contains_key(p), "{name}: {p}");
            }
            assert!(bp
                .spec
                .files
                .iter()
                .any(|f| f.path == "cluster/cluster.yaml"));
        }
        assert_eq!(
            catalog.select("aiml", None).unwrap().spec.parameters["systemInstanceType"].description,
            "Instance type of the small managed node group that runs Karpenter, Kueue and the GitOps controllers"
        );
    }
}

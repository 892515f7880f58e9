//! The blueprint catalog: built-in blueprints and templates embedded in the binary, with user
//! directories (`--blueprints DIR`, `Fleet.spec.blueprints`) layered over them.
//!
//! A user directory holds blueprints as `**/blueprint.yaml` and templates under `templates/`.
//! A blueprint with the same name and version as an earlier one replaces it; a template with
//! the same path replaces the built-in one. Files an add-on's `identity.policy.file` names are
//! read at load time from the folder of the blueprint.yaml that declares the add-on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde_json::Value;

use super::compatibility::Compatibility;
use super::{extends, identity, Blueprint, BlueprintSpec, ParamType};
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::document::{Document, API_VERSION};
use crate::domain::{BlueprintRef, DnsLabel, Invalid, RepoPath};

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
    /// The Kubernetes versions of EKS and of every pin (`compatibility.yaml`: the built-in
    /// table with each user directory's layered over it).
    pub compatibility: Compatibility,
}

/// Why [`Catalog::select`] finds no blueprint for a reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// Only abstract blueprints have the name.
    #[error("blueprint {name:?} is abstract (only for extends); available: {}", .available.join(", "))]
    Abstract {
        /// The name asked for.
        name: String,
        /// The selectable blueprints, `name@version`.
        available: Vec<String>,
    },
    /// No blueprint has the name.
    #[error("no blueprint named {name:?}; available: {}", .available.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The selectable blueprints, `name@version`.
        available: Vec<String>,
    },
    /// No version of the blueprint matches the requirement.
    #[error("no version of blueprint {name:?} matches {req}; available versions: {}", .versions.join(", "))]
    NoVersion {
        /// The name asked for.
        name: String,
        /// The requirement no version meets.
        req: semver::VersionReq,
        /// The blueprint's selectable versions, oldest first.
        versions: Vec<String>,
    },
}

/// Why [`Catalog::lookup`] finds no blueprint for a reference as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The reference is not `name` or `name@requirement`.
    #[error(transparent)]
    Reference(#[from] Invalid),
    /// The catalog has no blueprint that satisfies it.
    #[error(transparent)]
    Select(#[from] SelectError),
}

/// A blueprint file before `extends` is resolved.
struct Raw {
    /// The file, as shown in messages.
    path: PathBuf,
    /// Where the files beside it are read from.
    folder: Folder,
    name: String,
    version: semver::Version,
    doc: Value,
}

/// Where the files a blueprint.yaml names (policy documents) are read from: beside it.
#[derive(Debug, Clone)]
enum Folder {
    /// A blueprint.yaml of the built-in catalog, its path relative to `blueprints/`.
    Builtin(PathBuf),
    /// A blueprint.yaml on disk.
    Disk(PathBuf),
}

impl Folder {
    /// The text of `rel`, a path already checked to stay inside the folder.
    fn read(&self, rel: &str) -> std::io::Result<String> {
        match self {
            Folder::Builtin(file) => BUILTIN_BLUEPRINTS
                .get_file(file.with_file_name(rel))
                .and_then(include_dir::File::contents_utf8)
                .map(str::to_string)
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such file in the built-in catalog",
                    )
                }),
            Folder::Disk(file) => std::fs::read_to_string(file.with_file_name(rel)),
        }
    }
}

/// Where an add-on entry of a resolved blueprint was written: the blueprint (index into the
/// raws) and its position in that file's `spec.addons`.
#[derive(Debug, Clone, Copy)]
struct Origin {
    raw: usize,
    index: usize,
}

/// A blueprint document with its `extends` chain merged in, and the origin of each add-on (by
/// name), so that policy files are found beside the blueprint that declared them.
struct Resolved {
    doc: Value,
    addons: BTreeMap<String, Origin>,
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
        let mut compatibility = Compatibility::default();
        if let Some(text) = BUILTIN_BLUEPRINTS
            .get_file(COMPATIBILITY)
            .and_then(include_dir::File::contents_utf8)
        {
            read_compatibility(
                &Path::new("blueprints").join(COMPATIBILITY),
                text,
                &mut compatibility,
                &mut diags,
            );
        }
        for file in all_files(&BUILTIN_BLUEPRINTS) {
            if file
                .path()
                .file_name()
                .is_some_and(|n| n == "blueprint.yaml")
            {
                let shown = Path::new("blueprints").join(file.path());
                let Some(text) = file.contents_utf8() else {
                    diags.push(not_utf8(&shown));
                    continue;
                };
                read_raw(
                    &shown,
                    Folder::Builtin(file.path().to_path_buf()),
                    text,
                    &mut raws,
                    &mut diags,
                );
            }
        }
        for file in all_files(&BUILTIN_TEMPLATES) {
            let name = file.path().to_string_lossy().replace('\\', "/");
            match file.contents_utf8() {
                Some(text) => {
                    templates.insert(name, text.to_string());
                }
                None => diags.push(not_utf8(&Path::new("templates").join(file.path()))),
            }
        }
        for dir in dirs {
            load_dir(dir, &mut raws, &mut templates, &mut diags);
            let file = dir.join(COMPATIBILITY);
            if let Ok(text) = std::fs::read_to_string(&file) {
                read_compatibility(&file, &text, &mut compatibility, &mut diags);
            }
        }
        let mut catalog = Catalog {
            templates,
            compatibility,
            ..Catalog::default()
        };
        for i in 0..raws.len() {
            let resolved = resolve_extends(&raws, i, &mut Vec::new())
                .and_then(|r| Ok((typed(&raws[i], r.doc)?, r.addons)));
            match resolved {
                Ok((mut bp, origins)) => {
                    load_policy_files(&mut bp, &raws, &origins, &mut diags);
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

    /// The highest version of the blueprint `reference` names that matches its requirement
    /// (any version without one). Abstract blueprints are only parents for `extends` and are
    /// never selected.
    pub fn select(&self, reference: &BlueprintRef) -> Result<&Blueprint, SelectError> {
        let name = reference.name().as_str();
        let candidates: Vec<&Blueprint> = self.selectable().filter(|b| b.name == name).collect();
        let Some(newest) = candidates.last() else {
            let available = self.selectable().map(Blueprint::id).collect();
            let name = name.to_owned();
            return Err(if self.blueprints.iter().any(|b| b.name == name) {
                SelectError::Abstract { name, available }
            } else {
                SelectError::Unknown { name, available }
            });
        };
        let Some(req) = reference.req() else {
            return Ok(newest);
        };
        candidates
            .iter()
            .rev()
            .find(|b| req.matches(&b.version))
            .copied()
            .ok_or_else(|| SelectError::NoVersion {
                name: name.to_owned(),
                req: req.clone(),
                versions: candidates.iter().map(|b| b.version.to_string()).collect(),
            })
    }

    /// The blueprint `reference` (`name` or `name@requirement`, as accounts write it) selects.
    pub fn lookup(&self, reference: &str) -> Result<&Blueprint, LookupError> {
        Ok(self.select(&BlueprintRef::try_from(reference)?)?)
    }

    /// The blueprints a WorkloadAccount can select: all but the abstract ones.
    pub fn selectable(&self) -> impl Iterator<Item = &Blueprint> {
        self.blueprints.iter().filter(|b| !b.spec.is_abstract)
    }
}

/// A built-in catalog file that is not UTF-8 text (never silently an empty template).
/// The compatibility table's file name, at the root of the catalog and of each user directory.
const COMPATIBILITY: &str = "compatibility.yaml";

/// Parse a `compatibility.yaml` and layer it over `into`.
fn read_compatibility(path: &Path, text: &str, into: &mut Compatibility, diags: &mut Diagnostics) {
    match Compatibility::parse(text) {
        Ok(c) => into.layer(c),
        Err((field, message)) => diags.push(Diagnostic::new(
            Location::file(path),
            &field,
            format!("invalid compatibility table: {message}"),
        )),
    }
}

fn not_utf8(path: &Path) -> Diagnostic {
    Diagnostic::new(Location::file(path), "", "not UTF-8 text")
}

/// `sha256:…` of the catalog compiled into this binary (every built-in blueprint and template,
/// path and content): what a saved plan records of it.
pub fn builtin_digest() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (root, dir) in [
        ("blueprints", &BUILTIN_BLUEPRINTS),
        ("templates", &BUILTIN_TEMPLATES),
    ] {
        for file in all_files(dir) {
            let path = format!("{root}/{}", file.path().to_string_lossy());
            h.update((path.len() as u64).to_le_bytes());
            h.update(path.as_bytes());
            h.update((file.contents().len() as u64).to_le_bytes());
            h.update(file.contents());
        }
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
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
            read_raw(path, Folder::Disk(path.to_path_buf()), &text, raws, diags);
        }
    }
}

fn read_raw(path: &Path, folder: Folder, text: &str, raws: &mut Vec<Raw>, diags: &mut Diagnostics) {
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
    if DnsLabel::try_from(name.as_str()).is_err() {
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
            folder,
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
fn resolve_extends(
    raws: &[Raw],
    i: usize,
    chain: &mut Vec<String>,
) -> Result<Resolved, Diagnostic> {
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
        return Ok(Resolved {
            doc: raw.doc.clone(),
            addons: own_addons(own_spec, i, BTreeMap::new()),
        });
    };
    let wanted = BlueprintRef::try_from(parent_ref).map_err(|e| err(e.to_string()))?;
    let parent = raws
        .iter()
        .enumerate()
        .filter(|(j, r)| {
            *j != i
                && r.name == wanted.name().as_str()
                && wanted.req().is_none_or(|q| q.matches(&r.version))
        })
        .max_by(|a, b| a.1.version.cmp(&b.1.version))
        .map(|(j, _)| j)
        .ok_or_else(|| {
            err(format!(
                "extends {parent_ref:?}, but no such blueprint version is in the catalog"
            ))
        })?;
    chain.push(id.clone());
    let parent = resolve_extends(raws, parent, chain)?;
    chain.pop();
    let mut parent_spec = parent.doc.get("spec").cloned().unwrap_or(Value::Null);
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
    Ok(Resolved {
        doc,
        addons: own_addons(own_spec, i, parent.addons),
    })
}

/// `inherited` add-on origins updated with the add-ons `spec` (of `raws[raw]`) writes itself.
fn own_addons(
    spec: &Value,
    raw: usize,
    mut inherited: BTreeMap<String, Origin>,
) -> BTreeMap<String, Origin> {
    let entries = spec.get("addons").and_then(Value::as_array);
    for (index, entry) in entries.into_iter().flatten().enumerate() {
        let Some(name) = entry.get("name").and_then(Value::as_str) else {
            continue;
        };
        if extends::is_removal(entry) {
            inherited.remove(name);
        } else {
            inherited.insert(name.to_string(), Origin { raw, index });
        }
    }
    inherited
}

/// Read each add-on's `identity.policy.file` or `files` beside the blueprint.yaml that declared
/// the add-on. A problem is reported at that file (once, however many blueprints inherit the
/// add-on).
fn load_policy_files(
    bp: &mut Blueprint,
    raws: &[Raw],
    origins: &BTreeMap<String, Origin>,
    diags: &mut Diagnostics,
) {
    for addon in &mut bp.spec.addons {
        let Some(policy) = addon.identity.as_mut().map(|i| &mut i.policy) else {
            continue;
        };
        let Some(origin) = origins.get(&addon.name) else {
            continue;
        };
        let raw = &raws[origin.raw];
        let named: Vec<(String, String, String)> = match &policy.file {
            Some(file) => vec![(
                file.clone(),
                super::SINGLE_POLICY_NAME.to_string(),
                "file".to_string(),
            )],
            None => policy
                .files
                .iter()
                .enumerate()
                .map(|(j, f)| {
                    (
                        f.clone(),
                        super::policy_name(f).to_string(),
                        format!("files[{j}]"),
                    )
                })
                .collect(),
        };
        let mut documents = Vec::new();
        for (file, name, field) in named {
            match identity::load_document(&file, |rel| raw.folder.read(rel)) {
                Ok(doc) => documents.push((name, doc)),
                Err(e) => diags.push(Diagnostic::new(
                    Location::file(&raw.path),
                    format!("spec.addons[{}].identity.policy.{field}", origin.index),
                    format!("{}@{}: {e}", raw.name, raw.version),
                )),
            }
        }
        policy.documents = documents;
    }
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
/// defaults have their parameter's type, keys of the keyed lists are unique, add-on identities
/// agree with the Helm values and with each other.
fn check_blueprint(bp: &Blueprint, catalog: &Catalog, diags: &mut Diagnostics) {
    let path = catalog.sources.get(&bp.id()).cloned().unwrap_or_default();
    let mut err = |field: String, msg: String| {
        diags.push(Diagnostic::new(
            Location::file(&path),
            field,
            format!("{}: {msg}", bp.id()),
        ));
    };
    for (name, p) in &bp.spec.parameters {
        if !p.kind.accepts(&p.default) {
            err(
                format!("spec.parameters.{name}.default"),
                format!("{} is not a {}", p.default, p.kind.name()),
            );
        }
        for (env, v) in &p.environment_defaults {
            if !p.kind.accepts(v) {
                err(
                    format!("spec.parameters.{name}.environmentDefaults.{env}"),
                    format!("{v} is not a {}", p.kind.name()),
                );
            }
        }
    }
    let is_bool = |p: &str| {
        bp.spec
            .parameters
            .get(p)
            .is_some_and(|x| x.kind == ParamType::Boolean)
    };
    for (name, p) in &bp.spec.parameters {
        if p.required_when.as_ref().is_some_and(|w| !is_bool(w)) {
            err(
                format!("spec.parameters.{name}.requiredWhen"),
                "must name a boolean parameter of the blueprint".into(),
            );
        }
    }
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
        if !placeholder_ok || RepoPath::try_from(f.path.replace("{tenant}", "x")).is_err() {
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
        let values = serde_json::Value::Object(a.values.clone());
        if let Some(at) = super::misplaced_list_placeholder(&values, super::VALUE_LIST_PLACEHOLDERS)
        {
            err(
                format!("spec.addons[{i}].values"),
                format!("{at}: a list placeholder (${{dns.…}}) must be a whole value or an item of a list, not inside a longer string or a key"),
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
    identity::check_identities(&s.addons, &mut err);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::PolicySource;

    #[test]
    fn builtin_catalog_loads_and_selects() {
        let catalog = Catalog::builtin().expect("built-in catalog is valid");
        let general = catalog.lookup("general").unwrap();
        assert_eq!(general.name, "general");
        assert!(catalog.lookup("general@^2").is_ok());
        assert_eq!(
            catalog.lookup("general@^9").unwrap_err().to_string(),
            "no version of blueprint \"general\" matches ^9; available versions: 2.0.0"
        );
        assert_eq!(
            catalog.lookup("generl").unwrap_err().to_string(),
            "no blueprint named \"generl\"; available: aiml@2.0.0, batch@2.0.0, general@2.0.0"
        );
        assert_eq!(
            catalog.lookup("General").unwrap_err().to_string(),
            "blueprint name \"General\": expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit"
        );
    }

    #[test]
    fn an_abstract_blueprint_is_not_selectable() {
        let catalog = Catalog::builtin().unwrap();
        assert_eq!(
            catalog.lookup("base").unwrap_err().to_string(),
            "blueprint \"base\" is abstract (only for extends); available: aiml@2.0.0, batch@2.0.0, general@2.0.0"
        );
        let names: Vec<&str> = catalog.selectable().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["aiml", "batch", "general"]);
    }

    /// (add-on, service account, policy) of a blueprint's add-ons with an identity.
    fn identities(bp: &Blueprint) -> Vec<(String, String, String)> {
        let policy = |p: &crate::blueprint::AddonPolicy| match p.source() {
            Some(PolicySource::WellKnown(w)) => w.key().to_string(),
            Some(PolicySource::Managed(m)) => m.join(","),
            Some(PolicySource::Documents(_)) => match &p.file {
                Some(f) => format!("file {f}"),
                None => format!("files {}", p.files.join(",")),
            },
            None => "none".into(),
        };
        bp.spec
            .addons
            .iter()
            .filter_map(|a| {
                let id = a.identity.as_ref()?;
                Some((
                    a.name.clone(),
                    id.service_account.clone(),
                    policy(&id.policy),
                ))
            })
            .collect()
    }

    /// (add-on, service account, policy).
    type Identity<'a> = (&'a str, &'a str, &'a str);

    #[test]
    fn the_builtin_blueprints_extend_base() {
        let catalog = Catalog::builtin().unwrap();
        let karpenter = (
            "karpenter",
            "karpenter",
            "files policies/karpenter-controller/node-lifecycle.json,policies/karpenter-controller/iam-integration.json,policies/karpenter-controller/eks-integration.json,policies/karpenter-controller/interruption.json,policies/karpenter-controller/zonal-shift.json,policies/karpenter-controller/resource-discovery.json",
        );
        // Every blueprint serves traffic: the controller is base's (issue 12, point 2).
        let lbc = (
            "aws-load-balancer-controller",
            "aws-load-balancer-controller",
            "awsLoadBalancerController",
        );
        // (blueprint, add-ons in order, identities)
        let table: &[(&str, &[&str], &[Identity])] = &[
            (
                "general",
                &[
                    "karpenter",
                    "aws-load-balancer-controller",
                    "metrics-server",
                    "external-dns",
                    "ack-eks-controller",
                    "cert-manager",
                ],
                &[
                    karpenter,
                    lbc,
                    (
                        "external-dns",
                        "external-dns",
                        "file policies/external-dns.json",
                    ),
                    (
                        "ack-eks-controller",
                        "ack-eks-controller",
                        "file policies/ack-eks-controller.json",
                    ),
                    ("cert-manager", "cert-manager", "certManager"),
                ],
            ),
            (
                "batch",
                &[
                    "karpenter",
                    "aws-load-balancer-controller",
                    "metrics-server",
                    "kueue",
                ],
                &[karpenter, lbc],
            ),
            (
                "aiml",
                &[
                    "karpenter",
                    "aws-load-balancer-controller",
                    "metrics-server",
                    "nvidia-device-plugin",
                    "aws-efa-k8s-device-plugin",
                    "kueue",
                    "aws-fsx-csi-driver",
                ],
                &[
                    karpenter,
                    lbc,
                    (
                        "aws-fsx-csi-driver",
                        "fsx-csi-controller-sa",
                        "AmazonFSxFullAccess",
                    ),
                ],
            ),
        ];
        for (name, addons, ids) in table {
            let bp = catalog.lookup(name).unwrap();
            assert_eq!(bp.spec.extends.as_deref(), Some("base@^2"));
            assert!(!bp.spec.is_abstract, "{name}: abstract is not inherited");
            let names: Vec<&str> = bp.spec.addons.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(&names, addons);
            let expected: Vec<(String, String, String)> = ids
                .iter()
                .map(|(a, s, p)| ((*a).into(), (*s).into(), (*p).into()))
                .collect();
            assert_eq!(identities(bp), expected, "{name}");
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
            catalog.lookup("aiml").unwrap().spec.parameters["systemInstanceType"].description,
            "Instance type of the small managed node group that runs Karpenter, Kueue and the GitOps controllers"
        );
    }

    const HEADER: &str = "apiVersion: eksvend.dev/v1alpha1\nkind: Blueprint\n";

    /// A user catalog directory holding `files`, loaded over the built-in catalog.
    fn load_user(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Catalog, Diagnostics>) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let catalog = Catalog::load(&[dir.path().to_path_buf()]);
        (dir, catalog)
    }

    #[test]
    fn a_user_blueprint_merges_by_key_and_finds_policy_files_where_they_were_declared() {
        let data = format!(
            "{HEADER}metadata: {{name: data}}
spec:
  version: 1.0.0
  description: data
  extends: general@^2
  addons:
    - {{name: cert-manager, remove: true}}
    - name: s3-sync
      repoUrl: https://example.com/charts
      chart: s3-sync
      version: 1.0.0
      namespace: data
      identity: {{serviceAccount: s3-sync, policy: {{file: iam/s3.json}}}}
      values: {{serviceAccount: {{name: s3-sync}}}}
    - name: metrics-server
      repoUrl: https://kubernetes-sigs.github.io/metrics-server/
      chart: metrics-server
      version: 3.13.0
      namespace: kube-system
  files:
    - {{path: bootstrap/flux/root.yaml, remove: true}}
"
        );
        let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:${partition}:s3:::data-${account.id}/*"}]}"#;
        let (_dir, catalog) = load_user(&[
            ("blueprints/data/blueprint.yaml", &data),
            ("blueprints/data/iam/s3.json", policy),
        ]);
        let catalog = catalog.unwrap();
        let bp = catalog.lookup("data").unwrap();
        let names: Vec<(&str, &str)> = bp
            .spec
            .addons
            .iter()
            .map(|a| (a.name.as_str(), a.version.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("karpenter", "1.15.0"),
                ("aws-load-balancer-controller", "1.16.0"),
                ("metrics-server", "3.13.0"),
                ("external-dns", "1.20.0"),
                ("ack-eks-controller", "1.20.0"),
                ("s3-sync", "1.0.0")
            ]
        );
        assert!(!bp
            .spec
            .files
            .iter()
            .any(|f| f.path == "bootstrap/flux/root.yaml"));
        assert_eq!(
            bp.spec.files.len(),
            catalog.lookup("general").unwrap().spec.files.len() - 1
        );
        let docs: Vec<Option<&Value>> = bp
            .spec
            .addons
            .iter()
            .map(|a| {
                a.identity
                    .as_ref()
                    .and_then(|i| i.policy.documents.first().map(|(_, d)| d))
            })
            .collect();
        assert!(
            docs[0].is_some(),
            "karpenter's file is read from the built-in base folder"
        );
        assert_eq!(
            docs[5],
            Some(&serde_json::from_str::<Value>(policy).unwrap())
        );
        assert_eq!(
            identities(bp)[4],
            (
                "s3-sync".into(),
                "s3-sync".into(),
                "file iam/s3.json".into()
            )
        );
    }

    #[test]
    fn bad_merges_and_identities_name_the_file_and_field() {
        let bp = |name: &str, extends: &str, rest: &str| {
            format!("{HEADER}metadata: {{name: {name}}}\nspec:\n  version: 1.0.0\n  description: x\n{extends}{rest}")
        };
        let on_general = "  extends: general@^2\n";
        let addon = |name: &str, identity: &str, sa: &str| {
            format!("    - {{name: {name}, repoUrl: https://x.example, chart: {name}, version: 1.0.0, namespace: kube-system, identity: {identity}, values: {{serviceAccount: {{name: {sa}}}}}}}\n")
        };
        let file = |f: &str| format!("{{serviceAccount: a, policy: {{file: {f}}}}}");
        let files = [
            ("blueprints/orphan-remove/blueprint.yaml", bp("orphan-remove", "", "  addons:\n    - {name: karpenter, remove: true}\n  files: []\n")),
            ("blueprints/remove-unknown/blueprint.yaml", bp("remove-unknown", on_general, "  files:\n    - {template: repo/README.md, path: OWNERS}\n    - {path: nope.yaml, remove: true}\n")),
            ("blueprints/missing/blueprint.yaml", bp("missing", on_general, &format!("  addons:\n{}", addon("a", &file("policies/none.json"), "a")))),
            ("blueprints/unsafe/blueprint.yaml", bp("unsafe", on_general, &format!("  addons:\n{}", addon("a", &file("../missing/p.json"), "a")))),
            ("blueprints/not-json/blueprint.yaml", bp("not-json", on_general, &format!("  addons:\n{}", addon("a", &file("p.json"), "a")))),
            ("blueprints/not-json/p.json", "{\"Version\": ".into()),
            ("blueprints/split/blueprint.yaml", bp("split", on_general, &format!("  addons:\n{}", addon("a", "{serviceAccount: a, policy: {files: [p/one.json, p/two.json]}}", "a")))),
            ("blueprints/split/p/one.json", "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:ListBucket\", \"Resource\": \"*\"}]}".into()),
            ("blueprints/mismatch/blueprint.yaml", bp("mismatch", on_general, &format!("  addons:\n{}", addon("a", "{serviceAccount: b, policy: {managed: [AmazonS3ReadOnlyAccess]}}", "a")))),
            ("blueprints/twice/blueprint.yaml", bp("twice", on_general, &format!("  addons:\n{}", addon("a", "{serviceAccount: karpenter, policy: {wellKnown: autoScaler}}", "karpenter")))),
            // a child that replaces karpenter and names a file brings its own
            ("blueprints/own-karpenter/blueprint.yaml", bp("own-karpenter", on_general, &format!("  addons:\n{}", addon("karpenter", "{serviceAccount: karpenter, policy: {file: policies/karpenter-controller.json}}", "karpenter")))),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let (dir, catalog) = load_user(&files);
        let errors: Vec<String> = catalog
            .unwrap_err()
            .0
            .iter()
            .map(|d| {
                d.to_string()
                    .replace(&format!("{}/", dir.path().display()), "")
            })
            .collect();
        for expected in [
            "blueprints/orphan-remove/blueprint.yaml: spec.addons[0].remove: orphan-remove@1.0.0: `remove: true` drops an inherited entry, but this blueprint has no `extends`",
            "blueprints/remove-unknown/blueprint.yaml: spec.files[1].remove: remove-unknown@1.0.0: removes \"nope.yaml\", but the parent has no files entry \"nope.yaml\"",
            "blueprints/missing/blueprint.yaml: spec.addons[0].identity.policy.file: missing@1.0.0: \"policies/none.json\": cannot read it beside the blueprint.yaml that declares the add-on: No such file or directory",
            "blueprints/unsafe/blueprint.yaml: spec.addons[0].identity.policy.file: unsafe@1.0.0: \"../missing/p.json\": expected a relative path inside the blueprint's folder",
            "blueprints/not-json/blueprint.yaml: spec.addons[0].identity.policy.file: not-json@1.0.0: \"p.json\": not JSON: EOF while parsing",
            "blueprints/split/blueprint.yaml: spec.addons[0].identity.policy.files[1]: split@1.0.0: \"p/two.json\": cannot read it beside the blueprint.yaml that declares the add-on: No such file or directory",
            "blueprints/mismatch/blueprint.yaml: spec.addons[6].identity.serviceAccount: mismatch@1.0.0: \"b\" is not the service account the Helm values name (values.serviceAccount.name: \"a\")",
            "blueprints/twice/blueprint.yaml: spec.addons[6].identity.serviceAccount: twice@1.0.0: kube-system/karpenter is already the identity of add-on \"karpenter\" (spec.addons[0])",
            "blueprints/own-karpenter/blueprint.yaml: spec.addons[0].identity.policy.file: own-karpenter@1.0.0: \"policies/karpenter-controller.json\": cannot read it",
        ] {
            assert!(errors.iter().any(|e| e.starts_with(expected)), "missing {expected:?} in\n{}", errors.join("\n"));
        }
        assert_eq!(errors.len(), 9, "{}", errors.join("\n"));
    }
}

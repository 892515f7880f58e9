//! The blueprint catalog: built-in blueprints and templates embedded in the binary.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{include_dir, Dir};

use super::{Blueprint, BlueprintSpec};
use crate::diag::{Diagnostic, Diagnostics, Location};
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
}

impl Catalog {
    /// The catalog compiled into this binary.
    pub fn builtin() -> Result<Catalog, Diagnostics> {
        let mut catalog = Catalog::default();
        let mut diags = Diagnostics::default();
        for file in all_files(&BUILTIN_BLUEPRINTS) {
            if file
                .path()
                .file_name()
                .is_some_and(|n| n == "blueprint.yaml")
            {
                let text = file.contents_utf8().unwrap_or_default();
                let shown = Path::new("blueprints").join(file.path());
                match parse_blueprint(&shown, text) {
                    Ok(bp) => catalog.blueprints.push(bp),
                    Err(d) => diags.push(d),
                }
            }
        }
        for file in all_files(&BUILTIN_TEMPLATES) {
            let name = file.path().to_string_lossy().replace('\\', "/");
            let text = file.contents_utf8().unwrap_or_default().to_string();
            catalog.templates.insert(name, text);
        }
        catalog
            .blueprints
            .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        if diags.is_empty() {
            Ok(catalog)
        } else {
            Err(diags)
        }
    }

    /// The highest version of `name` that matches `req` (any version when `req` is `None`).
    pub fn select(
        &self,
        name: &str,
        req: Option<&semver::VersionReq>,
    ) -> Result<&Blueprint, String> {
        let candidates: Vec<&Blueprint> =
            self.blueprints.iter().filter(|b| b.name == name).collect();
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

    /// `general@1.0.0, batch@1.0.0, …` for error messages.
    pub fn available(&self) -> String {
        let ids: Vec<String> = self.blueprints.iter().map(Blueprint::id).collect();
        ids.join(", ")
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

/// Parse a `blueprint.yaml`.
pub fn parse_blueprint(path: &Path, text: &str) -> Result<Blueprint, Diagnostic> {
    let doc: Document<BlueprintSpec> = serde_yaml::from_str(text).map_err(|e| {
        Diagnostic::new(Location::file(path), "", format!("invalid blueprint: {e}"))
    })?;
    if doc.api_version != API_VERSION || doc.kind != "Blueprint" {
        return Err(Diagnostic::new(
            Location::file(path),
            "kind",
            format!("expected `apiVersion: {API_VERSION}` and `kind: Blueprint`"),
        ));
    }
    let version = semver::Version::parse(&doc.spec.version).map_err(|e| {
        Diagnostic::new(
            Location::file(path),
            "spec.version",
            format!("{:?} is not a semantic version: {e}", doc.spec.version),
        )
    })?;
    Ok(Blueprint {
        name: doc.metadata.name,
        version,
        spec: doc.spec,
    })
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
        for bp in &catalog.blueprints {
            for f in &bp.spec.files {
                assert!(
                    catalog.templates.contains_key(&f.template),
                    "{}",
                    f.template
                );
            }
        }
    }
}

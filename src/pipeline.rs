//! The stages composed: inventory path → validated, resolved, rendered and verified trees.
//!
//! Nothing here writes; `render` and `apply` commands decide where the trees go.

use std::path::Path;

use rayon::prelude::*;

use crate::blueprint::catalog::Catalog;
use crate::check;
use crate::fleet::{self, Inventory};
use crate::iam::{self, Documents};
use crate::render::{self, RenderError, RenderedTree};
use crate::resolve::{self, ClusterSpec};
use crate::state;
use crate::verify::{self, VerifyError};

pub use crate::error::PipelineError;

/// One account, resolved and rendered (with its state file).
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The resolved model.
    pub spec: ClusterSpec,
    /// The rendered files.
    pub tree: RenderedTree,
}

/// The catalog for an inventory: built-in blueprints, then `dirs` (from the command line), then
/// the Fleet's `spec.blueprints` (relative to the Fleet file).
pub fn catalog_of(inv: &Inventory, dirs: &[std::path::PathBuf]) -> Result<Catalog, PipelineError> {
    Catalog::load(&catalog_dirs(inv, dirs)).map_err(PipelineError::Invalid)
}

/// The user catalog directories of an inventory, in layering order: `dirs` (from the command
/// line), then the Fleet's `spec.blueprints` (relative to the Fleet file).
pub fn catalog_dirs(inv: &Inventory, dirs: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    let mut all: Vec<std::path::PathBuf> = dirs.to_vec();
    if let Some(f) = inv.fleets.first() {
        let base = f.location.file.parent().unwrap_or(Path::new("."));
        all.extend(f.doc.spec.blueprints.iter().map(|d| base.join(d)));
    }
    all
}

/// [`catalog_of`] the inventory at `path`.
pub fn catalog_for(path: &Path, dirs: &[std::path::PathBuf]) -> Result<Catalog, PipelineError> {
    let inv = fleet::load::load(path).map_err(PipelineError::Invalid)?;
    catalog_of(&inv, dirs)
}

/// Load the inventory at `path` once, build its catalog, and validate it against the catalog.
pub fn prepare(
    path: &Path,
    dirs: &[std::path::PathBuf],
) -> Result<(Inventory, Catalog), PipelineError> {
    let inv = fleet::load::load(path).map_err(PipelineError::Invalid)?;
    let catalog = catalog_of(&inv, dirs)?;
    fleet::validate::validate(&inv, &catalog, path).map_err(PipelineError::Invalid)?;
    Ok((inv, catalog))
}

/// Load and validate the inventory at `path`.
pub fn load_valid(path: &Path, catalog: &Catalog) -> Result<Inventory, PipelineError> {
    let inv = fleet::load::load(path).map_err(PipelineError::Invalid)?;
    fleet::validate::validate(&inv, catalog, path).map_err(PipelineError::Invalid)?;
    Ok(inv)
}

/// Every stage up to verify, for the accounts `select` keeps.
pub fn render_fleet(
    path: &Path,
    catalog: &Catalog,
    select: impl Fn(&ClusterSpec) -> bool,
) -> Result<Vec<Rendered>, PipelineError> {
    let inv = load_valid(path, catalog)?;
    render_inventory(&inv, catalog, select)
}

/// Convert a validated inventory into the typed fleet model, resolve it once, build each
/// account's IAM documents once, and check them: the accounts ready to render.
pub fn resolve_and_check(
    inv: &Inventory,
    catalog: &Catalog,
) -> Result<Vec<(ClusterSpec, Documents)>, PipelineError> {
    let model = fleet::model::convert(inv).map_err(PipelineError::Invalid)?;
    let specs = resolve::resolve(&model, catalog)
        .map_err(|unresolved| PipelineError::Invalid(unresolved.locate(inv)))?;
    let accounts: Vec<(ClusterSpec, Documents)> = specs
        .into_par_iter()
        .map(|spec| {
            let docs = iam::build(&spec);
            (spec, docs)
        })
        .collect();
    check::check(inv, &accounts).map_err(PipelineError::Invalid)?;
    Ok(accounts)
}

/// Resolve, check, render and verify a validated inventory, for the accounts `select` keeps.
pub fn render_inventory(
    inv: &Inventory,
    catalog: &Catalog,
    select: impl Fn(&ClusterSpec) -> bool,
) -> Result<Vec<Rendered>, PipelineError> {
    let accounts: Vec<(ClusterSpec, Documents)> = resolve_and_check(inv, catalog)?
        .into_iter()
        .filter(|(s, _)| select(s))
        .collect();
    let tera = render::engine(catalog).map_err(|e| PipelineError::Render(vec![e]))?;
    let results: Vec<Result<Rendered, RenderError>> = accounts
        .into_par_iter()
        .map(|(spec, docs)| {
            let mut tree = render::render(&tera, &spec, &docs)?;
            state::attach(&mut tree, &spec);
            Ok(Rendered { spec, tree })
        })
        .collect();
    let mut rendered = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(r) => rendered.push(r),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(PipelineError::Render(errors));
    }
    let problems: Vec<VerifyError> = rendered
        .iter()
        .flat_map(|r| verify::verify(&r.tree))
        .collect();
    if !problems.is_empty() {
        return Err(PipelineError::Verify(problems));
    }
    Ok(rendered)
}

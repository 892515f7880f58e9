//! The stages composed: inventory path → validated, resolved, rendered and verified trees.
//!
//! Nothing here writes; `render` and `apply` commands decide where the trees go.

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::blueprint::catalog::Catalog;
use crate::check;
use crate::fleet::{self, Inventory};
use crate::iam;
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

/// Convert a validated inventory into the typed fleet model, resolve it once, and check each
/// account with its policy documents ([`iam::policies`]): the accounts ready to render. The
/// documents of one account at a time are held (in parallel, one per worker), never the
/// fleet's, and none is kept: an account that renders builds its IAM files in full then.
pub fn resolve_and_check(
    inv: &Inventory,
    catalog: &Catalog,
) -> Result<Vec<ClusterSpec>, PipelineError> {
    let model = fleet::model::convert(inv).map_err(PipelineError::Invalid)?;
    let specs = resolve::resolve(&model, catalog)
        .map_err(|unresolved| PipelineError::Invalid(unresolved.locate(inv)))?;
    drop(model);
    let fleet = check::Fleet::of(&specs);
    let found: Vec<crate::diag::Diagnostics> = specs
        .par_iter()
        .map(|spec| check::check_account(inv, &fleet, spec, &iam::policies(spec)))
        .collect();
    let mut diags = crate::diag::Diagnostics::default();
    for f in found {
        diags.0.extend(f.0);
    }
    if diags.is_empty() {
        Ok(specs)
    } else {
        Err(PipelineError::Invalid(diags.sorted()))
    }
}

/// Resolve, check, render and verify a validated inventory, for the accounts `select` keeps.
pub fn render_inventory(
    inv: &Inventory,
    catalog: &Catalog,
    select: impl Fn(&ClusterSpec) -> bool,
) -> Result<Vec<Rendered>, PipelineError> {
    prepare_accounts(inv, catalog, select)?.render_all()
}

/// Resolve and check a validated inventory and keep the accounts `select` keeps, ready to be
/// rendered one at a time ([`Prepared::render`]) or all at once ([`Prepared::render_all`]).
pub fn prepare_accounts(
    inv: &Inventory,
    catalog: &Catalog,
    select: impl Fn(&ClusterSpec) -> bool,
) -> Result<Prepared, PipelineError> {
    let accounts: Vec<ClusterSpec> = resolve_and_check(inv, catalog)?
        .into_iter()
        .filter(|s| select(s))
        .collect();
    let tera = render::engine(catalog).map_err(|e| PipelineError::Render(vec![e]))?;
    Ok(Prepared {
        accounts,
        tera,
        catalog_digest: catalog_digest(catalog),
    })
}

/// The selected accounts of a fleet, resolved and checked, with the template engine.
pub struct Prepared {
    /// Each selected account, resolved and checked, in inventory order.
    pub accounts: Vec<ClusterSpec>,
    tera: tera::Tera,
    catalog_digest: String,
}

impl Prepared {
    /// `sha256:…` of everything that determines the account's rendering: this eksvend's
    /// version, the catalog's blueprints and templates, and the resolved account (its
    /// inventory documents, blueprint parameters and the grants other accounts give it). The
    /// IAM documents are built from the resolved account, so they are covered. Equal digests,
    /// equal renderings: apply reports an account whose recorded digest matches unchanged
    /// without rendering it.
    pub fn digest(&self, spec: &ClusterSpec) -> String {
        self.digest_as(env!("CARGO_PKG_VERSION"), spec)
    }

    /// [`Prepared::digest`] as eksvend `version` would compute it.
    fn digest_as(&self, version: &str, spec: &ClusterSpec) -> String {
        let mut h = Sha256::new();
        h.update(format!("eksvend {version}\0"));
        h.update(self.catalog_digest.as_bytes());
        h.update([0u8]);
        // the resolved model holds only vectors, ordered maps and values: its Debug text is
        // deterministic, and everything a template or an IAM builder can read is in it; it is
        // hashed as it is written, never held as one string
        let _ = write!(Hashing(&mut h), "{spec:?}");
        hex_digest(h)
    }

    /// Render and verify one account.
    pub fn render(&self, spec: &ClusterSpec) -> Result<Rendered, PipelineError> {
        let tree = render_tree(&self.tera, spec)?;
        Ok(Rendered {
            spec: spec.clone(),
            tree,
        })
    }

    /// Render one account again that [`Prepared::render`] already rendered and verified in
    /// this run (apply's second pass, for a tree it did not keep): rendering is deterministic,
    /// so the tree is the one verified and is not verified twice.
    pub fn render_again(&self, spec: &ClusterSpec) -> Result<Rendered, PipelineError> {
        Ok(Rendered {
            spec: spec.clone(),
            tree: unverified_tree(&self.tera, spec)?,
        })
    }

    /// Render and verify every account, in parallel, dropping each tree once verified (memory
    /// stays bounded); every render and verify error at once.
    pub fn verify_all(&self) -> Result<(), PipelineError> {
        let results: Vec<Result<(), PipelineError>> = self
            .accounts
            .par_iter()
            .map(|spec| render_tree(&self.tera, spec).map(drop))
            .collect();
        gather(results).map(drop)
    }

    /// Render and verify every account, in parallel; every render and verify error at once.
    pub fn render_all(self) -> Result<Vec<Rendered>, PipelineError> {
        let tera = &self.tera;
        let results: Vec<Result<Rendered, PipelineError>> = self
            .accounts
            .into_par_iter()
            .map(|spec| {
                // the account moves into its result: no second copy of the resolved model
                render_tree(tera, &spec).map(|tree| Rendered { spec, tree })
            })
            .collect();
        gather(results)
    }
}

/// The results of every account, or every render error (else every verify error) at once.
fn gather<T>(results: Vec<Result<T, PipelineError>>) -> Result<Vec<T>, PipelineError> {
    let mut ok = Vec::new();
    let mut render_errors: Vec<RenderError> = Vec::new();
    let mut problems: Vec<VerifyError> = Vec::new();
    for r in results {
        match r {
            Ok(r) => ok.push(r),
            Err(PipelineError::Render(e)) => render_errors.extend(e),
            Err(PipelineError::Verify(e)) => problems.extend(e),
            Err(other) => return Err(other),
        }
    }
    if !render_errors.is_empty() {
        return Err(PipelineError::Render(render_errors));
    }
    if !problems.is_empty() {
        return Err(PipelineError::Verify(problems));
    }
    Ok(ok)
}

/// [`unverified_tree`], verified.
fn render_tree(tera: &tera::Tera, spec: &ClusterSpec) -> Result<RenderedTree, PipelineError> {
    let tree = unverified_tree(tera, spec)?;
    let problems = verify::verify(&tree);
    if problems.is_empty() {
        Ok(tree)
    } else {
        Err(PipelineError::Verify(problems))
    }
}

/// Build the account's IAM files, render it and attach its state file.
fn unverified_tree(tera: &tera::Tera, spec: &ClusterSpec) -> Result<RenderedTree, PipelineError> {
    let docs = iam::build(spec);
    let mut tree = render::render(tera, spec, &docs).map_err(|e| PipelineError::Render(vec![e]))?;
    state::attach(&mut tree, spec);
    Ok(tree)
}

/// `sha256:…` of a catalog's blueprints (as resolved, policy documents included) and its
/// templates, by name.
fn catalog_digest(catalog: &Catalog) -> String {
    let mut h = Sha256::new();
    h.update(format!("{:?}", catalog.blueprints).as_bytes());
    for (name, text) in &catalog.templates {
        h.update([0u8]);
        h.update(name.as_bytes());
        h.update([0u8]);
        h.update(text.as_bytes());
    }
    hex_digest(h)
}

/// Text written into a hash as it is formatted.
struct Hashing<'h>(&'h mut Sha256);

impl std::fmt::Write for Hashing<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

fn hex_digest(h: Sha256) -> String {
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_of_a_blueprint_share_its_add_ons_and_the_check_sees_the_policies_that_render() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
        let (inv, catalog) = prepare(&dir, &[]).unwrap();
        let prepared = prepare_accounts(&inv, &catalog, |_| true).unwrap();
        let specs: Vec<&ClusterSpec> = prepared.accounts.iter().collect();
        let (a, b) = specs
            .iter()
            .enumerate()
            .find_map(|(i, a)| {
                let b = specs[i + 1..]
                    .iter()
                    .find(|b| b.blueprint.id == a.blueprint.id)?;
                Some((*a, *b))
            })
            .expect("two accounts of one blueprint in the example fleet");
        let first = |s: &ClusterSpec| std::sync::Arc::clone(&s.blueprint.addons[0].addon);
        assert!(
            std::sync::Arc::ptr_eq(&first(a), &first(b)),
            "one copy of the blueprint's add-on for both accounts"
        );
        // the check stage measures exactly the policy documents the account renders
        for spec in &prepared.accounts {
            let of = |docs: &[iam::Doc]| -> Vec<(String, String)> {
                docs.iter()
                    .map(|d| (d.path.clone(), d.value.to_string()))
                    .collect()
            };
            let checked = of(&iam::policies(spec));
            assert!(!checked.is_empty());
            assert_eq!(
                checked,
                of(&iam::build(spec).policies),
                "{}",
                spec.account.name
            );
        }
    }

    #[test]
    fn the_render_digest_changes_with_the_eksvend_version_and_nothing_else_varies_it() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
        let (inv, catalog) = prepare(&dir, &[]).unwrap();
        let prepared = prepare_accounts(&inv, &catalog, |_| true).unwrap();
        let again = prepare_accounts(&inv, &catalog, |_| true).unwrap();
        let spec = &prepared.accounts[0];
        assert_eq!(prepared.digest(spec), again.digest(&again.accounts[0]));
        assert_ne!(
            prepared.digest_as("0.1.0", spec),
            prepared.digest_as("0.1.1", spec)
        );
        let digests: std::collections::BTreeSet<String> = prepared
            .accounts
            .iter()
            .map(|s| prepared.digest(s))
            .collect();
        assert_eq!(
            digests.len(),
            prepared.accounts.len(),
            "one digest per account"
        );
    }
}

//! The stages composed: inventory path → validated, resolved, rendered and verified trees.
//!
//! Nothing here writes; `render` and `apply` commands decide where the trees go.

use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

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
/// account's IAM documents once, and check them: the accounts ready to render. Each account's
/// documents are checked as soon as they are built and then kept as file text only
/// ([`Documents::into_text`]), so the fleet's JSON values are never held at once.
pub fn resolve_and_check(
    inv: &Inventory,
    catalog: &Catalog,
) -> Result<Vec<(ClusterSpec, Documents)>, PipelineError> {
    let model = fleet::model::convert(inv).map_err(PipelineError::Invalid)?;
    let specs = resolve::resolve(&model, catalog)
        .map_err(|unresolved| PipelineError::Invalid(unresolved.locate(inv)))?;
    drop(model);
    let fleet = check::Fleet::of(&specs);
    let kept = std::sync::atomic::AtomicUsize::new(0);
    let checked: Vec<(ClusterSpec, Documents, crate::diag::Diagnostics)> = specs
        .into_par_iter()
        .map(|spec| {
            let docs = iam::build(&spec);
            let diags = check::check_account(inv, &fleet, &spec, &docs);
            let docs = docs.into_text();
            let bytes = docs.text_len();
            let total = kept.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
            // beyond the bound, the account's documents are built again when it renders
            let docs = if total + bytes <= KEEP_DOCUMENTS_BYTES {
                docs
            } else {
                Documents::default()
            };
            (spec, docs, diags)
        })
        .collect();
    let mut diags = crate::diag::Diagnostics::default();
    let mut accounts = Vec::with_capacity(checked.len());
    for (spec, docs, found) in checked {
        diags.0.extend(found.0);
        accounts.push((spec, docs));
    }
    if diags.is_empty() {
        Ok(accounts)
    } else {
        Err(PipelineError::Invalid(diags.sorted()))
    }
}

/// IAM file text [`resolve_and_check`] keeps for rendering, in bytes: the documents of an
/// account beyond it are dropped once checked and built again if the account renders (a no-op
/// apply renders none), so memory stays bounded however large the fleet.
const KEEP_DOCUMENTS_BYTES: usize = 16 << 20;

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
    let accounts: Vec<(ClusterSpec, Documents)> = resolve_and_check(inv, catalog)?
        .into_iter()
        .filter(|(s, _)| select(s))
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
    /// Each selected account and its IAM documents, in inventory order.
    pub accounts: Vec<(ClusterSpec, Documents)>,
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
        // deterministic, and everything a template or an IAM builder can read is in it
        h.update(format!("{spec:?}").as_bytes());
        hex_digest(h)
    }

    /// Render and verify one account.
    pub fn render(&self, spec: &ClusterSpec, docs: &Documents) -> Result<Rendered, PipelineError> {
        let tree = self.render_tree(spec, docs)?;
        Ok(Rendered {
            spec: spec.clone(),
            tree,
        })
    }

    /// Render one account again that [`Prepared::render`] already rendered and verified in
    /// this run (apply's second pass, for a tree it did not keep): rendering is deterministic,
    /// so the tree is the one verified and is not verified twice.
    pub fn render_again(
        &self,
        spec: &ClusterSpec,
        docs: &Documents,
    ) -> Result<Rendered, PipelineError> {
        let docs = rebuilt_if_dropped(spec, docs);
        let mut tree =
            render::render(&self.tera, spec, &docs).map_err(|e| PipelineError::Render(vec![e]))?;
        state::attach(&mut tree, spec);
        Ok(Rendered {
            spec: spec.clone(),
            tree,
        })
    }

    fn render_tree(
        &self,
        spec: &ClusterSpec,
        docs: &Documents,
    ) -> Result<RenderedTree, PipelineError> {
        render_tree(&self.tera, spec, docs)
    }

    /// Render and verify every account, in parallel, dropping each tree once verified (memory
    /// stays bounded); every render and verify error at once.
    pub fn verify_all(&self) -> Result<(), PipelineError> {
        let results: Vec<Result<(), PipelineError>> = self
            .accounts
            .par_iter()
            .map(|(spec, docs)| self.render_tree(spec, docs).map(drop))
            .collect();
        gather(results).map(drop)
    }

    /// Render and verify every account, in parallel; every render and verify error at once.
    pub fn render_all(self) -> Result<Vec<Rendered>, PipelineError> {
        let tera = &self.tera;
        let results: Vec<Result<Rendered, PipelineError>> = self
            .accounts
            .into_par_iter()
            .map(|(spec, docs)| {
                // the account moves into its result: no second copy of the resolved model
                render_tree(tera, &spec, &docs).map(|tree| Rendered { spec, tree })
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

/// Render one account, attach its state file and verify the tree.
fn render_tree(
    tera: &tera::Tera,
    spec: &ClusterSpec,
    docs: &Documents,
) -> Result<RenderedTree, PipelineError> {
    let docs = rebuilt_if_dropped(spec, docs);
    let mut tree = render::render(tera, spec, &docs).map_err(|e| PipelineError::Render(vec![e]))?;
    state::attach(&mut tree, spec);
    let problems = verify::verify(&tree);
    if problems.is_empty() {
        Ok(tree)
    } else {
        Err(PipelineError::Verify(problems))
    }
}

/// The account's documents: `docs`, or built again when they were not kept past the check
/// stage ([`KEEP_DOCUMENTS_BYTES`]).
fn rebuilt_if_dropped<'d>(
    spec: &ClusterSpec,
    docs: &'d Documents,
) -> std::borrow::Cow<'d, Documents> {
    if docs.is_empty() {
        std::borrow::Cow::Owned(iam::build(spec))
    } else {
        std::borrow::Cow::Borrowed(docs)
    }
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

fn hex_digest(h: Sha256) -> String {
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_of_a_blueprint_share_its_add_ons_and_dropped_documents_render_the_same() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
        let (inv, catalog) = prepare(&dir, &[]).unwrap();
        let prepared = prepare_accounts(&inv, &catalog, |_| true).unwrap();
        let specs: Vec<&ClusterSpec> = prepared.accounts.iter().map(|(s, _)| s).collect();
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
        // documents not kept past the check stage are built again: the same tree
        let (spec, docs) = &prepared.accounts[0];
        assert!(!docs.is_empty());
        let kept = prepared.render(spec, docs).unwrap().tree;
        let again = prepared.render(spec, &Documents::default()).unwrap().tree;
        assert_eq!(kept, again);
    }

    #[test]
    fn the_render_digest_changes_with_the_eksvend_version_and_nothing_else_varies_it() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
        let (inv, catalog) = prepare(&dir, &[]).unwrap();
        let prepared = prepare_accounts(&inv, &catalog, |_| true).unwrap();
        let again = prepare_accounts(&inv, &catalog, |_| true).unwrap();
        let (spec, _) = &prepared.accounts[0];
        assert_eq!(prepared.digest(spec), again.digest(&again.accounts[0].0));
        assert_ne!(
            prepared.digest_as("0.1.0", spec),
            prepared.digest_as("0.1.1", spec)
        );
        let digests: std::collections::BTreeSet<String> = prepared
            .accounts
            .iter()
            .map(|(s, _)| prepared.digest(s))
            .collect();
        assert_eq!(
            digests.len(),
            prepared.accounts.len(),
            "one digest per account"
        );
    }
}

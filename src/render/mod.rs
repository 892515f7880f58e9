//! Render stage: a [`ClusterSpec`] → the files of its repository.
//!
//! Manifests come from Tera templates (autoescaped, see [`escape`]); IAM documents are typed
//! JSON from [`crate::identity`]. Output is byte-for-byte deterministic.

mod context;
pub mod escape;
mod iam;
mod identity;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use tera::{Context, Tera};

use crate::blueprint::catalog::Catalog;
use crate::blueprint::ForEach;
use crate::iam::Documents;
use crate::resolve::ClusterSpec;

/// One rendered file.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    /// File content (not changed once [`RenderedFile::blob_id`] was asked).
    pub content: String,
    /// The template it came from (`None` for files built in Rust).
    pub template: Option<String>,
    /// Created when missing, never updated.
    pub scaffold_once: bool,
    /// The content's git blob id, hashed once when first asked: the state file, the plan and
    /// the commit all need it.
    blob: OnceLock<git2::Oid>,
}

impl RenderedFile {
    /// A file of `content`.
    pub fn new(content: String, template: Option<String>, scaffold_once: bool) -> RenderedFile {
        RenderedFile {
            content,
            template,
            scaffold_once,
            blob: OnceLock::new(),
        }
    }

    /// Git's blob id of the content (hashed on the first call).
    pub fn blob_id(&self) -> git2::Oid {
        *self.blob.get_or_init(|| blob_oid(self.content.as_bytes()))
    }
}

/// Git's blob id for `content`, as an [`git2::Oid`].
///
/// # Panics
/// Never in practice: libgit2 fails to hash only for an invalid object type.
pub fn blob_oid(content: &[u8]) -> git2::Oid {
    git2::Oid::hash_object(git2::ObjectType::Blob, content)
        .expect("libgit2 hashes any bytes as a blob (it fails only for an invalid object type)")
}

/// Files are equal when what they hold is (whether their blob id was hashed yet or not).
impl PartialEq for RenderedFile {
    fn eq(&self, other: &RenderedFile) -> bool {
        self.content == other.content
            && self.template == other.template
            && self.scaffold_once == other.scaffold_once
    }
}

impl Eq for RenderedFile {}

/// An account's rendered repository: path → file, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenderedTree {
    /// The WorkloadAccount name.
    pub account: String,
    /// Files by repository-relative path.
    pub files: BTreeMap<String, RenderedFile>,
}

/// A template that failed to render.
#[derive(Debug, thiserror::Error)]
#[error("{account}: template {template} (for {path}): {message}")]
pub struct RenderError {
    /// The account being rendered.
    pub account: String,
    /// The template.
    pub template: String,
    /// The output path.
    pub path: String,
    /// Tera's report, with the template line.
    pub message: String,
}

/// Build the Tera instance from the catalog's templates, with eksvend's escaping and filters.
pub fn engine(catalog: &Catalog) -> Result<Tera, RenderError> {
    let mut tera = Tera::new();
    tera.set_escape_fn(escape::quote);
    tera.autoescape_on(vec![".yaml", ".yml", ".json"]);
    tera.register_filter("num", escape::num);
    tera.register_filter("bool", escape::boolean);
    tera.register_filter("json", escape::json);
    tera.register_filter("key", escape::key);
    tera.register_filter("sh", escape::sh);
    tera.add_raw_templates(
        catalog
            .templates
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(|e| RenderError {
        account: String::new(),
        template: "templates/".to_string(),
        path: String::new(),
        message: e.to_string(),
    })?;
    Ok(tera)
}

/// Render every file of one account, with the IAM files the iam stage built for it.
pub fn render(
    tera: &Tera,
    spec: &ClusterSpec,
    docs: &Documents,
) -> Result<RenderedTree, RenderError> {
    crate::stats::count(crate::stats::Stage::Render);
    let mut tree = RenderedTree {
        account: spec.account.name.clone(),
        files: BTreeMap::new(),
    };
    let mut ctx = Context::new();
    ctx.insert("spec", &context::Spec::of(spec));
    for file in spec.files.iter() {
        if file.engine.is_some_and(|e| e != spec.gitops.engine) {
            continue;
        }
        if let Some(param) = &file.when {
            if spec.blueprint.parameters.get(param) != Some(&serde_json::Value::Bool(true)) {
                continue;
            }
        }
        let items: Vec<Option<&crate::resolve::TenantView>> = match file.for_each {
            None => vec![None],
            Some(ForEach::Tenants) => spec.tenants.iter().map(Some).collect(),
        };
        for tenant in items {
            let mut ctx = ctx.clone();
            let mut path = file.path.clone();
            if let Some(t) = tenant {
                ctx.insert("tenant", &context::Tenant::of(spec, t));
                path = path.replace("{tenant}", &t.namespace);
            }
            render_into(
                tera,
                &file.template,
                &ctx,
                path,
                file.scaffold_once,
                spec,
                &mut tree,
            )?;
        }
    }
    iam::add_iam_files(docs, &mut tree);
    identity::add_identity_files(tera, spec, &mut tree)?;
    Ok(tree)
}

/// Render `template` with `ctx` into `tree` at `path`.
pub(crate) fn render_into(
    tera: &Tera,
    template: &str,
    ctx: &Context,
    path: String,
    scaffold_once: bool,
    spec: &ClusterSpec,
    tree: &mut RenderedTree,
) -> Result<(), RenderError> {
    let content = tera.render(template, ctx).map_err(|e| RenderError {
        account: spec.account.name.clone(),
        template: template.to_string(),
        path: path.clone(),
        message: e.to_string(),
    })?;
    let content = if path.ends_with(".md") {
        squeeze_blank_lines(&normalize(&content))
    } else {
        normalize(&content)
    };
    tree.files.insert(
        path,
        RenderedFile::new(content, Some(template.to_string()), scaffold_once),
    );
    Ok(())
}

/// Trailing whitespace removed from every line, exactly one final newline.
fn normalize(text: &str) -> String {
    let mut out: String = text
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    while out.ends_with('\n') {
        out.pop();
    }
    out.push('\n');
    out
}

/// Runs of blank lines as one (Markdown assembled from `{% include %}`d sections).
fn squeeze_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines() {
        if line.is_empty() && blank {
            continue;
        }
        blank = line.is_empty();
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_never_bypass_escaping() {
        let catalog = Catalog::builtin().unwrap();
        for (name, text) in &catalog.templates {
            let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(!squeezed.contains("|safe"), "{name} uses `safe`");
        }
    }

    #[test]
    fn markdown_keeps_one_blank_line_between_sections() {
        assert_eq!(squeeze_blank_lines("a\n\n\n\nb\n\nc\n"), "a\n\nb\n\nc\n");
    }

    #[test]
    fn normalize_trims_lines_and_ends_with_one_newline() {
        assert_eq!(normalize("a  \nb\t\n\n\n"), "a\nb\n");
    }
}

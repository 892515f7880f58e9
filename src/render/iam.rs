//! The IAM files of the iam stage, written into the tree as pretty JSON.

use super::{RenderedFile, RenderedTree};
use crate::iam::Documents;
use crate::identity::policy;

/// Add every policy document, role description and stack template of `docs` to `tree`.
pub(crate) fn add_iam_files(docs: &Documents, region: &str, tree: &mut RenderedTree) {
    for t in &docs.stacks {
        tree.files.insert(
            t.path.clone(),
            RenderedFile {
                content: t.to_file_text(region),
                template: None,
                scaffold_once: false,
            },
        );
    }
    let policies = docs.policies.iter().map(|d| (&d.path, &d.value));
    let descriptions = docs.descriptions.iter().map(|(p, v)| (p, v));
    for (path, value) in policies.chain(descriptions) {
        tree.files.insert(
            path.clone(),
            RenderedFile {
                content: policy::to_file_text(value),
                template: None,
                scaffold_once: false,
            },
        );
    }
}

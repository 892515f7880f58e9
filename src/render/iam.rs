//! The IAM files of the iam stage, written into the tree as pretty JSON.

use super::{RenderedFile, RenderedTree};
use crate::iam::Documents;
use crate::identity::policy;

/// Add every policy document and role description of `docs` to `tree`.
pub(crate) fn add_iam_files(docs: &Documents, tree: &mut RenderedTree) {
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

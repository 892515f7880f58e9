//! The IAM files of the iam stage, written into the tree as pretty JSON.

use super::{RenderedFile, RenderedTree};
use crate::iam::Documents;
use crate::identity::policy;

/// Add every policy document, role description and stack template of `docs` to `tree`.
pub(crate) fn add_iam_files(docs: &Documents, tree: &mut RenderedTree) {
    let file = |content: String| RenderedFile::new(content, None, false);
    for (path, text) in &docs.files {
        tree.files.insert(path.clone(), file(text.clone()));
    }
    for d in &docs.policies {
        tree.files
            .insert(d.path.clone(), file(policy::to_file_text(&d.value)));
    }
}

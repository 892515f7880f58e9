//! The state file: what eksvend generated last time, by git blob id, in `.eksvend/state.yaml`.
//!
//! It is what lets regeneration tell a person's edit from eksvend's own output.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::render::{RenderedFile, RenderedTree};
use crate::resolve::ClusterSpec;

/// Path of the state file in every repository.
pub const STATE_PATH: &str = ".eksvend/state.yaml";

/// Version of the state file format.
pub const STATE_VERSION: u32 = 1;

/// The content of `.eksvend/state.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    /// Always `eksvend.dev/v1alpha1`.
    pub api_version: String,
    /// Always `State`.
    pub kind: String,
    /// `name` = the WorkloadAccount.
    pub metadata: StateMetadata,
    /// Format version of this file.
    pub version: u32,
    /// `eksvend <version>` that wrote it.
    pub generator: String,
    /// `name@version` of the blueprint.
    pub blueprint: String,
    /// Digest of the account's resolved inputs.
    pub inventory_digest: String,
    /// Every file eksvend generated, by path.
    pub files: BTreeMap<String, FileState>,
}

/// The state file's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StateMetadata {
    /// The WorkloadAccount name.
    pub name: String,
}

/// What eksvend generated at one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileState {
    /// Git blob id (SHA-1) of the generated content.
    pub blob: String,
    /// Created once, then owned by the team.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scaffold_once: bool,
}

/// Git's blob id for `content`, without needing a repository.
///
/// # Panics
/// Never in practice: libgit2 fails to hash only for an invalid object type.
pub fn blob_id(content: &[u8]) -> String {
    crate::render::blob_oid(content).to_string()
}

impl State {
    /// The state recording every file of `tree`.
    pub fn of(tree: &RenderedTree, spec: &ClusterSpec) -> State {
        State {
            api_version: crate::document::API_VERSION.to_string(),
            kind: "State".to_string(),
            metadata: StateMetadata {
                name: spec.account.name.clone(),
            },
            version: STATE_VERSION,
            generator: format!("eksvend {}", env!("CARGO_PKG_VERSION")),
            blueprint: spec.blueprint.id.clone(),
            inventory_digest: spec.inventory_digest.clone(),
            files: tree
                .files
                .iter()
                .filter(|(p, _)| p.as_str() != STATE_PATH)
                .map(|(p, f)| {
                    (
                        p.clone(),
                        FileState {
                            blob: f.blob_id().to_string(),
                            scaffold_once: f.scaffold_once,
                        },
                    )
                })
                .collect(),
        }
    }

    /// The file text: a header comment, then sorted YAML.
    pub fn to_text(&self) -> Result<String, serde_yaml::Error> {
        let body = serde_yaml::to_string(self)?;
        Ok(format!(
            "# Written by eksvend; do not edit. It records the git blob of every file eksvend\n# generated, so that regeneration keeps your edits (see docs/regeneration.md).\n{body}"
        ))
    }

    /// Parse a state file.
    pub fn parse(text: &str) -> Result<State, serde_yaml::Error> {
        serde_yaml::from_str(text)
    }
}

/// Add the state file to `tree`.
///
/// # Panics
/// When the state cannot be written as YAML, which is a bug (it holds only strings, integers
/// and string-keyed maps): the run stops rather than commit an empty state.
pub fn attach(tree: &mut RenderedTree, spec: &ClusterSpec) {
    let state = State::of(tree, spec);
    // A State is strings, integers and string-keyed maps, which YAML always represents: a
    // failure here is a bug, and must stop the run rather than record an empty state.
    let content = state.to_text().expect("a State always serialises to YAML");
    tree.files.insert(
        STATE_PATH.to_string(),
        RenderedFile::new(content, None, false),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_id_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn the_state_file_reads_back() {
        let state = State {
            api_version: crate::document::API_VERSION.to_string(),
            kind: "State".into(),
            metadata: StateMetadata { name: "a".into() },
            version: STATE_VERSION,
            generator: "eksvend 0.0.0".into(),
            blueprint: "general@1.0.0".into(),
            inventory_digest: "sha256:00".into(),
            files: [(
                "README.md".to_string(),
                FileState {
                    blob: blob_id(b"hello\n"),
                    scaffold_once: true,
                },
            )]
            .into_iter()
            .collect(),
        };
        let text = state.to_text().unwrap();
        assert!(
            text.starts_with("# Written by eksvend; do not edit."),
            "{text}"
        );
        assert_eq!(State::parse(&text).unwrap(), state);
    }
}

//! Verify stage: every rendered YAML and JSON file parses back and is well-formed, and every
//! manifest of a kind with a bundled upstream schema is valid against it — before anything is
//! written.

pub mod schema;

use crate::domain::RepoPath;
use crate::render::RenderedTree;

/// A rendered file that is not well-formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{account}: {path}{}: {message}", template.as_ref().map(|t| format!(" (from template {t})")).unwrap_or_default())]
pub struct VerifyError {
    /// The account.
    pub account: String,
    /// The rendered file.
    pub path: String,
    /// The template it came from.
    pub template: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Check every file of `tree`; return every problem found.
pub fn verify(tree: &RenderedTree) -> Vec<VerifyError> {
    let mut errors = Vec::new();
    for (path, file) in &tree.files {
        let file_name = path.rsplit('/').next().unwrap_or(path);
        let problems = if path.ends_with(".yaml") || path.ends_with(".yml") {
            check_yaml(file_name, &file.content)
        } else if path.ends_with(".json") {
            check_json(&file.content)
        } else {
            Vec::new()
        };
        if RepoPath::try_from(path.as_str()).is_err() {
            errors.push(VerifyError {
                account: tree.account.clone(),
                path: path.clone(),
                template: file.template.clone(),
                message: "the path leaves the repository or is not a plain relative path".into(),
            });
        }
        errors.extend(problems.into_iter().map(|message| VerifyError {
            account: tree.account.clone(),
            path: path.clone(),
            template: file.template.clone(),
            message,
        }));
    }
    errors
}

fn check_yaml(file_name: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value: serde_yaml::Value = match serde::Deserialize::deserialize(doc) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("document {}: does not parse: {e}", i + 1));
                break;
            }
        };
        if let Some(p) = check_manifest(&value) {
            problems.push(format!("document {}: {p}", i + 1));
            continue;
        }
        problems.extend(
            check_schema(file_name, &value)
                .into_iter()
                .map(|p| format!("document {}: {p}", i + 1)),
        );
    }
    problems
}

/// Violations of the bundled upstream schema for the document's kind.
fn check_schema(file_name: &str, doc: &serde_yaml::Value) -> Vec<String> {
    let Ok(json) = serde_json::to_value(doc) else {
        return vec!["cannot be represented as JSON".into()];
    };
    let kind = |j: &serde_json::Value| {
        format!(
            "{} {}",
            j["apiVersion"].as_str().unwrap_or(""),
            j["kind"].as_str().unwrap_or("")
        )
    };
    // A kustomize patch (`*-patch.yaml`) is a partial object: required fields may be missing.
    let partial = file_name.ends_with("-patch.yaml");
    match schema::schemas().check(file_name, &json) {
        schema::Verdict::Invalid { schema, violations } => violations
            .into_iter()
            .filter(|v| !(partial && v.schema_path.ends_with("/required")))
            .map(|v| {
                format!(
                    "{} violates {schema} at {}: {} (schema rule {})",
                    kind(&json),
                    v.instance_path,
                    v.message,
                    v.schema_path
                )
            })
            .collect(),
        schema::Verdict::UnknownVersion => vec![format!(
            "{} is not a kind/version the bundled upstream schemas know (outdated apiVersion?)",
            kind(&json)
        )],
        schema::Verdict::Valid { .. } | schema::Verdict::NoSchema => Vec::new(),
    }
}

/// A document with `kind` must be a Kubernetes-style object: apiVersion, kind, metadata.name.
fn check_manifest(v: &serde_yaml::Value) -> Option<String> {
    let map = v.as_mapping()?;
    map.get("kind")?;
    let s = |k: &str| {
        map.get(k)
            .and_then(|x| x.as_str())
            .filter(|x| !x.is_empty())
    };
    if s("apiVersion").is_none() || s("kind").is_none() {
        return Some("apiVersion and kind must be non-empty strings".into());
    }
    if s("apiVersion").is_some_and(|a| a.starts_with("kustomize.config.k8s.io/")) {
        return None;
    }
    let name = map
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(|n| n.as_str());
    if name.is_none_or(str::is_empty) {
        return Some("metadata.name is missing".into());
    }
    None
}

fn check_json(text: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("does not parse as JSON: {e}")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::RenderedFile;

    fn tree(path: &str, content: &str) -> RenderedTree {
        let mut t = RenderedTree {
            account: "a".into(),
            ..Default::default()
        };
        t.files.insert(
            path.into(),
            RenderedFile::new(content.into(), Some("t.yaml".into()), false),
        );
        t
    }

    #[test]
    fn catches_broken_files() {
        assert!(verify(&tree(
            "a.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
        ))
        .is_empty());
        assert_eq!(verify(&tree("a.yaml", "a: [\n")).len(), 1);
        assert_eq!(verify(&tree("a.yaml", "a: 1\na: 2\n")).len(), 1);
        assert_eq!(
            verify(&tree("a.yaml", "kind: X\napiVersion: v1\n")).len(),
            1
        );
        assert_eq!(verify(&tree("a.json", "{")).len(), 1);
    }

    /// A rendered path must stay inside the repository and out of its `.git`, in any case:
    /// `.GIT` is the same directory on case-insensitive file systems.
    #[test]
    fn paths_leaving_the_repository_or_reaching_into_git_are_refused() {
        for path in [
            "../a.json",
            "a/../../b.json",
            "/a.json",
            ".git/config.json",
            ".GIT/config.json",
            "a/.Git/b.json",
            "a//b.json",
            "./a.json",
        ] {
            let errors = verify(&tree(path, "{}"));
            assert_eq!(errors.len(), 1, "{path}");
            assert_eq!(
                errors[0].message,
                "the path leaves the repository or is not a plain relative path"
            );
        }
        assert!(verify(&tree(".github/a.json", "{}")).is_empty());
    }
}

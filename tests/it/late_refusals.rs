//! Every value a later stage would refuse is refused by validation, at its inventory
//! file:line:field (issue 10, inputs). Each scalar of the example inventory in turn gets each
//! hostile value; whenever validation accepts the result, resolve, check, render and verify
//! must accept it too, or refuse it with an inventory diagnostic — never with an error that
//! names a rendered file.

use std::path::{Path, PathBuf};

use eksvend::blueprint::catalog::Catalog;
use eksvend::error::PipelineError;
use eksvend::fleet::{self, Inventory};

const HOSTILE: &[&str] = &[
    "..",
    "a/../b",
    "x/..",
    ".",
    "",
    "-",
    "a b",
    "UPPER",
    "$(id)",
    "x;y|z&",
    "x\u{85}y",
    "1.40",
    "0",
    "arn:aws:iam::111122223333:role/..",
    "arn:aws:iam::111122223333:role/a//b",
];

/// (file, text) of every example inventory file.
fn example() -> Vec<(PathBuf, String)> {
    let root = crate::support::root().join("examples/fleet");
    walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = Path::new("fleet").join(e.path().strip_prefix(&root).unwrap());
            (rel, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

/// Where a plain scalar value starts on `line` (`key: value` or `- value`), if it has one.
fn scalar_at(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    let start = if let Some(rest) = trimmed.strip_prefix("- ") {
        if rest.contains(": ") || rest.ends_with(':') {
            line.find(": ")? + 2
        } else {
            line.len() - rest.len()
        }
    } else {
        line.find(": ")? + 2
    };
    let value = line[start..].trim();
    let structural = ["[", "{", "|", ">", "&", "*", "!"];
    (!value.is_empty() && !structural.iter().any(|s| value.starts_with(s))).then_some(start)
}

fn inventory(files: &[(PathBuf, String)]) -> Result<Inventory, eksvend::diag::Diagnostics> {
    let mut inv = Inventory::default();
    for (path, text) in files {
        fleet::load::add_text(&mut inv, path, text)?;
    }
    Ok(inv)
}

#[test]
fn what_validation_accepts_renders() {
    let catalog = Catalog::builtin().unwrap();
    let files = example();
    let (mut tried, mut accepted) = (0, 0);
    let mut late = Vec::new();
    for (i, (path, text)) in files.iter().enumerate() {
        for (n, line) in text.lines().enumerate() {
            let Some(start) = scalar_at(line) else {
                continue;
            };
            for value in HOSTILE {
                let quoted = serde_json::to_string(value).unwrap();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                lines[n] = format!("{}{quoted}", &line[..start]);
                let mut mutated = files.clone();
                mutated[i].1 = lines.join("\n") + "\n";
                tried += 1;
                let Ok(inv) = inventory(&mutated) else {
                    continue;
                };
                if fleet::validate::validate(&inv, &catalog, Path::new("fleet")).is_err() {
                    continue;
                }
                accepted += 1;
                // an account file changes that account only: render just it
                let account = path
                    .strip_prefix("fleet/accounts")
                    .ok()
                    .and_then(|p| p.file_stem())
                    .map(|s| s.to_string_lossy().into_owned());
                let only = |s: &eksvend::resolve::ClusterSpec| {
                    account.as_ref().is_none_or(|a| s.account.name == *a)
                };
                match eksvend::pipeline::render_inventory(&inv, &catalog, only) {
                    Ok(_) | Err(PipelineError::Invalid(_)) => {}
                    Err(e) => late.push(format!(
                        "{}:{}: {value:?}: refused after validation:\n{e}",
                        path.display(),
                        n + 1
                    )),
                }
            }
        }
    }
    assert!(
        tried > 500 && accepted > 50,
        "tried {tried}, accepted {accepted}"
    );
    assert!(late.is_empty(), "{}", late.join("\n\n"));
}

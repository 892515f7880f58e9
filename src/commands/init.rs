//! `eksvend init [DIR]`: a commented starter inventory that validates and applies as is.

use std::path::Path;

use super::ExitStatus;
use crate::output::Printer;

const FILES: &[(&str, &str)] = &[
    ("fleet.yaml", include_str!("starter/fleet.yaml")),
    ("networks.yaml", include_str!("starter/networks.yaml")),
    (
        "accounts/team-a-dev.yaml",
        include_str!("starter/accounts/team-a-dev.yaml"),
    ),
];

pub(super) fn run(p: &Printer, dir: &Path) -> ExitStatus {
    let existing: Vec<String> = FILES
        .iter()
        .map(|(f, _)| dir.join(f))
        .chain([dir.join("eksvend.schema.json")])
        .filter(|f| f.exists())
        .map(|f| f.display().to_string())
        .collect();
    if !existing.is_empty() {
        p.error(&format!(
            "error: {} already exist(s); nothing was written",
            existing.join(", ")
        ));
        return ExitStatus::Failure;
    }
    let schema =
        serde_json::to_string_pretty(&crate::fleet::schema::schema(None)).unwrap_or_default();
    let write = || -> std::io::Result<()> {
        for (f, text) in FILES {
            let path = dir.join(f);
            std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
            std::fs::write(path, text)?;
        }
        std::fs::write(dir.join("eksvend.schema.json"), schema + "\n")
    };
    if let Err(e) = write() {
        p.error(&format!("error: {}: {e}", dir.display()));
        return ExitStatus::Failure;
    }
    p.info(&format!(
        "wrote a starter inventory to {d}/ (fleet.yaml, networks.yaml, accounts/team-a-dev.yaml, eksvend.schema.json)\nnext:\n  eksvend validate -f {d}\n  eksvend plan -f {d} --diff\n  eksvend apply -f {d} --repos repos",
        d = dir.display()
    ));
    ExitStatus::Success
}

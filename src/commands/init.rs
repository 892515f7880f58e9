//! `eksvend init [DIR]`: a commented starter inventory that validates and applies as is.

use std::path::Path;

use super::ExitStatus;
use crate::error::Error;
use crate::output::Printer;

const FILES: &[(&str, &str)] = &[
    ("fleet.yaml", include_str!("starter/fleet.yaml")),
    ("networks.yaml", include_str!("starter/networks.yaml")),
    (
        "accounts/team-a-dev.yaml",
        include_str!("starter/accounts/team-a-dev.yaml"),
    ),
];

pub(super) fn run(p: &Printer, dir: &Path) -> Result<ExitStatus, Error> {
    let existing: Vec<_> = FILES
        .iter()
        .map(|(f, _)| dir.join(f))
        .chain([dir.join("eksvend.schema.json")])
        .filter(|f| f.exists())
        .collect();
    if !existing.is_empty() {
        return Err(Error::StarterExists { paths: existing });
    }
    let schema =
        serde_json::to_string_pretty(&crate::fleet::schema::schema(None)).map_err(|source| {
            Error::Serialize {
                what: "the JSON Schema",
                source,
            }
        })?;
    for (f, text) in FILES {
        let path = dir.join(f);
        let parent = path.parent().unwrap_or(dir);
        fs_err::create_dir_all(parent).map_err(Error::fs(parent))?;
        fs_err::write(&path, text).map_err(Error::fs(&path))?;
    }
    let schema_path = dir.join("eksvend.schema.json");
    fs_err::write(&schema_path, schema + "\n").map_err(Error::fs(&schema_path))?;
    p.info(&format!(
        "wrote a starter inventory to {d}/ (fleet.yaml, networks.yaml, accounts/team-a-dev.yaml, eksvend.schema.json)\nnext:\n  eksvend validate -f {d}\n  eksvend plan -f {d} --diff\n  eksvend apply -f {d} --repos repos",
        d = dir.display()
    ));
    Ok(ExitStatus::Success)
}

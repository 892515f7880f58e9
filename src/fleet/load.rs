//! Load stage: read the inventory (one file or a directory tree) into typed documents.
//!
//! Every syntax or type error becomes a [`Diagnostic`] with file, line, column, document and
//! field path; loading goes on to the next document so that all errors are reported at once.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::spans::SpanIndex;
use super::wire::{Document, FleetSpec, NetworkSpec, WorkloadAccountSpec, API_VERSION};
use super::{Inventory, Sourced};
use crate::diag::{Diagnostic, Diagnostics, Location, Pos};

/// Read the inventory at `path` (a YAML file, or a directory searched for `*.yaml`/`*.yml`).
pub fn load(path: &Path) -> Result<Inventory, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut inv = Inventory::default();
    let files = match inventory_files(path) {
        Ok(files) => files,
        Err(d) => {
            diags.push(d);
            return Err(diags);
        }
    };
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => load_file(&file, &text, &mut inv, &mut diags),
            Err(e) => diags.push(Diagnostic::new(
                Location::file(&file),
                "",
                format!("cannot read the file: {e}"),
            )),
        }
    }
    if diags.is_empty() {
        Ok(inv)
    } else {
        Err(diags.sorted())
    }
}

/// Add the documents of `text` (as if read from `file`) to an inventory.
pub fn add_text(inv: &mut Inventory, file: &Path, text: &str) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::default();
    load_file(file, text, inv, &mut diags);
    if diags.is_empty() {
        Ok(())
    } else {
        Err(diags.sorted())
    }
}

/// The inventory files under `path`, sorted so that loading is deterministic.
fn inventory_files(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        return Err(Diagnostic::new(
            Location::file(path),
            "",
            "no such file or directory; pass the inventory with -f/--fleet (a YAML file or a directory of them)",
        ));
    }
    let mut files = Vec::new();
    let walk = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| {
            Diagnostic::new(
                Location::file(e.path().unwrap_or(path)),
                "",
                format!("cannot read the directory: {e}"),
            )
        })?;
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
            files.push(entry.into_path());
        }
    }
    if files.is_empty() {
        return Err(Diagnostic::new(
            Location::file(path),
            "",
            "the directory holds no *.yaml or *.yml inventory files",
        ));
    }
    Ok(files)
}

/// One YAML document's text, padded with newlines so that line numbers match the file.
struct DocText {
    text: String,
    first_line: usize,
}

/// Split a multi-document YAML file at `---` lines.
fn split_documents(text: &str) -> Vec<DocText> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut first_line = 1;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let marker = line.trim_end();
        if marker == "---" || marker.starts_with("--- ") || marker.starts_with("---\t") {
            docs.push(DocText {
                text: std::mem::take(&mut current),
                first_line,
            });
            current = "\n".repeat(i + 1);
            first_line = i + 2;
            // keep any content after `--- ` on the marker line (rare, but valid YAML)
            current.pop();
            current.push_str(&line.replacen("---", "   ", 1));
            continue;
        }
        current.push_str(line);
    }
    docs.push(DocText {
        text: current,
        first_line,
    });
    docs.retain(|d| !is_blank_document(&d.text));
    docs
}

fn is_blank_document(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with('#') || l == "...")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    api_version: Option<serde_yaml::Value>,
    kind: Option<serde_yaml::Value>,
}

fn load_file(file: &Path, text: &str, inv: &mut Inventory, diags: &mut Diagnostics) {
    let docs = split_documents(text);
    let several = docs.len() > 1;
    for (i, doc) in docs.iter().enumerate() {
        let location = Location {
            file: file.to_path_buf(),
            pos: Some(Pos {
                line: doc.first_line,
                col: 1,
            }),
            document: several.then_some(i + 1),
        };
        load_document(&doc.text, location, inv, diags);
    }
}

fn load_document(text: &str, location: Location, inv: &mut Inventory, diags: &mut Diagnostics) {
    let header: Header = match serde_yaml::from_str(text) {
        Ok(h) => h,
        Err(e) => {
            diags.push(yaml_error(&location, "", &e));
            return;
        }
    };
    let spans = SpanIndex::build(text);
    let at = |field: &str| Location {
        pos: spans.find(field).or(location.pos),
        ..location.clone()
    };
    let api_version = header.api_version.as_ref().and_then(|v| v.as_str());
    if api_version != Some(API_VERSION) {
        diags.push(Diagnostic::new(
            at("apiVersion"),
            "apiVersion",
            format!(
                "{} is not supported; expected `{API_VERSION}`",
                describe(header.api_version.as_ref())
            ),
        ));
        return;
    }
    let kind = header.kind.as_ref().and_then(|v| v.as_str()).unwrap_or("");
    match kind {
        "Fleet" => push_typed::<FleetSpec>(text, location, spans, diags, &mut inv.fleets),
        "Network" => push_typed::<NetworkSpec>(text, location, spans, diags, &mut inv.networks),
        "WorkloadAccount" => {
            push_typed::<WorkloadAccountSpec>(text, location, spans, diags, &mut inv.accounts);
        }
        _ => diags.push(Diagnostic::new(
            at("kind"),
            "kind",
            format!(
                "{} is not a kind of the inventory; expected one of `Fleet`, `Network`, `WorkloadAccount`",
                describe(header.kind.as_ref())
            ),
        )),
    }
}

fn describe(v: Option<&serde_yaml::Value>) -> String {
    match v {
        None | Some(serde_yaml::Value::Null) => "a missing value".to_string(),
        Some(serde_yaml::Value::String(s)) => format!("{s:?}"),
        Some(other) => serde_yaml::to_string(other)
            .map(|s| format!("`{}`", s.trim()))
            .unwrap_or_default(),
    }
}

fn push_typed<S: DeserializeOwned>(
    text: &str,
    location: Location,
    spans: SpanIndex,
    diags: &mut Diagnostics,
    out: &mut Vec<Sourced<Document<S>>>,
) {
    let de = serde_yaml::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, Document<S>>(de) {
        Ok(doc) => out.push(Sourced {
            doc,
            location,
            spans,
        }),
        Err(e) => {
            let field = e.path().to_string();
            let field = if field == "." { String::new() } else { field };
            diags.push(yaml_error(&location, &field, e.inner()));
        }
    }
}

/// A serde_yaml error as a diagnostic: its position, the field path, the message without the
/// position suffix serde_yaml appends.
fn yaml_error(location: &Location, field: &str, e: &serde_yaml::Error) -> Diagnostic {
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    // serde_yaml prefixes the path itself (`spec.tenants[0]: …`); the diagnostic shows it already.
    if let Some((prefix, rest)) = message.split_once(": ") {
        if !prefix.is_empty() && !prefix.contains(char::is_whitespace) {
            message = rest.to_string();
        }
    }
    let pos = e
        .location()
        .map(|l| Pos {
            line: l.line(),
            col: l.column(),
        })
        .or(location.pos);
    Diagnostic::new(
        Location {
            pos,
            ..location.clone()
        },
        field,
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents_and_keeps_line_numbers() {
        let text = "# c\n---\na: 1\n---\n\nb: 2\n---\n";
        let docs = split_documents(text);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].first_line, 3);
        assert_eq!(docs[0].text.lines().nth(2), Some("a: 1"));
        assert_eq!(docs[1].text.lines().nth(5), Some("b: 2"));
    }

    #[test]
    fn type_errors_carry_path_and_position() {
        let text = "apiVersion: eksvend.dev/v1alpha1\nkind: Network\nmetadata: {name: n}\nspec:\n  accountId: \"1\"\n  region: r\n  vpcId: v\n  ramShareArn: a\n  subnets:\n    private:\n      - {id: s, zoneId: z, zone: q}\n";
        let mut inv = Inventory::default();
        let mut diags = Diagnostics::default();
        load_file(Path::new("n.yaml"), text, &mut inv, &mut diags);
        assert_eq!(diags.len(), 1, "{diags}");
        let d = &diags.0[0];
        assert_eq!(d.field, "spec.subnets.private[0].zone");
        assert!(d.message.contains("unknown field `zone`"), "{}", d.message);
        assert_eq!(d.location.pos.map(|p| p.line), Some(11));
    }
}

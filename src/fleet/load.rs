//! Load stage: read the inventory (one file or a directory tree) into typed documents.
//!
//! Every syntax or type error becomes a [`Diagnostic`] with file, line, column, document and
//! field path; loading goes on to the next document so that all errors are reported at once.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::spans::SpanIndex;
use super::wire::{Document, FleetSpec, NetworkSpec, WorkloadAccountSpec, API_VERSION};
use super::{Inventory, Sourced};
use crate::diag::{Diagnostic, Diagnostics, Location, Pos};

/// The largest inventory file read, in bytes: far above any real fleet file, low enough that a
/// stray binary or log file is refused before it is read into memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The largest YAML document, in bytes (an account, network or fleet definition is a few KiB).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Read the inventory at `path` (a YAML file, or a directory searched for `*.yaml`/`*.yml`).
pub fn load(path: &Path) -> Result<Inventory, Diagnostics> {
    let files = inventory_files(path)?;
    // each file read and parsed on its own (in parallel), then gathered in file order: the
    // same inventory and the same errors as one file after another
    let loaded: Vec<(Inventory, Diagnostics)> = files.par_iter().map(|f| load_one(f)).collect();
    let mut diags = Diagnostics::default();
    let mut inv = Inventory::default();
    for (part, found) in loaded {
        inv.fleets.extend(part.fleets);
        inv.networks.extend(part.networks);
        inv.accounts.extend(part.accounts);
        diags.0.extend(found.0);
    }
    if diags.is_empty() {
        Ok(inv)
    } else {
        Err(diags.sorted())
    }
}

/// The documents of one inventory file, or why it cannot be read.
fn load_one(file: &Path) -> (Inventory, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut inv = Inventory::default();
    if let Some(size) = std::fs::metadata(file)
        .ok()
        .map(|m| m.len())
        .filter(|n| *n > MAX_FILE_BYTES)
    {
        diags.push(Diagnostic::new(
            Location::file(file),
            "",
            format!(
                "the file is {size} bytes; an inventory file may be at most {MAX_FILE_BYTES} bytes"
            ),
        ));
        return (inv, diags);
    }
    match std::fs::read_to_string(file) {
        Ok(text) => load_file(file, &text, &mut inv, &mut diags),
        Err(e) => diags.push(Diagnostic::new(
            Location::file(file),
            "",
            format!("cannot read the file: {e}"),
        )),
    }
    (inv, diags)
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

/// The marker file `render --out` leaves in the folder it writes: the loader skips that folder,
/// and `render --out` refuses a non-empty folder without it.
pub const RENDER_MARKER: &str = ".eksvend-render";

/// The inventory files under `path`, sorted so that loading is deterministic.
///
/// Skipped, wherever they are below `path`: hidden entries (`.git`, eksvend's temporary
/// folders), folders that hold a `.git` (vended repositories, submodules) and folders `render
/// --out` wrote. A symlinked file is followed when it resolves inside the inventory folder;
/// a symlink that leaves it, dangles, loops or names a folder is an error, never skipped.
pub fn inventory_files(path: &Path) -> Result<Vec<PathBuf>, Diagnostics> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let one = |at: &Path, message: &str| {
        let mut d = Diagnostics::default();
        d.push(Diagnostic::new(Location::file(at), "", message));
        d
    };
    if !path.is_dir() {
        return Err(one(
            path,
            "no such file or directory; pass the inventory with -f/--fleet (a YAML file or a directory of them)",
        ));
    }
    let root = std::fs::canonicalize(path)
        .map_err(|e| one(path, &format!("cannot read the directory: {e}")))?;
    let mut diags = Diagnostics::default();
    let mut files = Vec::new();
    let mut linked = Vec::new();
    let walk = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !skipped(e));
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                diags.push(Diagnostic::new(
                    Location::file(e.path().unwrap_or(path)),
                    "",
                    format!("cannot read the directory: {e}"),
                ));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if entry.file_type().is_symlink() {
            match follow_link(entry.path(), &root) {
                Ok(Some(target)) if yaml => linked.push((entry.into_path(), target)),
                Ok(_) => {}
                Err(message) => {
                    diags.push(Diagnostic::new(Location::file(entry.path()), "", message));
                }
            }
        } else if entry.file_type().is_file() && yaml {
            files.push(entry.into_path());
        }
    }
    // a link to a file that is loaded anyway adds nothing (and would define everything twice)
    let loaded: std::collections::BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| std::fs::canonicalize(f).ok())
        .collect();
    let mut targets = std::collections::BTreeSet::new();
    for (link, target) in linked {
        if !loaded.contains(&target) && targets.insert(target) {
            files.push(link);
        }
    }
    files.sort();
    if !diags.is_empty() {
        return Err(diags);
    }
    if files.is_empty() {
        return Err(one(
            path,
            "the directory holds no *.yaml or *.yml inventory files",
        ));
    }
    Ok(files)
}

/// Entries below the inventory root that are not part of the inventory.
fn skipped(e: &walkdir::DirEntry) -> bool {
    if e.file_name().to_string_lossy().starts_with('.') {
        return true;
    }
    e.file_type().is_dir()
        && (e.path().join(".git").symlink_metadata().is_ok()
            || e.path().join(RENDER_MARKER).is_file())
}

/// Where a symlink in the inventory leads: `Some(file)` inside the inventory, `None` for a
/// link that is not YAML, or why it cannot be followed.
fn follow_link(link: &Path, root: &Path) -> Result<Option<PathBuf>, String> {
    let target = std::fs::canonicalize(link).map_err(|e| {
        format!(
            "a symlink that cannot be followed ({e}); point it at an inventory file or remove it"
        )
    })?;
    if !target.starts_with(root) {
        return Err(format!(
            "a symlink to {}, outside the inventory folder {}; eksvend follows symlinks only inside it (copy the file in instead)",
            target.display(),
            root.display()
        ));
    }
    if target.is_dir() {
        return Err(
            "a symlink to a folder; eksvend does not follow folder symlinks in the inventory (they can loop); link the files, or move the folder"
                .to_string(),
        );
    }
    Ok(Some(target))
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
    let size = text.trim_start_matches('\n').len();
    if size > MAX_DOCUMENT_BYTES {
        diags.push(Diagnostic::new(
            location,
            "",
            format!(
                "this document is {size} bytes; an inventory document may be at most {MAX_DOCUMENT_BYTES} bytes (split the fleet into one file per account)"
            ),
        ));
        return;
    }
    let problems = SpanIndex::check(text);
    if !problems.is_empty() {
        for p in problems {
            diags.push(Diagnostic::new(
                Location {
                    pos: Some(p.pos),
                    ..location.clone()
                },
                p.field,
                p.message,
            ));
        }
        return;
    }
    let header: Header = match serde_yaml::from_str(text) {
        Ok(h) => h,
        Err(e) => {
            diags.push(yaml_error(&location, "", &e, text));
            return;
        }
    };
    // positions only for the diagnostics below: the index is built when one is reported
    let at = |field: &str| Location {
        pos: SpanIndex::build(text).find(field).or(location.pos),
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
        "Fleet" => push_typed::<FleetSpec>(text, location, diags, &mut inv.fleets),
        "Network" => push_typed::<NetworkSpec>(text, location, diags, &mut inv.networks),
        "WorkloadAccount" => {
            push_typed::<WorkloadAccountSpec>(text, location, diags, &mut inv.accounts);
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
    diags: &mut Diagnostics,
    out: &mut Vec<Sourced<Document<S>>>,
) {
    let de = serde_yaml::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, Document<S>>(de) {
        Ok(doc) => out.push(Sourced::new(doc, location, text)),
        Err(e) => {
            let field = error_path(&e);
            diags.push(yaml_error(&location, &field, e.inner(), text));
            if is_unknown_field(e.inner()) {
                let spans = SpanIndex::build(text);
                report_more_unknown_fields::<S>(text, field, &location, &spans, diags);
            }
        }
    }
}

fn error_path<E>(e: &serde_path_to_error::Error<E>) -> String {
    let field = e.path().to_string();
    if field == "." {
        String::new()
    } else {
        field
    }
}

fn is_unknown_field(e: &impl std::fmt::Display) -> bool {
    e.to_string().contains("unknown field `")
}

/// serde stops at the first unknown field; a person fixing typos wants them all at once. Drop
/// each unknown field from the parsed document and try again until none is left (each is reported
/// at its own line through the span index).
fn report_more_unknown_fields<S: DeserializeOwned>(
    text: &str,
    first: String,
    location: &Location,
    spans: &SpanIndex,
    diags: &mut Diagnostics,
) {
    let Ok(mut value) = serde_yaml::from_str::<serde_yaml::Value>(text) else {
        return;
    };
    let mut field = first;
    // each round removes one field, so the loop ends; the bound only caps a pathological document
    for _ in 0..256 {
        if !remove_path(&mut value, &field) {
            return;
        }
        let Err(e) = serde_path_to_error::deserialize::<_, Document<S>>(value.clone()) else {
            return;
        };
        if !is_unknown_field(e.inner()) {
            return;
        }
        field = error_path(&e);
        let at = Location {
            pos: spans.find_key(&field).or(location.pos),
            ..location.clone()
        };
        diags.push(yaml_error(&at, &field, e.inner(), text));
    }
}

/// Remove the node at a serde path (`spec.tenants[0].quota`) from a YAML value; `false` when the
/// path does not lead to a mapping entry.
fn remove_path(value: &mut serde_yaml::Value, path: &str) -> bool {
    let mut segments: Vec<&str> = Vec::new();
    for part in path.split('.') {
        let (key, indexes) = part
            .split_once('[')
            .map_or((part, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            segments.push(key);
        }
        for index in indexes.split('[') {
            if let Some(i) = index.strip_suffix(']') {
                segments.push(i);
            }
        }
    }
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut node = value;
    for seg in parents {
        node = match node {
            serde_yaml::Value::Mapping(m) => match m.get_mut(*seg) {
                Some(v) => v,
                None => return false,
            },
            serde_yaml::Value::Sequence(s) => {
                match seg.parse::<usize>().ok().and_then(|i| s.get_mut(i)) {
                    Some(v) => v,
                    None => return false,
                }
            }
            _ => return false,
        };
    }
    match node {
        serde_yaml::Value::Mapping(m) => m.remove(*last).is_some(),
        _ => false,
    }
}

/// A serde_yaml error as a diagnostic: its position, the field path, the message without the
/// position suffix serde_yaml appends. A tab where YAML expects indentation says so.
fn yaml_error(location: &Location, field: &str, e: &serde_yaml::Error, text: &str) -> Diagnostic {
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
    if let Some(p) = pos.filter(|p| tab_at(text, *p)) {
        message = format!(
            "a tab character at column {}: YAML indents with spaces only; replace the tab with spaces",
            p.col
        );
    }
    Diagnostic::new(
        Location {
            pos,
            ..location.clone()
        },
        field,
        message,
    )
}

/// Whether the character at `pos` (or, for an error reported at the line start, the line's
/// indentation) is a tab.
fn tab_at(text: &str, pos: Pos) -> bool {
    let Some(line) = text.lines().nth(pos.line.saturating_sub(1)) else {
        return false;
    };
    line.chars().nth(pos.col.saturating_sub(1)) == Some('\t')
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

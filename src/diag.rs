//! Diagnostics: what went wrong in the user's input, where, and what would be valid.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a source file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// Where a diagnostic points: a file, optionally a document in it and a position.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Location {
    /// The file as the user named it (or as found under the inventory directory).
    pub file: PathBuf,
    /// Position in the file, when known.
    pub pos: Option<Pos>,
    /// 1-based index of the YAML document in a multi-document file, when the file has several.
    pub document: Option<usize>,
}

impl Location {
    /// A location that names only a file.
    pub fn file(path: &Path) -> Self {
        Location {
            file: path.to_path_buf(),
            pos: None,
            document: None,
        }
    }
}

/// One problem found in the input, with enough facts for a person to fix it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// The field path inside the document, e.g. `spec.tenants[0].namespace`.
    pub field: String,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl Diagnostic {
    /// A new diagnostic.
    pub fn new(location: Location, field: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location.file.display())?;
        if let Some(pos) = self.location.pos {
            write!(f, ":{}:{}", pos.line, pos.col)?;
        }
        write!(f, ": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(doc) = self.location.document {
            write!(f, " (document {doc})")?;
        }
        Ok(())
    }
}

/// Every problem found in the input, sorted by file and position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Add one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// True when no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Sort by file, position and field, and drop exact duplicates.
    #[must_use]
    pub fn sorted(mut self) -> Self {
        self.0.sort();
        self.0.dedup();
        self
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "error: {d}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "{n} error{} found; nothing was written",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}

/// At most [`SNIPPET_CHARS`] characters of a long line around column `col` (1-based), with `…`
/// where it was cut, and the column within what is shown.
fn window(line: &str, col: usize) -> (String, usize) {
    let n = line.chars().count();
    if n <= SNIPPET_CHARS {
        return (line.to_string(), col);
    }
    let start = col.saturating_sub(SNIPPET_CHARS / 2).min(n - SNIPPET_CHARS);
    let mut shown: String = line.chars().skip(start).take(SNIPPET_CHARS).collect();
    let mut col = col - start;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if start + SNIPPET_CHARS < n {
        shown.push('…');
    }
    (shown, col)
}

/// How much of a source line an error shows.
const SNIPPET_CHARS: usize = 120;

/// A source line as shown under an error: a tab as `→` padded to four columns (it is often the
/// error), other control characters escaped so that none reaches the terminal.
fn visible(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '\t' => out.push_str("→   "),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

impl Diagnostics {
    /// Like `Display`, with the offending source line and a caret under each error.
    pub fn render_with_source(&self) -> String {
        use std::collections::HashMap;
        let mut cache: HashMap<&Path, Option<String>> = HashMap::new();
        let mut out = String::new();
        for d in &self.0 {
            out.push_str(&format!("error: {d}\n"));
            let Some(pos) = d.location.pos else { continue };
            let text = cache
                .entry(d.location.file.as_path())
                .or_insert_with(|| std::fs::read_to_string(&d.location.file).ok());
            let Some(line) = text
                .as_deref()
                .and_then(|t| t.lines().nth(pos.line.saturating_sub(1)))
            else {
                continue;
            };
            let num = pos.line.to_string();
            let pad = " ".repeat(num.len());
            let (shown, col) = window(line, pos.col);
            let caret = " ".repeat(
                shown
                    .chars()
                    .take(col.saturating_sub(1))
                    .map(|c| if c == '\t' { 4 } else { 1 })
                    .sum(),
            );
            out.push_str(&format!(
                "{pad} |\n{num} | {}\n{pad} | {caret}^\n",
                crate::domain::redact_credentials(&visible(&shown))
            ));
        }
        let n = self.0.len();
        out.push_str(&format!(
            "{n} error{} found; nothing was written",
            if n == 1 { "" } else { "s" }
        ));
        out
    }
}

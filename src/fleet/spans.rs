//! Where each field of a YAML document is (field path → line and column), and the structural
//! rules every inventory document must follow before serde sees it.
//!
//! serde tells us *what* is wrong with a value; this index tells us *where* it is, so that
//! semantic validation errors point at the offending line like syntax errors do. The same walk
//! over the parser's events refuses what serde would silently accept or choke on: nesting deeper
//! than [`MAX_DEPTH`], tags other than YAML's core ones, duplicate keys (reported on the
//! duplicate's own line) and control characters in values.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::Marker;

use crate::diag::Pos;

/// How deep mappings and sequences may nest in one inventory document. The deepest real field is
/// about six levels down; the bound keeps a hostile `[[[[…]]]]` from costing time or stack.
pub const MAX_DEPTH: usize = 32;

/// Field path → position of its value (and of its key, for mapping entries).
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

/// One structural problem of a document: where, at which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The position of the offending node.
    pub pos: Pos,
    /// The field path of the offending node.
    pub field: String,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl SpanIndex {
    /// Index one YAML document (the text may hold leading blank lines to keep line numbers).
    /// A document that does not parse yields the part indexed so far: serde reports the syntax
    /// error.
    pub fn build(text: &str) -> Self {
        Self::walk(text, true).0
    }

    /// Check the structure of one YAML document (see the module docs) without indexing it: the
    /// load keeps no index; [`SpanIndex::build`] makes one when a diagnostic needs a position.
    /// The walk stops at the first node nested deeper than [`MAX_DEPTH`].
    pub fn check(text: &str) -> Vec<Problem> {
        Self::walk(text, false).1
    }

    /// Index one YAML document and check its structure (see the module docs). The walk stops at
    /// the first node nested deeper than [`MAX_DEPTH`].
    pub fn scan(text: &str) -> (Self, Vec<Problem>) {
        Self::walk(text, true)
    }

    /// The one walk behind [`SpanIndex::scan`] and [`SpanIndex::check`]; `index: false` records
    /// no positions.
    fn walk(text: &str, index: bool) -> (Self, Vec<Problem>) {
        if let Some(pos) = flow_too_deep(text) {
            let problem = Problem {
                pos,
                field: String::new(),
                message: format!(
                    "brackets nested more than {MAX_DEPTH} levels deep; no inventory field is nested this deeply"
                ),
            };
            return (SpanIndex::default(), vec![problem]);
        }
        let mut builder = Builder {
            index,
            ..Builder::default()
        };
        let mut parser = Parser::new_from_str(text);
        while let Ok((event, mark)) = parser.next_token() {
            if event == Event::StreamEnd || !builder.on_event(event, mark) {
                break;
            }
        }
        (
            SpanIndex {
                values: builder.values,
                keys: builder.keys,
            },
            builder.problems,
        )
    }

    /// The position of the key of the mapping entry `path` (where a misspelt field is), else
    /// as [`SpanIndex::find`].
    pub fn find_key(&self, path: &str) -> Option<Pos> {
        self.keys.get(path).copied().or_else(|| self.find(path))
    }

    /// The position of `path`, or of its nearest ancestor that exists in the document.
    pub fn find(&self, path: &str) -> Option<Pos> {
        let mut p = path;
        loop {
            if let Some(pos) = self.values.get(p) {
                return Some(*pos);
            }
            if p.is_empty() {
                return None;
            }
            p = parent(p);
        }
    }
}

/// Where `[`/`{` first nest deeper than [`MAX_DEPTH`], counted on the text outside quotes and
/// comments. YAML parsers look ahead to the end of a flow collection before they emit its first
/// event, so a `[[[…]]]` bomb costs quadratic time before any event-based limit can act; this
/// linear pass refuses it first.
fn flow_too_deep(text: &str) -> Option<Pos> {
    let (mut depth, mut line, mut col) = (0usize, 1usize, 0usize);
    let mut quote: Option<char> = None;
    let (mut comment, mut escaped, mut prev) = (false, false, '\n');
    for c in text.chars() {
        col += 1;
        if c == '\n' {
            (line, col, comment) = (line + 1, 0, false);
        } else if comment {
        } else if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if q == '"' && c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                '#' if prev.is_whitespace() => comment = true,
                '"' | '\'' if depth > 0 || prev.is_whitespace() || prev == ':' => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(Pos { line, col });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        prev = c;
    }
    None
}

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → ``.
fn parent(path: &str) -> &str {
    match path.rfind(['.', '[']) {
        Some(i) => &path[..i],
        None => "",
    }
}

enum Frame {
    Map {
        path: String,
        key: Option<String>,
        /// Each key seen so far and where, to report a duplicate on its own line.
        keys: HashMap<String, Pos>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

#[derive(Default)]
struct Builder {
    /// Record positions in `values` and `keys` (false: check the structure only).
    index: bool,
    stack: Vec<Frame>,
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
    problems: Vec<Problem>,
}

fn pos(mark: Marker) -> Pos {
    Pos {
        line: mark.line(),
        col: mark.col() + 1,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Builder {
    /// The path of the value that comes next, or `None` when the next scalar is a mapping key.
    fn next_value_path(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map {
                path, key: Some(k), ..
            }) => Some(join(path, k)),
            Some(Frame::Seq { path, index }) => Some(format!("{path}[{index}]")),
        }
    }

    /// A value of the top frame is complete.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { index, .. }) => *index += 1,
            None => {}
        }
    }

    fn record(&mut self, path: &str, mark: Marker) {
        if self.index && !self.values.contains_key(path) {
            self.values.insert(path.to_string(), pos(mark));
        }
    }

    fn problem(&mut self, mark: Marker, field: &str, message: String) {
        self.problems.push(Problem {
            pos: pos(mark),
            field: field.to_string(),
            message,
        });
    }

    /// Refuse tags other than YAML's core schema: serde would drop `!vault x` to `x` silently.
    fn check_tag(&mut self, tag: Option<&Tag>, mark: Marker, field: &str) {
        let Some(tag) = tag else { return };
        let core = tag.handle == "tag:yaml.org,2002:"
            && matches!(
                tag.suffix.as_str(),
                "str" | "int" | "float" | "bool" | "null" | "map" | "seq"
            );
        if !core {
            let shown = if tag.handle == "tag:yaml.org,2002:" {
                format!("!!{}", tag.suffix)
            } else {
                format!("{}{}", tag.handle, tag.suffix)
            };
            self.problem(
                mark,
                field,
                format!(
                    "the tag `{}` is not supported: the inventory is plain YAML (only !!str, !!int, !!float, !!bool, !!null, !!map, !!seq); remove the tag and write the value itself",
                    shown.escape_debug()
                ),
            );
        }
    }

    /// Refuse control characters (other than tab and newline) in keys and values: no later
    /// stage can use them, and some would end up in file names, YAML or shell commands.
    fn check_text(&mut self, value: &str, mark: Marker, field: &str) {
        if let Some(c) = value
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            self.problem(
                mark,
                field,
                format!(
                    "holds the control character U+{:04X}; remove it (only printable characters, tabs and line breaks are allowed)",
                    u32::from(c)
                ),
            );
        }
    }

    /// A scalar that is the key of the current mapping: remember it, refuse a duplicate.
    fn on_key(&mut self, value: String, mark: Marker) {
        let Some(Frame::Map { key, path, keys }) = self.stack.last_mut() else {
            return;
        };
        let full = join(path, &value);
        let first = keys.get(&value).copied();
        if first.is_none() {
            keys.insert(value.clone(), pos(mark));
        }
        *key = Some(value.clone());
        self.record(&full, mark);
        if self.index {
            self.keys.entry(full.clone()).or_insert(pos(mark));
        }
        if let Some(first) = first {
            self.problem(
                mark,
                &full,
                format!(
                    "duplicate key `{}` (first at line {}); keep one of them",
                    value.escape_debug(),
                    first.line
                ),
            );
        }
    }

    /// Handle one parser event; `false` stops the walk (nesting too deep).
    fn on_event(&mut self, ev: Event, mark: Marker) -> bool {
        match ev {
            Event::Scalar(value, _, _, tag) => {
                let path = self.next_value_path();
                let field = path.clone().unwrap_or_else(|| match self.stack.last() {
                    Some(Frame::Map { path, .. }) => join(path, &value),
                    _ => String::new(),
                });
                self.check_tag(tag.as_ref(), mark, &field);
                self.check_text(&value, mark, &field);
                match path {
                    None => self.on_key(value, mark),
                    Some(path) => {
                        // The value's own position wins over its key's.
                        if self.index {
                            self.values.insert(path, pos(mark));
                        }
                        self.value_done();
                    }
                }
            }
            Event::Alias(_) => self.value_done(),
            Event::MappingStart(_, ref tag) | Event::SequenceStart(_, ref tag) => {
                let path = self.next_value_path().unwrap_or_default();
                self.check_tag(tag.as_ref(), mark, &path);
                if self.stack.len() >= MAX_DEPTH {
                    self.problem(
                        mark,
                        &path,
                        format!(
                            "nested more than {MAX_DEPTH} levels deep; no inventory field is nested this deeply"
                        ),
                    );
                    return false;
                }
                self.record(&path, mark);
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        path,
                        key: None,
                        keys: HashMap::new(),
                    }
                } else {
                    Frame::Seq { path, index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            Event::DocumentStart => self.stack.clear(),
            _ => {}
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reports_what_scan_reports_and_indexes_nothing() {
        let text = "a: 1\na: 2\nb: !vault x\nc: \"\\u0001\"\nd: {e: 1}\n";
        let (idx, problems) = SpanIndex::scan(text);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(SpanIndex::check(text), problems);
        assert!(idx.find("d.e").is_some());
        let (unindexed, _) = SpanIndex::walk(text, false);
        assert!(unindexed.values.is_empty() && unindexed.keys.is_empty());
        let deep = format!("x: {}{}\n", "[".repeat(40), "]".repeat(40));
        assert_eq!(SpanIndex::check(&deep), SpanIndex::scan(&deep).1);
        assert_eq!(SpanIndex::check(&deep).len(), 1);
    }

    #[test]
    fn finds_nested_values_and_falls_back_to_ancestors() {
        let text = "\n\napiVersion: x\nspec:\n  accountId: \"1\"\n  tenants:\n    - namespace: a\n      quota: {cpu: \"1\"}\n";
        let idx = SpanIndex::build(text);
        assert_eq!(idx.find("apiVersion"), Some(Pos { line: 3, col: 13 }));
        assert_eq!(idx.find("spec.accountId"), Some(Pos { line: 5, col: 14 }));
        assert_eq!(
            idx.find("spec.tenants[0].namespace"),
            Some(Pos { line: 7, col: 18 })
        );
        assert_eq!(
            idx.find("spec.tenants[0].quota.cpu"),
            Some(Pos { line: 8, col: 20 })
        );
        // missing field: nearest ancestor
        assert_eq!(
            idx.find("spec.tenants[0].serviceAccounts[3].name"),
            idx.find("spec.tenants[0]")
        );
    }
}

//! Where each field of a YAML document is: field path → line and column.
//!
//! serde tells us *what* is wrong with a value; this index tells us *where* it is, so that
//! semantic validation errors point at the offending line like syntax errors do.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diag::Pos;

/// Field path → position of its value (and of its key, for mapping entries).
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    values: HashMap<String, Pos>,
}

impl SpanIndex {
    /// Index one YAML document (the text may hold leading blank lines to keep line numbers).
    /// A document that does not parse yields an empty index: serde reports the syntax error.
    pub fn build(text: &str) -> Self {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut builder, true);
        SpanIndex {
            values: builder.values,
        }
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

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → ``.
fn parent(path: &str) -> &str {
    match path.rfind(['.', '[']) {
        Some(i) => &path[..i],
        None => "",
    }
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    values: HashMap<String, Pos>,
}

impl Builder {
    /// The path of the value that comes next, or `None` when the next scalar is a mapping key.
    fn next_value_path(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map { path, key: Some(k) }) => Some(if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            }),
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
        self.values.entry(path.to_string()).or_insert(Pos {
            line: mark.line(),
            col: mark.col() + 1,
        });
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => match self.next_value_path() {
                None => {
                    if let Some(Frame::Map { key, path }) = self.stack.last_mut() {
                        let full = if path.is_empty() {
                            value.clone()
                        } else {
                            format!("{path}.{value}")
                        };
                        *key = Some(value);
                        self.record(&full, mark);
                    }
                }
                Some(path) => {
                    // The value's own position wins over its key's.
                    self.values.insert(
                        path.clone(),
                        Pos {
                            line: mark.line(),
                            col: mark.col() + 1,
                        },
                    );
                    self.value_done();
                }
            },
            Event::Alias(_) => self.value_done(),
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.next_value_path().unwrap_or_default();
                self.record(&path, mark);
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map { path, key: None }
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

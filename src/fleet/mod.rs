//! The fleet inventory: its wire format, loading with source positions, and validation.

pub mod load;
pub mod model;
pub mod schema;
pub mod spans;
pub mod validate;
pub mod wire;

use std::sync::{Arc, OnceLock};

use crate::diag::{Location, Pos};
use spans::SpanIndex;
use wire::{Document, FleetSpec, NetworkSpec, WorkloadAccountSpec};

/// A document together with where it came from.
///
/// The field positions ([`SpanIndex`]) are not kept for every document: the document's text is,
/// and the index is built the first time a diagnostic asks where a field is ([`Sourced::at`]),
/// then kept for the document's later diagnostics.
#[derive(Clone)]
pub struct Sourced<T> {
    /// The typed document.
    pub doc: T,
    /// File and document index (position = the document's first line).
    pub location: Location,
    /// The document's text without its leading blank lines.
    text: Arc<str>,
    /// How many lines were left out before `text` (the lines of the file's earlier documents).
    skipped_lines: usize,
    /// Field path → position within `text`, built on first use.
    spans: OnceLock<SpanIndex>,
}

impl<T> Sourced<T> {
    /// A document and its text as loaded (a document of a multi-document file is padded with
    /// blank lines so that line numbers match the file; the padding is not kept).
    pub fn new(doc: T, location: Location, text: &str) -> Self {
        let body = text.trim_start_matches('\n');
        Sourced {
            doc,
            location,
            text: Arc::from(body),
            skipped_lines: text.len() - body.len(),
            spans: OnceLock::new(),
        }
    }

    /// The location of a field of this document (or of its nearest ancestor that exists).
    pub fn at(&self, field: &str) -> Location {
        let pos = self
            .spans
            .get_or_init(|| SpanIndex::build(&self.text))
            .find(field)
            .map(|p| Pos {
                line: p.line + self.skipped_lines,
                col: p.col,
            });
        Location {
            pos: pos.or(self.location.pos),
            ..self.location.clone()
        }
    }

    /// Whether the field index has been built (a diagnostic asked for a position).
    #[cfg(test)]
    fn indexed(&self) -> bool {
        self.spans.get().is_some()
    }
}

/// The document and where it is; the text and the index are how positions are found, not part
/// of the document (and the index's presence depends on which diagnostics ran).
impl<T: std::fmt::Debug> std::fmt::Debug for Sourced<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sourced")
            .field("doc", &self.doc)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Every document of the inventory, by kind, in file order.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// `kind: Fleet` documents (validation requires exactly one).
    pub fleets: Vec<Sourced<Document<FleetSpec>>>,
    /// `kind: Network` documents.
    pub networks: Vec<Sourced<Document<NetworkSpec>>>,
    /// `kind: WorkloadAccount` documents.
    pub accounts: Vec<Sourced<Document<WorkloadAccountSpec>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_found_on_first_use_and_count_the_padding() {
        let location = Location {
            file: "fleet.yaml".into(),
            pos: Some(Pos { line: 4, col: 1 }),
            document: Some(2),
        };
        // a second document of a file: three lines of padding stand for the first document
        let text = "\n\n\napiVersion: x\nspec:\n  accountId: \"1\"\n";
        let src = Sourced::new((), location.clone(), text);
        assert!(!src.indexed(), "the load keeps no index");
        assert_eq!(src.at("spec.accountId").pos, Some(Pos { line: 6, col: 14 }));
        assert!(src.indexed());
        assert_eq!(
            src.at("spec.accountId").pos,
            SpanIndex::build(text).find("spec.accountId")
        );
        assert_eq!(
            src.at("spec.nothing").pos,
            SpanIndex::build(text).find("spec")
        );
        assert_eq!(src.at("").pos, SpanIndex::build(text).find(""));
        assert_eq!(
            Sourced::new((), location, "").at("x").pos,
            Some(Pos { line: 4, col: 1 })
        );
    }
}

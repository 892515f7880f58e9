//! The fleet inventory: its wire format, loading with source positions, and validation.

pub mod load;
pub mod model;
pub mod schema;
pub mod spans;
pub mod validate;
pub mod wire;

use crate::diag::Location;
use spans::SpanIndex;
use wire::{Document, FleetSpec, NetworkSpec, WorkloadAccountSpec};

/// A document together with where it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// The typed document.
    pub doc: T,
    /// File and document index (position = the document's first line).
    pub location: Location,
    /// Field path → position, for pointing at a field.
    pub spans: SpanIndex,
}

impl<T> Sourced<T> {
    /// The location of a field of this document (or of its nearest ancestor that exists).
    pub fn at(&self, field: &str) -> Location {
        Location {
            pos: self.spans.find(field).or(self.location.pos),
            ..self.location.clone()
        }
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

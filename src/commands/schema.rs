//! `eksvend schema [KIND]`: JSON Schema of the inventory documents.

use super::ExitStatus;
use crate::error::Error;
use crate::fleet::schema;
use crate::output::Printer;

pub(super) fn run(p: &Printer, kind: Option<&str>) -> Result<ExitStatus, Error> {
    let s = schema::schema(kind).ok_or_else(|| Error::UnknownKind {
        // only a named kind can be unknown: without one the schema covers every document
        kind: kind.unwrap_or("").to_string(),
        expected: schema::KINDS,
    })?;
    let text = serde_json::to_string_pretty(&s).map_err(|source| Error::Serialize {
        what: "the JSON Schema",
        source,
    })?;
    p.data(&text);
    Ok(ExitStatus::Success)
}

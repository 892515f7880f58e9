//! `eksvend schema [KIND]`: JSON Schema of the inventory documents.

use super::ExitStatus;
use crate::fleet::schema;
use crate::output::Printer;

pub(super) fn run(p: &Printer, kind: Option<&str>) -> ExitStatus {
    if let Some(s) = schema::schema(kind) {
        p.data(&serde_json::to_string_pretty(&s).unwrap_or_default());
        ExitStatus::Success
    } else {
        p.error(&format!(
            "error: unknown kind {:?}; expected one of {}",
            kind.unwrap_or_default(),
            schema::KINDS.join(", ")
        ));
        ExitStatus::Failure
    }
}

//! `eksvend schema [KIND]`: JSON Schema of the inventory documents.

use super::ExitStatus;
use crate::fleet::schema;

pub(super) fn run(kind: Option<&str>) -> ExitStatus {
    match schema::schema(kind) {
        Some(s) => {
            println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            ExitStatus::Success
        }
        None => {
            eprintln!(
                "error: unknown kind {:?}; expected one of {}",
                kind.unwrap_or_default(),
                schema::KINDS.join(", ")
            );
            ExitStatus::Failure
        }
    }
}

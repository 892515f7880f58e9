//! JSON Schema of the inventory documents, generated from the wire types (schemars).

use serde_json::{json, Map, Value};

use super::wire::{Document, FleetSpec, NetworkSpec, WorkloadAccountSpec, API_VERSION};
use crate::blueprint::BlueprintSpec;

/// The kinds `eksvend schema KIND` accepts.
pub const KINDS: &[&str] = &["Fleet", "Network", "WorkloadAccount", "Blueprint"];

/// The schema of one kind, or of any inventory document when `kind` is `None`.
pub fn schema(kind: Option<&str>) -> Option<Value> {
    match kind {
        None => Some(any_document()),
        Some(k) => {
            let k = KINDS.iter().find(|x| x.eq_ignore_ascii_case(k))?;
            Some(kind_schema(k))
        }
    }
}

fn kind_schema(kind: &str) -> Value {
    let mut v = match kind {
        "Fleet" => schemars::schema_for!(Document<FleetSpec>).to_value(),
        "Network" => schemars::schema_for!(Document<NetworkSpec>).to_value(),
        "WorkloadAccount" => schemars::schema_for!(Document<WorkloadAccountSpec>).to_value(),
        _ => schemars::schema_for!(Document<BlueprintSpec>).to_value(),
    };
    if let Some(props) = v.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("apiVersion".into(), json!({"const": API_VERSION}));
        props.insert("kind".into(), json!({"const": kind}));
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("title".into(), json!(format!("eksvend {kind}")));
    }
    v
}

/// One schema for any inventory document: `oneOf` the three kinds, discriminated by `kind`.
fn any_document() -> Value {
    let mut defs = Map::new();
    let mut one_of = Vec::new();
    for kind in ["Fleet", "Network", "WorkloadAccount"] {
        let mut s = kind_schema(kind);
        if let Some(o) = s.as_object_mut() {
            if let Some(Value::Object(inner)) = o.remove("$defs") {
                defs.extend(inner);
            }
            o.remove("$schema");
        }
        defs.insert(kind.to_string(), s);
        one_of.push(json!({"$ref": format!("#/$defs/{kind}")}));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "eksvend inventory document",
        "description": "A Fleet, Network or WorkloadAccount document of an eksvend inventory.",
        "oneOf": one_of,
        "$defs": defs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_name_their_kind() {
        for k in KINDS {
            let s = schema(Some(k)).unwrap();
            assert_eq!(s["properties"]["kind"]["const"], *k);
        }
        let any = schema(None).unwrap();
        assert_eq!(any["oneOf"].as_array().unwrap().len(), 3);
        assert!(schema(Some("Nope")).is_none());
    }
}

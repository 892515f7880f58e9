//! `extends`: a blueprint built on another one. Merging is predictable and the child always wins:
//!
//! - maps deep-merge (`parameters`, add-on `values`);
//! - the keyed lists of [`KEYED_LISTS`] merge by their key: parent entries keep their order, a
//!   child entry with the same key replaces the parent's entry in place (the whole entry, no deep
//!   merge), child entries with new keys are appended in child order, and `{name: X, remove: true}`
//!   (`{path: X, remove: true}` for `files`) drops the inherited entry `X`;
//! - every other list replaces, and scalars replace.
//!
//! The `remove` flag exists only here, in the raw documents: [`merge_spec`] consumes it and
//! [`reject_removals`] refuses it in a blueprint without a parent, so it never reaches the typed
//! [`super::BlueprintSpec`].

use std::collections::BTreeSet;

use serde_json::Value;

/// The lists of `spec` that merge by key, as (field, key field).
pub const KEYED_LISTS: &[(&str, &str)] = &[
    ("eksAddons", "name"),
    ("nodePools", "name"),
    ("addons", "name"),
    ("files", "path"),
];

/// The flag of an entry that drops the inherited entry with its key.
pub const REMOVE: &str = "remove";

/// Why a child's `spec` cannot be merged over its parent's. `field` is the path in the child's
/// document, e.g. `spec.files[3].remove`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// A `remove` entry names a key the parent does not have.
    #[error("removes {key:?}, but the parent has no {list} entry {key:?}")]
    RemoveUnknown {
        /// Field path of the `remove` flag.
        field: String,
        /// The list, e.g. `files`.
        list: String,
        /// The key the entry removes.
        key: String,
    },
    /// A `remove` entry in a blueprint that has no `extends`.
    #[error("`remove: true` drops an inherited entry, but this blueprint has no `extends`")]
    RemoveWithoutParent {
        /// Field path of the `remove` flag.
        field: String,
    },
    /// `remove` set to something other than `true`.
    #[error(
        "expected `remove: true` (omit `remove` for an entry that adds or replaces), found {found}"
    )]
    RemoveNotTrue {
        /// Field path of the `remove` flag.
        field: String,
        /// The value found.
        found: String,
    },
    /// A `remove` entry with more than its key.
    #[error("an entry with `remove: true` holds only `{key_field}` and `remove`; found `{extra}`")]
    RemoveWithFields {
        /// Field path of the extra field.
        field: String,
        /// The list's key field.
        key_field: String,
        /// The first field that is neither the key nor `remove`.
        extra: String,
    },
    /// An entry of a keyed list without a string key.
    #[error("expected an entry with a string `{key_field}` (the key {list} entries merge by)")]
    MissingKey {
        /// Field path of the missing key.
        field: String,
        /// The list, e.g. `addons`.
        list: String,
        /// The list's key field.
        key_field: String,
    },
    /// The child lists the same key twice.
    #[error("{key:?} appears more than once in this blueprint's {list}")]
    DuplicateKey {
        /// Field path of the second occurrence's key.
        field: String,
        /// The list, e.g. `nodePools`.
        list: String,
        /// The repeated key.
        key: String,
    },
}

impl MergeError {
    /// The field path in the child's document, e.g. `spec.files[3].remove`.
    pub fn field(&self) -> &str {
        match self {
            MergeError::RemoveUnknown { field, .. }
            | MergeError::RemoveWithoutParent { field }
            | MergeError::RemoveNotTrue { field, .. }
            | MergeError::RemoveWithFields { field, .. }
            | MergeError::MissingKey { field, .. }
            | MergeError::DuplicateKey { field, .. } => field,
        }
    }
}

/// Merge the child's `spec` over the parent's: keyed lists by key, everything else with
/// [`merge`].
pub fn merge_spec(parent: &Value, child: &Value) -> Result<Value, MergeError> {
    let (Value::Object(p), Value::Object(c)) = (parent, child) else {
        return Ok(merge(parent, child));
    };
    let mut out = p.clone();
    for (k, v) in c {
        let merged = match keyed(k) {
            Some(key_field) if v.is_array() => {
                let inherited = p.get(k).map_or(&[][..], as_array);
                Value::Array(merge_keyed(k, key_field, inherited, as_array(v))?)
            }
            _ => match p.get(k) {
                Some(pv) => merge(pv, v),
                None => v.clone(),
            },
        };
        out.insert(k.clone(), merged);
    }
    Ok(Value::Object(out))
}

/// The `spec` of a blueprint without `extends` may not remove anything.
pub fn reject_removals(spec: &Value) -> Result<(), MergeError> {
    for (list, _) in KEYED_LISTS {
        let Some(entries) = spec.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, entry) in entries.iter().enumerate() {
            if entry.get(REMOVE).is_some() {
                return Err(MergeError::RemoveWithoutParent {
                    field: format!("spec.{list}[{i}].{REMOVE}"),
                });
            }
        }
    }
    Ok(())
}

/// Merge `child` over `parent`: maps deep-merge, lists and scalars replace.
pub fn merge(parent: &Value, child: &Value) -> Value {
    match (parent, child) {
        (Value::Object(p), Value::Object(c)) => {
            let mut out = p.clone();
            for (k, v) in c {
                let merged = match p.get(k) {
                    Some(pv) => merge(pv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, c) => c.clone(),
    }
}

/// The key field of `list` when it is one of [`KEYED_LISTS`].
pub fn keyed(list: &str) -> Option<&'static str> {
    KEYED_LISTS
        .iter()
        .find(|(l, _)| *l == list)
        .map(|(_, key)| *key)
}

/// True when `entry` is a well-formed `{KEY: x, remove: true}` of a keyed list (for callers that
/// walk the raw documents, e.g. to track where entries came from).
pub fn is_removal(entry: &Value) -> bool {
    entry.get(REMOVE) == Some(&Value::Bool(true))
}

fn as_array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn merge_keyed(
    list: &str,
    key_field: &str,
    parent: &[Value],
    child: &[Value],
) -> Result<Vec<Value>, MergeError> {
    let mut out = parent.to_vec();
    let mut seen = BTreeSet::new();
    for (i, entry) in child.iter().enumerate() {
        let at = |f: &str| format!("spec.{list}[{i}].{f}");
        let key = entry
            .get(key_field)
            .and_then(Value::as_str)
            .ok_or_else(|| MergeError::MissingKey {
                field: at(key_field),
                list: list.to_string(),
                key_field: key_field.to_string(),
            })?;
        if !seen.insert(key) {
            return Err(MergeError::DuplicateKey {
                field: at(key_field),
                list: list.to_string(),
                key: key.to_string(),
            });
        }
        let inherited = out
            .iter()
            .position(|p| p.get(key_field).and_then(Value::as_str) == Some(key));
        match (removal(entry, key_field, &at)?, inherited) {
            (true, Some(pos)) => {
                out.remove(pos);
            }
            (true, None) => {
                return Err(MergeError::RemoveUnknown {
                    field: at(REMOVE),
                    list: list.to_string(),
                    key: key.to_string(),
                })
            }
            (false, Some(pos)) => out[pos] = entry.clone(),
            (false, None) => out.push(entry.clone()),
        }
    }
    Ok(out)
}

/// Whether `entry` removes its key; a `remove` flag must be `true` and stand alone with the key.
fn removal(
    entry: &Value,
    key_field: &str,
    at: &dyn Fn(&str) -> String,
) -> Result<bool, MergeError> {
    let Some(fields) = entry.as_object() else {
        return Ok(false);
    };
    match fields.get(REMOVE) {
        None => Ok(false),
        Some(Value::Bool(true)) => match fields.keys().find(|k| *k != key_field && *k != REMOVE) {
            None => Ok(true),
            Some(extra) => Err(MergeError::RemoveWithFields {
                field: at(extra),
                key_field: key_field.to_string(),
                extra: extra.clone(),
            }),
        },
        Some(found) => Err(MergeError::RemoveNotTrue {
            field: at(REMOVE),
            found: found.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_deep_merge_lists_and_scalars_replace() {
        let parent = json!({"a": {"x": 1, "y": [1, 2]}, "b": "p", "c": [1]});
        let child = json!({"a": {"y": [3], "z": true}, "b": "c"});
        assert_eq!(
            merge(&parent, &child),
            json!({"a": {"x": 1, "y": [3], "z": true}, "b": "c", "c": [1]})
        );
    }

    /// Names of `list`'s entries in `spec` with their `v` marker, e.g. `a:p`.
    fn entries(spec: &Value, list: &str, key: &str) -> Vec<String> {
        spec[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}:{}",
                    e[key].as_str().unwrap(),
                    e["v"].as_str().unwrap_or("-")
                )
            })
            .collect()
    }

    #[test]
    fn keyed_lists_merge_by_key() {
        let parent = json!({
            "addons": [{"name": "a", "v": "p"}, {"name": "b", "v": "p"}, {"name": "c", "v": "p"}],
            "files": [{"path": "x", "v": "p"}, {"path": "y", "v": "p"}],
            "eksAddons": [{"name": "vpc-cni"}],
            "nodePools": [{"name": "spot", "v": "p"}],
        });
        // (list, key, child's list, expected "key:marker" in order)
        let table: &[(&str, &str, Value, &[&str])] = &[
            // replaced in place, whole entry: the parent's other fields are gone
            (
                "addons",
                "name",
                json!([{"name": "b", "v": "c"}]),
                &["a:p", "b:c", "c:p"],
            ),
            // new keys appended in child order, after the parent's
            (
                "addons",
                "name",
                json!([{"name": "z", "v": "c"}, {"name": "d", "v": "c"}]),
                &["a:p", "b:p", "c:p", "z:c", "d:c"],
            ),
            // removal, replacement and appending together
            (
                "addons",
                "name",
                json!([{"name": "d", "v": "c"}, {"name": "a", "remove": true}, {"name": "c", "v": "c"}]),
                &["b:p", "c:c", "d:c"],
            ),
            (
                "files",
                "path",
                json!([{"path": "x", "remove": true}, {"path": "z", "v": "c"}]),
                &["y:p", "z:c"],
            ),
            (
                "files",
                "path",
                json!([{"path": "y", "v": "c"}]),
                &["x:p", "y:c"],
            ),
            (
                "nodePools",
                "name",
                json!([{"name": "spot", "v": "c"}, {"name": "gpu", "v": "c"}]),
                &["spot:c", "gpu:c"],
            ),
            (
                "eksAddons",
                "name",
                json!([{"name": "vpc-cni", "remove": true}]),
                &[],
            ),
            // an empty child list changes nothing
            ("addons", "name", json!([]), &["a:p", "b:p", "c:p"]),
        ];
        for (list, key, child_list, expected) in table {
            let child = json!({ *list: child_list });
            let merged = merge_spec(&parent, &child).unwrap();
            assert_eq!(
                &entries(&merged, list, key),
                expected,
                "{list} {child_list}"
            );
        }
        // a replacing entry is taken as written
        let merged = merge_spec(&parent, &json!({"addons": [{"name": "a", "w": 1}]})).unwrap();
        assert_eq!(merged["addons"][0], json!({"name": "a", "w": 1}));
    }

    #[test]
    fn other_lists_replace_and_omitted_lists_are_inherited() {
        let parent = json!({"addons": [{"name": "a"}], "tags": [1, 2], "parameters": {"x": {"default": 1, "type": "integer"}}});
        let child = json!({"tags": [3], "parameters": {"x": {"default": 2}}});
        assert_eq!(
            merge_spec(&parent, &child).unwrap(),
            json!({"addons": [{"name": "a"}], "tags": [3], "parameters": {"x": {"default": 2, "type": "integer"}}})
        );
        // keyed lists merge only at the top of spec: lists inside values replace
        let parent = json!({"addons": [{"name": "a", "values": {"l": [{"name": "k", "x": 1}]}}]});
        let child = json!({"addons": [{"name": "a", "values": {"l": [{"name": "j"}]}}]});
        assert_eq!(merge_spec(&parent, &child).unwrap(), child);
    }

    #[test]
    fn bad_merges_name_the_field() {
        let parent = json!({"addons": [{"name": "a"}], "files": [{"path": "x"}, {"path": "y"}]});
        let table: &[(Value, &str, &str)] = &[
            (json!({"files": [{"path": "x"}, {"path": "y"}, {"path": "z"}, {"path": "w", "remove": true}]}),
             "spec.files[3].remove", "removes \"w\", but the parent has no files entry \"w\""),
            (json!({"addons": [{"name": "a", "remove": false}]}),
             "spec.addons[0].remove", "expected `remove: true` (omit `remove` for an entry that adds or replaces), found false"),
            (json!({"addons": [{"name": "a", "remove": true, "chart": "c"}]}),
             "spec.addons[0].chart", "an entry with `remove: true` holds only `name` and `remove`; found `chart`"),
            (json!({"addons": [{"chart": "c"}]}),
             "spec.addons[0].name", "expected an entry with a string `name` (the key addons entries merge by)"),
            (json!({"files": [{"path": "z"}, {"path": "z"}]}),
             "spec.files[1].path", "\"z\" appears more than once in this blueprint's files"),
            (json!({"nodePools": [{"name": "gpu", "remove": true}]}),
             "spec.nodePools[0].remove", "removes \"gpu\", but the parent has no nodePools entry \"gpu\""),
        ];
        for (child, field, message) in table {
            let err = merge_spec(&parent, child).unwrap_err();
            assert_eq!(
                (err.field(), err.to_string().as_str()),
                (*field, *message),
                "{child}"
            );
        }
    }

    #[test]
    fn removals_need_a_parent() {
        let spec = json!({"files": [{"path": "x"}], "addons": [{"name": "a"}, {"name": "b", "remove": true}]});
        let err = reject_removals(&spec).unwrap_err();
        assert_eq!(err.field(), "spec.addons[1].remove");
        assert_eq!(
            err.to_string(),
            "`remove: true` drops an inherited entry, but this blueprint has no `extends`"
        );
        assert!(reject_removals(&json!({"files": [{"path": "x"}]})).is_ok());
    }
}

//! `extends`: a blueprint built on another one. Merging is predictable: maps deep-merge, lists
//! replace, scalars replace; the child always wins.

use serde_json::Value;

/// Merge `child` over `parent`.
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
}

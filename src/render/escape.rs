//! Escaping for YAML and JSON: the only way values reach a rendered manifest.
//!
//! Autoescaping is on for every `.yaml`, `.yml` and `.json` template: `{{ x }}` prints `x` as a
//! double-quoted scalar (JSON string syntax, which YAML accepts), so no input — newlines, `: `,
//! `#`, `---`, quotes, `{{` — can add keys, documents or comments. Filters that must print
//! structure (`num`, `bool`, `json`) build it from typed values and mark the result safe.

use std::io::Write;

use tera::{Kwargs, State, Value};

/// Tera escape function: write `input` as a JSON/YAML double-quoted string.
pub fn quote(input: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let quoted = serde_json::to_string(input).map_err(std::io::Error::other)?;
    out.write_all(quoted.as_bytes())
}

/// `{{ n | num }}`: an integer printed bare (not quoted).
pub fn num(n: i64, _: Kwargs, _: &State) -> Value {
    Value::safe_string(&n.to_string())
}

/// `{{ b | bool }}`: `true` or `false`, bare.
pub fn boolean(b: bool, _: Kwargs, _: &State) -> Value {
    Value::safe_string(if b { "true" } else { "false" })
}

/// `{{ v | json }}`: any value as compact JSON (a valid YAML flow value), strings escaped.
pub fn json(v: Value, _: Kwargs, _: &State) -> tera::TeraResult<Value> {
    let text = serde_json::to_string(&v).map_err(|e| tera::Error::message(e.to_string()))?;
    Ok(Value::safe_string(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = Vec::new();
        quote(s, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn hostile_strings_stay_one_scalar() {
        for hostile in [
            "a\nkey: value",
            "\"quoted\"",
            "# comment",
            "---\nkind: Secret",
            "{{ x }}",
            "ünïcødé ✓",
            "back\\slash",
            "tab\there",
        ] {
            let doc = format!("k: {}\n", quoted(hostile));
            let v: serde_yaml::Value = serde_yaml::from_str(&doc).unwrap();
            let m = v.as_mapping().unwrap();
            assert_eq!(m.len(), 1, "{hostile:?}");
            assert_eq!(v["k"].as_str(), Some(hostile));
        }
    }
}

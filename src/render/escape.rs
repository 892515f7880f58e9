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

/// `{{ v | sh }}`: `v` as one shell word, for commands in READMEs a person pastes into a
/// shell: printed bare when it holds only characters no shell treats specially
/// (`[A-Za-z0-9_./:=@,+%-]`), otherwise in single quotes (a `'` inside becomes `'\''`). Never
/// empty (an empty value is `''`).
pub fn sh(v: &str, _: Kwargs, _: &State) -> Value {
    Value::safe_string(&shell_word(v))
}

fn shell_word(v: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@,+%-".contains(c);
    if !v.is_empty() && v.chars().all(plain) {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

/// `{{ k | key }}`: an identifier (`[A-Za-z][A-Za-z0-9]*`) printed bare, for a YAML mapping
/// key that comes from a closed set (eksctl's `wellKnownPolicies` keys); anything else is an
/// error, never output.
pub fn key(k: &str, _: Kwargs, _: &State) -> tera::TeraResult<Value> {
    if is_identifier(k) {
        Ok(Value::safe_string(k))
    } else {
        Err(tera::Error::message(format!(
            "{k:?} is not an identifier; the key filter prints only [A-Za-z][A-Za-z0-9]*"
        )))
    }
}

fn is_identifier(k: &str) -> bool {
    k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `{{ v | json }}`: any value as compact JSON (a valid YAML flow value), strings escaped,
/// object keys sorted so that the output is deterministic.
pub fn json(v: Value, _: Kwargs, _: &State) -> tera::TeraResult<Value> {
    let value = serde_json::to_value(&v).map_err(|e| tera::Error::message(e.to_string()))?;
    Ok(Value::safe_string(&flow(&value)))
}

/// JSON in YAML flow style: `{"a": 1, "b": [1, 2]}`, keys sorted, strings JSON-escaped.
fn flow(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}: {}",
                        serde_json::Value::String(k.clone()),
                        flow(&map[k])
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        serde_json::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        scalar => scalar.to_string(),
    }
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
    fn shell_words_are_quoted_unless_plain() {
        for (v, word) in [
            (
                "arn:aws:ec2:us-east-1:999988887777:subnet/subnet-0a1",
                "arn:aws:ec2:us-east-1:999988887777:subnet/subnet-0a1",
            ),
            (
                "Key=kubernetes.io/role/elb,Value=1",
                "Key=kubernetes.io/role/elb,Value=1",
            ),
            ("", "''"),
            ("a b", "'a b'"),
            ("$(rm -rf /)", "'$(rm -rf /)'"),
            ("it's", "'it'\\''s'"),
            ("a\nb", "'a\nb'"),
            ("`x`", "'`x`'"),
        ] {
            assert_eq!(shell_word(v), word, "{v:?}");
        }
    }

    #[test]
    fn only_identifiers_are_keys() {
        for (k, ok) in [
            ("awsLoadBalancerController", true),
            ("externalDNS", true),
            ("", false),
            ("1a", false),
            ("a: b", false),
            ("a\nb", false),
            ("ä", false),
        ] {
            assert_eq!(is_identifier(k), ok, "{k:?}");
        }
    }

    #[test]
    fn flow_sorts_keys_and_spaces_items() {
        let v = serde_json::json!({"b": [1, "x"], "a": {"d": null, "c": true}, "e": {}});
        assert_eq!(
            flow(&v),
            r#"{"a": {"c": true, "d": null}, "b": [1, "x"], "e": {}}"#
        );
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

//! Safe templating: hostile values in every string the templates print cannot add keys,
//! documents or comments; each parses back to exactly the intended structure.

use std::collections::BTreeSet;

use eksvend::blueprint::catalog::Catalog;
use eksvend::render::{self, RenderedTree};
use eksvend::resolve::{self, ClusterSpec};

const HOSTILE: &[&str] = &[
    "x\nkind: Secret\nmetadata: {name: pwned}",
    "---\napiVersion: v1\nkind: ConfigMap",
    "a: b # c",
    "\"quoted\" and 'single'",
    "{{ spec.account.id }} {% if true %}x{% endif %}",
    "ünïcødé ✓ — 漢字",
    "back\\slash\ttab",
];

fn long() -> String {
    "a-very-long-value-".repeat(400)
}

/// Put `v` into every free string of the resolved model that a template prints.
fn poison(spec: &mut ClusterSpec, v: &str, keys: bool) {
    spec.account.team = v.into();
    spec.account.environment = v.into();
    let network = std::sync::Arc::make_mut(&mut spec.network);
    network.vpc_id = v.into();
    network.ram_share_arn = v.into();
    network.account_id = v.into();
    for s in network
        .private_subnets
        .iter_mut()
        .chain(network.public_subnets.iter_mut())
    {
        s.id = v.into();
        // AZ IDs are mapping keys; YAML caps implicit keys at 1024 characters, and validation
        // guarantees AZ IDs are short, so only the short hostile values go there.
        if keys {
            s.zone_id = format!("{v}{}", s.zone_id);
        }
    }
    spec.gitops.repo_url = v.into();
    spec.gitops.branch = v.into();
    for r in &mut spec.gitops.repos {
        r.url = v.into();
        r.path = v.into();
        r.revision = v.into();
    }
    for t in &mut spec.gitops.teams {
        t.source_repos = vec![v.into()];
    }
    for p in spec.blueprint.parameters.values_mut() {
        if p.is_string() {
            *p = serde_json::Value::String(v.into());
        }
    }
    for a in &mut spec.blueprint.addons {
        std::sync::Arc::make_mut(&mut a.addon)
            .values
            .insert("injected".into(), serde_json::Value::String(v.into()));
    }
    for t in &mut spec.tenants {
        if let Some(q) = &mut t.quota {
            q.cpu = Some(v.into());
        }
    }
    spec.karpenter.node_role_name = v.into();
    spec.karpenter.node_role_arn = v.into();
    spec.cluster.arn = v.into();
    spec.cluster.kubernetes_version = v.into();
}

/// Every (file, document index, key path) of the rendered YAML, and every string value.
fn structure(tree: &RenderedTree, injected: &str) -> (BTreeSet<String>, Vec<String>) {
    let mut keys = BTreeSet::new();
    let mut strings = Vec::new();
    for (path, file) in &tree.files {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        for (i, doc) in serde_yaml::Deserializer::from_str(&file.content).enumerate() {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(doc)
                .unwrap_or_else(|e| panic!("{path} doc {i}: {e}"));
            walk(
                &format!("{path}#{i}"),
                &v,
                injected,
                &mut keys,
                &mut strings,
            );
        }
    }
    (keys, strings)
}

fn walk(
    at: &str,
    v: &serde_yaml::Value,
    injected: &str,
    keys: &mut BTreeSet<String>,
    strings: &mut Vec<String>,
) {
    match v {
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                let k = k.as_str().map_or_else(|| format!("{k:?}"), str::to_string);
                // keys that carry an injected value (AZ IDs) are compared with the value masked
                let shown = k.replace(injected, "<v>");
                keys.insert(format!("{at}/{shown}"));
                strings.push(k);
                walk(&format!("{at}/{shown}"), v, injected, keys, strings);
            }
        }
        serde_yaml::Value::Sequence(s) => {
            for (i, v) in s.iter().enumerate() {
                walk(&format!("{at}[{i}]"), v, injected, keys, strings);
            }
        }
        serde_yaml::Value::String(s) => strings.push(s.clone()),
        _ => {}
    }
}

#[test]
fn hostile_values_parse_back_to_the_intended_structure() {
    let catalog = Catalog::builtin().unwrap();
    let fleet = crate::support::root().join("examples/fleet");
    let inv = eksvend::fleet::load::load(&fleet).unwrap();
    let model = eksvend::fleet::model::convert(&inv).unwrap();
    let specs = resolve::resolve(&model, &catalog).unwrap();
    let tera = render::engine(&catalog).unwrap();
    let mut values: Vec<String> = HOSTILE
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    values.push(long());
    for spec in &specs {
        for v in &values {
            let keys = v.len() < 200;
            let mut baseline_spec = spec.clone();
            poison(&mut baseline_spec, "plain-value", keys);
            let (baseline, _) = structure(
                &render::render(&tera, &baseline_spec, &eksvend::iam::build(&baseline_spec))
                    .unwrap(),
                "plain-value",
            );
            let mut hostile = spec.clone();
            poison(&mut hostile, v, keys);
            let tree = render::render(&tera, &hostile, &eksvend::iam::build(&hostile)).unwrap();
            let (keys, strings) = structure(&tree, v);
            let added: Vec<&String> = keys.difference(&baseline).collect();
            let removed: Vec<&String> = baseline.difference(&keys).collect();
            assert!(
                added.is_empty() && removed.is_empty(),
                "{}: {v:?} changed the structure: added {added:?}, removed {removed:?}",
                spec.account.name
            );
            assert!(
                strings.iter().any(|s| s == v),
                "{}: {v:?} is not a whole value anywhere",
                spec.account.name
            );
            for (path, file) in &tree.files {
                if !path.ends_with(".md") {
                    assert!(
                        !file
                            .content
                            .contains("kind: Secret\nmetadata: {name: pwned}"),
                        "raw injection in {path}"
                    );
                }
            }
        }
    }
}

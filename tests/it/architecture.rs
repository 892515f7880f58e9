//! The shape of `src/`, checked: an import graph of the top-level modules (every `crate::x`
//! outside comments and `#[cfg(test)]` modules) has no cycle, and no pipeline stage imports a
//! later one. This is the tool that measures the redesign's "stages only look down".

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The pipeline stages, in order (lib.rs's crate doc).
const STAGES: &[&str] = &[
    "blueprint",
    "fleet",
    "resolve",
    "iam",
    "check",
    "render",
    "verify",
    "plan",
    "apply",
];

fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = crate::support::root().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let from = top_module(&src, entry.path());
        let code = code_of(&std::fs::read_to_string(entry.path()).unwrap());
        let deps = graph.entry(from.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != from {
                deps.insert(name);
            }
        }
    }
    graph
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(m) = todo.pop() {
        for d in graph.get(&m).into_iter().flatten() {
            if d == to {
                return true;
            }
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    false
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = import_graph();
    let cyclic: Vec<&String> = graph.keys().filter(|m| reaches(&graph, m, m)).collect();
    assert!(
        cyclic.is_empty(),
        "modules on a cycle: {cyclic:?}\n{graph:#?}"
    );
}

#[test]
fn no_stage_imports_a_later_stage() {
    let graph = import_graph();
    let mut back_edges = Vec::new();
    for (i, stage) in STAGES.iter().enumerate() {
        for later in &STAGES[i + 1..] {
            if graph.get(*stage).is_some_and(|d| d.contains(*later)) {
                back_edges.push(format!("{stage} -> {later}"));
            }
        }
    }
    assert!(back_edges.is_empty(), "back edges: {back_edges:?}");
    assert!(graph.contains_key("check") && graph.contains_key("iam"));
}

#[test]
fn lib_rs_lists_the_stages_in_order() {
    let lib = std::fs::read_to_string(crate::support::root().join("src/lib.rs")).unwrap();
    let positions: Vec<usize> = STAGES
        .iter()
        .map(|s| {
            lib.find(&format!("pub mod {s};"))
                .unwrap_or_else(|| panic!("lib.rs has no `pub mod {s};`"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn no_stage_after_fleet_sees_a_wire_type() {
    let src = crate::support::root().join("src");
    let mut offenders = Vec::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") || path.starts_with(src.join("fleet")) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(path).unwrap());
        if code.contains("fleet::wire") || code.contains("WorkloadAccountSpec") {
            offenders.push(path.strip_prefix(&src).unwrap().display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "wire types outside fleet/: {offenders:?}"
    );
}

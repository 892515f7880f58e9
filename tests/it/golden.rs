//! Golden files: the example inventory's rendered repositories, checked in under
//! `tests/golden/`. A template change shows up as a reviewable diff; re-bless with
//! `EKSVEND_BLESS=1 cargo test --test it golden` and review `git diff tests/golden`.

use std::collections::BTreeMap;

use crate::support::{copy_dir, read_tree, root, Test};

const BLESS: &str = "EKSVEND_BLESS=1 cargo test --test it golden";

#[test]
fn example_repos_match_golden_files() {
    let t = Test::new();
    t.render("out").success();
    let golden_dir = root().join("tests/golden");
    if std::env::var_os("EKSVEND_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&golden_dir);
        copy_dir(&t.path("out"), &golden_dir);
        let _ = std::fs::remove_file(golden_dir.join(".eksvend-render"));
    }
    let mut rendered = t.tree("out");
    rendered.remove(".eksvend-render"); // render's marker of its folder, not a repository file
    let mismatches = compare(&read_tree(&golden_dir), &rendered);
    assert!(
        mismatches.is_empty(),
        "{} file(s) differ from tests/golden/ (re-bless with `{BLESS}` and review the diff):\n\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// One unified diff per file that is missing, new or different (golden → rendered).
fn compare(
    golden: &BTreeMap<String, Vec<u8>>,
    rendered: &BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let text = |files: &BTreeMap<String, Vec<u8>>, path: &str| {
        files
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let mut paths: Vec<&String> = golden.keys().chain(rendered.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| golden.get(*p) != rendered.get(*p))
        .map(|path| match (text(golden, path), text(rendered, path)) {
            (Some(g), Some(r)) => similar::TextDiff::from_lines(&g, &r)
                .unified_diff()
                .header(&format!("golden/{path}"), &format!("rendered/{path}"))
                .to_string(),
            (Some(_), None) => format!("{path}: in tests/golden/ but no longer rendered\n"),
            (None, _) => format!("{path}: rendered but not in tests/golden/\n"),
        })
        .collect()
}

#[test]
fn a_golden_mismatch_is_shown_as_a_diff() {
    let file = |text: &str| BTreeMap::from([("a.yaml".to_string(), text.as_bytes().to_vec())]);
    let diff = compare(&file("a: 1\nb: 2\nc: 3\n"), &file("a: 1\nb: 3\nc: 3\n"));
    insta::assert_snapshot!(diff.join("\n"), @r"
    --- golden/a.yaml
    +++ rendered/a.yaml
    @@ -1,3 +1,3 @@
     a: 1
    -b: 2
    +b: 3
     c: 3
    ");
    let (one, none) = (file("x: 1\n"), BTreeMap::new());
    assert_eq!(
        compare(&one, &none),
        ["a.yaml: in tests/golden/ but no longer rendered\n"]
    );
    assert_eq!(
        compare(&none, &one),
        ["a.yaml: rendered but not in tests/golden/\n"]
    );
}

#[test]
fn rendering_twice_is_byte_identical() {
    let t = Test::new();
    t.render("a").success();
    t.render("b").success();
    assert_eq!(t.tree("a"), t.tree("b"));
}

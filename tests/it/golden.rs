//! Golden files: the example inventory's rendered repositories, checked in under
//! `tests/golden/`. A template change shows up as a reviewable diff; re-bless with
//! `EKSVEND_BLESS=1 cargo test --test it golden` and review `git diff tests/golden`.

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
    }
    let rendered = t.tree("out");
    let golden = read_tree(&golden_dir);
    assert_eq!(
        rendered.keys().collect::<Vec<_>>(),
        golden.keys().collect::<Vec<_>>(),
        "the set of rendered files changed (re-bless with `{BLESS}`)"
    );
    for (path, content) in &rendered {
        assert!(
            golden[path] == *content,
            "{path} differs from tests/golden/{path} (re-bless with `{BLESS}` and review the diff):\n{}",
            String::from_utf8_lossy(content)
        );
    }
}

#[test]
fn rendering_twice_is_byte_identical() {
    let t = Test::new();
    t.render("a").success();
    t.render("b").success();
    assert_eq!(t.tree("a"), t.tree("b"));
}

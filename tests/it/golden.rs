//! Golden files: the example inventory's rendered repositories, checked in under
//! `tests/golden/`. A template change shows up as a reviewable diff; re-bless with
//! `EKSVEND_BLESS=1 cargo test --test it golden`.

use crate::support::{read_tree, root, Scenario};

#[test]
fn example_repos_match_golden_files() {
    let s = Scenario::example();
    let run = s.eksvend(&["render", "-f", "fleet", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let golden_dir = root().join("tests/golden");
    if std::env::var_os("EKSVEND_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&golden_dir);
        crate::support::copy_dir(&s.path("out"), &golden_dir);
    }
    let rendered = read_tree(&s.path("out"));
    let golden = read_tree(&golden_dir);
    let rendered_paths: Vec<&String> = rendered.keys().collect();
    let golden_paths: Vec<&String> = golden.keys().collect();
    assert_eq!(
        rendered_paths, golden_paths,
        "the set of rendered files changed (re-bless with EKSVEND_BLESS=1)"
    );
    for (path, content) in &rendered {
        assert!(
            golden[path] == *content,
            "{path} differs from tests/golden/{path} (re-bless with EKSVEND_BLESS=1 and review the diff):\n{}",
            String::from_utf8_lossy(content)
        );
    }
}

#[test]
fn rendering_twice_is_byte_identical() {
    let s = Scenario::example();
    assert_eq!(s.eksvend(&["render", "-f", "fleet", "--out", "a"]).code, 0);
    assert_eq!(s.eksvend(&["render", "-f", "fleet", "--out", "b"]).code, 0);
    assert_eq!(read_tree(&s.path("a")), read_tree(&s.path("b")));
}

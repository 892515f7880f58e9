//! Failures outside the inventory: each names the path or repository it concerns, and ends
//! the run with exit status 1.

use crate::support::{Output, Test};

const ACCOUNT: &str = "payments-prod";

/// The run's `error:` line (warnings may come first).
fn error_line(run: &Output) -> &str {
    run.stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{}", run.stderr))
}

fn only(s: &Test, args: &[&str]) -> Output {
    let only = format!("account={ACCOUNT}");
    let mut all = args.to_vec();
    all.extend(["--only", &only]);
    s.args(all).run()
}

#[test]
fn render_into_a_file_says_it_is_not_a_folder() {
    let s = Test::new();
    std::fs::write(s.path("out"), "a file, not a directory\n").unwrap();
    let run = only(&s, &["render", "-f", "fleet", "--out", "out"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    insta::assert_snapshot!(error_line(&run), @"error: out: is not a folder (a file or a symlink); pass --out a new or empty folder; nothing was written");
}

#[test]
fn apply_into_a_file_names_the_repositories_directory() {
    let s = Test::new();
    std::fs::write(s.path("repos"), "a file, not a directory\n").unwrap();
    let run = only(&s, &["apply", "-f", "fleet", "--repos", "repos"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = error_line(&run);
    // in words, not "failed to create directory `repos`: File exists (os error 17)"
    assert!(
        line.starts_with("error: --repos repos: is a file, not a folder; "),
        "{line}"
    );
}

#[test]
fn a_state_file_that_is_not_utf8_is_an_error_not_a_missing_state() {
    let s = Test::new();
    s.apply().success();
    let repo = format!("repos/{ACCOUNT}");
    std::fs::write(
        s.path(&format!("{repo}/.eksvend/state.yaml")),
        b"files: \xff\n",
    )
    .unwrap();
    s.git(&repo, &["commit", "-qam", "break the state file"]);
    for command in ["plan", "apply"] {
        let run = only(&s, &[command, "-f", "fleet", "--repos", "repos"]);
        assert_eq!(run.code, 1, "{command}: {}", run.stdout);
        assert_eq!(
            error_line(&run),
            format!("error: {repo}: .eksvend/state.yaml: not UTF-8 text"),
            "{command}"
        );
    }
}

/// Uncommitted changes to a tracked file whose name is not UTF-8 used to be overlooked, and a
/// commit's checkout would then have reset them.
#[cfg(unix)]
#[test]
fn a_dirty_file_whose_name_is_not_utf8_is_refused() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let s = Test::new();
    s.apply().success();
    let repo = format!("repos/{ACCOUNT}");
    let file = s.path(&repo).join(OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::write(&file, "mine\n").unwrap();
    s.git(&repo, &["add", "-A"]);
    s.git(&repo, &["commit", "-qm", "a file of mine"]);
    std::fs::write(&file, "mine, edited\n").unwrap();
    s.edit(
        &format!("fleet/accounts/{ACCOUNT}.yaml"),
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    let run = s.apply().run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = error_line(&run);
    assert!(
        line.ends_with(": the working tree has uncommitted changes (caf\u{fffd}.txt); commit or stash them, then run eksvend again"),
        "{line}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine, edited\n");
}

//! A reader that goes away early (`eksvend schema | head -1` in a pipefail script) ends every
//! command quietly with exit 0, as ripgrep does, instead of a panic with exit 101.

use crate::support::Test;

#[test]
fn every_command_into_a_closed_pipe_exits_0_without_a_panic() {
    let t = Test::new();
    for args in [
        &["schema"][..],
        &["schema", "Fleet"],
        &["completions", "bash"],
        &["man"],
        &["blueprints", "list"],
        &["blueprints", "show", "general"],
        &["validate", "-f", "fleet"],
        &["render", "-f", "fleet", "--out", "out"],
        &["plan", "-f", "fleet", "--repos", "repos", "--diff"],
        &[
            "plan", "-f", "fleet", "--repos", "repos", "--format", "json",
        ],
        &["apply", "-f", "fleet", "--repos", "repos"],
        &["init", "starter"],
    ] {
        let out = t.args(args).run_into_closed_pipe();
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    }
    // The work itself was done: apply committed although nobody read its summary.
    t.repo("payments-prod").fsck();
}

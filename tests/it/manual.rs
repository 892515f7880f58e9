//! Man pages and completions (issue 15, point 7): `eksvend man` is one page holding every
//! subcommand and its options; `eksvend man DIR` writes a page per subcommand and every page
//! another one names exists; completion scripts offer the `--only` keys and the blueprint
//! names, while any value is still accepted.

use std::collections::BTreeSet;

use crate::support::Test;

/// The subcommands, as `eksvend-<path>` page names.
const PAGES: &[&str] = &[
    "eksvend",
    "eksvend-validate",
    "eksvend-render",
    "eksvend-plan",
    "eksvend-apply",
    "eksvend-new",
    "eksvend-init",
    "eksvend-blueprints",
    "eksvend-blueprints-list",
    "eksvend-blueprints-show",
    "eksvend-schema",
    "eksvend-completions",
    "eksvend-man",
];

#[test]
fn the_man_page_holds_every_subcommand_and_its_options() {
    let t = Test::empty();
    let page = t.args(["man"]).success().stdout;
    assert!(page.contains("\n.TH eksvend 1 "), "{page}");
    let sections: Vec<&str> = page
        .lines()
        .filter(|l| l.starts_with(".SH \"EKSVEND "))
        .collect();
    insta::assert_snapshot!(sections.join("\n"), @r#"
    .SH "EKSVEND VALIDATE"
    .SH "EKSVEND RENDER"
    .SH "EKSVEND PLAN"
    .SH "EKSVEND APPLY"
    .SH "EKSVEND NEW"
    .SH "EKSVEND INIT"
    .SH "EKSVEND BLUEPRINTS"
    .SH "EKSVEND BLUEPRINTS LIST"
    .SH "EKSVEND BLUEPRINTS SHOW"
    .SH "EKSVEND SCHEMA"
    .SH "EKSVEND COMPLETIONS"
    .SH "EKSVEND MAN"
    "#);
    for option in [
        "\\-\\-detailed\\-exitcode",
        "\\-\\-on\\-conflict",
        "\\-\\-account\\-id",
        "\\-\\-allow\\-empty",
        "\\-\\-shard",
    ] {
        assert!(page.contains(option), "no {option}");
    }
    assert!(
        !page.contains("eksvend\\-validate(1)") && !page.contains("eksvend-validate(1)"),
        "refers to a page that is not there"
    );
}

#[test]
fn man_dir_writes_a_page_per_subcommand_and_every_named_page_exists() {
    let t = Test::empty();
    t.args(["man", "pages"])
        .success()
        .stdout_has("wrote the manual pages into pages/man1: man -M pages eksvend-plan");
    let written: BTreeSet<String> = std::fs::read_dir(t.path("pages/man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = PAGES.iter().map(|p| format!("{p}.1")).collect();
    assert_eq!(written, expected);
    for file in &written {
        let text = std::fs::read_to_string(t.path(&format!("pages/man1/{file}"))).unwrap();
        // roff writes `eksvend\-plan(1)`
        for (i, _) in text.match_indices("(1)") {
            let name: String = text[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '\\')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>()
                .replace("\\-", "-");
            if name.starts_with("eksvend") {
                assert!(
                    written.contains(&format!("{name}.1")),
                    "{file} names {name}(1)"
                );
            }
        }
    }
    let plan = t.read("pages/man1/eksvend-plan.1");
    assert!(plan.contains("\\-\\-detailed\\-exitcode"), "{plan}");
}

#[test]
fn completions_offer_only_keys_and_blueprint_names() {
    let t = Test::empty();
    let bash = t.args(["completions", "bash"]).success().stdout;
    let only = bash
        .lines()
        .skip_while(|l| l.trim() != "--only)")
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    insta::assert_snapshot!(only, @r#"
    COMPREPLY=($(compgen -W "account= team= environment= blueprint= network= blueprint=aiml blueprint=batch blueprint=general" -- "${cur}"))
    "#);
    let show = bash
        .split("eksvend__subcmd__blueprints__subcmd__show)")
        .nth(1)
        .unwrap();
    assert!(show.contains("aiml batch general"), "{show}");
    let fish = t.args(["completions", "fish"]).success().stdout;
    assert!(
        fish.contains("-l only") && fish.contains("blueprint=general"),
        "{fish}"
    );
    let zsh = t.args(["completions", "zsh"]).success().stdout;
    assert!(
        zsh.contains(":KEY=VALUE:(account= team= environment= blueprint= network="),
        "{zsh}"
    );
}

#[test]
fn completion_hints_do_not_restrict_values() {
    let t = Test::new();
    // globs and user blueprints are accepted; only the inventory decides
    t.args([
        "plan",
        "-q",
        "--only",
        "account=pay*",
        "--only",
        "blueprint=gen*",
    ])
    .success();
    let out = t
        .args(["blueprints", "show", "no-such-blueprint"])
        .run()
        .code(1);
    assert!(out.stderr.contains("no-such-blueprint"), "{}", out.stderr);
}

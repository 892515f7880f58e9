//! Commits say what changed (issue 15, point 5): the subject names the blueprint version change
//! and the inventory changes eksvend can tell, the body the files added, updated, merged and
//! kept; a commit that changes no generated file says why; the trailers always name the
//! inputs the branch holds.

use crate::support::example::{with_general_1_1, CHK};
use crate::support::Test;

/// The message with the digests (which change with every example edit) cut short.
fn readable(message: &str) -> String {
    message
        .lines()
        .map(|l| match l.find("sha256:") {
            Some(i) => {
                let mut out = l[..i].to_string();
                let mut rest = &l[i..];
                while let Some(j) = rest.find("sha256:") {
                    out.push_str(&rest[..j]);
                    out.push_str("sha256:…");
                    rest = rest[j + 7..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
                }
                out.push_str(rest);
                out
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_first_commit_vends_the_account() {
    let t = Test::new();
    t.args(["apply", "--only", "account=checkout-dev"])
        .success();
    let message = t.repo("checkout-dev").message();
    assert!(
        message.starts_with("eksvend: vend checkout-dev (general 2.0.0)\n\nFiles:\n"),
        "{message}"
    );
    assert!(
        message.contains("\n  added    cluster/cluster.yaml\n"),
        "{message}"
    );
    assert!(
        message.contains("\nEksvend-Blueprint: general@2.0.0\nEksvend-Inventory-Digest: sha256:"),
        "{message}"
    );
    assert!(
        message.contains("\nEksvend-Kubernetes-Version: 1.35\n"),
        "{message}"
    );
}

#[test]
fn a_blueprint_bump_names_the_versions_and_the_files() {
    let t = with_general_1_1();
    t.apply().success();
    // a person's edit of a file the bump does not change is kept, and said so
    t.edit(
        "repos/payments-prod/README.md",
        "## Editing",
        "## Editing (read this first)",
    );
    t.repo("payments-prod").commit_all("README: a note");
    // payments-prod follows general@^2.0: the catalog's 2.1.0 is a bump
    t.args([
        "apply",
        "--blueprints",
        "custom",
        "--only",
        "account=payments-prod",
    ])
    .success();
    insta::assert_snapshot!(readable(&t.repo("payments-prod").message()), @r"
    eksvend: payments-prod: general 2.0.0 → 2.1.0

    Blueprint: general 2.0.0 → 2.1.0
    Inventory digest: sha256:… → sha256:…

    Files:
      updated  platform/karpenter/ec2nodeclass.yaml
      kept     README.md (edited by a person; the generator's output is unchanged)

    Rendered by eksvend from the fleet inventory for account payments-prod
    (111122223333, cluster payments-prod).

    Eksvend-Blueprint: general@2.1.0
    Eksvend-Inventory-Digest: sha256:…
    Eksvend-Kubernetes-Version: 1.35
    Eksvend-Version: 0.1.0
    ");
}

#[test]
fn an_inventory_change_names_the_tenant_and_the_kubernetes_version() {
    let t = Test::new();
    t.args(["apply", "--only", "account=checkout-dev"])
        .success();
    t.edit(
        &format!("fleet/{CHK}"),
        "  blueprint: general\n",
        "  blueprint: general\n  cluster:\n    kubernetesVersion: \"1.34\"\n",
    );
    t.edit(
        &format!("fleet/{CHK}"),
        "    - namespace: checkout-jobs\n",
        "    - namespace: checkout-jobs\n    - namespace: checkout-web\n",
    );
    t.args(["apply", "--only", "account=checkout-dev"])
        .success();
    insta::assert_snapshot!(readable(&t.repo("checkout-dev").message()), @r#"
    eksvend: checkout-dev: Kubernetes 1.35 → 1.34, tenant checkout-web added

    Kubernetes version: 1.35 → 1.34
    Tenants added: checkout-web
    Inventory digest: sha256:… → sha256:…

    Files:
      added    tenants/checkout-web/kustomization.yaml
      added    tenants/checkout-web/tenant.yaml
      updated  README.md
      updated  cluster/cluster.yaml
      updated  tenants/kustomization.yaml

    Rendered by eksvend from the fleet inventory for account checkout-dev
    (222233334444, cluster checkout-dev).

    Eksvend-Blueprint: general@2.0.0
    Eksvend-Inventory-Digest: sha256:…
    Eksvend-Kubernetes-Version: 1.34
    Eksvend-Version: 0.1.0
    "#);
}

#[test]
fn a_commit_of_the_state_file_alone_says_why() {
    let t = Test::new();
    t.args(["apply", "--only", "account=checkout-dev"])
        .success();
    // a Fleet-level edit that renders the same files for this account
    t.edit(
        "fleet/fleet.yaml",
        "trustPolicyMaxChars: 2048",
        "trustPolicyMaxChars: 4096",
    );
    let repo = t.repo("checkout-dev");
    let before = repo.head();
    t.args(["apply", "--only", "account=checkout-dev"])
        .success();
    assert_eq!(repo.changed(&before, "HEAD"), [".eksvend/state.yaml"]);
    insta::assert_snapshot!(readable(&repo.message()), @r"
    eksvend: checkout-dev: inventory changed; no generated file changed

    Inventory digest: sha256:… → sha256:…

    No generated file changed: the account's resolved inputs changed in a
    way that renders the same files (an edit elsewhere in the inventory, e.g.
    of the Fleet document or of another account). This commit only updates
    .eksvend/state.yaml, so that it and the trailers name the inputs this
    repository was rendered from.

    Rendered by eksvend from the fleet inventory for account checkout-dev
    (222233334444, cluster checkout-dev).

    Eksvend-Blueprint: general@2.0.0
    Eksvend-Inventory-Digest: sha256:…
    Eksvend-Kubernetes-Version: 1.35
    Eksvend-Version: 0.1.0
    ");
}

#[test]
fn trailers_are_current_after_a_conflict_resolved_by_hand() {
    let t = Test::new();
    let file = crate::support::example::quota_conflict(&t);
    t.args([
        "apply",
        "--on-conflict",
        "markers",
        "--only",
        "account=payments-prod",
    ])
    .run()
    .code(3);
    // the person resolves the markers and commits with a message of their own
    let text = t.read(&file);
    let resolved: String = text
        .lines()
        .filter(|l| {
            !l.starts_with("<<<<<<<")
                && !l.starts_with("=======")
                && !l.starts_with(">>>>>>>")
                && !l.contains("\"80\"")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    t.file(&file, &resolved);
    let repo = t.repo("payments-prod");
    repo.commit_all("take the platform team's quota");
    let resolution = repo.head();
    t.args(["apply", "--only", "account=payments-prod"])
        .success();
    assert_ne!(repo.head(), resolution, "a commit records the trailers");
    assert!(
        repo.changed(&resolution, "HEAD").is_empty(),
        "an empty commit"
    );
    let message = readable(&repo.message());
    assert!(
        message.starts_with("eksvend: payments-prod: record general@2.0.0 in the trailers\n"),
        "{message}"
    );
    // and the next run is quiet again
    let head = repo.head();
    t.args(["apply", "--only", "account=payments-prod"])
        .success();
    assert_eq!(repo.head(), head);
}

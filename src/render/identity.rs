//! Identity manifests and hand-off notes from templates: the role-chaining kustomize Component
//! of each service account, ACK PodIdentityAssociations (`pod-identity/`), and the READMEs of `handoff/` and
//! `iam/scp/`.

use serde::Serialize;
use tera::{Context, Tera};

use super::{context, RenderError, RenderedTree};
use crate::iam::{handoff_owner, handoff_targets, target_trust};
use crate::identity::modes::{ChainingMode, IdentityMode};
use crate::resolve::{ClusterSpec, Grant, TargetView};

/// One row of a hand-off README.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceRow {
    namespace: String,
    service_account: String,
    how: &'static str,
    principal: String,
    status: String,
}

/// Add the identity manifests and READMEs of one account.
pub(super) fn add_identity_files(
    tera: &Tera,
    spec: &ClusterSpec,
    tree: &mut RenderedTree,
) -> Result<(), RenderError> {
    let mut ctx = Context::new();
    ctx.insert("spec", &context::Spec::of(spec));
    for tenant in &spec.tenants {
        let mut ctx = ctx.clone();
        ctx.insert("tenant", &context::Tenant::of(spec, tenant));
        if spec.ack_associations(tenant).next().is_some() {
            // Not in tenants/: the objects need the CRD the ACK controller's chart installs,
            // so they are synced after the add-ons (bootstrap/*: Application / Kustomization
            // pod-identity).
            let path = format!("pod-identity/{}.yaml", tenant.namespace);
            put(
                tera,
                "identity/ack-pod-identity.yaml",
                &ctx,
                path,
                tree,
                spec,
            )?;
        }
        for sa in tenant
            .service_accounts
            .iter()
            .filter(|s| s.chaining_config.is_some())
        {
            let mut ctx = ctx.clone();
            ctx.insert("sa", &context::ServiceAccount::of(sa));
            let dir = format!("tenants/{}/aws-chaining/{}", tenant.namespace, sa.name);
            for (template, file) in [
                ("identity/chaining-kustomization.yaml", "kustomization.yaml"),
                ("identity/chaining-configmap.yaml", "configmap.yaml"),
                ("identity/chaining-patch.yaml", "deployment-patch.yaml"),
            ] {
                put(tera, template, &ctx, format!("{dir}/{file}"), tree, spec)?;
            }
        }
    }
    if spec.ack_objects() {
        put(
            tera,
            "identity/ack-kustomization.yaml",
            &ctx,
            "pod-identity/kustomization.yaml".into(),
            tree,
            spec,
        )?;
    }
    for (_, grants) in handoff_targets(spec) {
        let target: &TargetView = &grants[0].target;
        let mut ctx = ctx.clone();
        ctx.insert("target", &context::Target::of(target));
        // Outside the inventory: the repository whose hand-off stack creates the role.
        let owner = handoff_owner(&grants).filter(|_| target.inventory_account.is_none());
        ctx.insert("stackOwner", &owner);
        let accounts: std::collections::BTreeSet<&str> =
            grants.iter().map(|g| g.account.as_str()).collect();
        ctx.insert("fleetWide", &(owner.is_some() && accounts.len() > 1));
        ctx.insert(
            "stackName",
            &owner.map(crate::iam::stack::handoff_stack_name),
        );
        ctx.insert("sources", &grants.iter().map(row).collect::<Vec<_>>());
        ctx.insert("ready", &target_trust(&grants).is_some());
        let path = format!(
            "handoff/{}/{}/README.md",
            target.account_id, target.role_name
        );
        put(tera, "identity/handoff-README.md", &ctx, path, tree, spec)?;
    }
    put(
        tera,
        "identity/scp-README.md",
        &ctx,
        "iam/scp/README.md".into(),
        tree,
        spec,
    )
}

fn row(g: &Grant) -> SourceRow {
    let (how, principal) = match (g.identity, g.chaining) {
        (IdentityMode::Irsa, _) => ("IRSA, chained from its own role", g.source_role_arn.clone()),
        (_, ChainingMode::Native) => ("Pod Identity, native chaining", g.source_role_arn.clone()),
        (_, ChainingMode::Shared) => (
            "Pod Identity, shared chaining role",
            g.source_role_arn.clone(),
        ),
        (_, ChainingMode::Profile) => ("Pod Identity, profile chaining", g.source_role_arn.clone()),
    };
    SourceRow {
        namespace: g.namespace.clone(),
        service_account: g.service_account.clone(),
        how,
        principal,
        status: g
            .source()
            .map_or_else(|e| e.to_string(), |_| "ready".to_string()),
    }
}

fn put(
    tera: &Tera,
    template: &str,
    ctx: &Context,
    path: String,
    tree: &mut RenderedTree,
    spec: &ClusterSpec,
) -> Result<(), RenderError> {
    super::render_into(tera, template, ctx, path, false, spec, tree)
}

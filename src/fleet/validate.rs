//! Validate stage: everything a platform engineer would otherwise find out in production.
//!
//! Every rule runs; all findings are returned together, sorted by file and line.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::wire::{
    Document, FleetSpec, IdentityMode, NetworkSpec, Subnet, TeamRepo, Tenant, WorkloadAccountSpec,
};
use super::{Inventory, Sourced};
use crate::blueprint::catalog::Catalog;
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::domain::{
    cluster_kind_refusal, limits, suggest, AccountId, ApiGroup, DnsLabel, GitRef, GitUrl, Invalid,
    Ipv4Cidr, KindName, KubernetesVersion, LabelValue, OidcIssuer, PolicyArn, Quantity,
    RamShareArn, Region, RoleArn, SubnetId, TeamRepoPath, VpcId, ZoneId,
};

mod dns;
mod identity;
mod kubernetes;

/// Whether the boolean blueprint parameter `flag` is on for the account: its own value, or the
/// blueprint's default for its environment.
fn parameter_on(spec: &WorkloadAccountSpec, bp: &crate::blueprint::Blueprint, flag: &str) -> bool {
    spec.parameters.get(flag).or_else(|| {
        bp.spec
            .parameters
            .get(flag)
            .map(|p| p.default_for(&spec.environment))
    }) == Some(&serde_json::Value::Bool(true))
}

/// Namespaces eksvend and EKS own; tenants may not claim them.
const RESERVED_NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "argocd",
    "flux-system",
    "karpenter",
];

/// Collects findings against one document (validation's, and the check stage's).
pub(crate) struct Check<'a, T> {
    /// The document findings point into.
    pub(crate) src: &'a Sourced<T>,
    /// Where findings go.
    pub(crate) diags: &'a mut Diagnostics,
}

impl<'a, T> Check<'a, T> {
    /// Findings against `src`, into `diags`.
    pub(crate) fn new(src: &'a Sourced<T>, diags: &'a mut Diagnostics) -> Self {
        Check { src, diags }
    }

    /// Report `message` at `field`.
    pub(crate) fn error(&mut self, field: &str, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(self.src.at(field), field, message));
    }

    /// Report `value` at `field` when `rule` rejects it.
    pub(crate) fn rule<V>(
        &mut self,
        field: &str,
        value: &str,
        rule: impl FnOnce(&str) -> Result<V, Invalid>,
    ) -> Option<V> {
        rule(value)
            .map_err(|e| self.error(field, e.message_for(value)))
            .ok()
    }

    /// `value` as a `V`, or `None` with the finding at `field`.
    pub(crate) fn parse<V>(&mut self, field: &str, value: &str) -> Option<V>
    where
        V: for<'s> TryFrom<&'s str, Error = Invalid>,
    {
        self.rule(field, value, |s| V::try_from(s))
    }
}

/// Validate the whole inventory against itself and the blueprint catalog.
pub fn validate(
    inv: &Inventory,
    catalog: &Catalog,
    inventory_path: &std::path::Path,
) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::default();
    check_fleet_count(inv, inventory_path, &mut diags);
    let today = crate::domain::Date::today();
    for fleet in &inv.fleets {
        check_fleet(fleet, !inv.accounts.is_empty(), catalog, today, &mut diags);
    }
    let mut networks = HashMap::new();
    for net in &inv.networks {
        check_network(net, &mut diags);
        unique(
            &mut networks,
            &net.doc.metadata.name,
            net,
            "metadata.name",
            "Network",
            &mut diags,
        );
    }
    let mut names = HashMap::new();
    let mut clusters = HashMap::new();
    let mut accounts = HashMap::new();
    for acct in &inv.accounts {
        let spec = &acct.doc.spec;
        unique(
            &mut names,
            &acct.doc.metadata.name,
            acct,
            "metadata.name",
            "WorkloadAccount",
            &mut diags,
        );
        let cluster = spec
            .cluster
            .name
            .as_deref()
            .unwrap_or(&acct.doc.metadata.name);
        unique(
            &mut clusters,
            cluster,
            acct,
            "spec.cluster.name",
            "cluster name",
            &mut diags,
        );
        unique(
            &mut accounts,
            &spec.account_id,
            acct,
            "spec.accountId",
            "WorkloadAccount accountId",
            &mut diags,
        );
        check_account(acct, inv, catalog, today, &mut diags);
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(diags.sorted())
    }
}

/// Record `key` as seen; report a second document using the same key.
fn unique<'a, T>(
    seen: &mut HashMap<String, &'a Sourced<T>>,
    key: &str,
    src: &'a Sourced<T>,
    field: &str,
    what: &str,
    diags: &mut Diagnostics,
) {
    if let Some(first) = seen.get(key) {
        let first_at = first.at(field);
        let line = first_at
            .pos
            .map(|p| format!(":{}", p.line))
            .unwrap_or_default();
        diags.push(Diagnostic::new(
            src.at(field),
            field,
            format!(
                "duplicate {what} {key:?}: already used at {}{line}; each must be unique",
                first_at.file.display()
            ),
        ));
    } else {
        seen.insert(key.to_string(), src);
    }
}

fn check_fleet_count(inv: &Inventory, path: &std::path::Path, diags: &mut Diagnostics) {
    if inv.fleets.is_empty() {
        diags.push(Diagnostic::new(
            Location::file(path),
            "",
            "the inventory has no `kind: Fleet` document; exactly one is required",
        ));
    }
    for extra in inv.fleets.iter().skip(1) {
        diags.push(Diagnostic::new(
            extra.at("kind"),
            "kind",
            format!(
                "a second Fleet document; exactly one is allowed (the first is in {})",
                inv.fleets[0].location.file.display()
            ),
        ));
    }
}

fn check_fleet(
    src: &Sourced<Document<FleetSpec>>,
    has_accounts: bool,
    catalog: &Catalog,
    today: crate::domain::Date,
    diags: &mut Diagnostics,
) {
    let mut c = Check { src, diags };
    let spec = &src.doc.spec;
    match &spec.git.remote {
        Some(remote) => {
            c.parse::<GitUrl>("spec.git.remote", &remote.replace("{account}", "x"));
        }
        None if has_accounts => c.error(
            "spec.git",
            "spec.git.remote is required: Argo CD and Flux read each account's repository from it, e.g. \"https://git.acme.example/platform/eks-{account}.git\"",
        ),
        None => {}
    }
    c.parse::<GitRef>("spec.git.branch", &spec.git.branch);
    // Control characters (NUL, C1) would be refused only by git at commit time.
    let control = |s: &str| s.chars().any(char::is_control);
    if !spec.git.author.email.contains('@')
        || spec.git.author.email.contains(['<', '>', '\n'])
        || control(&spec.git.author.email)
    {
        c.error(
            "spec.git.author.email",
            format!("{:?} is not an e-mail address", spec.git.author.email),
        );
    }
    if spec.git.author.name.trim().is_empty()
        || spec.git.author.name.contains(['<', '>', '\n'])
        || control(&spec.git.author.name)
    {
        c.error(
            "spec.git.author.name",
            "expected a non-empty name without '<', '>' or newlines",
        );
    }
    if let Some(v) = &spec.defaults.kubernetes_version {
        let field = "spec.defaults.kubernetesVersion";
        if let Some(v) = c.parse::<KubernetesVersion>(field, v) {
            kubernetes::check_eks_support(&mut c, field, &v, &catalog.compatibility, today);
        }
    }
    identity::check_fleet_iam(&mut c);
}

fn check_network(src: &Sourced<Document<NetworkSpec>>, diags: &mut Diagnostics) {
    let mut c = Check { src, diags };
    let spec = &src.doc.spec;
    c.parse::<DnsLabel>("metadata.name", &src.doc.metadata.name);
    let account = c.parse::<AccountId>("spec.accountId", &spec.account_id);
    let region = c.parse::<Region>("spec.region", &spec.region);
    c.parse::<VpcId>("spec.vpcId", &spec.vpc_id);
    // The share must be of the network's region and account: unknown while either is invalid.
    if let (Some(region), Some(account)) = (&region, &account) {
        c.rule("spec.ramShareArn", &spec.ram_share_arn, |s| {
            RamShareArn::parse(s, region, account)
        });
    }
    let mut seen = BTreeSet::new();
    for (tier, subnets) in [
        ("private", &spec.subnets.private),
        ("public", &spec.subnets.public),
    ] {
        // eksctl's vpc.subnets.<tier> is keyed by AZ ID (cluster/cluster.yaml): one subnet per
        // AZ ID and tier.
        let mut zones: HashMap<&str, usize> = HashMap::new();
        for (i, subnet) in subnets.iter().enumerate() {
            if let Some(first) = zones.insert(subnet.zone_id.as_str(), i) {
                zones.insert(subnet.zone_id.as_str(), first);
                c.error(
                    &format!("spec.subnets.{tier}[{i}].zoneId"),
                    format!(
                        "a second {tier} subnet in AZ ID {:?} (the first is spec.subnets.{tier}[{first}]); the cluster takes one {tier} subnet per AZ ID (eksctl's vpc.subnets.{tier} is keyed by AZ ID): list one of them",
                        subnet.zone_id
                    ),
                );
            }
        }
        for (i, subnet) in subnets.iter().enumerate() {
            check_subnet(
                &mut c,
                &format!("spec.subnets.{tier}[{i}]"),
                subnet,
                region.as_ref(),
                &mut seen,
            );
        }
    }
    if let Some(endpoints) = &spec.endpoints {
        if endpoints.cidrs.is_empty() {
            c.error(
                "spec.endpoints.cidrs",
                "no CIDR block: list the VPC endpoints' CIDR blocks, or leave spec.endpoints out to allow HTTPS to any address",
            );
        }
        let mut cidrs = BTreeSet::new();
        for (i, cidr) in endpoints.cidrs.iter().enumerate() {
            let field = format!("spec.endpoints.cidrs[{i}]");
            c.parse::<Ipv4Cidr>(&field, cidr);
            if !cidrs.insert(cidr.as_str()) {
                c.error(&field, format!("duplicate CIDR block {cidr:?}"));
            }
        }
    }
    let zones: BTreeSet<&str> = spec
        .subnets
        .private
        .iter()
        .map(|s| s.zone_id.as_str())
        .collect();
    if zones.len() < 2 {
        c.error(
            "spec.subnets.private",
            format!(
                "private subnets span {} AZ ID(s); EKS needs subnets in at least 2 distinct AZ IDs",
                zones.len()
            ),
        );
    }
}

fn check_subnet(
    c: &mut Check<'_, Document<NetworkSpec>>,
    field: &str,
    subnet: &Subnet,
    region: Option<&Region>,
    seen: &mut BTreeSet<String>,
) {
    let id_field = format!("{field}.id");
    if c.parse::<SubnetId>(&id_field, &subnet.id).is_some() && !seen.insert(subnet.id.clone()) {
        c.error(&id_field, format!("subnet {:?} is listed twice", subnet.id));
    }
    let zone_field = format!("{field}.zoneId");
    let zone = c.parse::<ZoneId>(&zone_field, &subnet.zone_id);
    if let (Some(zone), Some(r)) = (zone, region) {
        if zone.region() != *r {
            c.error(
                &zone_field,
                format!(
                    "AZ ID {:?} belongs to {}, not to the network's region {r} (expected {}-azN)",
                    subnet.zone_id,
                    zone.region(),
                    r.zone_prefix()
                ),
            );
        }
    }
}

fn check_account(
    src: &Sourced<Document<WorkloadAccountSpec>>,
    inv: &Inventory,
    catalog: &Catalog,
    today: crate::domain::Date,
    diags: &mut Diagnostics,
) {
    let mut c = Check { src, diags };
    let spec = &src.doc.spec;
    c.parse::<DnsLabel>("metadata.name", &src.doc.metadata.name);
    c.parse::<AccountId>("spec.accountId", &spec.account_id);
    c.parse::<LabelValue>("spec.team", &spec.team);
    c.parse::<LabelValue>("spec.environment", &spec.environment);
    let region = c.parse::<Region>("spec.region", &spec.region);
    check_network_ref(&mut c, inv);
    check_blueprint_ref(&mut c, inv, catalog);
    if let Some(name) = &spec.cluster.name {
        c.parse::<DnsLabel>("spec.cluster.name", name);
    }
    if let Some(v) = &spec.cluster.kubernetes_version {
        c.parse::<KubernetesVersion>("spec.cluster.kubernetesVersion", v);
    }
    kubernetes::check_account_version(&mut c, inv, catalog, today);
    // The issuer must be of the account's region: unknown while the region is invalid.
    if let (Some(issuer), Some(region)) = (&spec.cluster.oidc_issuer, &region) {
        c.rule("spec.cluster.oidcIssuer", issuer, |s| {
            OidcIssuer::parse(s, region)
        });
    }
    check_repos(&mut c, &spec.gitops.repos);
    check_access(&mut c);
    dns::check_zones(&mut c);
    dns::check_required(&mut c, catalog);
    identity::check_account_iam(&mut c);
    let mode = spec
        .identity
        .or(inv
            .fleets
            .first()
            .and_then(|f| f.doc.spec.defaults.identity))
        .unwrap_or(IdentityMode::PodIdentity);
    check_tenants(&mut c, &spec.tenants, mode);
}

/// `spec.access`: role ARNs, and groups that some RoleBinding of the account binds (the
/// account's team, or a contributing team other than `application`).
fn check_access(c: &mut Check<'_, Document<WorkloadAccountSpec>>) {
    let spec = &c.src.doc.spec;
    let access = &spec.access;
    let principal = |c: &mut Check<'_, Document<WorkloadAccountSpec>>, field: &str, arn: &str| {
        if arn.contains(['*', '?']) {
            c.error(
                field,
                format!("wildcard principal {arn:?}: an EKS access entry names one IAM principal"),
            );
        } else {
            c.parse::<RoleArn>(field, arn);
        }
    };
    for (i, arn) in access.platform_admins.iter().enumerate() {
        principal(c, &format!("spec.access.platformAdmins[{i}]"), arn);
    }
    let mut groups: Vec<&str> = vec![spec.team.as_str()];
    groups.extend(
        spec.gitops
            .repos
            .iter()
            .map(|r| r.team.as_str())
            .filter(|t| *t != "application"),
    );
    for (group, arns) in &access.teams {
        let field = format!("spec.access.teams.{group}");
        if !groups.contains(&group.as_str()) {
            c.error(
                &field,
                format!(
                    "no namespace of this account is bound to group {group:?}; groups: {} (the account's team, and each contributing team of spec.gitops.repos other than \"application\")",
                    groups.join(", ")
                ),
            );
        }
        for (i, arn) in arns.iter().enumerate() {
            principal(c, &format!("{field}[{i}]"), arn);
        }
    }
}

fn check_network_ref(c: &mut Check<'_, Document<WorkloadAccountSpec>>, inv: &Inventory) {
    let spec = &c.src.doc.spec;
    match inv.networks.iter().find(|n| n.doc.metadata.name == spec.network) {
        None => {
            let names = inv.networks.iter().map(|n| n.doc.metadata.name.as_str());
            let hint = suggest(&spec.network, names.clone()).map_or_else(|| format!("known networks: {}", names.collect::<Vec<_>>().join(", ")), |s| format!("did you mean {s:?}?"));
            c.error("spec.network", format!("no Network named {:?}; {hint}", spec.network));
        }
        Some(net) if net.doc.spec.region != spec.region => c.error(
            "spec.region",
            format!(
                "{:?} differs from the region of network {:?} ({}); the cluster must be in its network's region",
                spec.region, spec.network, net.doc.spec.region
            ),
        ),
        Some(_) => {}
    }
}

fn check_blueprint_ref(
    c: &mut Check<'_, Document<WorkloadAccountSpec>>,
    inv: &Inventory,
    catalog: &Catalog,
) {
    let spec = &c.src.doc.spec;
    let bp = match catalog.lookup(&spec.blueprint) {
        Ok(bp) => bp,
        Err(e) => return c.error("spec.blueprint", e.to_string()),
    };
    let params = &bp.spec.parameters;
    for (key, value) in &spec.parameters {
        let field = format!("spec.parameters.{key}");
        match params.get(key) {
            None => {
                let known: Vec<&str> = params.keys().map(String::as_str).collect();
                c.error(
                    &field,
                    format!(
                        "blueprint {} has no parameter {key:?}; known: {}",
                        bp.id(),
                        known.join(", ")
                    ),
                );
            }
            Some(p) if !p.kind.accepts(value) => {
                c.error(
                    &field,
                    format!(
                        "expected a {} for parameter {key:?} of blueprint {}, found {value}",
                        p.kind.name(),
                        bp.id()
                    ),
                );
            }
            Some(p) if !p.allowed.is_empty() && !p.allowed.contains(value) => {
                let allowed: Vec<String> = p.allowed.iter().map(ToString::to_string).collect();
                c.error(
                    &field,
                    format!(
                        "{value} is not allowed; expected one of {}",
                        allowed.join(", ")
                    ),
                );
            }
            Some(_) => {}
        }
    }
    let effective = |key: &str| {
        spec.parameters
            .get(key)
            .or_else(|| params.get(key).map(|p| p.default_for(&spec.environment)))
    };
    let network = inv
        .networks
        .iter()
        .find(|n| n.doc.metadata.name == spec.network);
    for (key, p) in params {
        if let (true, Some(net), Some(v)) = (
            p.zone_of_network,
            network,
            effective(key).and_then(serde_json::Value::as_str),
        ) {
            let zones: Vec<&str> = net
                .doc
                .spec
                .subnets
                .private
                .iter()
                .map(|s| s.zone_id.as_str())
                .collect();
            if !v.is_empty() && !zones.contains(&v) {
                c.error(
                    &format!("spec.parameters.{key}"),
                    format!(
                        "{v:?} is not the AZ ID of a private subnet of network {:?}; its zones: {}",
                        spec.network,
                        zones.join(", ")
                    ),
                );
            }
        }
        let pinned_here = p.pinned_in.contains(&spec.environment);
        if let Some(v) = effective(key).and_then(serde_json::Value::as_str) {
            if pinned_here && v.ends_with("@latest") {
                let field = if spec.parameters.contains_key(key) {
                    format!("spec.parameters.{key}")
                } else {
                    "spec.environment".to_string()
                };
                c.error(
                    &field,
                    format!(
                        "{v:?}: parameter {key:?} of blueprint {} must name a release in environment {:?} (e.g. al2023@v20260903), not @latest: every new image would replace every node; @latest is allowed in other environments",
                        bp.id(),
                        spec.environment
                    ),
                );
            }
        }
        let Some(flag) = &p.required_when else {
            continue;
        };
        let on = effective(flag).and_then(serde_json::Value::as_bool) == Some(true);
        let empty = effective(key).is_none_or(|v| v.as_str() == Some(""));
        if on && empty {
            let field = if spec.parameters.contains_key(key) {
                format!("spec.parameters.{key}")
            } else {
                format!("spec.parameters.{flag}")
            };
            c.error(
                &field,
                format!(
                    "parameter {key:?} of blueprint {} must be set when {flag:?} is true: {}",
                    bp.id(),
                    p.description
                ),
            );
        }
    }
}

fn check_repos(c: &mut Check<'_, Document<WorkloadAccountSpec>>, repos: &[TeamRepo]) {
    let mut names = BTreeMap::new();
    for (i, repo) in repos.iter().enumerate() {
        let f = |s: &str| format!("spec.gitops.repos[{i}].{s}");
        c.parse::<DnsLabel>(&f("name"), &repo.name);
        if names.insert(repo.name.clone(), i).is_some() {
            c.error(
                &f("name"),
                format!(
                    "duplicate repo name {:?}; repo names must be unique per account",
                    repo.name
                ),
            );
        }
        c.parse::<DnsLabel>(&f("team"), &repo.team);
        if repo.team == "platform" {
            c.error(
                &f("team"),
                "team \"platform\" is reserved for this repository's own platform project",
            );
        }
        c.parse::<GitUrl>(&f("url"), &repo.url);
        if let Some(path) = &repo.path {
            c.parse::<TeamRepoPath>(&f("path"), path);
        }
        if let Some(rev) = &repo.revision {
            c.parse::<GitRef>(&f("revision"), rev);
        }
        for (j, ns) in repo.namespaces.iter().enumerate() {
            c.parse::<DnsLabel>(&f(&format!("namespaces[{j}]")), ns);
            if RESERVED_NAMESPACES.contains(&ns.as_str()) {
                c.error(&f(&format!("namespaces[{j}]")), format!("namespace {ns:?} is reserved for the platform; a team repository may not deploy into it"));
            }
        }
        check_cluster_resources(c, i, repo);
    }
}

/// `spec.gitops.repos[i].clusterResources`: only for contributing teams, each kind well-formed,
/// once, and none that reaches past the team's own objects ([`cluster_kind_refusal`]).
fn check_cluster_resources(
    c: &mut Check<'_, Document<WorkloadAccountSpec>>,
    i: usize,
    repo: &TeamRepo,
) {
    if repo.cluster_resources.is_empty() {
        return;
    }
    let at = format!("spec.gitops.repos[{i}].clusterResources");
    if repo.team == "application" {
        c.error(
            &at,
            "an application repository deploys into its namespaces only; cluster-scoped kinds are for a contributing team's repository (e.g. team: security)",
        );
        return;
    }
    let mut seen = BTreeSet::new();
    for (j, r) in repo.cluster_resources.iter().enumerate() {
        let f = |s: &str| format!("{at}[{j}].{s}");
        let group = c.parse::<ApiGroup>(&f("group"), &r.group);
        let kind = c.parse::<KindName>(&f("kind"), &r.kind);
        if let Some(resource) = &r.resource {
            c.parse::<DnsLabel>(&f("resource"), resource);
        }
        let (Some(group), Some(kind)) = (group, kind) else {
            continue;
        };
        if let Some(why) = cluster_kind_refusal(&group, &kind) {
            c.error(
                &f("kind"),
                format!(
                    "{} of group {:?} is not given to a team: {why}",
                    kind,
                    group.as_str()
                ),
            );
        }
        if !seen.insert((group.to_string(), kind.to_string())) {
            c.error(
                &f("kind"),
                format!("duplicate kind {kind} of group {:?}", group.as_str()),
            );
        }
    }
}

fn check_tenants(
    c: &mut Check<'_, Document<WorkloadAccountSpec>>,
    tenants: &[Tenant],
    mode: IdentityMode,
) {
    let mut namespaces = BTreeSet::new();
    for (i, tenant) in tenants.iter().enumerate() {
        let f = |s: &str| format!("spec.tenants[{i}].{s}");
        c.parse::<DnsLabel>(&f("namespace"), &tenant.namespace);
        if RESERVED_NAMESPACES.contains(&tenant.namespace.as_str()) {
            c.error(
                &f("namespace"),
                format!(
                    "namespace {:?} is reserved for the platform; choose a team namespace",
                    tenant.namespace
                ),
            );
        }
        if !namespaces.insert(tenant.namespace.clone()) {
            c.error(
                &f("namespace"),
                format!("duplicate tenant namespace {:?}", tenant.namespace),
            );
        }
        if let Some(q) = &tenant.quota {
            for (key, v) in [("cpu", &q.cpu), ("memory", &q.memory)] {
                if let Some(v) = v {
                    c.parse::<Quantity>(&f(&format!("quota.{key}")), &v.as_string());
                }
            }
        }
        check_service_accounts(c, i, tenant, mode);
    }
}

fn check_service_accounts(
    c: &mut Check<'_, Document<WorkloadAccountSpec>>,
    i: usize,
    tenant: &Tenant,
    mode: IdentityMode,
) {
    let mut names = BTreeSet::new();
    for (j, sa) in tenant.service_accounts.iter().enumerate() {
        let f = |s: &str| format!("spec.tenants[{i}].serviceAccounts[{j}].{s}");
        c.parse::<DnsLabel>(&f("name"), &sa.name);
        if !names.insert(sa.name.clone()) {
            c.error(
                &f("name"),
                format!(
                    "duplicate service account {:?} in namespace {:?}",
                    sa.name, tenant.namespace
                ),
            );
        }
        if sa.policy_arns.len() > limits::MANAGED_PER_ROLE {
            c.error(
                &f("policyArns"),
                format!(
                    "{} managed policies; IAM allows at most {} per role",
                    sa.policy_arns.len(),
                    limits::MANAGED_PER_ROLE
                ),
            );
        }
        for (k, arn) in sa.policy_arns.iter().enumerate() {
            c.parse::<PolicyArn>(&f(&format!("policyArns[{k}]")), arn);
        }
        for (k, arn) in sa.assume_roles.iter().enumerate() {
            c.parse::<RoleArn>(&f(&format!("assumeRoles[{k}]")), arn);
        }
        identity::check_service_account(c, &f, sa, sa.identity.unwrap_or(mode));
    }
}

//! The validated inventory as typed values: what the fleet stage hands to resolve.
//!
//! Built once from the wire documents by [`convert`], after validation: every ID, name, ARN,
//! URL and version is a [`crate::domain`] newtype that cannot hold an invalid value, defaults are
//! applied, and later stages never see a wire type nor re-check a value. Each account keeps the
//! index of its document and the field path of each service account, so that the check stage
//! can point a finding at the inventory's file:line:field.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics};
use crate::domain::{
    AccountId, ApiGroup, BlueprintRef, DnsDomain, DnsLabel, ExternalId, GitRef, GitUrl,
    HostedZoneId, Invalid, Ipv4Cidr, KindName, KubernetesVersion, LabelValue, OidcIssuer,
    PolicyArn, Quantity, RamShareArn, Region, RoleArn, SubnetId, TeamRepoPath, VpcId, ZoneId,
};
use crate::fleet::wire::{self, ChainingMode, Engine, IdentityMode, Statement};
use crate::fleet::{Inventory, Sourced};

/// The validated fleet.
#[derive(Debug, Clone)]
pub struct Model {
    /// The Fleet document's settings.
    pub fleet: Fleet,
    /// Networks by name.
    pub networks: BTreeMap<DnsLabel, Network>,
    /// Workload accounts, in inventory order.
    pub accounts: Vec<Account>,
}

/// The Fleet's settings.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The account repositories' URL, `{account}` standing for the WorkloadAccount name.
    pub remote: Option<String>,
    /// The branch eksvend commits to.
    pub branch: GitRef,
    /// Commit author name.
    pub author_name: String,
    /// Commit author e-mail.
    pub author_email: String,
    /// Default Kubernetes version.
    pub kubernetes_version: Option<KubernetesVersion>,
    /// Default GitOps engine.
    pub gitops: Option<Engine>,
    /// Default identity mode.
    pub identity: Option<IdentityMode>,
    /// The Fleet's trust policy quota.
    pub trust_policy_max_chars: Option<usize>,
    /// The platform role the recommended SCP exempts.
    pub platform_role_arn: Option<RoleArn>,
}

/// A shared VPC.
#[derive(Debug, Clone)]
pub struct Network {
    /// Network document name.
    pub name: DnsLabel,
    /// The networking account.
    pub account_id: AccountId,
    /// The VPC's region.
    pub region: Region,
    /// The VPC.
    pub vpc_id: VpcId,
    /// The RAM share of the subnets.
    pub ram_share_arn: RamShareArn,
    /// Private subnets, in inventory order.
    pub private: Vec<Subnet>,
    /// Public subnets, in inventory order.
    pub public: Vec<Subnet>,
    /// The VPC endpoints' CIDR blocks (`spec.endpoints.cidrs`), in inventory order; empty when
    /// the network declares none (HTTPS is allowed to any address).
    pub endpoint_cidrs: Vec<Ipv4Cidr>,
}

/// A shared subnet.
#[derive(Debug, Clone)]
pub struct Subnet {
    /// Subnet ID.
    pub id: SubnetId,
    /// AZ ID.
    pub zone_id: ZoneId,
}

/// A workload account: one cluster, one repository.
#[derive(Debug, Clone)]
pub struct Account {
    /// Index of its document in [`Inventory::accounts`] (for locations).
    pub source: usize,
    /// WorkloadAccount name.
    pub name: DnsLabel,
    /// AWS account ID.
    pub account_id: AccountId,
    /// Owning team.
    pub team: LabelValue,
    /// Environment.
    pub environment: LabelValue,
    /// Region (its network's).
    pub region: Region,
    /// Its Network's name.
    pub network: DnsLabel,
    /// The blueprint it uses.
    pub blueprint: BlueprintRef,
    /// The account's default identity mode.
    pub identity: Option<IdentityMode>,
    /// Blueprint parameters as written.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Cluster name (default: the account name).
    pub cluster_name: Option<DnsLabel>,
    /// Kubernetes version.
    pub kubernetes_version: Option<KubernetesVersion>,
    /// The cluster's OIDC issuer, once known.
    pub oidc_issuer: Option<OidcIssuer>,
    /// GitOps engine.
    pub engine: Option<Engine>,
    /// Other teams' repositories.
    pub repos: Vec<TeamRepo>,
    /// Tenant namespaces.
    pub tenants: Vec<Tenant>,
    /// Whether the account has a shared chaining role.
    pub shared_chaining_role: bool,
    /// The account's trust policy quota.
    pub trust_policy_max_chars: Option<usize>,
    /// The inputs of the inventory digest that the fleet stage serialized (Fleet, Network and
    /// WorkloadAccount documents as written), each followed by a NUL byte.
    pub digest_input: Vec<u8>,
    /// The platform team's IAM principals (cluster admins).
    pub platform_admins: Vec<RoleArn>,
    /// IAM principals by the Kubernetes group they get.
    pub team_access: BTreeMap<String, Vec<RoleArn>>,
    /// The account's Route 53 hosted zones (`spec.dns.zones`), in inventory order.
    pub dns_zones: Vec<HostedZone>,
}

/// A Route 53 hosted zone of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedZone {
    /// The zone's domain.
    pub domain: DnsDomain,
    /// A private zone (associated with VPCs), else public.
    pub private: bool,
    /// The zone's ID, when the inventory names it.
    pub id: Option<HostedZoneId>,
}

/// A cluster-scoped kind a team repository installs (`clusterResources`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterKind {
    /// API group (`""` for core).
    pub group: ApiGroup,
    /// Kind.
    pub kind: KindName,
    /// The resource RBAC names it by: as written, else guessed from the kind.
    pub resource: String,
}

/// A team repository of an account.
#[derive(Debug, Clone)]
pub struct TeamRepo {
    /// Application / Kustomization name.
    pub name: DnsLabel,
    /// Team.
    pub team: DnsLabel,
    /// Git URL.
    pub url: GitUrl,
    /// Path in that repository (`.` is its root).
    pub path: Option<TeamRepoPath>,
    /// Branch or tag to follow.
    pub revision: Option<GitRef>,
    /// Namespaces it deploys into.
    pub namespaces: Vec<DnsLabel>,
    /// Cluster-scoped kinds it installs, in inventory order.
    pub cluster_resources: Vec<ClusterKind>,
}

/// A tenant namespace.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Namespace.
    pub namespace: DnsLabel,
    /// CPU requests quota.
    pub cpu: Option<Quantity>,
    /// Memory requests quota.
    pub memory: Option<Quantity>,
    /// Pods quota.
    pub pods: Option<u32>,
    /// Whether a quota is set at all.
    pub has_quota: bool,
    /// Service accounts.
    pub service_accounts: Vec<ServiceAccount>,
}

/// A service account with an AWS identity.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    /// Its field path in the WorkloadAccount document, e.g. `spec.tenants[0].serviceAccounts[1]`.
    pub field: String,
    /// Name.
    pub name: DnsLabel,
    /// Identity mode as written (the account's default applies when `None`).
    pub identity: Option<IdentityMode>,
    /// Managed policies attached to its role.
    pub policy_arns: Vec<PolicyArn>,
    /// Inline statements (validated).
    pub statements: Vec<Statement>,
    /// Roles in other accounts it assumes.
    pub assume_roles: Vec<RoleArn>,
    /// How it reaches them.
    pub chaining: Option<ChainingMode>,
    /// Native chaining: the association's external ID per target.
    pub external_ids: BTreeMap<RoleArn, ExternalId>,
    /// `disableSessionTags` of its association.
    pub disable_session_tags: bool,
    /// Session policy statements (validated).
    pub session_policy: Vec<Statement>,
}

/// Convert a validated inventory into the [`Model`]. Validation has refused every value this
/// could fail on, so an error here is a rule missing from validation: it is still reported at
/// its field, never dropped.
pub fn convert(inv: &Inventory) -> Result<Model, Diagnostics> {
    let mut diags = Diagnostics::default();
    let Some(fleet_doc) = inv.fleets.first() else {
        diags.push(Diagnostic::new(
            crate::diag::Location::default(),
            "",
            "the inventory has no `kind: Fleet` document; exactly one is required",
        ));
        return Err(diags);
    };
    let fleet = convert_fleet(&mut Conv::new(fleet_doc, &mut diags));
    let mut networks = BTreeMap::new();
    for n in &inv.networks {
        if let Some(net) = convert_network(&mut Conv::new(n, &mut diags)) {
            networks.insert(net.name.clone(), net);
        }
    }
    let fleet_json = to_json(&fleet_doc.doc.spec);
    let mut accounts = Vec::with_capacity(inv.accounts.len());
    for (i, a) in inv.accounts.iter().enumerate() {
        let net = inv
            .networks
            .iter()
            .find(|n| n.doc.metadata.name == a.doc.spec.network);
        let mut digest_input = Vec::new();
        for part in [
            fleet_json.clone(),
            net.map(|n| to_json(&n.doc)).unwrap_or_default(),
            to_json(&a.doc.spec),
        ] {
            digest_input.extend_from_slice(part.as_bytes());
            digest_input.push(0);
        }
        if let Some(mut account) = convert_account(&mut Conv::new(a, &mut diags), i) {
            account.digest_input = digest_input;
            accounts.push(account);
        }
    }
    match (fleet, diags.is_empty()) {
        (Some(fleet), true) => Ok(Model {
            fleet,
            networks,
            accounts,
        }),
        _ => Err(diags.sorted()),
    }
}

/// Compact JSON of a wire document, as the inventory digest has always hashed it.
fn to_json(v: &impl serde::Serialize) -> String {
    // Wire documents are strings, numbers, booleans and string-keyed maps: always JSON.
    serde_json::to_string(v).expect("an inventory document serializes to JSON")
}

/// Converts the fields of one document, reporting each failure at its field.
struct Conv<'a, T> {
    src: &'a Sourced<T>,
    diags: &'a mut Diagnostics,
    ok: bool,
}

impl<'a, T> Conv<'a, T> {
    fn new(src: &'a Sourced<T>, diags: &'a mut Diagnostics) -> Self {
        Conv {
            src,
            diags,
            ok: true,
        }
    }

    /// `parse(value)`, or `None` with a diagnostic at `field`.
    fn get<V>(
        &mut self,
        field: &str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<V, Invalid>,
    ) -> Option<V> {
        match parse(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.ok = false;
                self.diags.push(Diagnostic::new(
                    self.src.at(field),
                    field,
                    e.message_for(value),
                ));
                None
            }
        }
    }

    /// [`Conv::get`] with the type's `TryFrom<&str>`.
    fn typed<V: for<'s> TryFrom<&'s str, Error = Invalid>>(
        &mut self,
        field: &str,
        value: &str,
    ) -> Option<V> {
        self.get(field, value, |s| V::try_from(s))
    }

    /// Each item of `values` with `TryFrom<&str>`, fields `field[i]`.
    fn list<V: for<'s> TryFrom<&'s str, Error = Invalid>>(
        &mut self,
        field: &str,
        values: &[String],
    ) -> Vec<V> {
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| self.typed(&format!("{field}[{i}]"), v))
            .collect()
    }
}

fn convert_fleet(c: &mut Conv<'_, wire::Document<wire::FleetSpec>>) -> Option<Fleet> {
    let spec = &c.src.doc.spec;
    let branch = c.typed("spec.git.branch", &spec.git.branch);
    let kubernetes_version = match &spec.defaults.kubernetes_version {
        Some(v) => Some(c.typed("spec.defaults.kubernetesVersion", v)?),
        None => None,
    };
    let platform_role_arn = match &spec.iam.platform_role_arn {
        Some(a) => Some(c.typed("spec.iam.platformRoleArn", a)?),
        None => None,
    };
    Some(Fleet {
        remote: spec.git.remote.clone(),
        branch: branch?,
        author_name: spec.git.author.name.clone(),
        author_email: spec.git.author.email.clone(),
        kubernetes_version,
        gitops: spec.defaults.gitops,
        identity: spec.defaults.identity,
        trust_policy_max_chars: spec.iam.trust_policy_max_chars.map(|n| n as usize),
        platform_role_arn,
    })
}

fn convert_network(c: &mut Conv<'_, wire::Document<wire::NetworkSpec>>) -> Option<Network> {
    let doc = &c.src.doc;
    let spec = &doc.spec;
    let name = c.typed("metadata.name", &doc.metadata.name);
    let account_id: Option<AccountId> = c.typed("spec.accountId", &spec.account_id);
    let region: Option<Region> = c.typed("spec.region", &spec.region);
    let vpc_id = c.typed("spec.vpcId", &spec.vpc_id);
    let ram = match (&region, &account_id) {
        (Some(r), Some(a)) => c.get("spec.ramShareArn", &spec.ram_share_arn, |s| {
            RamShareArn::parse(s, r, a)
        }),
        _ => None,
    };
    let mut subnets = |tier: &str, list: &[wire::Subnet]| -> Vec<Subnet> {
        list.iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let at = format!("spec.subnets.{tier}[{i}]");
                let id = c.typed(&format!("{at}.id"), &s.id);
                let zone_id = c.typed(&format!("{at}.zoneId"), &s.zone_id);
                Some(Subnet {
                    id: id?,
                    zone_id: zone_id?,
                })
            })
            .collect()
    };
    let private = subnets("private", &spec.subnets.private);
    let public = subnets("public", &spec.subnets.public);
    let endpoint_cidrs = match &spec.endpoints {
        Some(e) => c.list("spec.endpoints.cidrs", &e.cidrs),
        None => Vec::new(),
    };
    Some(Network {
        name: name?,
        account_id: account_id?,
        region: region?,
        vpc_id: vpc_id?,
        ram_share_arn: ram?,
        private,
        public,
        endpoint_cidrs,
    })
}

fn convert_zone(
    c: &mut Conv<'_, wire::Document<wire::WorkloadAccountSpec>>,
    i: usize,
    z: &wire::HostedZone,
) -> Option<HostedZone> {
    let domain = c.typed(&format!("spec.dns.zones[{i}].domain"), &z.domain);
    let id = match &z.hosted_zone_id {
        Some(id) => Some(c.typed(&format!("spec.dns.zones[{i}].hostedZoneId"), id)?),
        None => None,
    };
    Some(HostedZone {
        domain: domain?,
        private: z.kind == wire::ZoneType::Private,
        id,
    })
}

fn convert_account(
    c: &mut Conv<'_, wire::Document<wire::WorkloadAccountSpec>>,
    source: usize,
) -> Option<Account> {
    let doc = &c.src.doc;
    let spec = &doc.spec;
    let name = c.typed("metadata.name", &doc.metadata.name);
    let account_id = c.typed("spec.accountId", &spec.account_id);
    let team = c.typed("spec.team", &spec.team);
    let environment = c.typed("spec.environment", &spec.environment);
    let region: Option<Region> = c.typed("spec.region", &spec.region);
    let network = c.typed("spec.network", &spec.network);
    let blueprint = c.typed("spec.blueprint", &spec.blueprint);
    let cluster_name = optional(c, "spec.cluster.name", spec.cluster.name.as_deref());
    let kubernetes_version = optional(
        c,
        "spec.cluster.kubernetesVersion",
        spec.cluster.kubernetes_version.as_deref(),
    );
    let oidc_issuer = match (&spec.cluster.oidc_issuer, &region) {
        (Some(i), Some(r)) => {
            Some(c.get("spec.cluster.oidcIssuer", i, |s| OidcIssuer::parse(s, r))?)
        }
        _ => None,
    };
    let repos = spec
        .gitops
        .repos
        .iter()
        .enumerate()
        .filter_map(|(i, r)| convert_repo(c, &format!("spec.gitops.repos[{i}]"), r))
        .collect();
    let tenants = spec
        .tenants
        .iter()
        .enumerate()
        .filter_map(|(i, t)| convert_tenant(c, i, t))
        .collect();
    let platform_admins = c.list("spec.access.platformAdmins", &spec.access.platform_admins);
    let team_access = spec
        .access
        .teams
        .iter()
        .map(|(g, arns)| (g.clone(), c.list(&format!("spec.access.teams.{g}"), arns)))
        .collect();
    let dns_zones = spec
        .dns
        .zones
        .iter()
        .enumerate()
        .filter_map(|(i, z)| convert_zone(c, i, z))
        .collect();
    let account = Account {
        platform_admins,
        team_access,
        dns_zones,
        source,
        name: name?,
        account_id: account_id?,
        team: team?,
        environment: environment?,
        region: region?,
        network: network?,
        blueprint: blueprint?,
        identity: spec.identity,
        parameters: spec.parameters.clone(),
        cluster_name: cluster_name.ok()?,
        kubernetes_version: kubernetes_version.ok()?,
        oidc_issuer,
        engine: spec.gitops.engine,
        repos,
        tenants,
        shared_chaining_role: spec.iam.shared_chaining_role,
        trust_policy_max_chars: spec.iam.trust_policy_max_chars.map(|n| n as usize),
        digest_input: Vec::new(),
    };
    c.ok.then_some(account)
}

/// An invalid value, already reported at its field.
struct Reported;

/// `Ok(None)` when absent, `Ok(Some(v))` when valid, `Err(Reported)` when invalid.
fn optional<T, V: for<'s> TryFrom<&'s str, Error = Invalid>>(
    c: &mut Conv<'_, T>,
    field: &str,
    value: Option<&str>,
) -> Result<Option<V>, Reported> {
    match value {
        None => Ok(None),
        Some(v) => c.typed(field, v).map(Some).ok_or(Reported),
    }
}

fn convert_repo<T>(c: &mut Conv<'_, T>, at: &str, r: &wire::TeamRepo) -> Option<TeamRepo> {
    let name = c.typed(&format!("{at}.name"), &r.name);
    let team = c.typed(&format!("{at}.team"), &r.team);
    let url = c.typed(&format!("{at}.url"), &r.url);
    let path = optional(c, &format!("{at}.path"), r.path.as_deref());
    let revision = optional(c, &format!("{at}.revision"), r.revision.as_deref());
    let namespaces = c.list(&format!("{at}.namespaces"), &r.namespaces);
    let cluster_resources = r
        .cluster_resources
        .iter()
        .enumerate()
        .filter_map(|(j, k)| {
            let f = |s: &str| format!("{at}.clusterResources[{j}].{s}");
            let group: Option<ApiGroup> = c.typed(&f("group"), &k.group);
            let kind: Option<KindName> = c.typed(&f("kind"), &k.kind);
            let kind = kind?;
            let resource = match &k.resource {
                Some(r) => c.typed::<DnsLabel>(&f("resource"), r)?.to_string(),
                None => kind.guess_resource(),
            };
            Some(ClusterKind {
                group: group?,
                kind,
                resource,
            })
        })
        .collect();
    Some(TeamRepo {
        name: name?,
        team: team?,
        url: url?,
        path: path.ok()?,
        revision: revision.ok()?,
        namespaces,
        cluster_resources,
    })
}

fn convert_tenant<T>(c: &mut Conv<'_, T>, i: usize, t: &wire::Tenant) -> Option<Tenant> {
    let at = format!("spec.tenants[{i}]");
    let namespace = c.typed(&format!("{at}.namespace"), &t.namespace);
    let quota = t.quota.as_ref();
    let cpu = optional(
        c,
        &format!("{at}.quota.cpu"),
        quota
            .and_then(|q| q.cpu.as_ref())
            .map(wire::Quantity::as_string)
            .as_deref(),
    );
    let memory = optional(
        c,
        &format!("{at}.quota.memory"),
        quota
            .and_then(|q| q.memory.as_ref())
            .map(wire::Quantity::as_string)
            .as_deref(),
    );
    let service_accounts = t
        .service_accounts
        .iter()
        .enumerate()
        .filter_map(|(j, sa)| convert_service_account(c, &format!("{at}.serviceAccounts[{j}]"), sa))
        .collect();
    Some(Tenant {
        namespace: namespace?,
        cpu: cpu.ok()?,
        memory: memory.ok()?,
        pods: quota.and_then(|q| q.pods),
        has_quota: quota.is_some(),
        service_accounts,
    })
}

fn convert_service_account<T>(
    c: &mut Conv<'_, T>,
    at: &str,
    sa: &wire::ServiceAccount,
) -> Option<ServiceAccount> {
    let name = c.typed(&format!("{at}.name"), &sa.name);
    let policy_arns = c.list(&format!("{at}.policyArns"), &sa.policy_arns);
    let assume_roles = c.list(&format!("{at}.assumeRoles"), &sa.assume_roles);
    let mut external_ids = BTreeMap::new();
    for (arn, id) in &sa.external_ids {
        let field = format!("{at}.externalIds.{arn}");
        let role: Option<RoleArn> = c.typed(&field, arn);
        let id: Option<ExternalId> = c.typed(&field, id);
        if let (Some(role), Some(id)) = (role, id) {
            external_ids.insert(role, id);
        }
    }
    Some(ServiceAccount {
        field: at.to_string(),
        name: name?,
        identity: sa.identity,
        policy_arns,
        statements: sa.statements.clone(),
        assume_roles,
        chaining: sa.chaining,
        external_ids,
        disable_session_tags: sa.disable_session_tags,
        session_policy: sa.session_policy.clone(),
    })
}

//! Kubernetes-side names and values: DNS-1123 labels, label values, minor versions, resource
//! quantities, and `name@requirement` blueprint references.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use super::newtype::{checked_string, str_traits, try_from_string};
use super::{ensure, limits, Invalid};

const DNS_LABEL: &str = "expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit";

fn dns_label(s: &str) -> Result<(), Invalid> {
    let ok = !s.is_empty()
        && s.len() <= limits::DNS_LABEL
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    ensure(ok, DNS_LABEL)
}

checked_string!(
    /// A Kubernetes DNS-1123 label: 1-63 lowercase letters, digits or `-`, alphanumeric ends.
    /// Namespaces, service accounts, cluster, team and repository names. A label can never
    /// become a path outside the repository.
    DnsLabel,
    dns_label
);

fn label_value(s: &str) -> Result<(), Invalid> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = !s.is_empty()
        && s.len() <= limits::LABEL_VALUE
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && alnum(s.chars().next())
        && alnum(s.chars().last());
    ensure(ok, "expected a Kubernetes label value: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
}

checked_string!(
    /// A non-empty Kubernetes label value: 1-63 of `[A-Za-z0-9-_.]`, alphanumeric ends
    /// (teams, environments).
    LabelValue,
    label_value
);

fn quantity(s: &str) -> Result<(), Invalid> {
    const SUFFIXES: [&str; 14] = [
        "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number.matches('.').count() <= 1
        && !number.starts_with('.')
        && !number.ends_with('.');
    ensure(
        number_ok && SUFFIXES.contains(&suffix),
        "expected a Kubernetes quantity such as \"64\", \"500m\" or \"256Gi\"",
    )
}

checked_string!(
    /// A Kubernetes resource quantity such as `64`, `500m` or `256Gi`: a decimal number and an
    /// optional SI (`m`, `k`, `M` … `E`) or binary (`Ki` … `Ei`) suffix.
    Quantity,
    quantity
);

fn api_group(s: &str) -> Result<(), Invalid> {
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= limits::DNS_LABEL
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let ok = s.is_empty() || (s.len() <= 253 && s.split('.').all(label));
    ensure(ok, "expected a Kubernetes API group: \"\" for the core group, or a DNS subdomain such as \"kyverno.io\" (lowercase, no wildcard)")
}

checked_string!(
    /// A Kubernetes API group: empty for the core group, else a DNS-1123 subdomain
    /// (`kyverno.io`, `storage.k8s.io`).
    ApiGroup,
    api_group
);

fn kind_name(s: &str) -> Result<(), Invalid> {
    let ok = s.len() <= limits::DNS_LABEL
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.bytes().all(|b| b.is_ascii_alphanumeric());
    ensure(
        ok,
        "expected a Kubernetes kind: 1-63 letters or digits starting with an uppercase letter, such as \"ClusterPolicy\" (no wildcard)",
    )
}

checked_string!(
    /// A Kubernetes kind in `UpperCamelCase` (`ClusterPolicy`, `StorageClass`).
    KindName,
    kind_name
);

impl KindName {
    /// The resource (plural) the API server most likely serves this kind as: Kubernetes'
    /// `meta.UnsafeGuessKindToResource` (lowercase; `…s` → `…ses`, `…y` → `…ies`, else `…s`).
    #[must_use]
    pub fn guess_resource(&self) -> String {
        let lower = self.0.to_ascii_lowercase();
        if lower.ends_with('s') {
            format!("{lower}es")
        } else if let Some(stem) = lower.strip_suffix('y') {
            format!("{stem}ies")
        } else {
            format!("{lower}s")
        }
    }
}

/// Why a team may not be given cluster-wide write access to `kind` of `group` (its repository's
/// `clusterResources`), or `None` when it may. The refused kinds are those that reach past the
/// team's own objects: other identities' rights, the platform's guard rails and APIs, nodes.
#[must_use]
pub fn cluster_kind_refusal(group: &ApiGroup, kind: &KindName) -> Option<&'static str> {
    match (group.as_str(), kind.as_str()) {
        ("", "Namespace") => Some("namespaces are the platform's tenants (spec.tenants, spec.gitops.repos[].namespaces), each with its guard rails"),
        ("", "Node") => Some("nodes are the platform's (labels and taints steer every tenant's pods)"),
        ("", "PersistentVolume") => Some("a hostPath PersistentVolume mounts a node's filesystem past Pod Security"),
        ("rbac.authorization.k8s.io", _) => Some("RBAC is the platform's: a ClusterRoleBinding grants cluster-wide rights to any subject, and RBAC cannot limit ClusterRole updates to the team's own (cluster-admin, eksvend-tenant)"),
        ("admissionregistration.k8s.io", _) => Some("admission objects are exempt from admission policies: the team could remove the platform's guard rails (ValidatingAdmissionPolicy eksvend-tenant-baseline)"),
        ("apiextensions.k8s.io", _) => Some("CRDs are shared by every tenant and the platform: deleting one (Application, Kustomization, NodePool) deletes all of its objects; ship a CRD as a blueprint add-on"),
        ("apiregistration.k8s.io", _) => Some("an APIService sends an API group's requests to a service of the team's choosing"),
        ("certificates.k8s.io", _) => Some("certificate signing requests mint client certificates for any user"),
        ("flowcontrol.apiserver.k8s.io", _) => Some("API priority and fairness decides every identity's share of the API server"),
        ("karpenter.sh" | "karpenter.k8s.aws", _) => Some("node capacity and the node IAM role are the platform's (platform/karpenter)"),
        ("kueue.x-k8s.io", _) => Some("the Kueue queues and flavors hold every tenant's quota (platform/kueue)"),
        _ => None,
    }
}

/// A Kubernetes minor version such as `1.33`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KubernetesVersion {
    /// Compared first, so versions sort numerically (`1.9` < `1.10`).
    minor: u16,
    text: String,
}

impl KubernetesVersion {
    /// The version as written, e.g. `1.33`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The minor version: 33 for `1.33`.
    #[must_use]
    pub fn minor(&self) -> u16 {
        self.minor
    }
}

impl TryFrom<&str> for KubernetesVersion {
    type Error = Invalid;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let minor = s
            .split_once('.')
            .filter(|(major, minor)| {
                *major == "1"
                    && (1..=3).contains(&minor.len())
                    && minor.bytes().all(|b| b.is_ascii_digit())
            })
            .and_then(|(_, minor)| minor.parse().ok());
        match minor {
            Some(minor) => Ok(Self {
                minor,
                text: s.to_owned(),
            }),
            None => Err(Invalid::new(
                "expected a Kubernetes minor version such as \"1.33\" (quoted)",
            )),
        }
    }
}

try_from_string!(KubernetesVersion);
str_traits!(KubernetesVersion);

/// A blueprint reference `name` or `name@requirement`, e.g. `general@^1.2`. A full version
/// without an operator means exactly that version (`general@1.0.0` is `=1.0.0`).
///
/// Equality, hashing and order are those of the text as written.
#[derive(Debug, Clone)]
pub struct BlueprintRef {
    text: String,
    name: DnsLabel,
    req: Option<semver::VersionReq>,
}

impl BlueprintRef {
    /// The reference as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The blueprint's name.
    #[must_use]
    pub fn name(&self) -> &DnsLabel {
        &self.name
    }

    /// The version requirement, when the reference has one.
    #[must_use]
    pub fn req(&self) -> Option<&semver::VersionReq> {
        self.req.as_ref()
    }
}

impl TryFrom<&str> for BlueprintRef {
    type Error = Invalid;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let (name, req) = match s.split_once('@') {
            Some((n, r)) => (n, Some(r)),
            None => (s, None),
        };
        let name = DnsLabel::try_from(name)
            .map_err(|e| Invalid::new(format!("blueprint name {name:?}: {e}")))?;
        let req = req.map(version_req).transpose()?;
        Ok(Self {
            text: s.to_owned(),
            name,
            req,
        })
    }
}

/// `r` as a semver requirement; a bare full version means exactly that version.
fn version_req(r: &str) -> Result<semver::VersionReq, Invalid> {
    let text = if semver::Version::parse(r).is_ok() {
        format!("={r}")
    } else {
        r.to_owned()
    };
    semver::VersionReq::parse(&text).map_err(|e| {
        Invalid::new(format!(
            "{r:?} is not a semver requirement such as ^1.2: {e}"
        ))
    })
}

try_from_string!(BlueprintRef);
str_traits!(BlueprintRef);

impl PartialEq for BlueprintRef {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for BlueprintRef {}

impl Hash for BlueprintRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for BlueprintRef {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BlueprintRef {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.cmp(&other.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{assert_table, ok_and_bad};

    #[test]
    fn api_groups_and_kinds() {
        assert_table::<ApiGroup>(&ok_and_bad(
            &["", "kyverno.io", "storage.k8s.io", "a"],
            &["*", "Kyverno.io", "kyverno..io", ".io", "kyverno.io/v1", "-a.io"],
            "expected a Kubernetes API group: \"\" for the core group, or a DNS subdomain such as \"kyverno.io\" (lowercase, no wildcard)",
        ));
        assert_table::<KindName>(&ok_and_bad(
            &["ClusterPolicy", "StorageClass", "A1"],
            &["", "*", "clusterPolicy", "Cluster-Policy", "Cluster Policy"],
            "expected a Kubernetes kind: 1-63 letters or digits starting with an uppercase letter, such as \"ClusterPolicy\" (no wildcard)",
        ));
        let guess = |k: &str| KindName::try_from(k).unwrap().guess_resource();
        assert_eq!(guess("ClusterPolicy"), "clusterpolicies");
        assert_eq!(guess("StorageClass"), "storageclasses");
        assert_eq!(guess("PriorityClass"), "priorityclasses");
        assert_eq!(guess("IngressClass"), "ingressclasses");
        assert_eq!(guess("ClusterIssuer"), "clusterissuers");
        let refused = |g: &str, k: &str| {
            cluster_kind_refusal(
                &ApiGroup::try_from(g).unwrap(),
                &KindName::try_from(k).unwrap(),
            )
            .is_some()
        };
        assert!(refused("rbac.authorization.k8s.io", "ClusterRoleBinding"));
        assert!(refused("rbac.authorization.k8s.io", "ClusterRole"));
        assert!(refused(
            "admissionregistration.k8s.io",
            "ValidatingAdmissionPolicy"
        ));
        assert!(refused("", "Namespace"));
        assert!(refused("apiextensions.k8s.io", "CustomResourceDefinition"));
        assert!(!refused("kyverno.io", "ClusterPolicy"));
        assert!(!refused("storage.k8s.io", "StorageClass"));
    }

    #[test]
    fn dns_labels() {
        let long = "x".repeat(63);
        let too_long = "x".repeat(64);
        assert_table::<DnsLabel>(&ok_and_bad(
            &["payments", "a-1", "a", "0", &long],
            &[
                "", "Payments", "../etc", "a\nb: c", "-x", "x-", "a_b", "a.b", &too_long,
            ],
            DNS_LABEL,
        ));
    }

    #[test]
    fn label_values() {
        let long = "x".repeat(63);
        let too_long = "x".repeat(64);
        assert_table::<LabelValue>(&ok_and_bad(
            &["Payments_Team.x", "prod", "a", "A-1", &long],
            &["", "-x", "x.", "_x", "a b", "a/b", &too_long],
            "expected a Kubernetes label value: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        ));
    }

    #[test]
    fn quantities() {
        assert_table::<Quantity>(&ok_and_bad(
            &["64", "500m", "256Gi", "1.5", "0", "2Ei", "3k"],
            &[
                "", "64 cores", ".5", "5.", "1.2.3", "Gi", "5g", "5K", "-1", "5Gib",
            ],
            "expected a Kubernetes quantity such as \"64\", \"500m\" or \"256Gi\"",
        ));
    }

    #[test]
    fn kubernetes_versions() {
        assert_table::<KubernetesVersion>(&ok_and_bad(
            &["1.33", "1.9", "1.100", "1.0"],
            &[
                "", "1.3x", "1.33.1", "2.1", "1.", "1.1000", "v1.33", "1.-1", "1",
            ],
            "expected a Kubernetes minor version such as \"1.33\" (quoted)",
        ));
        let v = |s: &str| KubernetesVersion::try_from(s).map(|v| v.minor());
        assert_eq!(v("1.33"), Ok(33));
        let (v9, v10) = (
            KubernetesVersion::try_from("1.9").expect("valid"),
            KubernetesVersion::try_from("1.10").expect("valid"),
        );
        assert!(v9 < v10);
    }

    #[test]
    fn blueprint_refs() {
        let label = DNS_LABEL;
        assert_table::<BlueprintRef>(&[
            ("general", Ok(())),
            ("general@^1.2", Ok(())),
            ("general@1.0.0", Ok(())),
            ("general@>=1, <2", Ok(())),
            ("General", Err(&format!("blueprint name \"General\": {label}"))),
            ("@1", Err(&format!("blueprint name \"\": {label}"))),
            (
                "general@x.y",
                Err("\"x.y\" is not a semver requirement such as ^1.2: unexpected character after wildcard in version req"),
            ),
        ]);
        let r = BlueprintRef::try_from("general@1.0.0").expect("valid");
        assert_eq!(r.name().as_str(), "general");
        assert_eq!(r.req().map(ToString::to_string), Some("=1.0.0".to_string()));
        assert_eq!(
            BlueprintRef::try_from("general").expect("valid").req(),
            None
        );
    }
}

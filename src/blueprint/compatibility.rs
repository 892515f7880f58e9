//! The compatibility table shipped with the catalog (`blueprints/compatibility.yaml`): the
//! Kubernetes versions each pinned chart and EKS add-on supports, and the standard and extended
//! support windows of each EKS Kubernetes version. Every row names its source.

use serde::Deserialize;

use super::Blueprint;
use crate::domain::{Date, KubernetesVersion};

/// The Kubernetes version of a cluster whose account and Fleet set none.
pub const DEFAULT_KUBERNETES_VERSION: &str = "1.35";

/// The table: EKS versions, charts and EKS add-ons.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compatibility {
    /// EKS Kubernetes versions, newest first.
    pub kubernetes: Vec<EksVersion>,
    /// Pinned Helm charts.
    pub charts: Vec<ChartSupport>,
    /// EKS managed add-ons.
    pub eks_addons: Vec<EksAddonSupport>,
}

/// One EKS Kubernetes version and its support windows.
#[derive(Debug, Clone, PartialEq)]
pub struct EksVersion {
    /// The minor version, e.g. `1.34`.
    pub version: KubernetesVersion,
    /// When EKS released it.
    pub released: Date,
    /// Last day of standard support.
    pub standard_support_end: Date,
    /// Last day of extended support; EKS upgrades the cluster afterwards.
    pub extended_support_end: Date,
    /// Where the dates come from.
    pub source: String,
}

/// Where a Kubernetes version stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Not yet released by EKS.
    Unreleased,
    /// In standard support.
    Standard,
    /// In extended support (billed extra per cluster hour).
    Extended,
    /// Past the end of extended support.
    Ended,
}

impl EksVersion {
    /// The version's support on `today`.
    #[must_use]
    pub fn support(&self, today: Date) -> Support {
        if today < self.released {
            Support::Unreleased
        } else if today <= self.standard_support_end {
            Support::Standard
        } else if today <= self.extended_support_end {
            Support::Extended
        } else {
            Support::Ended
        }
    }

    /// "standard support until …" and the like, for messages.
    #[must_use]
    pub fn describe(&self, today: Date) -> String {
        match self.support(today) {
            Support::Unreleased => format!("released by EKS on {}", self.released),
            Support::Standard => format!("standard support until {}", self.standard_support_end),
            Support::Extended => format!(
                "extended support until {} (standard support ended {})",
                self.extended_support_end, self.standard_support_end
            ),
            Support::Ended => format!("support ended {}", self.extended_support_end),
        }
    }
}

/// The Kubernetes minor versions a pin supports: `min` and later, up to `max` when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Range {
    /// Oldest supported minor (`1.min`); `None` = no lower bound stated.
    pub min: Option<u16>,
    /// Newest supported minor; `None` = the source states no upper bound.
    pub max: Option<u16>,
}

impl Range {
    /// True when the range holds `v`.
    #[must_use]
    pub fn contains(&self, v: &KubernetesVersion) -> bool {
        self.min.is_none_or(|m| v.minor() >= m) && self.max.is_none_or(|m| v.minor() <= m)
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.min, self.max) {
            (Some(a), Some(b)) => write!(f, "Kubernetes 1.{a}–1.{b}"),
            (Some(a), None) => write!(f, "Kubernetes 1.{a}+"),
            (None, Some(b)) => write!(f, "Kubernetes up to 1.{b}"),
            (None, None) => write!(f, "every EKS version"),
        }
    }
}

/// A pinned chart version and the Kubernetes versions it supports.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSupport {
    /// Chart name, e.g. `karpenter`.
    pub chart: String,
    /// Chart version as pinned.
    pub version: String,
    /// The Kubernetes versions it supports.
    pub kubernetes: Range,
    /// Where the range comes from.
    pub source: String,
}

/// An EKS managed add-on (unpinned: EKS installs its default version for the cluster's version).
#[derive(Debug, Clone, PartialEq)]
pub struct EksAddonSupport {
    /// Add-on name, e.g. `vpc-cni`.
    pub name: String,
    /// The Kubernetes versions it supports (every EKS version when unpinned).
    pub kubernetes: Range,
    /// Where that comes from.
    pub source: String,
}

/// What a pin of a blueprint supports, as the table says.
#[derive(Debug, Clone, PartialEq)]
pub struct PinSupport<'a> {
    /// `chart version` or `name (EKS add-on)`.
    pub pin: String,
    /// The boolean parameter the pin is installed under, if any.
    pub when: Option<&'a str>,
    /// The table's row: range and source; `None` = the table has no row (not checked).
    pub row: Option<(Range, &'a str)>,
}

// The wire form of the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Doc {
    #[serde(rename = "apiVersion")]
    _api_version: String,
    kind: String,
    #[serde(rename = "metadata")]
    _metadata: serde_yaml::Value,
    spec: Spec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    kubernetes: Vec<WireVersion>,
    #[serde(default)]
    charts: Vec<WireChart>,
    #[serde(default)]
    eks_addons: Vec<WireAddon>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireVersion {
    version: String,
    released: String,
    standard_support_end: String,
    extended_support_end: String,
    source: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WireRange {
    #[serde(default)]
    min: Option<String>,
    #[serde(default)]
    max: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireChart {
    chart: String,
    version: String,
    kubernetes: WireRange,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireAddon {
    name: String,
    #[serde(default)]
    kubernetes: WireRange,
    source: String,
}

/// Why a compatibility file does not load: the field and what is wrong with it.
pub type LoadError = (String, String);

fn minor(field: &str, v: Option<&String>) -> Result<Option<u16>, LoadError> {
    v.map(|s| {
        KubernetesVersion::try_from(s.as_str())
            .map(|k| k.minor())
            .map_err(|e| (field.to_string(), e.message_for(s)))
    })
    .transpose()
}

fn range(field: &str, r: &WireRange) -> Result<Range, LoadError> {
    Ok(Range {
        min: minor(&format!("{field}.min"), r.min.as_ref())?,
        max: minor(&format!("{field}.max"), r.max.as_ref())?,
    })
}

fn source(field: &str, s: &str) -> Result<String, LoadError> {
    if s.starts_with("https://") {
        Ok(s.to_string())
    } else {
        Err((
            field.to_string(),
            format!("{s:?}: every row names its source as an https:// URL"),
        ))
    }
}

impl Compatibility {
    /// Parse a `compatibility.yaml`.
    pub fn parse(text: &str) -> Result<Compatibility, LoadError> {
        let doc: Doc = serde_yaml::from_str(text).map_err(|e| (String::new(), e.to_string()))?;
        if doc.kind != "Compatibility" {
            return Err(("kind".into(), "expected kind: Compatibility".into()));
        }
        let mut out = Compatibility::default();
        for (i, v) in doc.spec.kubernetes.iter().enumerate() {
            let f = format!("spec.kubernetes[{i}]");
            let date = |name: &str, s: &str| {
                Date::try_from(s).map_err(|e| (format!("{f}.{name}"), e.message_for(s)))
            };
            out.kubernetes.push(EksVersion {
                version: KubernetesVersion::try_from(v.version.as_str())
                    .map_err(|e| (format!("{f}.version"), e.message_for(&v.version)))?,
                released: date("released", &v.released)?,
                standard_support_end: date("standardSupportEnd", &v.standard_support_end)?,
                extended_support_end: date("extendedSupportEnd", &v.extended_support_end)?,
                source: source(&format!("{f}.source"), &v.source)?,
            });
        }
        for (i, c) in doc.spec.charts.iter().enumerate() {
            let f = format!("spec.charts[{i}]");
            out.charts.push(ChartSupport {
                chart: c.chart.clone(),
                version: c.version.clone(),
                kubernetes: range(&format!("{f}.kubernetes"), &c.kubernetes)?,
                source: source(&format!("{f}.source"), &c.source)?,
            });
        }
        for (i, a) in doc.spec.eks_addons.iter().enumerate() {
            let f = format!("spec.eksAddons[{i}]");
            out.eks_addons.push(EksAddonSupport {
                name: a.name.clone(),
                kubernetes: range(&format!("{f}.kubernetes"), &a.kubernetes)?,
                source: source(&format!("{f}.source"), &a.source)?,
            });
        }
        Ok(out)
    }

    /// Add `other`'s rows; a row for the same version, chart version or add-on replaces this one's.
    pub fn layer(&mut self, other: Compatibility) {
        for v in other.kubernetes {
            self.kubernetes.retain(|x| x.version != v.version);
            self.kubernetes.push(v);
        }
        self.kubernetes.sort_by(|a, b| b.version.cmp(&a.version));
        for c in other.charts {
            self.charts
                .retain(|x| (&x.chart, &x.version) != (&c.chart, &c.version));
            self.charts.push(c);
        }
        for a in other.eks_addons {
            self.eks_addons.retain(|x| x.name != a.name);
            self.eks_addons.push(a);
        }
    }

    /// The EKS row of `v`.
    #[must_use]
    pub fn eks(&self, v: &KubernetesVersion) -> Option<&EksVersion> {
        self.kubernetes
            .iter()
            .find(|e| e.version.minor() == v.minor())
    }

    /// The versions EKS supports on `today` (standard or extended), newest first.
    pub fn supported(&self, today: Date) -> impl Iterator<Item = &EksVersion> {
        self.kubernetes
            .iter()
            .filter(move |e| matches!(e.support(today), Support::Standard | Support::Extended))
    }

    /// Each pin of `bp` (Helm charts, then EKS add-ons) with the table's row for it.
    #[must_use]
    pub fn pins<'a>(&'a self, bp: &'a Blueprint) -> Vec<PinSupport<'a>> {
        let charts = bp.spec.addons.iter().map(|a| PinSupport {
            pin: format!("{} {}", a.chart, a.version),
            when: a.when.as_deref(),
            row: self
                .charts
                .iter()
                .find(|c| c.chart == a.chart && c.version == a.version)
                .map(|c| (c.kubernetes, c.source.as_str())),
        });
        let addons = bp.spec.eks_addons.iter().map(|a| PinSupport {
            pin: match &a.version {
                Some(v) => format!("{} {v} (EKS add-on)", a.name),
                None => format!("{} (EKS add-on)", a.name),
            },
            when: None,
            // A pinned EKS add-on version is not in the table (its rows are for unpinned ones).
            row: if a.version.is_some() {
                None
            } else {
                self.eks_addons
                    .iter()
                    .find(|r| r.name == a.name)
                    .map(|r| (r.kubernetes, r.source.as_str()))
            },
        });
        charts.chain(addons).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::catalog::Catalog;

    fn v(s: &str) -> KubernetesVersion {
        KubernetesVersion::try_from(s).unwrap()
    }

    /// The table has a row with a source for every pin of every built-in blueprint, and every
    /// selectable blueprint supports 1.33 and 1.34 with every pin, whatever its parameters.
    #[test]
    fn the_table_covers_every_pin_of_every_blueprint() {
        let catalog = Catalog::builtin().unwrap();
        let table = &catalog.compatibility;
        for bp in &catalog.blueprints {
            for pin in table.pins(bp) {
                let (range, source) = pin
                    .row
                    .unwrap_or_else(|| panic!("{}: no row for {}", bp.id(), pin.pin));
                assert!(source.starts_with("https://"), "{}", pin.pin);
                for k in ["1.33", "1.34"] {
                    assert!(
                        range.contains(&v(k)),
                        "{}: {} does not support {k}",
                        bp.id(),
                        pin.pin
                    );
                }
            }
        }
        for k in ["1.33", "1.34"] {
            assert!(table.eks(&v(k)).is_some(), "{k}");
        }
    }

    #[test]
    fn support_windows_follow_the_dates() {
        let catalog = Catalog::builtin().unwrap();
        let row = catalog.compatibility.eks(&v("1.33")).unwrap();
        let d = |s: &str| Date::try_from(s).unwrap();
        assert_eq!(row.support(d("2025-05-27")), Support::Unreleased);
        assert_eq!(row.support(d("2026-07-29")), Support::Standard);
        assert_eq!(row.support(d("2026-07-30")), Support::Extended);
        assert_eq!(row.support(d("2027-07-30")), Support::Ended);
        let supported: Vec<String> = catalog
            .compatibility
            .supported(d("2026-12-01"))
            .map(|e| e.version.to_string())
            .collect();
        assert_eq!(supported, ["1.35", "1.34", "1.33", "1.32"]);
    }

    #[test]
    fn ranges_and_rows_are_checked() {
        let r = Range {
            min: Some(32),
            max: Some(35),
        };
        assert!(r.contains(&v("1.32")) && r.contains(&v("1.35")));
        assert!(!r.contains(&v("1.31")) && !r.contains(&v("1.36")));
        assert_eq!(r.to_string(), "Kubernetes 1.32–1.35");
        let bad = "apiVersion: eksvend.dev/v1alpha1\nkind: Compatibility\nmetadata: {name: x}\nspec:\n  charts:\n    - {chart: c, version: '1', kubernetes: {min: '1.2x'}, source: 'https://x'}\n";
        let err = Compatibility::parse(bad).unwrap_err();
        assert_eq!(err.0, "spec.charts[0].kubernetes.min");
        let no_source = bad.replace("1.2x", "1.29").replace("https://x", "a page");
        assert_eq!(
            Compatibility::parse(&no_source).unwrap_err().0,
            "spec.charts[0].source"
        );
    }
}

//! Which accounts a run touches: `--only KEY=GLOB` filters and `--shard I/N`.
//!
//! Filters on the same key are alternatives (OR); filters on different keys must all hold
//! (AND). Shards split the fleet by a hash of the account name, so they are disjoint, cover
//! the fleet, and an account keeps its shard when others are added.

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::resolve::ClusterSpec;

/// The keys `--only` accepts.
pub const KEYS: &[&str] = &["account", "team", "environment", "blueprint", "network"];

/// A parsed selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    only: Vec<(String, String)>,
    shard: Option<(u64, u64)>,
}

impl Selection {
    /// Parse `--only` values (`KEY=GLOB`) and an optional `--shard` (`I/N`, 1-based).
    pub fn parse(only: &[String], shard: Option<&str>) -> Result<Selection, Error> {
        let mut sel = Selection::default();
        for o in only {
            let (k, v) = o.split_once('=').ok_or_else(|| Error::OnlyArgument {
                arg: o.clone(),
                keys: KEYS,
            })?;
            if !KEYS.contains(&k) {
                return Err(Error::OnlyKey {
                    arg: o.clone(),
                    key: k.to_string(),
                    keys: KEYS,
                });
            }
            sel.only.push((k.to_string(), v.to_string()));
        }
        if let Some(s) = shard {
            let parsed = s
                .split_once('/')
                .and_then(|(i, n)| Some((i.parse::<u64>().ok()?, n.parse::<u64>().ok()?)))
                .filter(|(i, n)| *n >= 1 && (1..=*n).contains(i));
            sel.shard = Some(parsed.ok_or_else(|| Error::Shard { arg: s.to_string() })?);
        }
        Ok(sel)
    }

    /// True when the account is selected.
    pub fn matches(&self, spec: &ClusterSpec) -> bool {
        let value = |key: &str| -> Vec<&str> {
            match key {
                "account" => vec![spec.account.name.as_str()],
                "team" => vec![spec.account.team.as_str()],
                "environment" => vec![spec.account.environment.as_str()],
                "blueprint" => vec![spec.blueprint.name.as_str(), spec.blueprint.id.as_str()],
                _ => vec![spec.network.name.as_str()],
            }
        };
        let keys_ok = KEYS.iter().all(|key| {
            let pats: Vec<&String> = self
                .only
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v)
                .collect();
            pats.is_empty() || pats.iter().any(|p| value(key).iter().any(|v| glob(p, v)))
        });
        keys_ok
            && self
                .shard
                .is_none_or(|(i, n)| shard_of(&spec.account.name, n) == i)
    }
}

/// The 1-based shard of `account` among `n`.
pub fn shard_of(account: &str, n: u64) -> u64 {
    let d = Sha256::digest(account.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first) % n + 1
}

/// Shell-style glob: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("pay*", "payments-prod", true),
            ("*-prod", "payments-prod", true),
            ("*-dev", "payments-prod", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*", "", true),
            ("abc", "abc", true),
        ] {
            assert_eq!(glob(p, t), want, "{p} {t}");
        }
    }

    /// The example fleet's first account: the template for specs that differ only by name.
    fn example_spec() -> ClusterSpec {
        let fleet = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
        let inv = crate::fleet::load::load(&fleet).expect("examples/fleet loads");
        let catalog = crate::blueprint::catalog::Catalog::builtin().expect("builtin catalog");
        let model = crate::fleet::model::convert(&inv).expect("examples/fleet converts");
        crate::resolve::resolve(&model, &catalog)
            .expect("the example resolves")
            .swap_remove(0)
    }

    /// Through `--shard I/N` as a run parses it: every account is in exactly one of the N
    /// shards (none lost, none in two), and each shard holds its share of the fleet within 20%.
    #[test]
    fn shards_partition_the_fleet_evenly() {
        let template = example_spec();
        let fleet: Vec<ClusterSpec> = (0..1000)
            .map(|i| {
                let mut spec = template.clone();
                spec.account.name = format!("team-{i}-prod");
                spec
            })
            .collect();
        for n in 1..=8usize {
            let shards: Vec<Selection> = (1..=n)
                .map(|i| Selection::parse(&[], Some(&format!("{i}/{n}"))).unwrap())
                .collect();
            let mut sizes = vec![0usize; n];
            for spec in &fleet {
                let hits: Vec<usize> = (0..n).filter(|&i| shards[i].matches(spec)).collect();
                assert_eq!(
                    hits.len(),
                    1,
                    "{} in shards {hits:?} of {n}",
                    spec.account.name
                );
                sizes[hits[0]] += 1;
            }
            let share = fleet.len() / n;
            assert!(
                sizes.iter().all(|&size| size.abs_diff(share) * 5 <= share),
                "shards of {n} are unbalanced: {sizes:?}"
            );
        }
    }

    #[test]
    fn bad_arguments_are_explained() {
        assert!(Selection::parse(&["tier=x".into()], None)
            .unwrap_err()
            .to_string()
            .contains("unknown key \"tier\""));
        assert!(matches!(
            Selection::parse(&["team".into()], None),
            Err(Error::OnlyArgument { .. })
        ));
        for bad in ["0/3", "4/3", "3", "a/b"] {
            assert!(
                matches!(Selection::parse(&[], Some(bad)), Err(Error::Shard { .. })),
                "{bad}"
            );
        }
        assert!(Selection::parse(&[], Some("2/3")).is_ok());
    }
}

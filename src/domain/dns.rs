//! Route 53 names: the domain of a hosted zone and a hosted zone ID.

use super::newtype::checked_string;
use super::{ensure, Invalid};

/// Longest domain name Route 53 accepts, in characters (without the trailing dot).
const DOMAIN_MAX: usize = 253;

fn dns_domain(s: &str) -> Result<(), Invalid> {
    if s.contains('*') {
        return Err(Invalid::new(
            "is a wildcard: name the zone's domain itself (e.g. \"apps.acme.example\"); ExternalDNS's domain filter already covers every name below it",
        ));
    }
    if s.ends_with('.') {
        return Err(Invalid::new(
            "expected the domain without the trailing dot, e.g. \"apps.acme.example\"",
        ));
    }
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = s.split('.').collect();
    ensure(
        s.len() <= DOMAIN_MAX && labels.iter().all(|l| label(l)),
        "expected a domain name such as \"apps.acme.example\": labels of 1-63 lowercase letters, digits or '-' separated by '.', at most 253 characters",
    )?;
    ensure(
        labels.len() >= 2,
        "is a top-level domain alone: a filter on it would let ExternalDNS write in every zone under it; name the zone's domain (e.g. \"apps.acme.example\")",
    )
}

checked_string!(
    /// The domain of a Route 53 hosted zone, e.g. `apps.acme.example`: at least two labels of
    /// lowercase letters, digits and `-`, no wildcard, no trailing dot.
    DnsDomain,
    dns_domain
);

fn hosted_zone_id(s: &str) -> Result<(), Invalid> {
    if let Some(id) = s.strip_prefix("/hostedzone/") {
        return Err(Invalid::new(format!(
            "expected the ID without the \"/hostedzone/\" prefix: {id:?}"
        )));
    }
    ensure(
        s.starts_with('Z')
            && (2..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "expected a Route 53 hosted zone ID such as \"Z0123456789ABCDEFGHIJ\" (uppercase letters and digits starting with Z)",
    )
}

checked_string!(
    /// A Route 53 hosted zone ID, e.g. `Z0123456789ABCDEFGHIJ` (as `aws route53
    /// list-hosted-zones` prints it after `/hostedzone/`).
    HostedZoneId,
    hosted_zone_id
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        for ok in ["acme.example", "apps.acme.example", "a-1.b2.example"] {
            assert!(DnsDomain::try_from(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("*.acme.example", "wildcard"),
            ("acme.example.", "trailing dot"),
            ("com", "top-level domain alone"),
            ("Apps.acme.example", "lowercase"),
            ("apps..example", "labels"),
            ("-apps.example", "labels"),
            ("", "labels"),
        ] {
            let e = DnsDomain::try_from(bad).unwrap_err();
            assert!(e.expected.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn hosted_zone_ids() {
        assert!(HostedZoneId::try_from("Z0123456789ABCDEFGHIJ").is_ok());
        for bad in ["/hostedzone/Z01", "z0123", "Z", "X0123", "Z01-23"] {
            assert!(HostedZoneId::try_from(bad).is_err(), "{bad}");
        }
    }
}

//! A reference to a blueprint as accounts and `extends` write it: `name` or `name@requirement`.

/// Split `name@req` into the name and the semver requirement.
pub fn parse_blueprint_ref(s: &str) -> Result<(String, Option<semver::VersionReq>), String> {
    let (name, req) = match s.split_once('@') {
        Some((n, r)) => (n, Some(r)),
        None => (s, None),
    };
    crate::domain::DnsLabel::try_from(name).map_err(|e| format!("blueprint name {name:?}: {e}"))?;
    let req = req
        .map(|r| {
            // A full version without an operator means exactly that version (`general@1.0.0`).
            let text = if semver::Version::parse(r).is_ok() {
                format!("={r}")
            } else {
                r.to_string()
            };
            semver::VersionReq::parse(&text)
                .map_err(|e| format!("{r:?} is not a semver requirement such as ^1.2: {e}"))
        })
        .transpose()?;
    Ok((name.to_string(), req))
}

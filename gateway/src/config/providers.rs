//! Kafka Connect's config providers: `${env:NAME}` and `${file:PATH:KEY}` inside config values.
//!
//! Resolution happens when a config is used (worker start, connector start), never in what is
//! stored or shown by the REST API, so secrets stay out of `state.db` and `GET .../config`
//! (Kafka Connect does the same). A reference that cannot be resolved is an error naming the
//! reference; Kafka silently leaves it in place, which hides typos.

use std::collections::BTreeMap;
use std::path::Path;

use super::{ConfigError, parse_properties};

/// Resolves every `${provider:...}` reference in `value`. `key` names the config key in errors.
pub fn resolve_value(key: &str, value: &str) -> Result<String, ConfigError> {
    if !value.contains("${") {
        return Ok(value.to_owned());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(ConfigError::key(
                key,
                format!("unterminated config reference in {value:?}: expected '}}'"),
            ));
        };
        out.push_str(&resolve_reference(key, &after[..end])?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Resolves every value of a config map.
pub fn resolve_all(config: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ConfigError> {
    config
        .iter()
        .map(|(k, v)| Ok((k.clone(), resolve_value(k, v)?)))
        .collect()
}

fn resolve_reference(key: &str, reference: &str) -> Result<String, ConfigError> {
    let Some((provider, rest)) = reference.split_once(':') else {
        return Err(ConfigError::key(
            key,
            format!(
                "config reference ${{{reference}}} has no provider; use ${{env:NAME}} or ${{file:PATH:KEY}}"
            ),
        ));
    };
    match provider {
        "env" => std::env::var(rest).map_err(|_| {
            ConfigError::key(
                key,
                format!("environment variable {rest} (from ${{env:{rest}}}) is not set"),
            )
        }),
        "file" => {
            // The key is after the last ':' so that paths may hold ':' (Kafka's own rule).
            let Some((path, wanted)) = rest.rsplit_once(':') else {
                return Err(ConfigError::key(
                    key,
                    format!("${{file:{rest}}} needs a key: ${{file:PATH:KEY}}"),
                ));
            };
            let path = Path::new(path);
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::key(
                    key,
                    format!("cannot read {} for ${{file:...}}: {e}", path.display()),
                )
            })?;
            let props = parse_properties(&text, path).map_err(|e| ConfigError::key(key, e.to_string()))?;
            props
                .get(wanted)
                .cloned()
                .ok_or_else(|| ConfigError::key(key, format!("{} has no key {wanted}", path.display())))
        }
        other => Err(ConfigError::key(
            key,
            format!("unknown config provider {other:?} in ${{{reference}}}; known: env, file"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_and_file_references() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets.properties");
        std::fs::write(&secrets, "db.password=s3cret\n").unwrap();
        let reference = format!("pw=${{file:{}:db.password}}!", secrets.display());
        assert_eq!(resolve_value("k", &reference).unwrap(), "pw=s3cret!");
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(resolve_value("k", "${env:HOME}/x").unwrap(), format!("{home}/x"));
        assert_eq!(resolve_value("k", "plain").unwrap(), "plain");
    }

    #[test]
    fn unresolvable_references_name_the_key() {
        let err = resolve_value("connection.password", "${env:WEIR_SURELY_UNSET_VAR}").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("connection.password"));
        assert!(err.problem.contains("WEIR_SURELY_UNSET_VAR"), "{err}");
        let err = resolve_value("k", "${vault:x}").unwrap_err();
        assert!(err.problem.contains("unknown config provider"), "{err}");
        let err = resolve_value("k", "${file:/nonexistent/x.properties:a}").unwrap_err();
        assert!(err.problem.contains("/nonexistent/x.properties"), "{err}");
        assert!(resolve_value("k", "${env:HOME").is_err());
    }
}

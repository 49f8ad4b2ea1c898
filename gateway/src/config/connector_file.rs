//! Connector files named on the command line: JSON `{"name": .., "config": {..}}`, a bare JSON
//! config map holding `name`, or a Java `.properties` file holding `name`.
//!
//! Values are kept as written (config providers are resolved when the connector starts), and
//! JSON scalars become strings as Kafka Connect's REST API coerces them.

use std::collections::BTreeMap;
use std::path::Path;

use super::{ConfigError, parse_properties};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorFile {
    pub name: String,
    pub config: BTreeMap<String, String>,
}

pub fn load_connector_file(file: &Path) -> Result<ConnectorFile, ConfigError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| ConfigError::file(file, format!("cannot read the connector file: {e}")))?;
    let is_properties =
        file.extension().is_some_and(|e| e == "properties") || !text.trim_start().starts_with('{');
    let config = if is_properties {
        parse_properties(&text, file)?
    } else {
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| ConfigError::file(file, format!("not valid JSON: {e}")))?;

        match value.get("config") {
            Some(config) => {
                let mut map = json_config_map(config).map_err(|e| e.in_file(file))?;
                if let Some(name) = value.get("name") {
                    let name = name
                        .as_str()
                        .ok_or_else(|| ConfigError::key("name", "must be a string").in_file(file))?;
                    map.insert("name".to_owned(), name.to_owned());
                }
                map
            }
            None => json_config_map(&value).map_err(|e| e.in_file(file))?,
        }
    };
    let name = config
        .get("name")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ConfigError::key("name", "missing: every connector needs a name").in_file(file))?;
    Ok(ConnectorFile { name, config })
}

/// A JSON object of config values as strings. Numbers and booleans are written as text; null
/// values are dropped; nested objects and arrays are refused naming the key.
pub fn json_config_map(value: &serde_json::Value) -> Result<BTreeMap<String, String>, ConfigError> {
    let Some(object) = value.as_object() else {
        return Err(ConfigError {
            file: None,
            key: None,
            problem: "the connector config must be a JSON object of string values".to_owned(),
        });
    };
    let mut out = BTreeMap::new();
    for (k, v) in object {
        match json_scalar(v) {
            Ok(Some(s)) => {
                out.insert(k.clone(), s);
            }
            Ok(None) => {}
            Err(NotAScalar) => {
                return Err(ConfigError::key(k, "must be a string, a number or a boolean"));
            }
        }
    }
    Ok(out)
}

/// A JSON object or array where a config value (text) was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAScalar;

/// A config value as text; None for null; Err for objects and arrays.
pub fn json_scalar(v: &serde_json::Value) -> Result<Option<String>, NotAScalar> {
    match v {
        serde_json::Value::String(s) => Ok(Some(s.clone())),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        serde_json::Value::Bool(b) => Ok(Some(b.to_string())),
        serde_json::Value::Null => Ok(None),
        _ => Err(NotAScalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn three_shapes_load_the_same_connector() {
        let dir = tempfile::tempdir().unwrap();
        let wrapped = write(
            dir.path(),
            "a.json",
            r#"{"name": "src", "config": {"connector.class": "FileStreamSource", "file": "/tmp/in", "tasks.max": 1}}"#,
        );
        let bare = write(
            dir.path(),
            "b.json",
            r#"{"name": "src", "connector.class": "FileStreamSource", "file": "/tmp/in", "tasks.max": "1"}"#,
        );
        let props = write(
            dir.path(),
            "c.properties",
            "name=src\nconnector.class=FileStreamSource\nfile=/tmp/in\ntasks.max=1\n",
        );
        let a = load_connector_file(&wrapped).unwrap();
        assert_eq!(a.name, "src");
        assert_eq!(a.config["tasks.max"], "1");
        assert_eq!(a, load_connector_file(&bare).unwrap());
        assert_eq!(a, load_connector_file(&props).unwrap());
    }

    #[test]
    fn problems_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let no_name = write(dir.path(), "x.properties", "connector.class=FileStreamSource\n");
        let err = load_connector_file(&no_name).unwrap_err().to_string();
        assert!(err.starts_with(&no_name.display().to_string()), "{err}");
        assert!(err.contains("name: missing"), "{err}");
        let nested = write(
            dir.path(),
            "y.json",
            r#"{"name": "n", "config": {"file": {"a": 1}}}"#,
        );
        let err = load_connector_file(&nested).unwrap_err().to_string();
        assert!(err.contains("y.json: file: must be a string"), "{err}");
        let broken = write(dir.path(), "z.json", r#"{"name": "n", "#);
        let err = load_connector_file(&broken).unwrap_err().to_string();
        assert!(err.contains("z.json: not valid JSON"), "{err}");
    }
}

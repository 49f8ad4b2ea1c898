//! Connector and converter configuration definitions: Kafka Connect's `ConfigDef`.
//!
//! Every connector declares its keys once, as a [`ConfigDef`]; the REST validate endpoint, the
//! connector's constructor and `GET /connector-plugins/{type}/config` all read that one
//! declaration, so what is validated and what is documented cannot drift apart.
//!
//! Rules that must stay true:
//! - [`ConfigDef::validate`] answers an entry for every declared key (possibly an empty list),
//!   so the validate endpoint can render every key of Kafka's `ConfigInfos`.
//! - A `required` key must be present and non-empty (Kafka's `NO_DEFAULT_VALUE` plus its
//!   `NonEmptyString` validator, which every required key of our connectors uses).
//! - A `String` key with `recommended_values` accepts only those values (Kafka's `ValidString`).

use std::collections::BTreeMap;

use crate::error::ConnectError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigType {
    String,
    Int,
    Long,
    Double,
    Boolean,
    List,
    Password,
    Class,
}

impl ConfigType {
    /// Kafka's upper-case name, as `ConfigInfos` shows it (`STRING`, `INT`, ...).
    pub fn kafka_name(self) -> &'static str {
        match self {
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::List => "LIST",
            ConfigType::Password => "PASSWORD",
            ConfigType::Class => "CLASS",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn kafka_name(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

/// One declared key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigKey {
    pub name: &'static str,
    pub config_type: ConfigType,
    pub default: Option<&'static str>,
    pub required: bool,
    pub importance: Importance,
    pub documentation: &'static str,
    pub group: Option<&'static str>,
    pub recommended_values: &'static [&'static str],
}

impl ConfigKey {
    /// An optional key without default; chain [`ConfigKey::default`], [`ConfigKey::required`], ...
    pub const fn new(
        name: &'static str,
        config_type: ConfigType,
        importance: Importance,
        documentation: &'static str,
    ) -> Self {
        ConfigKey {
            name,
            config_type,
            default: None,
            required: false,
            importance,
            documentation,
            group: None,
            recommended_values: &[],
        }
    }
    pub const fn with_default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn in_group(mut self, group: &'static str) -> Self {
        self.group = Some(group);
        self
    }
    pub const fn recommended(mut self, values: &'static [&'static str]) -> Self {
        self.recommended_values = values;
        self
    }

    /// Errors for one key's raw value (None: the key is absent from the config).
    pub fn check(&self, raw: Option<&str>) -> Vec<String> {
        let Some(raw) = raw.or(self.default) else {
            if self.required {
                return vec![format!(
                    "Missing required configuration \"{}\" which has no default value.",
                    self.name
                )];
            }
            return Vec::new();
        };
        if self.required && raw.trim().is_empty() {
            return vec![format!(
                "Invalid value \"\" for configuration {}: String must be non-empty",
                self.name
            )];
        }
        match parse_typed(self.config_type, raw) {
            Err(problem) => vec![format!(
                "Invalid value {raw} for configuration {}: {problem}",
                self.name
            )],
            Ok(()) => {
                if self.config_type == ConfigType::String
                    && !self.recommended_values.is_empty()
                    && !self.recommended_values.contains(&raw.trim())
                {
                    vec![format!(
                        "Invalid value {raw} for configuration {}: String must be one of: {}",
                        self.name,
                        self.recommended_values.join(", ")
                    )]
                } else {
                    Vec::new()
                }
            }
        }
    }
}

fn parse_typed(config_type: ConfigType, raw: &str) -> Result<(), &'static str> {
    let trimmed = raw.trim();
    match config_type {
        ConfigType::Int => trimmed
            .parse::<i32>()
            .map(drop)
            .map_err(|_| "Not a number of type INT"),
        ConfigType::Long => trimmed
            .parse::<i64>()
            .map(drop)
            .map_err(|_| "Not a number of type LONG"),
        ConfigType::Double => trimmed
            .parse::<f64>()
            .map(drop)
            .map_err(|_| "Not a number of type DOUBLE"),
        ConfigType::Boolean => parse_bool(trimmed)
            .map(drop)
            .ok_or("Expected value to be either true or false"),
        ConfigType::String | ConfigType::List | ConfigType::Password | ConfigType::Class => Ok(()),
    }
}

fn parse_bool(raw: &str) -> Option<bool> {
    if raw.eq_ignore_ascii_case("true") {
        Some(true)
    } else if raw.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Splits a Kafka `LIST` value: comma separated, items trimmed, empty items dropped.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A connector's or converter's declared keys, in declaration order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigDef {
    pub keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new() -> Self {
        ConfigDef { keys: Vec::new() }
    }

    pub fn define(mut self, key: ConfigKey) -> Self {
        self.keys.push(key);
        self
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Errors per declared key; every declared key is in the answer, possibly with no errors.
    /// Keys in `config` that are not declared are not judged (Kafka passes them through).
    pub fn validate(&self, config: &BTreeMap<String, String>) -> BTreeMap<String, Vec<String>> {
        self.keys
            .iter()
            .map(|k| (k.name.to_owned(), k.check(config.get(k.name).map(String::as_str))))
            .collect()
    }

    /// The first error of [`ConfigDef::validate`] as a config error naming its key, if any.
    pub fn ensure_valid(&self, config: &BTreeMap<String, String>) -> Result<(), ConnectError> {
        for k in &self.keys {
            if let Some(problem) = k.check(config.get(k.name).map(String::as_str)).first() {
                return Err(ConnectError::config(k.name, problem));
            }
        }
        Ok(())
    }

    /// The raw value, or the declared default; None when absent without default.
    pub fn raw<'a>(&self, config: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str>
    where
        'static: 'a,
    {
        config
            .get(name)
            .map(String::as_str)
            .or_else(|| self.key(name).and_then(|k| k.default))
    }

    fn present<'a>(&self, config: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str, ConnectError> {
        self.raw(config, name).ok_or_else(|| {
            ConnectError::config(
                name,
                format!("Missing required configuration \"{name}\" which has no default value."),
            )
        })
    }

    /// A string key (value or default). Required keys must also be non-empty.
    pub fn get_string(&self, config: &BTreeMap<String, String>, name: &str) -> Result<String, ConnectError> {
        let raw = self.present(config, name)?;
        if let Some(key) = self.key(name)
            && let Some(problem) = key.check(Some(raw)).first()
        {
            return Err(ConnectError::config(name, problem));
        }
        Ok(raw.to_owned())
    }

    pub fn get_int(&self, config: &BTreeMap<String, String>, name: &str) -> Result<i32, ConnectError> {
        let raw = self.present(config, name)?;
        raw.trim().parse().map_err(|_| {
            ConnectError::config(
                name,
                format!("Invalid value {raw} for configuration {name}: Not a number of type INT"),
            )
        })
    }

    pub fn get_long(&self, config: &BTreeMap<String, String>, name: &str) -> Result<i64, ConnectError> {
        let raw = self.present(config, name)?;
        raw.trim().parse().map_err(|_| {
            ConnectError::config(
                name,
                format!("Invalid value {raw} for configuration {name}: Not a number of type LONG"),
            )
        })
    }

    pub fn get_bool(&self, config: &BTreeMap<String, String>, name: &str) -> Result<bool, ConnectError> {
        let raw = self.present(config, name)?;
        parse_bool(raw.trim()).ok_or_else(|| {
            ConnectError::config(
                name,
                format!(
                    "Invalid value {raw} for configuration {name}: Expected value to be either true or false"
                ),
            )
        })
    }

    pub fn get_list(
        &self,
        config: &BTreeMap<String, String>,
        name: &str,
    ) -> Result<Vec<String>, ConnectError> {
        Ok(split_list(self.present(config, name)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("file", ConfigType::String, Importance::High, "the file").required())
            .define(
                ConfigKey::new("batch.size", ConfigType::Int, Importance::Low, "records per poll")
                    .with_default("2000"),
            )
            .define(
                ConfigKey::new("file.format", ConfigType::String, Importance::Medium, "format")
                    .with_default("lines")
                    .recommended(&["lines", "jsonl"]),
            )
            .define(ConfigKey::new(
                "flag",
                ConfigType::Boolean,
                Importance::Low,
                "a flag",
            ))
    }

    fn cfg(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn validate_reports_every_declared_key() {
        let errors = def().validate(&cfg(&[("file", "/tmp/x"), ("other", "y")]));
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            vec!["batch.size", "file", "file.format", "flag"]
        );
        assert!(errors.values().all(Vec::is_empty), "{errors:?}");
    }

    #[test]
    fn validate_names_missing_and_bad_values() {
        let errors = def().validate(&cfg(&[
            ("batch.size", "lots"),
            ("file.format", "xml"),
            ("flag", "yes"),
        ]));
        assert_eq!(
            errors["file"],
            vec!["Missing required configuration \"file\" which has no default value."]
        );
        assert_eq!(
            errors["batch.size"],
            vec!["Invalid value lots for configuration batch.size: Not a number of type INT"]
        );
        assert!(errors["file.format"][0].contains("String must be one of: lines, jsonl"));
        assert!(errors["flag"][0].contains("either true or false"));
    }

    #[test]
    fn required_key_must_not_be_empty() {
        let errors = def().validate(&cfg(&[("file", " ")]));
        assert_eq!(errors["file"].len(), 1);
        let err = def().get_string(&cfg(&[("file", "")]), "file").unwrap_err();
        assert!(err.message.starts_with("file: "), "{err}");
    }

    #[test]
    fn getters_apply_defaults_and_name_the_key() {
        let d = def();
        let c = cfg(&[("file", "/a"), ("flag", "TRUE")]);
        assert_eq!(d.get_int(&c, "batch.size").unwrap(), 2000);
        assert_eq!(d.get_string(&c, "file.format").unwrap(), "lines");
        assert!(d.get_bool(&c, "flag").unwrap());
        let err = d.get_int(&cfg(&[("batch.size", "x")]), "batch.size").unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::Config);
        assert!(err.message.starts_with("batch.size: "), "{err}");
        assert_eq!(split_list(" a, b,,c "), vec!["a", "b", "c"]);
    }
}

//! Connector config validation: the runtime's common keys (Kafka Connect's `ConnectorConfig`,
//! `SinkConnectorConfig`) plus the plugin's own [`ConfigDef`], rendered as Kafka's `ConfigInfos`.
//!
//! One function, [`validate`], feeds both `PUT /connector-plugins/{type}/config/validate` and
//! create/update, so what the validate endpoint accepts is exactly what create accepts.

use std::collections::BTreeMap;

use schemas::config::{ConfigDef, ConfigKey, ConfigType, Importance, split_list};
use serde_json::{Value as Json, json};

use crate::config::providers::resolve_value;
use crate::config::worker::strip_prefix;
use crate::plugins::{self, ConnectorType, Factory, Plugin};

const COMMON: &str = "Common";
const TRANSFORMS: &str = "Transforms";
const PREDICATES: &str = "Predicates";
const ERRORS: &str = "Error Handling";

/// The keys every connector has, owned by the runtime.
fn common_def(kind: Option<ConnectorType>) -> ConfigDef {
    let key = |name, t, imp, doc| ConfigKey::new(name, t, imp, doc).in_group(COMMON);
    let mut def = ConfigDef::new()
        .define(key(
            "name",
            ConfigType::String,
            Importance::High,
            "Globally unique name to use for this connector.",
        ))
        .define(
            key(
                "connector.class",
                ConfigType::String,
                Importance::High,
                "Name or alias of the connector class, e.g. FileStreamSource or \
                 org.apache.kafka.connect.file.FileStreamSourceConnector.",
            )
            .required(),
        )
        .define(
            key(
                "tasks.max",
                ConfigType::Int,
                Importance::High,
                "Maximum number of tasks to use for this connector.",
            )
            .with_default("1"),
        )
        .define(key(
            "key.converter",
            ConfigType::Class,
            Importance::Low,
            "Converter for record keys; overrides the worker's key.converter.",
        ))
        .define(key(
            "value.converter",
            ConfigType::Class,
            Importance::Low,
            "Converter for record values; overrides the worker's value.converter.",
        ))
        .define(key(
            "header.converter",
            ConfigType::Class,
            Importance::Low,
            "Accepted for compatibility; headers travel as bytes.",
        ))
        .define(
            ConfigKey::new(
                "transforms",
                ConfigType::List,
                Importance::Low,
                "Aliases of the transformations to apply to records (not available yet).",
            )
            .in_group(TRANSFORMS),
        )
        .define(
            ConfigKey::new(
                "predicates",
                ConfigType::List,
                Importance::Low,
                "Aliases of the predicates used by transformations (not available yet).",
            )
            .in_group(PREDICATES),
        )
        .define(
            ConfigKey::new(
                "errors.tolerance",
                ConfigType::String,
                Importance::Medium,
                "none: a bad record fails the task; all: bad records are skipped and logged.",
            )
            .with_default("none")
            .recommended(&["none", "all"])
            .in_group(ERRORS),
        )
        .define(
            ConfigKey::new(
                "errors.log.enable",
                ConfigType::Boolean,
                Importance::Medium,
                "Log each skipped record's error.",
            )
            .with_default("false")
            .in_group(ERRORS),
        )
        .define(
            ConfigKey::new(
                "errors.log.include.messages",
                ConfigType::Boolean,
                Importance::Medium,
                "Include the record's topic, partition and offset in the error log.",
            )
            .with_default("false")
            .in_group(ERRORS),
        );
    if kind == Some(ConnectorType::Sink) {
        def = def
            .define(key(
                "topics",
                ConfigType::List,
                Importance::High,
                "Topics to consume (comma list). Exactly one of topics and topics.regex.",
            ))
            .define(key(
                "topics.regex",
                ConfigType::String,
                Importance::High,
                "Regular expression matched against whole topic names. Exactly one of topics and topics.regex.",
            ))
            .define(
                ConfigKey::new(
                    "errors.deadletterqueue.topic.name",
                    ConfigType::String,
                    Importance::Medium,
                    "Topic receiving records that failed (with errors.tolerance=all).",
                )
                .in_group(ERRORS),
            );
    }
    def
}

/// One key in the answer: its definition, group and the errors found.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: ConfigKey,
    pub order: usize,
    pub value: Option<String>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Validation {
    pub plugin: Option<&'static Plugin>,
    pub entries: Vec<Entry>,
}

impl Validation {
    pub fn error_count(&self) -> usize {
        self.entries.iter().map(|e| e.errors.len()).sum()
    }

    /// Every error message, keys first in display order.
    pub fn messages(&self) -> Vec<String> {
        self.entries
            .iter()
            .flat_map(|e| e.errors.iter().cloned())
            .collect()
    }

    /// Kafka's `ConfigInfos` JSON.
    pub fn to_config_infos(&self, name: &str) -> Json {
        let mut groups: Vec<&str> = Vec::new();
        for e in &self.entries {
            if let Some(g) = e.key.group
                && !groups.contains(&g)
            {
                groups.push(g);
            }
        }
        let configs: Vec<Json> = self
            .entries
            .iter()
            .map(|e| {
                json!({
                    "definition": definition_json(&e.key, e.order),
                    "value": {
                        "name": e.key.name,
                        "value": e.value.as_deref().or(e.key.default),
                        "recommended_values": e.key.recommended_values,
                        "errors": e.errors,
                        "visible": true,
                    }
                })
            })
            .collect();
        json!({
            "name": name,
            "error_count": self.error_count(),
            "groups": groups,
            "configs": configs,
        })
    }
}

/// Kafka's `ConfigKeyInfo` JSON for one key.
pub fn definition_json(key: &ConfigKey, order: usize) -> Json {
    json!({
        "name": key.name,
        "type": key.config_type.kafka_name(),
        "required": key.required,
        "default_value": key.default,
        "importance": key.importance.kafka_name(),
        "documentation": key.documentation,
        "group": key.group,
        "width": "NONE",
        "display_name": key.name,
        "dependents": [],
        "order": order,
    })
}

/// The plugin's keys followed by nothing else: `GET /connector-plugins/{type}/config`.
pub fn plugin_keys_json(plugin: &Plugin) -> Json {
    Json::Array(
        (plugin.config_def)()
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| definition_json(k, i))
            .collect(),
    )
}

/// Validates a connector config as submitted (config provider references are resolved for the
/// checks only). Worker defaults fill in the converters the connector does not override.
pub fn validate(config: &BTreeMap<String, String>) -> Validation {
    let mut resolved = BTreeMap::new();
    let mut provider_errors: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in config {
        match resolve_value(k, v) {
            Ok(r) => {
                resolved.insert(k.clone(), r);
            }
            Err(e) => {
                provider_errors.insert(
                    k.clone(),
                    format!("Invalid value for configuration {k}: {}", e.problem),
                );
                resolved.insert(k.clone(), v.clone());
            }
        }
    }
    let class = resolved
        .get("connector.class")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty());
    let plugin = class.and_then(plugins::find);
    let kind = plugin.map(Plugin::connector_type);

    let mut entries: Vec<Entry> = Vec::new();
    let push_def = |def: &ConfigDef, entries: &mut Vec<Entry>| {
        let errors = def.validate(&resolved);
        for key in &def.keys {
            let order = entries.len() + 1;
            entries.push(Entry {
                key: key.clone(),
                order,
                value: config.get(key.name).cloned(),
                errors: errors.get(key.name).cloned().unwrap_or_default(),
            });
        }
    };
    push_def(&common_def(kind), &mut entries);
    if let Some(plugin) = plugin {
        push_def(&(plugin.config_def)(), &mut entries);
    }
    let mut add_error = |key: &str, message: String| {
        if let Some(e) = entries.iter_mut().find(|e| e.key.name == key) {
            e.errors.push(message);
        }
    };
    for (key, message) in provider_errors {
        add_error(&key, message);
    }
    if let (Some(class), None) = (class, plugin) {
        add_error("connector.class", plugins::unknown_class_message(class));
    }
    if let Some(max) = resolved
        .get("tasks.max")
        .and_then(|v| v.trim().parse::<i64>().ok())
        && max < 1
    {
        add_error(
            "tasks.max",
            format!("Invalid value {max} for configuration tasks.max: Value must be at least 1"),
        );
    }
    for (key, is_key) in [("key.converter", true), ("value.converter", false)] {
        if let Some(class) = resolved.get(key).map(|c| c.trim()).filter(|c| !c.is_empty())
            && let Err(e) = formats::build_converter(
                class,
                &strip_prefix(&resolved, key),
                is_key,
                &crate::registry::converter_context(None),
            )
        {
            add_error(
                key,
                format!("Invalid value {class} for configuration {key}: {}", e.message),
            );
        }
    }
    for key in ["transforms", "predicates"] {
        if let Some(v) = resolved.get(key).filter(|v| !split_list(v).is_empty()) {
            add_error(
                key,
                format!("Invalid value {v} for configuration {key}: {key} are not available in Weir yet"),
            );
        }
    }
    // A pushed source's own rules (one schema source, positive limits) are checked at create,
    // not first at the task's start.
    if let Some(
        p @ Plugin {
            factory: Factory::Push(check),
            ..
        },
    ) = plugin
        && let Err(e) = check(&resolved)
    {
        let key = e.message.split(':').next().unwrap_or_default().to_owned();
        let known = (p.config_def)().key(&key).is_some() || common_def(kind).key(&key).is_some();
        add_error(if known { &key } else { "connector.class" }, e.message);
    }
    if kind == Some(ConnectorType::Sink) {
        let topics = resolved.get("topics").map(|t| split_list(t)).unwrap_or_default();
        let regex = resolved
            .get("topics.regex")
            .map(|r| r.trim())
            .filter(|r| !r.is_empty());
        match (topics.is_empty(), regex) {
            (true, None) => {
                let m = "Must configure one of topics or topics.regex".to_owned();
                add_error("topics", m.clone());
                add_error("topics.regex", m);
            }
            (false, Some(_)) => {
                let m =
                    "topics and topics.regex are mutually exclusive options, but both are set.".to_owned();
                add_error("topics", m.clone());
                add_error("topics.regex", m);
            }
            (true, Some(r)) => {
                if let Err(e) = regex::Regex::new(r) {
                    add_error(
                        "topics.regex",
                        format!("Invalid value {r} for configuration topics.regex: {e}"),
                    );
                }
            }
            (false, None) => {}
        }
    }
    Validation { plugin, entries }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn errors_of<'a>(v: &'a Validation, key: &str) -> &'a [String] {
        v.entries
            .iter()
            .find(|e| e.key.name == key)
            .map(|e| e.errors.as_slice())
            .unwrap_or(&[])
    }

    #[test]
    fn a_good_source_config_has_no_errors() {
        let v = validate(&cfg(&[
            ("connector.class", "FileStreamSource"),
            ("file", "/tmp/x"),
            ("topic", "t"),
        ]));
        assert_eq!(v.error_count(), 0, "{:?}", v.messages());
        let infos = v.to_config_infos("org.apache.kafka.connect.file.FileStreamSourceConnector");
        assert_eq!(infos["error_count"], 0);
        assert_eq!(infos["groups"][0], "Common");
        let topic = infos["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == "topic")
            .unwrap();
        assert_eq!(topic["value"]["value"], "t");
        assert_eq!(topic["definition"]["required"], true);
    }

    #[test]
    fn missing_class_unknown_class_and_missing_keys_are_named() {
        let v = validate(&cfg(&[("file", "/tmp/x")]));
        assert!(errors_of(&v, "connector.class")[0].contains("connector.class"));
        let v = validate(&cfg(&[("connector.class", "com.example.Nope")]));
        assert!(errors_of(&v, "connector.class")[0].contains("com.example.Nope"));
        let v = validate(&cfg(&[
            ("connector.class", "FileStreamSource"),
            ("file", "/tmp/x"),
        ]));
        assert_eq!(v.error_count(), 1);
        assert!(v.messages()[0].contains("\"topic\""), "{:?}", v.messages());
    }

    #[test]
    fn sinks_need_exactly_one_of_topics_and_topics_regex() {
        let base = [("connector.class", "FileStreamSink"), ("file", "/tmp/out")];
        let v = validate(&cfg(&base));
        assert!(errors_of(&v, "topics")[0].contains("one of topics or topics.regex"));
        let mut both = base.to_vec();
        both.extend([("topics", "a"), ("topics.regex", "a.*")]);
        assert!(errors_of(&validate(&cfg(&both)), "topics")[0].contains("mutually exclusive"));
        let mut bad_regex = base.to_vec();
        bad_regex.push(("topics.regex", "("));
        assert_eq!(errors_of(&validate(&cfg(&bad_regex)), "topics.regex").len(), 1);
        let mut good = base.to_vec();
        good.push(("topics.regex", "logs-.*"));
        assert_eq!(validate(&cfg(&good)).error_count(), 0);
    }

    #[test]
    fn bad_common_values_are_reported_on_their_key() {
        let v = validate(&cfg(&[
            ("connector.class", "FileStreamSource"),
            ("file", "/tmp/x"),
            ("topic", "t"),
            ("tasks.max", "0"),
            ("value.converter", "com.example.Conv"),
            ("errors.tolerance", "some"),
            ("transforms", "x"),
        ]));
        assert_eq!(errors_of(&v, "tasks.max").len(), 1);
        assert!(errors_of(&v, "value.converter")[0].contains("com.example.Conv"));
        assert_eq!(errors_of(&v, "errors.tolerance").len(), 1);
        assert_eq!(errors_of(&v, "transforms").len(), 1);
        assert_eq!(v.error_count(), 4);
    }
}

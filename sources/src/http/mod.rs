//! `HttpSource`: records pushed over HTTP (`POST /ingest/{connector}`) instead of polled.
//!
//! This crate holds what needs no network: the connector's keys ([`HttpSourceConfig`]), cutting
//! a request body into records ([`body`]), the widening schema inference ([`infer`]) and turning
//! one batch of JSON records into Connect data under one schema ([`batch`]). The gateway owns
//! the endpoint, the converters, the registry and the log (`gateway::ingest`).
//!
//! The rule a newcomer must know: a push is a batch, and a batch is all or nothing unless
//! `errors.tolerance=all`; nothing here writes anything, it only says, per record, which
//! Connect value it becomes or why it is refused.

use std::collections::BTreeMap;
use std::time::Duration;

use schemas::ConnectError;
use schemas::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use schemas::registry::{ParsedSchema, SchemaType};

pub mod batch;
pub mod body;
pub mod infer;

const SCHEMA: &str = "Schema";
const LIMITS: &str = "Limits";

/// Where the value schema comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaSource {
    /// `value.schema.subject`: the latest version of this registry subject.
    Subject(String),
    /// `value.schema` with `value.schema.type` (AVRO, PROTOBUF or JSON).
    Inline { schema: String, schema_type: String },
    /// `value.schema.infer=true`: inferred from the records, widened with new optional fields.
    Infer,
}

/// An `HttpSource` connector's own keys, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSourceConfig {
    pub topic: String,
    pub schema: SchemaSource,
    /// `http.max.body.bytes`; None: the worker's.
    pub max_body_bytes: Option<usize>,
    /// `http.max.inflight.requests`: requests converted or written at once; more get 429.
    pub max_inflight_requests: usize,
    /// `errors.tolerance=all`.
    pub tolerate_errors: bool,
    /// `errors.deadletterqueue.topic.name`.
    pub dead_letter_topic: Option<String>,
    /// `errors.deadletterqueue.context.headers.enable`: dead letters carry the
    /// `__connect.errors.*` headers (default true here, unlike Kafka Connect's sinks: a pushed
    /// record has no other place to say why it was refused).
    pub dead_letter_headers: bool,
    /// `key.field`: the top-level record field whose value becomes the record's key.
    pub key_field: Option<String>,
    /// `value.schema.refresh.ms`: how old the cached latest version of `value.schema.subject`
    /// may get before a push reads it again.
    pub schema_refresh: Duration,
    /// `value.schema.message`: with a Protobuf schema, the message records are (full or simple
    /// name); None: the schema's first message.
    pub message: Option<String>,
}

pub const SCHEMA_TYPES: &[&str] = &["AVRO", "PROTOBUF", "JSON"];

impl HttpSourceConfig {
    pub fn config_def() -> ConfigDef {
        let key = |name, t, imp, doc| ConfigKey::new(name, t, imp, doc);
        ConfigDef::new()
            .define(key("topic", ConfigType::String, Importance::High, "The topic pushed records go to.").required())
            .define(
                key(
                    "value.schema.subject",
                    ConfigType::String,
                    Importance::High,
                    "Registry subject whose latest version is the records' schema. One of value.schema.subject, value.schema and value.schema.infer=true.",
                )
                .in_group(SCHEMA),
            )
            .define(
                key(
                    "value.schema",
                    ConfigType::String,
                    Importance::High,
                    "The records' schema, inline, in the language value.schema.type names.",
                )
                .in_group(SCHEMA),
            )
            .define(
                key(
                    "value.schema.type",
                    ConfigType::String,
                    Importance::Medium,
                    "Language of value.schema: AVRO, PROTOBUF or JSON (JSON Schema).",
                )
                .with_default("AVRO")
                .recommended(SCHEMA_TYPES)
                .in_group(SCHEMA),
            )
            .define(
                key(
                    "value.schema.infer",
                    ConfigType::Boolean,
                    Importance::High,
                    "Infer the schema from the records: a struct of optional fields, widened when records bring new fields; a field whose type changes is refused, never coerced.",
                )
                .with_default("false")
                .in_group(SCHEMA),
            )
            .define(
                key(
                    "value.schema.message",
                    ConfigType::String,
                    Importance::Medium,
                    "With a Protobuf schema (value.schema.type=PROTOBUF or a Protobuf value.schema.subject): the message the records are, by full name (shop.Customer) or simple name when only one message has it. Default: the schema's first message.",
                )
                .in_group(SCHEMA),
            )
            .define(
                key(
                    "value.schema.refresh.ms",
                    ConfigType::Long,
                    Importance::Low,
                    "With value.schema.subject: the subject's latest version is read again when the cached one is older than this, and whenever a push has records the cached one refuses.",
                )
                .with_default("5000")
                .in_group(SCHEMA),
            )
            .define(
                key(
                    "key.field",
                    ConfigType::String,
                    Importance::Medium,
                    "A top-level field of the records whose value becomes the record key (converted with the key converter; the field stays in the value). A null or missing value: no key.",
                ),
            )
            .define(
                key(
                    "errors.deadletterqueue.topic.name",
                    ConfigType::String,
                    Importance::Medium,
                    "With errors.tolerance=all: refused records go to this topic with __connect.errors.* headers.",
                )
                .in_group("Error Handling"),
            )
            .define(
                key(
                    "errors.deadletterqueue.context.headers.enable",
                    ConfigType::Boolean,
                    Importance::Low,
                    "Dead letters carry __connect.errors.* headers saying where they came from and why they were refused.",
                )
                .with_default("true")
                .in_group("Error Handling"),
            )
            .define(
                key(
                    "http.max.body.bytes",
                    ConfigType::Long,
                    Importance::Low,
                    "Largest request body accepted (413 beyond it); default: the worker's http.max.body.bytes.",
                )
                .in_group(LIMITS),
            )
            .define(
                key(
                    "http.max.inflight.requests",
                    ConfigType::Int,
                    Importance::Low,
                    "Pushes converted or written at once for this connector; more are answered 429 with Retry-After.",
                )
                .with_default("8")
                .in_group(LIMITS),
            )
    }

    pub fn new(config: &BTreeMap<String, String>) -> Result<Self, ConnectError> {
        let def = Self::config_def();
        def.ensure_valid(config)?;
        let topic = def.get_string(config, "topic")?.trim().to_owned();
        let non_empty = |k: &str| {
            config
                .get(k)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let infer = def.get_bool(config, "value.schema.infer")?;
        let subject = non_empty("value.schema.subject");
        let inline = non_empty("value.schema");
        let chosen = [subject.is_some(), inline.is_some(), infer]
            .iter()
            .filter(|b| **b)
            .count();
        if chosen != 1 {
            return Err(ConnectError::config(
                "value.schema.infer",
                "set exactly one of value.schema.subject, value.schema and value.schema.infer=true",
            ));
        }
        let schema = match (subject, inline) {
            (Some(s), _) => SchemaSource::Subject(s),
            (_, Some(schema)) => {
                let schema_type = def
                    .get_string(config, "value.schema.type")?
                    .trim()
                    .to_ascii_uppercase();
                if !SCHEMA_TYPES.contains(&schema_type.as_str()) {
                    return Err(ConnectError::config(
                        "value.schema.type",
                        format!(
                            "Invalid value {schema_type} for configuration value.schema.type: use one of {}",
                            SCHEMA_TYPES.join(", ")
                        ),
                    ));
                }
                SchemaSource::Inline { schema, schema_type }
            }
            _ => SchemaSource::Infer,
        };
        let message = non_empty("value.schema.message");
        if let Some(name) = &message {
            check_message(&schema, name)?;
        }
        let max_body_bytes = match non_empty("http.max.body.bytes") {
            None => None,
            Some(_) => {
                let n = def.get_long(config, "http.max.body.bytes")?;
                Some(usize::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                    ConnectError::config(
                        "http.max.body.bytes",
                        format!("Invalid value {n} for configuration http.max.body.bytes: Value must be at least 1"),
                    )
                })?)
            }
        };
        let inflight = def.get_int(config, "http.max.inflight.requests")?;
        let max_inflight_requests = usize::try_from(inflight).ok().filter(|n| *n > 0).ok_or_else(|| {
            ConnectError::config(
                "http.max.inflight.requests",
                format!("Invalid value {inflight} for configuration http.max.inflight.requests: Value must be at least 1"),
            )
        })?;
        let refresh = def.get_long(config, "value.schema.refresh.ms")?;
        let schema_refresh = u64::try_from(refresh).map(Duration::from_millis).map_err(|_| {
            ConnectError::config(
                "value.schema.refresh.ms",
                format!("Invalid value {refresh} for configuration value.schema.refresh.ms: Value must be at least 0"),
            )
        })?;
        Ok(HttpSourceConfig {
            topic,
            schema,
            max_body_bytes,
            max_inflight_requests,
            tolerate_errors: config.get("errors.tolerance").is_some_and(|t| t.trim() == "all"),
            dead_letter_topic: non_empty("errors.deadletterqueue.topic.name"),
            dead_letter_headers: def.get_bool(config, "errors.deadletterqueue.context.headers.enable")?,
            key_field: non_empty("key.field"),
            schema_refresh,
            message,
        })
    }
}

/// `value.schema.message` needs a Protobuf schema; an inline one must have the message (a
/// subject's is checked when the task reads it). An inline schema that does not parse is left
/// to its registration, which names what is wrong with it.
fn check_message(schema: &SchemaSource, name: &str) -> Result<(), ConnectError> {
    let key = "value.schema.message";
    match schema {
        SchemaSource::Infer => Err(ConnectError::config(
            key,
            "needs a Protobuf schema (value.schema with value.schema.type=PROTOBUF, or value.schema.subject), not value.schema.infer",
        )),
        SchemaSource::Subject(_) => Ok(()),
        SchemaSource::Inline { schema_type, .. } if schema_type != "PROTOBUF" => Err(ConnectError::config(
            key,
            format!("needs value.schema.type=PROTOBUF (value.schema.type is {schema_type})"),
        )),
        SchemaSource::Inline { schema, .. } => match ParsedSchema::parse(SchemaType::Protobuf, schema, &[]) {
            Ok(ParsedSchema::Protobuf(p)) => p.message_named(name).map(|_| ()).map_err(|e| {
                ConnectError::config(key, format!("Invalid value {name} for configuration {key}: {e}"))
            }),
            _ => Ok(()),
        },
    }
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

    #[test]
    fn exactly_one_schema_source() {
        let c = HttpSourceConfig::new(&cfg(&[("topic", "t"), ("value.schema.infer", "true")]));
        assert_eq!(c.map(|c| c.schema).ok(), Some(SchemaSource::Infer));
        let none = HttpSourceConfig::new(&cfg(&[("topic", "t")]));
        assert!(none.is_err_and(|e| e.message.starts_with("value.schema.infer: set exactly one")));
        let two = HttpSourceConfig::new(&cfg(&[
            ("topic", "t"),
            ("value.schema.infer", "true"),
            ("value.schema.subject", "s"),
        ]));
        assert!(two.is_err());
        let inline = HttpSourceConfig::new(&cfg(&[("topic", "t"), ("value.schema", "\"long\"")]));
        assert!(inline.is_ok_and(|c| c.schema
            == SchemaSource::Inline {
                schema: "\"long\"".into(),
                schema_type: "AVRO".into()
            }));
        let proto = HttpSourceConfig::new(&cfg(&[
            ("topic", "t"),
            ("value.schema", "syntax = \"proto3\"; message M { int64 id = 1; }"),
            ("value.schema.type", "PROTOBUF"),
            ("key.field", "id"),
        ]));
        assert!(proto.is_ok_and(
            |c| matches!(&c.schema, SchemaSource::Inline { schema_type, .. } if schema_type == "PROTOBUF")
                && c.key_field.as_deref() == Some("id")
        ));
        let bad = HttpSourceConfig::new(&cfg(&[
            ("topic", "t"),
            ("value.schema", "{}"),
            ("value.schema.type", "XML"),
        ]));
        assert!(bad.is_err_and(|e| e.message.starts_with("value.schema.type")));
    }

    #[test]
    fn the_protobuf_message_is_checked_at_create() {
        let proto = "syntax = \"proto3\"; package shop; message Customer { int64 id = 1; } message Order { int64 id = 1; }";
        let with = |pairs: &[(&str, &str)]| {
            let mut all = vec![
                ("topic", "t"),
                ("value.schema", proto),
                ("value.schema.type", "PROTOBUF"),
            ];
            all.extend_from_slice(pairs);
            HttpSourceConfig::new(&cfg(&all))
        };
        assert!(with(&[]).is_ok_and(|c| c.message.is_none()));
        assert!(
            with(&[("value.schema.message", "Order")]).is_ok_and(|c| c.message.as_deref() == Some("Order"))
        );
        assert!(with(&[("value.schema.message", "shop.Order")]).is_ok());
        let missing = with(&[("value.schema.message", "Invoice")]);
        assert!(missing.is_err_and(|e| {
            e.message
                .starts_with("value.schema.message: Invalid value Invoice")
                && e.message.contains("shop.Customer, shop.Order")
        }),);
        let avro = HttpSourceConfig::new(&cfg(&[
            ("topic", "t"),
            ("value.schema", "\"long\""),
            ("value.schema.message", "Order"),
        ]));
        assert!(avro.is_err_and(|e| {
            e.message
                .starts_with("value.schema.message: needs value.schema.type=PROTOBUF")
        }));
        let subject = HttpSourceConfig::new(&cfg(&[
            ("topic", "t"),
            ("value.schema.subject", "orders-value"),
            ("value.schema.message", "Order"),
        ]));
        assert!(subject.is_ok());
    }

    #[test]
    fn limits_must_be_positive() {
        let c = HttpSourceConfig::new(&cfg(&[
            ("topic", "t"),
            ("value.schema.infer", "true"),
            ("http.max.body.bytes", "0"),
        ]));
        assert!(c.is_err_and(|e| e.message.starts_with("http.max.body.bytes")));
        let c = HttpSourceConfig::new(&cfg(&[
            ("topic", "t"),
            ("value.schema.infer", "true"),
            ("http.max.body.bytes", "1024"),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", "dlq"),
        ]));
        assert!(c.is_ok_and(|c| c.max_body_bytes == Some(1024)
            && c.tolerate_errors
            && c.dead_letter_topic.as_deref() == Some("dlq")));
    }
}

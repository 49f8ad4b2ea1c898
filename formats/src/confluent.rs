//! What the three schema-aware converters (Avro, Protobuf, JSON Schema) share: Confluent's
//! serializer settings, subject naming, and the two caches that keep the registry off the hot
//! path.
//!
//! Caches (what must stay true): a schema id names one schema forever, so `by_id` never
//! expires; `by_schema` maps a Connect schema (by `Arc` pointer first, then by equality) and
//! topic to the id and the compiled writer, so a stream of records sharing a schema calls the
//! registry once. Both are bounded; a full cache is cleared, not grown.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use schemas::{ConnectError, Schema};

use crate::registry::{ConverterContext, SchemaRegistryClient};

/// How the subject of a record's schema is named (`key.subject.name.strategy`,
/// `value.subject.name.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `{topic}-key` / `{topic}-value` (the default).
    TopicName,
    /// The record's full name.
    RecordName,
    /// `{topic}-{record full name}`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// Short names and Confluent's class names.
    pub fn parse(key: &str, value: &str) -> Result<Self, ConnectError> {
        let short = value.trim().rsplit('.').next().unwrap_or_default();
        match short {
            "TopicNameStrategy" => Ok(SubjectNameStrategy::TopicName),
            "RecordNameStrategy" => Ok(SubjectNameStrategy::RecordName),
            "TopicRecordNameStrategy" => Ok(SubjectNameStrategy::TopicRecordName),
            _ => Err(ConnectError::config(
                key,
                format!(
                    "Invalid value {value} for configuration {key}: expected TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy (io.confluent.kafka.serializers.subject.*)"
                ),
            )),
        }
    }

    /// The subject for `topic`; `record` is the schema's record / message / title name.
    pub fn subject(self, topic: &str, is_key: bool, record: Option<&str>) -> Result<String, ConnectError> {
        let record = || {
            record.ok_or_else(|| {
                ConnectError::schema(format!(
                    "topic {topic}: the {} subject name strategy needs a named record schema",
                    if is_key { "key" } else { "value" }
                ))
            })
        };
        Ok(match self {
            SubjectNameStrategy::TopicName => format!("{topic}-{}", if is_key { "key" } else { "value" }),
            SubjectNameStrategy::RecordName => record()?.to_owned(),
            SubjectNameStrategy::TopicRecordName => format!("{topic}-{}", record()?),
        })
    }
}

/// Confluent's serializer and deserializer sub-keys, as every schema-aware converter reads them.
#[derive(Clone)]
pub struct SerdeConfig {
    pub registry: Arc<dyn SchemaRegistryClient>,
    pub is_key: bool,
    /// `auto.register.schemas` (default true).
    pub auto_register: bool,
    /// `use.latest.version` (default false): write with the subject's latest schema.
    pub use_latest_version: bool,
    /// `latest.compatibility.strict` (default true): with `use.latest.version`, the latest
    /// schema must be able to read what the record's own schema writes.
    pub latest_compatibility_strict: bool,
    /// `normalize.schemas` (default false).
    pub normalize: bool,
    pub strategy: SubjectNameStrategy,
}

impl std::fmt::Debug for SerdeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerdeConfig")
            .field("is_key", &self.is_key)
            .field("auto_register", &self.auto_register)
            .field("use_latest_version", &self.use_latest_version)
            .field("normalize", &self.normalize)
            .field("strategy", &self.strategy)
            .finish_non_exhaustive()
    }
}

pub(crate) fn bool_prop(
    props: &BTreeMap<String, String>,
    key: &str,
    default: bool,
) -> Result<bool, ConnectError> {
    match props.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ConnectError::config(
            key,
            format!("Invalid value {v} for configuration {key}: Expected value to be either true or false"),
        )),
    }
}

impl SerdeConfig {
    /// Reads the sub-keys (prefix already stripped). Errors name the key.
    pub fn new(
        props: &BTreeMap<String, String>,
        is_key: bool,
        context: &ConverterContext,
    ) -> Result<Self, ConnectError> {
        let strategy_key = if is_key {
            "key.subject.name.strategy"
        } else {
            "value.subject.name.strategy"
        };
        let strategy = match props.get(strategy_key) {
            Some(v) if !v.trim().is_empty() => SubjectNameStrategy::parse(strategy_key, v)?,
            _ => SubjectNameStrategy::TopicName,
        };
        Ok(SerdeConfig {
            registry: context.registry_for(props)?,
            is_key,
            auto_register: bool_prop(props, "auto.register.schemas", true)?,
            use_latest_version: bool_prop(props, "use.latest.version", false)?,
            latest_compatibility_strict: bool_prop(props, "latest.compatibility.strict", true)?,
            normalize: bool_prop(props, "normalize.schemas", false)?,
            strategy,
        })
    }
}

const CACHE_CAP: usize = 1000;

/// The writer side cache: (Connect schema, topic) -> `W` (id plus compiled writer).
pub struct WriterCache<W> {
    entries: Mutex<Vec<WriterEntry<W>>>,
}

/// (the Connect schema, kept so its pointer stays unique; the topic; the writer)
type WriterEntry<W> = (Arc<Schema>, Box<str>, Arc<W>);

impl<W> Default for WriterCache<W> {
    fn default() -> Self {
        WriterCache {
            entries: Mutex::new(Vec::new()),
        }
    }
}

impl<W> WriterCache<W> {
    pub fn get(&self, schema: &Arc<Schema>, topic: &str) -> Option<Arc<W>> {
        // A poisoned lock only means a panic elsewhere mid-update of a cache; it stays usable.
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, w)) = entries
            .iter()
            .find(|(s, t, _)| Arc::ptr_eq(s, schema) && **t == *topic)
        {
            return Some(w.clone());
        }
        entries
            .iter()
            .find(|(s, t, _)| **t == *topic && **s == **schema)
            .map(|(_, _, w)| w.clone())
    }

    pub fn put(&self, schema: &Arc<Schema>, topic: &str, writer: Arc<W>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= 64 {
            entries.remove(0);
        }
        entries.push((schema.clone(), topic.into(), writer));
    }
}

/// The reader side cache: schema id -> `R` (compiled reader and Connect schema).
pub struct ReaderCache<R> {
    entries: Mutex<HashMap<i32, Arc<R>>>,
}

impl<R> Default for ReaderCache<R> {
    fn default() -> Self {
        ReaderCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<R> ReaderCache<R> {
    pub fn get(&self, id: i32) -> Option<Arc<R>> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }

    pub fn put(&self, id: i32, reader: Arc<R>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CACHE_CAP {
            entries.clear();
        }
        entries.insert(id, reader);
    }
}

/// "no schema" for a schema-aware converter.
pub(crate) fn schemaless_error(converter: &str, topic: &str) -> ConnectError {
    ConnectError::data(format!(
        "topic {topic}: {converter} needs a schema, and the record has none (use JsonConverter with schemas.enable=false for schemaless data, or a source that declares schemas)"
    ))
}

/// The id a record's schema is written under, per Confluent's serializer settings:
/// `use.latest.version` (the subject's latest schema, checked against the record's own when
/// `latest.compatibility.strict`), else `auto.register.schemas` (register; the registry applies
/// the subject's compatibility level), else a lookup that must find the schema.
///
/// Answers the id and, with `use.latest.version`, the latest schema to write with.
pub(crate) async fn resolve_writer(
    config: &SerdeConfig,
    topic: &str,
    record_name: Option<&str>,
    schema: &crate::registry::SchemaText,
) -> Result<(i32, Option<Arc<crate::registry::RegisteredSchema>>), ConnectError> {
    let subject = config.strategy.subject(topic, config.is_key, record_name)?;
    let registry = &config.registry;
    let context = || format!("topic {topic}, subject {subject}");
    if config.use_latest_version {
        let latest = registry
            .latest(&subject)
            .await
            .map_err(|e| e.into_connect(format!("{} (use.latest.version=true)", context())))?;
        if config.latest_compatibility_strict {
            let own = schemas::registry::ParsedSchema::parse(schema.schema_type, &schema.schema, &[])
                .map_err(|e| {
                    ConnectError::schema(format!("{}: the record's schema is invalid: {e}", context()))
                })?;
            let problems = schemas::registry::ParsedSchema::check(
                &latest.schema.parsed,
                &own,
                &schemas::registry::language::CheckOptions::default(),
            );
            if !problems.is_empty() {
                return Err(ConnectError::schema(format!(
                    "{}: the latest schema (version {}, id {}) cannot read the record's schema (latest.compatibility.strict=true): {}",
                    context(),
                    latest.version,
                    latest.schema.id,
                    problems.join("; ")
                )));
            }
        }
        return Ok((latest.schema.id, Some(latest.schema)));
    }
    if config.auto_register {
        let id = registry
            .register(&subject, schema, config.normalize)
            .await
            .map_err(|e| e.into_connect(context()))?;
        return Ok((id, None));
    }
    match registry.lookup(&subject, schema, config.normalize).await {
        Ok(found) => Ok((found.schema.id, None)),
        Err(e) if e.kind == crate::registry::RegistryErrorKind::NotFound => {
            Err(ConnectError::schema(format!(
                "{}: the record's schema is not registered under subject {subject}, and auto.register.schemas=false ({})",
                context(),
                e.message
            )))
        }
        Err(e) => Err(e.into_connect(context())),
    }
}

/// The registry's schema with this id, for a record read from `topic`. An unknown id is a
/// data error naming the id and topic.
pub(crate) async fn schema_for_id(
    config: &SerdeConfig,
    topic: &str,
    id: i32,
    expected: schemas::registry::SchemaType,
) -> Result<Arc<crate::registry::RegisteredSchema>, ConnectError> {
    let schema = config.registry.schema_by_id(id).await.map_err(|e| match e.kind {
        crate::registry::RegistryErrorKind::NotFound => ConnectError::data(format!(
            "topic {topic}: unknown schema id {id}: the schema registry has no schema with this id ({})",
            e.message
        )),
        _ => e.into_connect(format!("topic {topic}: fetching schema id {id}")),
    })?;
    if schema.schema_type != expected {
        return Err(ConnectError::data(format!(
            "topic {topic}: schema id {id} is a {} schema, not {expected}: the record was not written by a {expected} serializer",
            schema.schema_type
        )));
    }
    Ok(schema)
}

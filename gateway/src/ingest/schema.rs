//! The value schema of an `HttpSource` with a fixed schema: `value.schema` (inline, registered
//! under `{topic}-value` when the task starts) or `value.schema.subject` (the subject's latest
//! version, read again once older than `value.schema.refresh.ms`, and at once when a push has
//! records it refuses, so a newer version is picked up without restarting the task).
//!
//! Records are written with exactly that registered schema. When the value converter is the
//! schema-aware converter of the schema's language (AVRO: AvroConverter, PROTOBUF:
//! ProtobufConverter, JSON: JsonSchemaConverter), the endpoint gets an instance of its own whose
//! registry answers "the subject's latest version" with the fixed schema ([`Pinned`]) and which
//! runs with `use.latest.version=true`: it registers nothing derived, never picks another
//! version, and its bytes carry the fixed schema's id (Protobuf: its own field numbers and
//! message). A schema-aware converter of another language is a config error; any other
//! converter (JsonConverter, ...) writes the checked data in its own format.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use formats::registry::{ConverterContext, RegisteredSchema, RegistryResult, SchemaText, SubjectSchema};
use formats::{Converter, SchemaRegistryClient};
use parking_lot::Mutex;
use schemas::registry::{ParsedSchema, SchemaType};
use schemas::{ConnectError, Schema};
use sources::http::{HttpSourceConfig, SchemaSource};

use crate::config::worker::connector_converter;
use crate::runtime::task::TaskContext;

/// One version of the fixed schema, ready for pushes.
#[derive(Clone)]
pub struct Loaded {
    /// The registered schema (its id is what records carry).
    pub registered: Arc<RegisteredSchema>,
    /// Its Connect form: records are checked and converted under it.
    pub schema: Arc<Schema>,
    /// JSON Schema only: every record is also validated against the schema itself (bounds,
    /// patterns, enums... that the Connect form does not carry).
    pub validator: Option<Arc<jsonschema::Validator>>,
    read_at: Instant,
}

/// The fixed schema of one endpoint and the converter that writes with it.
pub struct FixedSchema {
    /// `value.schema.subject` (re-read); None for an inline schema (fixed for the task's life).
    subject: Option<String>,
    /// `value.schema.message`: the Protobuf message records are (None: the first).
    message: Option<String>,
    registry: Arc<dyn SchemaRegistryClient>,
    refresh: Duration,
    current: Mutex<Arc<Loaded>>,
    /// When reading the subject last failed: no push asks the registry again before
    /// `value.schema.refresh.ms` has passed (a registry that is down must not hold every push
    /// for its timeout).
    failed_at: Mutex<Option<Instant>>,
    /// What the endpoint's own converter gets as "the latest version".
    pinned: Arc<Pinned>,
    converter: Arc<dyn Converter>,
}

impl FixedSchema {
    /// The fixed schema of an HttpSource (None when it infers its schema), read or registered
    /// now, and the value converter that writes with it.
    pub async fn open(
        ctx: &TaskContext,
        config: &HttpSourceConfig,
    ) -> Result<Option<FixedSchema>, ConnectError> {
        let setting = connector_converter(&ctx.config, &ctx.shared.worker, "value.converter", false);
        let registry = ctx.shared.converters.registry_for(&setting.props)?;
        let (key, subject, latest) = match &config.schema {
            SchemaSource::Infer => return Ok(None),
            SchemaSource::Subject(subject) => {
                let latest = registry
                    .latest(subject)
                    .await
                    .map_err(|e| e.into_connect(format!("value.schema.subject {subject}")))?;
                ("value.schema.subject", Some(subject.clone()), latest)
            }
            SchemaSource::Inline { schema, schema_type } => {
                let schema_type: SchemaType =
                    schema_type.parse().map_err(|e: schemas::registry::SchemaError| {
                        ConnectError::config("value.schema.type", e.to_string())
                    })?;
                let subject = format!("{}-value", config.topic);
                let id = registry
                    .register(&subject, &SchemaText::new(schema_type, schema.clone()), false)
                    .await
                    .map_err(|e| e.into_connect(format!("value.schema registered under {subject}")))?;
                let registered = registry
                    .schema_by_id(id)
                    .await
                    .map_err(|e| e.into_connect(format!("value.schema (id {id})")))?;
                (
                    "value.schema",
                    None,
                    SubjectSchema {
                        subject,
                        // Not known without another call, and nothing reads it.
                        version: 0,
                        schema: registered,
                    },
                )
            }
        };
        let message = config.message.clone();
        let loaded = load(&latest.schema, message.as_deref()).map_err(|e| ConnectError::config(key, e))?;
        if let Some(field) = &config.key_field
            && loaded.schema.field(field).is_none()
        {
            return Err(ConnectError::config(
                "key.field",
                format!("the records' schema ({key}) has no top-level field {field}"),
            ));
        }
        let pinned = Arc::new(Pinned {
            inner: registry.clone(),
            latest: Mutex::new(latest),
        });
        let converter = writer_converter(ctx, &setting, loaded.registered.schema_type, &pinned)?;
        Ok(Some(FixedSchema {
            subject,
            message,
            registry,
            refresh: config.schema_refresh,
            current: Mutex::new(Arc::new(loaded)),
            failed_at: Mutex::new(None),
            pinned,
            converter,
        }))
    }

    /// The converter records are written with.
    pub fn converter(&self) -> &Arc<dyn Converter> {
        &self.converter
    }

    /// The schema for a push: the cached one, read again first when it is older than
    /// `value.schema.refresh.ms` (a registry that cannot answer keeps the cached one).
    pub async fn current(&self) -> Arc<Loaded> {
        let loaded = self.current.lock().clone();
        if self.subject.is_some() && loaded.read_at.elapsed() >= self.refresh {
            return self.reread().await.unwrap_or(loaded);
        }
        loaded
    }

    /// Reads the subject's latest version now. Some(newer) when it changed (it is then the
    /// current one); None when it did not, for an inline schema, or when the registry failed.
    pub async fn reread(&self) -> Option<Arc<Loaded>> {
        let subject = self.subject.as_deref()?;
        if self
            .failed_at
            .lock()
            .is_some_and(|at| at.elapsed() < self.refresh)
        {
            return None;
        }
        let latest = match self.registry.latest(subject).await {
            Ok(latest) => {
                *self.failed_at.lock() = None;
                latest
            }
            Err(e) => {
                *self.failed_at.lock() = Some(Instant::now());
                tracing::warn!(subject, error = %e.message, "value.schema.subject: could not read the latest version; keeping the cached one");
                return None;
            }
        };
        {
            let mut current = self.current.lock();
            if current.registered.id == latest.schema.id {
                *current = Arc::new(Loaded {
                    read_at: Instant::now(),
                    ..Loaded::clone(&current)
                });
                return None;
            }
        }
        match load(&latest.schema, self.message.as_deref()) {
            Ok(loaded) => {
                tracing::info!(
                    subject,
                    version = latest.version,
                    id = latest.schema.id,
                    "value.schema.subject: a newer version is now the records' schema"
                );
                let loaded = Arc::new(loaded);
                // The converter resolves its writer per Connect schema: the new `Arc` makes it
                // ask the pinned registry, which must already answer the new version.
                *self.pinned.latest.lock() = latest;
                *self.current.lock() = loaded.clone();
                Some(loaded)
            }
            Err(e) => {
                tracing::warn!(subject, version = latest.version, error = %e, "value.schema.subject: the latest version has no Connect form; keeping the cached one");
                None
            }
        }
    }
}

/// With `value.schema.infer` and a schema-aware value converter: the schema inference resumes
/// from, the latest version of `{topic}-value` read as Connect (when it is a struct), so that
/// after a restart a push with fewer fields registers nothing narrower and fields keep their
/// order. None for a subject with no version, or a converter that is not schema-aware (it
/// registers nothing). A registry that cannot answer fails the task: starting from scratch
/// could register a narrower schema.
pub async fn resume_inferred(
    ctx: &TaskContext,
    config: &HttpSourceConfig,
) -> Result<Option<Arc<Schema>>, ConnectError> {
    if config.schema != SchemaSource::Infer {
        return Ok(None);
    }
    let setting = connector_converter(&ctx.config, &ctx.shared.worker, "value.converter", false);
    let class = setting.class.trim();
    let schema_aware = formats::converter_classes().iter().any(|(short, java)| {
        [SchemaType::Avro, SchemaType::Protobuf, SchemaType::Json]
            .iter()
            .any(|t| converter_of(*t) == *short)
            && (*short == class || *java == class)
    });
    if !schema_aware {
        return Ok(None);
    }
    let registry = ctx.shared.converters.registry_for(&setting.props)?;
    let subject = format!("{}-value", config.topic);
    let latest = match registry.latest(&subject).await {
        Ok(latest) => latest,
        Err(e) if e.kind == formats::registry::RegistryErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e.into_connect(format!(
                "value.schema.infer: reading the latest version of {subject} to resume inference from"
            )));
        }
    };
    let base = load(&latest.schema, None)
        .ok()
        .and_then(|loaded| sources::http::infer::rebase(&loaded.schema));
    match &base {
        Some(schema) => tracing::info!(
            subject,
            version = latest.version,
            id = latest.schema.id,
            fields = schema.fields.len(),
            "value.schema.infer: resuming inference from the subject's latest version"
        ),
        None => tracing::warn!(
            subject,
            version = latest.version,
            "value.schema.infer: the subject's latest version is not a struct; inference starts from the first push"
        ),
    }
    Ok(base.map(Arc::new))
}

/// The Connect form of a registered schema (and a validator for JSON Schema). `message`:
/// `value.schema.message`, the Protobuf message records are (None: the first).
fn load(registered: &Arc<RegisteredSchema>, message: Option<&str>) -> Result<Loaded, String> {
    let id = registered.id;
    let (schema, validator) = match (registered.schema_type, registered.parsed.as_ref()) {
        (SchemaType::Avro, _) => {
            let plan = formats::avro::compile_registered(registered).map_err(|e| e.message)?;
            let schema = formats::avro::connect::to_connect_schema(&plan).map_err(|e| e.0)?;
            (schema, None)
        }
        (SchemaType::Protobuf, ParsedSchema::Protobuf(p)) => {
            (Arc::new(protobuf_schema(id, p, message)?), None)
        }
        (SchemaType::Json, ParsedSchema::Json(j)) => {
            // A property missing from `required` may be missing from a record: JSON Schema's
            // meaning, whatever the converter's `use.optional.for.nonrequired` says for reading.
            let mapping = formats::json_schema::Mapping {
                optional_for_nonrequired: true,
                ..formats::json_schema::Mapping::default()
            };
            let schema = formats::json_schema::to_connect_schema_with(j.value(), &mapping)
                .map_err(|e| format!("schema id {id}: {e}"))?;
            let validator = formats::json_schema::validator(j).map_err(|e| format!("schema id {id}: {e}"))?;
            (Arc::new(schema), Some(Arc::new(validator)))
        }
        (t, _) => return Err(format!("schema id {id}: a {t} schema that did not parse as {t}")),
    };
    Ok(Loaded {
        registered: registered.clone(),
        schema,
        validator,
        read_at: Instant::now(),
    })
}

/// The Connect schema of the Protobuf message records are: `value.schema.message` or the
/// first message. A field without presence (proto3, no `optional`) defaults to its zero value,
/// so a record may leave it out. The converter finds the message to write by the schema's
/// name: the simple name unless another message of the file shares it, then the full name.
fn protobuf_schema(
    id: i32,
    p: &schemas::registry::protobuf::ProtobufSchema,
    message: Option<&str>,
) -> Result<Schema, String> {
    let message = match message {
        Some(name) => p
            .message_named(name)
            .map(|(_, m)| m)
            .map_err(|e| format!("schema id {id}: value.schema.message: {e}"))?,
        None => p
            .first_message()
            .ok_or_else(|| format!("schema id {id}: the Protobuf schema has no message"))?,
    };
    let mut schema = formats::protobuf::message_schema_with_defaults(&message)
        .map_err(|e| format!("schema id {id}: message {}: {e}", message.full_name()))?;
    let shared = p
        .message_index_paths()
        .iter()
        .filter(|(_, m)| m.name() == message.name())
        .count()
        > 1;
    if shared {
        schema.name = Some(message.full_name().to_owned());
    }
    Ok(schema)
}

/// The schema-aware converter of each schema language.
fn converter_of(schema_type: SchemaType) -> &'static str {
    match schema_type {
        SchemaType::Avro => "AvroConverter",
        SchemaType::Protobuf => "ProtobufConverter",
        SchemaType::Json => "JsonSchemaConverter",
    }
}

/// The converter a fixed schema's records are written with: the task's own when it is not
/// schema-aware, else an instance of the matching converter pinned to the fixed schema.
fn writer_converter(
    ctx: &TaskContext,
    setting: &crate::config::worker::ConverterSetting,
    schema_type: SchemaType,
    pinned: &Arc<Pinned>,
) -> Result<Arc<dyn Converter>, ConnectError> {
    let class = setting.class.trim();
    let short = formats::converter_classes()
        .iter()
        .find(|(short, java)| *short == class || *java == class)
        .map(|(short, _)| *short)
        .unwrap_or(class);
    let schema_aware = [SchemaType::Avro, SchemaType::Protobuf, SchemaType::Json].map(converter_of);
    if !schema_aware.contains(&short) {
        return Ok(ctx.value_converter.clone());
    }
    let wanted = converter_of(schema_type);
    if short != wanted {
        return Err(ConnectError::config(
            "value.converter",
            format!(
                "{short} cannot write records of a {schema_type} schema; use {wanted} (or a converter that is not schema-aware, such as JsonConverter)"
            ),
        ));
    }
    let mut props: BTreeMap<String, String> = setting.props.clone();
    // The pinned registry stands for the converter's own (schema.registry.url included).
    props.remove("schema.registry.url");
    props.insert("use.latest.version".into(), "true".into());
    props.insert("auto.register.schemas".into(), "false".into());
    props.insert("latest.compatibility.strict".into(), "false".into());
    let registry: Arc<dyn SchemaRegistryClient> = pinned.clone();
    formats::build_converter(wanted, &props, false, &ConverterContext::with_registry(registry))
}

/// A registry that answers "the latest version" of any subject with the fixed schema and asks
/// the real registry everything else. Only the endpoint's own value converter uses it, and
/// that converter asks for one subject: the one its records are written under.
struct Pinned {
    inner: Arc<dyn SchemaRegistryClient>,
    latest: Mutex<SubjectSchema>,
}

#[async_trait]
impl SchemaRegistryClient for Pinned {
    async fn register(&self, subject: &str, schema: &SchemaText, normalize: bool) -> RegistryResult<i32> {
        self.inner.register(subject, schema, normalize).await
    }

    async fn schema_by_id(&self, id: i32) -> RegistryResult<Arc<RegisteredSchema>> {
        self.inner.schema_by_id(id).await
    }

    async fn latest(&self, _subject: &str) -> RegistryResult<SubjectSchema> {
        Ok(self.latest.lock().clone())
    }

    async fn version(&self, subject: &str, version: i32) -> RegistryResult<SubjectSchema> {
        self.inner.version(subject, version).await
    }

    async fn lookup(
        &self,
        subject: &str,
        schema: &SchemaText,
        normalize: bool,
    ) -> RegistryResult<SubjectSchema> {
        self.inner.lookup(subject, schema, normalize).await
    }
}

//! The schema registry as the schema-aware converters see it.
//!
//! - [`SchemaRegistryClient`]: the five calls a Confluent serializer makes (register, schema by
//!   id, latest, version, lookup). Two implementations: the embedded registry, called in
//!   process (the gateway implements the trait for its `Registry`; [`RegistryService`] here
//!   implements it too, for any store), and the gateway's HTTP client for an external
//!   Confluent-compatible registry (`schema.registry.url`), handed in through
//!   [`ConverterContext::remote`] (formats itself does no network I/O).
//! - [`MemoryStore`]: an in-memory `RegistryStore`, so tests, benches and fuzz targets run the
//!   real registry rules without a database.
//! - [`ConverterContext`]: what `build_converter` needs beyond the converter's own keys.
//!
//! What must stay true: a schema fetched by id never changes (ids are never reused), so
//! converters cache schemas by id forever and call the registry only for the first record of a
//! schema.

mod memory;
mod service;

use std::sync::Arc;

use async_trait::async_trait;
use schemas::ConnectError;
use schemas::registry::{ParsedSchema, SchemaReference, SchemaType};

pub use memory::MemoryStore;

/// A schema as the registry holds it under an id: its text, references and parsed form.
#[derive(Debug, Clone)]
pub struct RegisteredSchema {
    pub id: i32,
    pub schema_type: SchemaType,
    /// The text the registry stores (canonical, or normalized).
    pub schema: String,
    pub references: Vec<SchemaReference>,
    /// Parsed with its references resolved.
    pub parsed: Arc<ParsedSchema>,
}

/// One version of a subject.
#[derive(Debug, Clone)]
pub struct SubjectSchema {
    pub subject: String,
    pub version: i32,
    pub schema: Arc<RegisteredSchema>,
}

/// What went wrong talking to a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryErrorKind {
    /// No such subject, version or schema id (40401, 40402, 40403).
    NotFound,
    /// The subject's compatibility level refuses the schema (409).
    Incompatible,
    /// The schema is invalid (422xx) or the request is refused (read-only mode...).
    Invalid,
    /// The registry cannot be reached or failed (5xx, network): a retry may help.
    Unavailable,
}

/// An error of a registry call. The message is the registry's own, with the subject or id.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RegistryClientError {
    pub kind: RegistryErrorKind,
    /// Confluent's `error_code`, when the registry gave one.
    pub code: Option<u32>,
    pub message: String,
}

impl RegistryClientError {
    pub fn new(kind: RegistryErrorKind, code: Option<u32>, message: impl Into<String>) -> Self {
        RegistryClientError {
            kind,
            code,
            message: message.into(),
        }
    }

    /// The kind a Confluent error code stands for.
    pub fn kind_of_code(code: u32) -> RegistryErrorKind {
        match code {
            40401..=40499 | 404 => RegistryErrorKind::NotFound,
            409 => RegistryErrorKind::Incompatible,
            c if c >= 50000 || (500..600).contains(&c) => RegistryErrorKind::Unavailable,
            _ => RegistryErrorKind::Invalid,
        }
    }

    /// As a converter error: incompatible or invalid schemas are schema errors, a registry
    /// that cannot answer is a retriable connection error, and an unknown id is a data error
    /// (the record's bytes name a schema nobody has).
    pub fn into_connect(self, context: impl std::fmt::Display) -> ConnectError {
        let message = format!("{context}: {}", self.message);
        match self.kind {
            RegistryErrorKind::NotFound => ConnectError::data(message),
            RegistryErrorKind::Incompatible | RegistryErrorKind::Invalid => ConnectError::schema(message),
            RegistryErrorKind::Unavailable => ConnectError::connection(message),
        }
    }
}

pub type RegistryResult<T> = Result<T, RegistryClientError>;

/// A schema to register or look up, as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaText {
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

impl SchemaText {
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Self {
        SchemaText {
            schema_type,
            schema: schema.into(),
            references: Vec::new(),
        }
    }
}

/// The registry calls Confluent's serializers and converters make.
///
/// Implementations answer from the registry each time; callers (the converters) cache. The
/// embedded registry answers repeated calls from its own memory anyway.
#[async_trait]
pub trait SchemaRegistryClient: Send + Sync {
    /// Registers `schema` under `subject` and answers its id. The registry applies the
    /// subject's compatibility level: an incompatible schema is
    /// [`RegistryErrorKind::Incompatible`] with a message naming the subject and the
    /// incompatibility. The same schema again answers the same id.
    async fn register(&self, subject: &str, schema: &SchemaText, normalize: bool) -> RegistryResult<i32>;

    /// The schema with this id, parsed (references resolved).
    async fn schema_by_id(&self, id: i32) -> RegistryResult<Arc<RegisteredSchema>>;

    /// The latest live version of `subject`.
    async fn latest(&self, subject: &str) -> RegistryResult<SubjectSchema>;

    /// Version `version` of `subject` (-1: the latest).
    async fn version(&self, subject: &str, version: i32) -> RegistryResult<SubjectSchema>;

    /// The live version of `subject` holding this schema; `NotFound` when none does.
    async fn lookup(
        &self,
        subject: &str,
        schema: &SchemaText,
        normalize: bool,
    ) -> RegistryResult<SubjectSchema>;
}

/// Opens a client for an external registry: (`schema.registry.url`, the converter's sub-keys).
pub type RemoteRegistry = Arc<
    dyn Fn(
            &str,
            &std::collections::BTreeMap<String, String>,
        ) -> Result<Arc<dyn SchemaRegistryClient>, ConnectError>
        + Send
        + Sync,
>;

/// What `build_converter` needs beyond the converter's own keys.
#[derive(Clone, Default)]
pub struct ConverterContext {
    /// How to reach an external registry when a converter sets `schema.registry.url`. Without
    /// it such converters build (their keys can be validated) but every record fails.
    pub remote: Option<RemoteRegistry>,
    /// The embedded registry. Used when the converter has no `schema.registry.url`; without
    /// either, the schema-aware converters build (so their keys can be validated) but every
    /// record fails with "no schema registry".
    pub registry: Option<Arc<dyn SchemaRegistryClient>>,
}

impl std::fmt::Debug for ConverterContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConverterContext")
            .field("registry", &self.registry.is_some())
            .field("remote", &self.remote.is_some())
            .finish()
    }
}

impl ConverterContext {
    /// A context with the embedded (or any) registry.
    pub fn with_registry(registry: Arc<dyn SchemaRegistryClient>) -> Self {
        ConverterContext {
            registry: Some(registry),
            remote: None,
        }
    }

    /// The registry a converter uses: its `schema.registry.url` when set (an external
    /// registry over HTTP), else the context's registry. Errors name the key.
    pub fn registry_for(
        &self,
        props: &std::collections::BTreeMap<String, String>,
    ) -> Result<Arc<dyn SchemaRegistryClient>, ConnectError> {
        match props
            .get("schema.registry.url")
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
        {
            Some(url) => match &self.remote {
                Some(open) => open(url, props),
                None => Ok(Arc::new(NoRegistry)),
            },
            None => Ok(self.registry.clone().unwrap_or_else(|| Arc::new(NoRegistry))),
        }
    }
}

/// The registry of a context that has none (config validation before the worker runs): every
/// call fails with a message saying so, so building a converter to check its keys still works.
struct NoRegistry;

impl NoRegistry {
    fn error<T>(&self) -> RegistryResult<T> {
        Err(RegistryClientError::new(
            RegistryErrorKind::Unavailable,
            None,
            "no schema registry: set schema.registry.url, or run the converter in a worker (which has the embedded registry)",
        ))
    }
}

#[async_trait]
impl SchemaRegistryClient for NoRegistry {
    async fn register(&self, _: &str, _: &SchemaText, _: bool) -> RegistryResult<i32> {
        self.error()
    }
    async fn schema_by_id(&self, _: i32) -> RegistryResult<Arc<RegisteredSchema>> {
        self.error()
    }
    async fn latest(&self, _: &str) -> RegistryResult<SubjectSchema> {
        self.error()
    }
    async fn version(&self, _: &str, _: i32) -> RegistryResult<SubjectSchema> {
        self.error()
    }
    async fn lookup(&self, _: &str, _: &SchemaText, _: bool) -> RegistryResult<SubjectSchema> {
        self.error()
    }
}

/// Checks an id from a registry fits Confluent's 4-byte wire id.
pub fn wire_id(id: i64) -> RegistryResult<i32> {
    i32::try_from(id).map_err(|_| {
        RegistryClientError::new(
            RegistryErrorKind::Invalid,
            None,
            format!("schema id {id} does not fit the 4-byte id of the Confluent wire format"),
        )
    })
}

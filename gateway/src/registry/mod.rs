//! The embedded, Confluent-compatible schema registry: storage backends and the HTTP API
//! over the rules in `schemas::registry::service`.
//!
//! - [`Registry`]: the in-process API converters call (no HTTP), shared as `Arc<Registry>`;
//! - [`router`]: Confluent's REST paths (`/subjects`, `/schemas`, `/config`, `/mode`,
//!   `/compatibility`, `/contexts`, `/associations`) at the root of the worker's listener;
//! - `sql_store`: the store, written once; `sqlite`, `postgres`: its two backends (their
//!   differences and constructors). tests/registry_store.rs runs one suite against both.

pub mod client;
pub mod http;
pub mod postgres;
mod sql_store;
pub mod sqlite;
mod store_util;
pub mod tls;

use std::sync::Arc;

use schemas::registry::service::{
    RegisterOptions, RegistryError, RegistryService, RegistryStore, SchemaEntry, SchemaInput, SubjectVersion,
    VersionSpec,
};
use schemas::registry::{SchemaReference, SchemaType};

pub use client::HttpRegistryClient;
pub use http::{MAX_BODY_BYTES, router};

/// The context converters are built with: the embedded registry (when the worker has one) and
/// the HTTP client for `schema.registry.url`.
pub fn converter_context(embedded: Option<Arc<Registry>>) -> formats::ConverterContext {
    let remote: formats::registry::RemoteRegistry = Arc::new(|url, props| {
        Ok(Arc::new(HttpRegistryClient::new(url, props)?) as Arc<dyn formats::SchemaRegistryClient>)
    });
    formats::ConverterContext {
        registry: embedded.map(|r| r as Arc<dyn formats::SchemaRegistryClient>),
        remote: Some(remote),
    }
}
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// The registry the worker runs: one service over one store. All methods take `&self`.
pub struct Registry {
    service: RegistryService,
}

impl Registry {
    /// A registry over any store.
    pub fn new(store: Arc<dyn RegistryStore>) -> Registry {
        Registry {
            service: RegistryService::new(store),
        }
    }

    /// The registry in the worker's SQLite state database (runs its migrations).
    pub async fn sqlite(pool: sqlx::SqlitePool) -> Result<Registry, RegistryError> {
        let store = SqliteStore::new(pool).await?;
        Ok(Registry::new(Arc::new(store)))
    }

    /// The registry in a Postgres database shared by workers (`postgres://...`).
    pub async fn postgres(url: &str) -> Result<Registry, RegistryError> {
        let store = PostgresStore::connect(url, None).await?;
        Ok(Registry::new(Arc::new(store)))
    }

    /// As [`Registry::postgres`], with every table in the Postgres schema `schema`.
    pub async fn postgres_in_schema(url: &str, schema: &str) -> Result<Registry, RegistryError> {
        let store = PostgresStore::connect(url, Some(schema)).await?;
        Ok(Registry::new(Arc::new(store)))
    }

    /// Every operation of the registry (what the HTTP API calls).
    pub fn service(&self) -> &RegistryService {
        &self.service
    }

    /// Registers `schema` under `subject` (compatibility checked) and answers its id; the
    /// same schema again answers the same id at once from memory.
    pub async fn register(
        &self,
        subject: &str,
        schema: &str,
        schema_type: SchemaType,
        references: Vec<SchemaReference>,
        normalize: bool,
    ) -> Result<i64, RegistryError> {
        let input = SchemaInput::new(schema_type, schema).with_references(references);
        let options = RegisterOptions {
            normalize,
            ..RegisterOptions::default()
        };
        Ok(self.service.register(subject, &input, options).await?.id)
    }

    /// The schema with this id (default context), from memory after the first call.
    pub async fn by_id(&self, id: i64) -> Result<Arc<SchemaEntry>, RegistryError> {
        self.service.schema_by_id(id, None).await
    }

    /// The parsed form of a schema `by_id` answered (parsed once, then from memory).
    pub async fn parsed(
        &self,
        entry: &SchemaEntry,
    ) -> Result<Arc<schemas::registry::ParsedSchema>, RegistryError> {
        self.service.parsed_schema(entry).await
    }

    /// The latest live version of a subject.
    pub async fn latest(&self, subject: &str) -> Result<SubjectVersion, RegistryError> {
        self.service.latest(subject).await
    }

    /// One version of a subject (-1 = latest).
    pub async fn version(&self, subject: &str, version: i32) -> Result<SubjectVersion, RegistryError> {
        let spec = VersionSpec::parse(&version.to_string())?;
        self.service.version(subject, spec, false).await
    }

    /// The live version of `subject` holding this schema.
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &str,
        schema_type: SchemaType,
        references: Vec<SchemaReference>,
    ) -> Result<SubjectVersion, RegistryError> {
        let input = SchemaInput::new(schema_type, schema).with_references(references);
        self.service.lookup(subject, &input, false, false).await
    }

    /// Checks `schema` against the subject's level; empty = compatible.
    pub async fn check(
        &self,
        subject: &str,
        schema: &str,
        schema_type: SchemaType,
        references: Vec<SchemaReference>,
    ) -> Result<Vec<String>, RegistryError> {
        let input = SchemaInput::new(schema_type, schema).with_references(references);
        self.service.check(subject, None, &input, false).await
    }
}

/// The converters' view of the embedded registry: in process, no HTTP. The rules are the
/// registry service's own (`formats` implements the client over `RegistryService`).
#[async_trait::async_trait]
impl formats::SchemaRegistryClient for Registry {
    async fn register(
        &self,
        subject: &str,
        schema: &formats::registry::SchemaText,
        normalize: bool,
    ) -> formats::registry::RegistryResult<i32> {
        formats::SchemaRegistryClient::register(&self.service, subject, schema, normalize).await
    }

    async fn schema_by_id(
        &self,
        id: i32,
    ) -> formats::registry::RegistryResult<Arc<formats::registry::RegisteredSchema>> {
        formats::SchemaRegistryClient::schema_by_id(&self.service, id).await
    }

    async fn latest(
        &self,
        subject: &str,
    ) -> formats::registry::RegistryResult<formats::registry::SubjectSchema> {
        formats::SchemaRegistryClient::latest(&self.service, subject).await
    }

    async fn version(
        &self,
        subject: &str,
        version: i32,
    ) -> formats::registry::RegistryResult<formats::registry::SubjectSchema> {
        formats::SchemaRegistryClient::version(&self.service, subject, version).await
    }

    async fn lookup(
        &self,
        subject: &str,
        schema: &formats::registry::SchemaText,
        normalize: bool,
    ) -> formats::registry::RegistryResult<formats::registry::SubjectSchema> {
        formats::SchemaRegistryClient::lookup(&self.service, subject, schema, normalize).await
    }
}

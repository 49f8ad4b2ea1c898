//! The registry service: Confluent Schema Registry's rules over a [`RegistryStore`], no I/O
//! of its own.
//!
//! - [`store`]: the storage trait and its rows (backends live in the gateway);
//! - [`subject`]: contexts and qualified subjects;
//! - [`config`]: config and mode values;
//! - [`error`]: Confluent's error codes;
//! - `register`, `read`, `delete`, `settings`: the operations, by concern;
//! - `cache`: ids, parsed schemas, "already registered" and settings caches.
//!
//! Identity rules that must stay true: the same schema registered again under a subject gets
//! its id and version back without a compatibility check; the same schema under another
//! subject of the context reuses the id; ids are never reused, not even after a permanent
//! delete (the store's counter only grows); soft-deleted version numbers are never reused
//! (the next version is the highest ever + 1); a permanent delete needs a soft delete first;
//! a version referenced by a live schema cannot be deleted.

mod cache;
pub mod config;
mod delete;
pub mod error;
mod read;
mod register;
mod settings;
pub mod store;
pub mod subject;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use cache::SchemaEntry;
pub use config::{CompatibilityPolicy, Config, Mode};
pub use error::{ErrorCode, RegistryError, Result, StoreError};
pub use store::{Inserted, NewVersion, RegistryStore, Scope, StoredSchema, VersionRecord, guid};
pub use subject::{DEFAULT_CONTEXT, QualifiedSubject};

use cache::Caches;

use crate::registry::{ParsedSchema, ResolvedReference, SchemaReference, SchemaType};

/// How deep references may nest before the registry calls it a cycle.
const MAX_REFERENCE_DEPTH: usize = 32;

/// A schema as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInput {
    pub schema: String,
    pub schema_type: SchemaType,
    pub references: Vec<SchemaReference>,
}

impl SchemaInput {
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Self {
        SchemaInput {
            schema: schema.into(),
            schema_type,
            references: Vec::new(),
        }
    }
    pub fn avro(schema: impl Into<String>) -> Self {
        Self::new(SchemaType::Avro, schema)
    }
    pub fn with_references(mut self, references: Vec<SchemaReference>) -> Self {
        self.references = references;
        self
    }
}

/// Options of a registration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegisterOptions {
    /// Store the normalized form (also when the subject's config says `normalize`).
    pub normalize: bool,
    /// Caller-given id; only in IMPORT mode.
    pub id: Option<i64>,
    /// Caller-given version; only in IMPORT mode.
    pub version: Option<i32>,
}

/// The id and version a registration produced (or found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub id: i64,
    pub version: i32,
}

/// One version of a subject with its schema.
#[derive(Debug, Clone)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    pub deleted: bool,
    pub schema: Arc<SchemaEntry>,
}

impl SubjectVersion {
    pub fn id(&self) -> i64 {
        self.schema.id()
    }
}

/// A version selector: `latest` (or -1) or a number >= 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    Latest,
    Number(i32),
}

impl VersionSpec {
    /// Parses a version as a client sends it in a path (42202 when invalid).
    pub fn parse(text: &str) -> Result<VersionSpec> {
        if text.eq_ignore_ascii_case("latest") {
            return Ok(VersionSpec::Latest);
        }
        match text.trim().parse::<i32>() {
            Ok(-1) => Ok(VersionSpec::Latest),
            Ok(n) if n >= 1 => Ok(VersionSpec::Number(n)),
            _ => Err(RegistryError::invalid_version(text)),
        }
    }
}

impl std::fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionSpec::Latest => f.write_str("latest"),
            VersionSpec::Number(n) => write!(f, "{n}"),
        }
    }
}

/// Filters of `GET /schemas`.
#[derive(Debug, Clone, Default)]
pub struct SchemasQuery {
    pub subject_prefix: Option<String>,
    pub deleted: bool,
    pub latest_only: bool,
    pub offset: usize,
    /// `None`: no limit.
    pub limit: Option<usize>,
}

/// The registry service. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct RegistryService {
    store: Arc<dyn RegistryStore>,
    caches: Caches,
}

impl RegistryService {
    pub fn new(store: Arc<dyn RegistryStore>) -> Self {
        RegistryService {
            store,
            caches: Caches::default(),
        }
    }

    pub fn store(&self) -> &Arc<dyn RegistryStore> {
        &self.store
    }

    /// The schema with this id in the context, from the cache or the store.
    async fn entry(&self, context: &str, id: i64) -> Result<Option<Arc<SchemaEntry>>> {
        if let Some(hit) = self.caches.schema(context, id) {
            return Ok(Some(hit));
        }
        match self.store.schema(context, id).await? {
            Some(stored) => Ok(Some(self.caches.put_schema(Arc::new(SchemaEntry::new(stored))))),
            None => Ok(None),
        }
    }

    /// The entry a version row points at; a dangling row is a store error.
    async fn entry_of(&self, row: &VersionRecord) -> Result<Arc<SchemaEntry>> {
        let context = subject::context_str(&row.subject);
        self.entry(context, row.schema_id).await?.ok_or_else(|| {
            RegistryError::new(
                ErrorCode::StoreError,
                format!(
                    "subject '{}' version {} points at schema {} which is missing",
                    row.subject, row.version, row.schema_id
                ),
            )
        })
    }

    /// The parsed form of a stored schema (parsed once per instance, then from memory).
    pub async fn parsed_schema(&self, entry: &SchemaEntry) -> Result<Arc<ParsedSchema>> {
        self.parsed(entry).await
    }

    /// The schema text in a client's `format`: `serialized` gives Protobuf's base64
    /// FileDescriptorProto; every other format (or type) the stored text.
    pub async fn formatted(&self, entry: &SchemaEntry, format: Option<&str>) -> Result<String> {
        if format.is_some_and(|f| f.eq_ignore_ascii_case("serialized"))
            && entry.schema_type() == SchemaType::Protobuf
            && let ParsedSchema::Protobuf(p) = self.parsed(entry).await?.as_ref()
        {
            return Ok(crate::registry::protobuf::serialized(p));
        }
        Ok(entry.schema().to_string())
    }

    /// The parsed form of a stored schema, parsed once per instance.
    async fn parsed(&self, entry: &SchemaEntry) -> Result<Arc<ParsedSchema>> {
        if let Some(p) = entry.parsed.get() {
            return Ok(p.clone());
        }
        let resolved = self
            .resolve_references(&entry.stored.context, &entry.stored.references)
            .await?;
        let parsed = ParsedSchema::parse(entry.schema_type(), entry.schema(), &resolved).map_err(|e| {
            RegistryError::new(
                ErrorCode::StoreError,
                format!("stored schema {} does not parse any more: {e}", entry.id()),
            )
        })?;
        Ok(entry.parsed.get_or_init(|| Arc::new(parsed)).clone())
    }

    /// Resolves references (transitively, deepest first, each once) to their schema text.
    async fn resolve_references(
        &self,
        context: &str,
        references: &[SchemaReference],
    ) -> Result<Vec<ResolvedReference>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        self.resolve_into(context.to_string(), references.to_vec(), &mut out, &mut seen, 0)
            .await?;
        Ok(out)
    }

    fn resolve_into<'a>(
        &'a self,
        context: String,
        references: Vec<SchemaReference>,
        out: &'a mut Vec<ResolvedReference>,
        seen: &'a mut HashSet<(String, i32)>,
        depth: usize,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>> {
        Box::pin(async move {
            if depth > MAX_REFERENCE_DEPTH {
                return Err(RegistryError::invalid_schema(
                    "references nest too deep (a reference cycle?)",
                ));
            }
            for reference in references {
                let subject = subject::qualify_reference(&context, &reference.subject)?;
                let rows = self.store.versions(&subject).await?;
                let row = if reference.version == -1 {
                    rows.iter().rev().find(|r| !r.deleted)
                } else {
                    rows.iter().find(|r| r.version == reference.version)
                };
                let Some(row) = row else {
                    return Err(RegistryError::invalid_schema(format!(
                        "reference '{}' names subject '{}' version {} which does not exist",
                        reference.name, reference.subject, reference.version
                    )));
                };
                if !seen.insert((subject.clone(), row.version)) {
                    continue;
                }
                let entry = self.entry_of(row).await?;
                let ref_context = entry.stored.context.clone();
                self.resolve_into(ref_context, entry.references().to_vec(), out, seen, depth + 1)
                    .await?;
                out.push(ResolvedReference {
                    name: reference.name.clone(),
                    schema_type: entry.schema_type(),
                    schema: entry.schema().to_string(),
                });
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_specs_follow_confluent() {
        assert_eq!(VersionSpec::parse("latest").ok(), Some(VersionSpec::Latest));
        assert_eq!(VersionSpec::parse("-1").ok(), Some(VersionSpec::Latest));
        assert_eq!(VersionSpec::parse("3").ok(), Some(VersionSpec::Number(3)));
        for bad in ["0", "-2", "abc", "1.5", "99999999999"] {
            let err = VersionSpec::parse(bad).err().map(|e| e.code);
            assert_eq!(err, Some(ErrorCode::InvalidVersion), "{bad}");
        }
    }
}

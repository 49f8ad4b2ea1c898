//! The storage trait the registry service runs over, and the rows it exchanges.
//!
//! Backends (SQLite, Postgres) live in the gateway. The service owns every rule; a backend
//! only stores and answers, with one exception that must stay true: [`RegistryStore::insert_version`]
//! is atomic. It allocates or reuses the schema id and appends the version in one transaction
//! that serializes with every other registration in the same context (two workers may share
//! one Postgres), and refuses with [`StoreError::Conflict`] when the subject changed since the
//! service read it, so a compatibility verdict is never taken against stale versions.

use async_trait::async_trait;

use super::error::StoreError;
use crate::registry::{SchemaReference, SchemaType};

/// A schema under its id: the text the registry answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    pub context: String,
    pub id: i64,
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// One version of one subject. `subject` is the qualified name (`:.ctx:name`, or plain
/// `name` in the default context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    pub subject: String,
    pub version: i32,
    pub schema_id: i64,
    pub deleted: bool,
}

/// A version to append. The backend reuses the id of an identical schema in the context
/// (same type, text and references) or allocates the next id, unless `id` is given (IMPORT).
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub subject: String,
    pub context: String,
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    /// The references' subjects qualified with the context, in `references` order; kept
    /// apart so `referencedby` and delete protection work across contexts.
    pub qualified_reference_subjects: Vec<String>,
    /// [`fingerprint`] of type, text and references: the index for "same schema".
    pub fingerprint: i64,
    /// [`guid`] of text and references, stored for `GET /schemas/guids/{guid}`.
    pub guid: String,
    /// Caller-given id (IMPORT mode).
    pub id: Option<i64>,
    /// Caller-given version (IMPORT mode); otherwise highest existing version + 1.
    pub version: Option<i32>,
    /// The highest version (soft-deleted included) the service saw; `None` for none. The
    /// backend refuses with `Conflict` if it is not the highest version any more.
    pub expected_max_version: Option<i32>,
}

/// The result of [`RegistryStore::insert_version`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted {
    pub id: i64,
    pub version: i32,
}

/// Where a config or mode applies: the whole registry, one context, or one subject.
/// Stored under [`Scope::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Context(String),
    Subject(String),
}

impl Scope {
    /// The storage key: `""` for global, `":.ctx:"` for a context, the qualified subject.
    pub fn key(&self) -> String {
        match self {
            Scope::Global => String::new(),
            Scope::Context(ctx) => format!(":{ctx}:"),
            Scope::Subject(s) => s.clone(),
        }
    }
}

#[async_trait]
pub trait RegistryStore: Send + Sync + 'static {
    /// The schema with this id in this context.
    async fn schema(&self, context: &str, id: i64) -> Result<Option<StoredSchema>, StoreError>;
    /// Schemas in the context with this fingerprint (candidates for "same schema").
    async fn schemas_by_fingerprint(
        &self,
        context: &str,
        fingerprint: i64,
    ) -> Result<Vec<StoredSchema>, StoreError>;
    /// Every version of the subject, soft-deleted included, by ascending version.
    async fn versions(&self, subject: &str) -> Result<Vec<VersionRecord>, StoreError>;
    /// Every version of every subject (soft-deleted included), by subject then version.
    async fn all_versions(&self) -> Result<Vec<VersionRecord>, StoreError>;
    /// The versions (any subject of the context) that use this schema id.
    async fn versions_of_schema(&self, context: &str, id: i64) -> Result<Vec<VersionRecord>, StoreError>;
    /// Ids of schemas used by a live version that reference `subject` `version`.
    async fn referenced_by(&self, subject: &str, version: i32) -> Result<Vec<i64>, StoreError>;
    /// Appends a version; see the module doc for the atomicity it must give.
    async fn insert_version(&self, new: &NewVersion) -> Result<Inserted, StoreError>;
    /// Marks versions soft-deleted (or live again).
    async fn set_deleted(&self, subject: &str, versions: &[i32], deleted: bool) -> Result<(), StoreError>;
    /// Removes versions for good, and the schemas no version uses any more. Ids stay burnt.
    async fn purge(&self, subject: &str, versions: &[i32]) -> Result<(), StoreError>;
    /// (context, id) of every stored schema with this [`guid`], by context then id.
    async fn schema_ids_by_guid(&self, guid: &str) -> Result<Vec<(String, i64)>, StoreError>;
    /// Highest schema id ever allocated in the context (0 for none).
    async fn max_schema_id(&self, context: &str) -> Result<i64, StoreError>;
    /// The stored config (JSON text) of a scope key.
    async fn config(&self, scope: &str) -> Result<Option<String>, StoreError>;
    /// Sets (`Some`) or removes (`None`) a scope's config.
    async fn set_config(&self, scope: &str, config: Option<&str>) -> Result<(), StoreError>;
    /// The stored mode of a scope key.
    async fn mode(&self, scope: &str) -> Result<Option<String>, StoreError>;
    /// Sets (`Some`) or removes (`None`) a scope's mode.
    async fn set_mode(&self, scope: &str, mode: Option<&str>) -> Result<(), StoreError>;
}

/// A stable 64-bit FNV-1a hash of a schema's identity. Hand-written because std's hashers
/// are not guaranteed stable across Rust releases and the value is stored; collisions are
/// harmless (the text is compared after the index lookup).
pub fn fingerprint(schema_type: SchemaType, schema: &str, references: &[SchemaReference]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator so ("ab","c") and ("a","bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    feed(schema_type.as_str().as_bytes());
    feed(schema.as_bytes());
    for r in references {
        feed(r.name.as_bytes());
        feed(r.subject.as_bytes());
        feed(&r.version.to_le_bytes());
    }
    hash as i64
}

/// A schema's GUID, Confluent 8's content-derived identifier (the same in every context):
/// the MD5 digest of the schema text (UTF-8) followed, for each reference, by its name, its
/// subject and its version as a 4-byte big-endian integer, written as a UUID. Confluent also
/// hashes `metadata` and `ruleSet`, which Weir does not keep, so a schema registered without
/// them gets the GUID Confluent gives it. The UUID text is written by hand: it is 16 bytes in
/// 8-4-4-4-12 hex groups, not worth a dependency.
pub fn guid(schema: &str, references: &[SchemaReference]) -> String {
    use md5::{Digest, Md5};
    let mut md = Md5::new();
    md.update(schema.as_bytes());
    for r in references {
        md.update(r.name.as_bytes());
        md.update(r.subject.as_bytes());
        md.update(r.version.to_be_bytes());
    }
    let digest = md.finalize();
    let mut out = String::with_capacity(36);
    for (i, b) in digest.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_md5_of_text_and_references_as_a_uuid() {
        // MD5("") and MD5("abc") as every MD5 implementation answers them.
        assert_eq!(guid("", &[]), "d41d8cd9-8f00-b204-e980-0998ecf8427e");
        assert_eq!(guid("abc", &[]), "90015098-3cd2-4fb0-d696-3f7d28e17f72");
        let r = SchemaReference {
            name: "n".to_string(),
            subject: "s".to_string(),
            version: 1,
        };
        // A reference is its name, subject and big-endian version after the text.
        assert_eq!(
            guid("abc", std::slice::from_ref(&r)),
            guid("abcns\0\0\0\u{1}", &[])
        );
        assert_ne!(guid("abc", &[r]), guid("abc", &[]));
    }
}

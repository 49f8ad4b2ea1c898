//! What the SQLite and Postgres stores share: error mapping and column encodings.

use schemas::registry::service::{StoreError, StoredSchema, VersionRecord, guid};
use schemas::registry::{SchemaReference, SchemaType};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

pub(crate) fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(err.to_string())
}

/// A unique-key violation means another writer got there first: the service retries.
pub(crate) fn conflict_on_unique(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        return StoreError::Conflict(db.message().to_string());
    }
    if let sqlx::Error::Database(db) = &err
        // Postgres serialization failure / deadlock: also safe to retry.
        && matches!(db.code().as_deref(), Some("40001") | Some("40P01"))
    {
        return StoreError::Conflict(db.message().to_string());
    }
    backend(err)
}

pub(crate) fn decode_type(text: &str) -> Result<SchemaType, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Backend(format!("stored schema type: {e}")))
}

pub(crate) fn encode_refs(refs: &[SchemaReference]) -> Result<String, StoreError> {
    serde_json::to_string(refs).map_err(backend)
}

/// Column reads both stores need, so that one function turns a row of either into a record.
pub trait RegistryRow {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    /// An integer column; Postgres' INTEGER (version) and BIGINT (ids) both read as i64.
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn flag(&self, column: &str) -> Result<bool, StoreError>;
}

macro_rules! registry_row {
    ($row:ty) => {
        impl RegistryRow for $row {
            fn text(&self, column: &str) -> Result<String, StoreError> {
                self.try_get(column).map_err(backend)
            }
            fn int(&self, column: &str) -> Result<i64, StoreError> {
                self.try_get::<i64, _>(column)
                    .or_else(|_| self.try_get::<i32, _>(column).map(i64::from))
                    .map_err(backend)
            }
            fn flag(&self, column: &str) -> Result<bool, StoreError> {
                self.try_get(column).map_err(backend)
            }
        }
    };
}
registry_row!(SqliteRow);
registry_row!(PgRow);

/// The columns [`schema_row`] reads.
pub(crate) const SCHEMA_COLUMNS: &str = "context, id, schema_type, schema, refs";
/// The columns [`version_row`] reads.
pub(crate) const VERSION_COLUMNS: &str = "subject, version, schema_id, deleted";

pub(crate) fn schema_row(row: &impl RegistryRow) -> Result<StoredSchema, StoreError> {
    Ok(StoredSchema {
        context: row.text("context")?,
        id: row.int("id")?,
        schema_type: decode_type(&row.text("schema_type")?)?,
        schema: row.text("schema")?,
        references: decode_refs(&row.text("refs")?)?,
    })
}

pub(crate) fn version_row(row: &impl RegistryRow) -> Result<VersionRecord, StoreError> {
    Ok(VersionRecord {
        subject: row.text("subject")?,
        version: i32::try_from(row.int("version")?).map_err(backend)?,
        schema_id: row.int("schema_id")?,
        deleted: row.flag("deleted")?,
    })
}

pub(crate) fn context_and_id(row: &impl RegistryRow) -> Result<(String, i64), StoreError> {
    Ok((row.text("context")?, row.int("id")?))
}

/// The query that finds the rows stored before GUIDs existed.
pub(crate) const MISSING_GUIDS: &str =
    "SELECT context, id, schema, refs FROM registry_schemas WHERE guid IS NULL";

/// The GUID of a row of [`MISSING_GUIDS`]: (context, id, guid) for the update.
pub(crate) fn missing_guid(row: &impl RegistryRow) -> Result<(String, i64, String), StoreError> {
    let guid = guid(&row.text("schema")?, &decode_refs(&row.text("refs")?)?);
    Ok((row.text("context")?, row.int("id")?, guid))
}

pub(crate) fn decode_refs(text: &str) -> Result<Vec<SchemaReference>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("stored references: {e}")))
}

//! What the SQLite and Postgres stores share: error mapping and column encodings.

use schemas::registry::service::{StoreError, guid};
use schemas::registry::{SchemaReference, SchemaType};

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

/// The GUID of a row stored before GUIDs existed: (context, id, guid) for the update.
pub(crate) fn missing_guid(
    context: String,
    id: i64,
    schema: &str,
    refs: &str,
) -> Result<(String, i64, String), StoreError> {
    Ok((context, id, guid(schema, &decode_refs(refs)?)))
}

pub(crate) fn decode_refs(text: &str) -> Result<Vec<SchemaReference>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("stored references: {e}")))
}

//! The registry's SQLite store: the tables of `migrations/sqlite/0100_registry.sql` in the
//! worker's state database.
//!
//! Registrations serialize on SQLite's single writer: the transaction's first statement
//! writes (the id counter row), so it takes the write lock before it reads anything and two
//! registrations can never interleave their reads and writes.

use async_trait::async_trait;
use schemas::registry::service::{
    Inserted, NewVersion, RegistryStore, StoreError, StoredSchema, VersionRecord,
};
use sqlx::sqlite::SqlitePool;
use sqlx::{Sqlite, Transaction};

use super::store_util::{
    MISSING_GUIDS, SCHEMA_COLUMNS, VERSION_COLUMNS, backend, conflict_on_unique, context_and_id, encode_refs,
    missing_guid, schema_row, version_row,
};

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Runs the registry's migrations on the pool and wraps it.
    pub async fn new(pool: SqlitePool) -> Result<SqliteStore, StoreError> {
        let mut migrator = sqlx::migrate!("../migrations/sqlite");
        // The folder is shared with the runtime's state tables, which may be applied by a
        // migrator built from another set of files.
        migrator.set_ignore_missing(true);
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("sqlite migrations: {e}")))?;
        let store = SqliteStore { pool };
        store.fill_guids().await?;
        Ok(store)
    }

    /// Gives every schema stored before GUIDs existed its GUID (once: later inserts carry it).
    async fn fill_guids(&self) -> Result<(), StoreError> {
        let rows = sqlx::query(MISSING_GUIDS)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        for row in &rows {
            let (context, id, guid) = missing_guid(row)?;
            sqlx::query("UPDATE registry_schemas SET guid = ? WHERE context = ? AND id = ?")
                .bind(guid)
                .bind(context)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
}

/// Finds or creates the schema's id inside the registration transaction.
async fn schema_id(tx: &mut Transaction<'_, Sqlite>, new: &NewVersion) -> Result<i64, StoreError> {
    let refs = encode_refs(&new.references)?;
    if let Some(id) = new.id {
        let existing = sqlx::query(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM registry_schemas WHERE context = ? AND id = ?"
        ))
        .bind(&new.context)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
        if let Some(row) = existing {
            let s = schema_row(&row)?;
            if s.schema_type != new.schema_type || s.schema != new.schema || s.references != new.references {
                return Err(StoreError::IdInUse(id));
            }
            return Ok(id);
        }
        insert_schema(tx, new, id, &refs).await?;
        sqlx::query("UPDATE registry_ids SET next_id = MAX(next_id, ?) WHERE context = ?")
            .bind(id + 1)
            .bind(&new.context)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        return Ok(id);
    }
    let candidates = sqlx::query(&format!(
        "SELECT {SCHEMA_COLUMNS} FROM registry_schemas WHERE context = ? AND fingerprint = ? ORDER BY id"
    ))
    .bind(&new.context)
    .bind(new.fingerprint)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    for row in &candidates {
        let s = schema_row(row)?;
        if s.schema_type == new.schema_type && s.schema == new.schema && s.references == new.references {
            return Ok(s.id);
        }
    }
    let id: i64 = sqlx::query_scalar(
        "UPDATE registry_ids SET next_id = next_id + 1 WHERE context = ? RETURNING next_id - 1",
    )
    .bind(&new.context)
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)?;
    insert_schema(tx, new, id, &refs).await?;
    Ok(id)
}

async fn insert_schema(
    tx: &mut Transaction<'_, Sqlite>,
    new: &NewVersion,
    id: i64,
    refs: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO registry_schemas (context, id, schema_type, fingerprint, schema, refs, guid) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&new.context)
    .bind(id)
    .bind(new.schema_type.as_str())
    .bind(new.fingerprint)
    .bind(&new.schema)
    .bind(refs)
    .bind(&new.guid)
    .execute(&mut **tx)
    .await
    .map_err(conflict_on_unique)?;
    for (r, subject) in new.references.iter().zip(&new.qualified_reference_subjects) {
        sqlx::query(
            "INSERT INTO registry_references (context, schema_id, name, subject, version) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&new.context)
        .bind(id)
        .bind(&r.name)
        .bind(subject)
        .bind(r.version)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl RegistryStore for SqliteStore {
    async fn schema(&self, context: &str, id: i64) -> Result<Option<StoredSchema>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM registry_schemas WHERE context = ? AND id = ?"
        ))
        .bind(context)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(schema_row).transpose()
    }

    async fn schemas_by_fingerprint(
        &self,
        context: &str,
        fingerprint: i64,
    ) -> Result<Vec<StoredSchema>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM registry_schemas WHERE context = ? AND fingerprint = ? ORDER BY id"
        ))
        .bind(context)
        .bind(fingerprint)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(schema_row).collect()
    }

    async fn versions(&self, subject: &str) -> Result<Vec<VersionRecord>, StoreError> {
        // One row for the whole list, as JSON: sqlx's SQLite driver hands each row from its
        // worker thread to the async side on its own (a thread wake-up per row), and every
        // registration reads its subject's versions: with 1,000 versions that was most of
        // the time of a registration after the schema parse.
        let packed: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(version, schema_id, deleted)) \
             FROM registry_versions WHERE subject = ?",
        )
        .bind(subject)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        let rows: Vec<(i64, i64, i64)> = serde_json::from_str(&packed).map_err(backend)?;
        let mut out = rows
            .into_iter()
            .map(|(version, schema_id, deleted)| {
                Ok(VersionRecord {
                    subject: subject.to_string(),
                    version: i32::try_from(version).map_err(backend)?,
                    schema_id,
                    deleted: deleted != 0,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by_key(|r| r.version);
        Ok(out)
    }

    async fn all_versions(&self) -> Result<Vec<VersionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM registry_versions ORDER BY subject, version"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(version_row).collect()
    }

    async fn versions_of_schema(&self, context: &str, id: i64) -> Result<Vec<VersionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM registry_versions WHERE context = ? AND schema_id = ? \
             ORDER BY subject, version"
        ))
        .bind(context)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(version_row).collect()
    }

    async fn referenced_by(&self, subject: &str, version: i32) -> Result<Vec<i64>, StoreError> {
        sqlx::query_scalar(
            "SELECT DISTINCT r.schema_id FROM registry_references r \
             WHERE r.subject = ? AND r.version = ? AND EXISTS (\
               SELECT 1 FROM registry_versions v \
               WHERE v.context = r.context AND v.schema_id = r.schema_id AND NOT v.deleted) \
             ORDER BY r.schema_id",
        )
        .bind(subject)
        .bind(version)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)
    }

    async fn insert_version(&self, new: &NewVersion) -> Result<Inserted, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // First statement writes: takes SQLite's write lock before any read (module doc).
        sqlx::query("INSERT INTO registry_ids (context, next_id) VALUES (?, 1) ON CONFLICT DO NOTHING")
            .bind(&new.context)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let max: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM registry_versions WHERE subject = ?")
                .bind(&new.subject)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        let max = max.map(i32::try_from).transpose().map_err(backend)?;
        if max != new.expected_max_version {
            return Err(StoreError::Conflict(format!("subject {} changed", new.subject)));
        }
        let id = schema_id(&mut tx, new).await?;
        let version = new.version.unwrap_or(max.unwrap_or(0) + 1);
        sqlx::query(
            "INSERT INTO registry_versions (subject, version, context, schema_id, deleted) \
             VALUES (?, ?, ?, ?, FALSE)",
        )
        .bind(&new.subject)
        .bind(version)
        .bind(&new.context)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(conflict_on_unique)?;
        tx.commit().await.map_err(conflict_on_unique)?;
        Ok(Inserted { id, version })
    }

    async fn set_deleted(&self, subject: &str, versions: &[i32], deleted: bool) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        for v in versions {
            sqlx::query("UPDATE registry_versions SET deleted = ? WHERE subject = ? AND version = ?")
                .bind(deleted)
                .bind(subject)
                .bind(v)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn purge(&self, subject: &str, versions: &[i32]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        for v in versions {
            sqlx::query("DELETE FROM registry_versions WHERE subject = ? AND version = ?")
                .bind(subject)
                .bind(v)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        // Schemas no version uses any more go; the id counter keeps their ids burnt.
        sqlx::query(
            "DELETE FROM registry_references WHERE NOT EXISTS (SELECT 1 FROM registry_versions v \
             WHERE v.context = registry_references.context AND v.schema_id = registry_references.schema_id)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "DELETE FROM registry_schemas WHERE NOT EXISTS (SELECT 1 FROM registry_versions v \
             WHERE v.context = registry_schemas.context AND v.schema_id = registry_schemas.id)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn schema_ids_by_guid(&self, guid: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT context, id FROM registry_schemas WHERE guid = ? ORDER BY context, id")
                .bind(guid)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        rows.iter().map(context_and_id).collect()
    }

    async fn max_schema_id(&self, context: &str) -> Result<i64, StoreError> {
        let next: Option<i64> = sqlx::query_scalar("SELECT next_id FROM registry_ids WHERE context = ?")
            .bind(context)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(next.map_or(0, |n| n - 1))
    }

    async fn config(&self, scope: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT config FROM registry_config WHERE scope = ?")
            .bind(scope)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_config(&self, scope: &str, config: Option<&str>) -> Result<(), StoreError> {
        let q = match config {
            Some(c) => sqlx::query(
                "INSERT INTO registry_config (scope, config) VALUES (?, ?) \
                 ON CONFLICT (scope) DO UPDATE SET config = excluded.config",
            )
            .bind(scope)
            .bind(c),
            None => sqlx::query("DELETE FROM registry_config WHERE scope = ?").bind(scope),
        };
        q.execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    async fn mode(&self, scope: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT mode FROM registry_mode WHERE scope = ?")
            .bind(scope)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_mode(&self, scope: &str, mode: Option<&str>) -> Result<(), StoreError> {
        let q = match mode {
            Some(m) => sqlx::query(
                "INSERT INTO registry_mode (scope, mode) VALUES (?, ?) \
                 ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode",
            )
            .bind(scope)
            .bind(m),
            None => sqlx::query("DELETE FROM registry_mode WHERE scope = ?").bind(scope),
        };
        q.execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }
}

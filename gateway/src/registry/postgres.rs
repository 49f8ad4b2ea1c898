//! The registry's Postgres store: the tables of `migrations/postgres/0100_registry.sql`, for
//! workers that share their state.
//!
//! Registrations serialize per context on a row lock: the transaction locks the context's id
//! counter row (`SELECT ... FOR UPDATE`) before it reads the subject's versions or looks for an
//! identical schema, so two workers sharing one database never hand out the same id or version
//! and never both create an id for the same schema.

use async_trait::async_trait;
use schemas::registry::service::{
    Inserted, NewVersion, RegistryStore, StoreError, StoredSchema, VersionRecord,
};
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use super::store_util::{
    MISSING_GUIDS, SCHEMA_COLUMNS, VERSION_COLUMNS, backend, conflict_on_unique, context_and_id, encode_refs,
    missing_guid, schema_row, version_row,
};

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url`; with `schema`, every table lives in that Postgres schema (created
    /// if missing), which isolates test runs sharing one database.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<PostgresStore, StoreError> {
        let mut options = PgConnectOptions::from_str(url).map_err(backend)?;
        if let Some(schema) = schema {
            if !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(StoreError::Backend(format!(
                    "postgres schema name {schema:?}: only letters, digits and _ are allowed"
                )));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(backend)?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .execute(&admin)
                .await
                .map_err(backend)?;
            admin.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Self::new(pool).await
    }

    /// Runs the registry's migrations on the pool and wraps it.
    pub async fn new(pool: PgPool) -> Result<PostgresStore, StoreError> {
        let mut migrator = sqlx::migrate!("../migrations/postgres");
        // The folder may be shared with the runtime's state tables.
        migrator.set_ignore_missing(true);
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("postgres migrations: {e}")))?;
        let store = PostgresStore { pool };
        store.fill_guids().await?;
        Ok(store)
    }

    /// Gives every schema stored before GUIDs existed its GUID (once: later inserts carry it;
    /// two workers filling at once write the same values).
    async fn fill_guids(&self) -> Result<(), StoreError> {
        let rows = sqlx::query(MISSING_GUIDS)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        for row in &rows {
            let (context, id, guid) = missing_guid(row)?;
            sqlx::query("UPDATE registry_schemas SET guid = $1 WHERE context = $2 AND id = $3")
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
async fn schema_id(tx: &mut Transaction<'_, Postgres>, new: &NewVersion) -> Result<i64, StoreError> {
    let refs = encode_refs(&new.references)?;
    if let Some(id) = new.id {
        let existing = sqlx::query(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM registry_schemas WHERE context = $1 AND id = $2"
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
        sqlx::query("UPDATE registry_ids SET next_id = GREATEST(next_id, $1) WHERE context = $2")
            .bind(id + 1)
            .bind(&new.context)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        return Ok(id);
    }
    let candidates = sqlx::query(&format!(
        "SELECT {SCHEMA_COLUMNS} FROM registry_schemas WHERE context = $1 AND fingerprint = $2 ORDER BY id"
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
        "UPDATE registry_ids SET next_id = next_id + 1 WHERE context = $1 RETURNING next_id - 1",
    )
    .bind(&new.context)
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)?;
    insert_schema(tx, new, id, &refs).await?;
    Ok(id)
}

async fn insert_schema(
    tx: &mut Transaction<'_, Postgres>,
    new: &NewVersion,
    id: i64,
    refs: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO registry_schemas (context, id, schema_type, fingerprint, schema, refs, guid) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
             VALUES ($1, $2, $3, $4, $5)",
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
impl RegistryStore for PostgresStore {
    async fn schema(&self, context: &str, id: i64) -> Result<Option<StoredSchema>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM registry_schemas WHERE context = $1 AND id = $2"
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
            "SELECT {SCHEMA_COLUMNS} FROM registry_schemas WHERE context = $1 AND fingerprint = $2 ORDER BY id"
        ))
        .bind(context)
        .bind(fingerprint)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(schema_row).collect()
    }

    async fn versions(&self, subject: &str) -> Result<Vec<VersionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM registry_versions WHERE subject = $1 ORDER BY version"
        ))
        .bind(subject)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(version_row).collect()
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
            "SELECT {VERSION_COLUMNS} FROM registry_versions WHERE context = $1 AND schema_id = $2 \
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
             WHERE r.subject = $1 AND r.version = $2 AND EXISTS (\
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
        sqlx::query("INSERT INTO registry_ids (context, next_id) VALUES ($1, 1) ON CONFLICT DO NOTHING")
            .bind(&new.context)
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_unique)?;
        // The context's counter row lock serializes registrations across workers (module doc).
        sqlx::query("SELECT next_id FROM registry_ids WHERE context = $1 FOR UPDATE")
            .bind(&new.context)
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_unique)?;
        let max: Option<i32> =
            sqlx::query_scalar("SELECT MAX(version) FROM registry_versions WHERE subject = $1")
                .bind(&new.subject)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        if max != new.expected_max_version {
            return Err(StoreError::Conflict(format!("subject {} changed", new.subject)));
        }
        let id = schema_id(&mut tx, new).await?;
        let version = new.version.unwrap_or(max.unwrap_or(0) + 1);
        sqlx::query(
            "INSERT INTO registry_versions (subject, version, context, schema_id, deleted) \
             VALUES ($1, $2, $3, $4, FALSE)",
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
            sqlx::query("UPDATE registry_versions SET deleted = $1 WHERE subject = $2 AND version = $3")
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
            sqlx::query("DELETE FROM registry_versions WHERE subject = $1 AND version = $2")
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
            sqlx::query("SELECT context, id FROM registry_schemas WHERE guid = $1 ORDER BY context, id")
                .bind(guid)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        rows.iter().map(context_and_id).collect()
    }

    async fn max_schema_id(&self, context: &str) -> Result<i64, StoreError> {
        let next: Option<i64> = sqlx::query_scalar("SELECT next_id FROM registry_ids WHERE context = $1")
            .bind(context)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(next.map_or(0, |n| n - 1))
    }

    async fn config(&self, scope: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT config FROM registry_config WHERE scope = $1")
            .bind(scope)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_config(&self, scope: &str, config: Option<&str>) -> Result<(), StoreError> {
        let q = match config {
            Some(c) => sqlx::query(
                "INSERT INTO registry_config (scope, config) VALUES ($1, $2) \
                 ON CONFLICT (scope) DO UPDATE SET config = excluded.config",
            )
            .bind(scope)
            .bind(c),
            None => sqlx::query("DELETE FROM registry_config WHERE scope = $1").bind(scope),
        };
        q.execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    async fn mode(&self, scope: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT mode FROM registry_mode WHERE scope = $1")
            .bind(scope)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_mode(&self, scope: &str, mode: Option<&str>) -> Result<(), StoreError> {
        let q = match mode {
            Some(m) => sqlx::query(
                "INSERT INTO registry_mode (scope, mode) VALUES ($1, $2) \
                 ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode",
            )
            .bind(scope)
            .bind(m),
            None => sqlx::query("DELETE FROM registry_mode WHERE scope = $1").bind(scope),
        };
        q.execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }
}

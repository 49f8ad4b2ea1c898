//! The registry's store, written once for both SQL backends ([`sqlite`](super::sqlite) and
//! [`postgres`](super::postgres)): the tables of `migrations/{sqlite,postgres}/0100_registry.sql`.
//!
//! Every statement is plain SQL both databases run (`$N` placeholders: sqlx's SQLite driver
//! binds `$N` by number as Postgres does). What differs is in [`Dialect`]: how a registration
//! serializes with other writers, and how a subject's versions come back in one cell.
//!
//! A registration is one transaction. Its first statement writes (it ensures the context's id
//! counter row), and [`Dialect::LOCK_CONTEXT`] then locks that row where the database lets
//! several writers in (Postgres), so no two registrations interleave their reads and writes:
//! never the same id or version twice, never two ids for one schema.

use async_trait::async_trait;
use schemas::registry::service::{
    Inserted, NewVersion, RegistryStore, StoreError, StoredSchema, VersionRecord,
};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Transaction, Type};

use super::store_util::{
    MISSING_GUIDS, RegistryRow, SCHEMA_COLUMNS, VERSION_COLUMNS, backend, conflict_on_unique, context_and_id,
    encode_refs, missing_guid, schema_row, version_row,
};

/// What the two backends do differently.
pub trait Dialect: Database<Row: RegistryRow> {
    /// Run right after the context's counter row is ensured, inside the registration's
    /// transaction, to serialize registrations in that context; None where the first write
    /// already does (SQLite has one writer at a time).
    const LOCK_CONTEXT: Option<&'static str>;
    /// One text cell: the versions of subject `$1` as a JSON array of
    /// `[version, schema_id, deleted (0 or 1)]`. One row rather than a row per version: sqlx's
    /// SQLite driver wakes a thread per row, and every registration reads its subject's
    /// versions (with 1,000 versions that was most of a registration's time).
    const VERSIONS_JSON: &'static str;
}

/// The statements of one per-scope settings table.
#[derive(Clone, Copy)]
struct Setting {
    get: &'static str,
    set: &'static str,
    delete: &'static str,
}

/// Compatibility levels and the rest of `/config`.
const CONFIG: Setting = Setting {
    get: "SELECT config FROM registry_config WHERE scope = $1",
    set: "INSERT INTO registry_config (scope, config) VALUES ($1, $2) \
          ON CONFLICT (scope) DO UPDATE SET config = excluded.config",
    delete: "DELETE FROM registry_config WHERE scope = $1",
};

/// `/mode`.
const MODE: Setting = Setting {
    get: "SELECT mode FROM registry_mode WHERE scope = $1",
    set: "INSERT INTO registry_mode (scope, mode) VALUES ($1, $2) \
          ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode",
    delete: "DELETE FROM registry_mode WHERE scope = $1",
};

/// The registry's tables in one database; `SqliteStore` and `PostgresStore` name its two forms.
pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
}

// The bounds below (on both impls: Rust does not carry a trait's where-clauses to its users)
// say which value types the statements bind and read, and that a transaction's connection and
// the pool run statements. Both sqlx drivers meet them.

impl<DB: Dialect> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    String: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB>,
    str: Type<DB>,
    i64: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    i32: for<'q> Encode<'q, DB> + Type<DB>,
    bool: for<'q> Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Wraps a pool whose migrations have run, and gives every schema stored before GUIDs
    /// existed its GUID (once: later inserts carry it; two workers filling at once write the
    /// same values).
    pub(super) async fn open(pool: Pool<DB>) -> Result<SqlStore<DB>, StoreError> {
        let rows = sqlx::query(MISSING_GUIDS)
            .fetch_all(&pool)
            .await
            .map_err(backend)?;
        for row in &rows {
            let (context, id, guid) = missing_guid(row)?;
            sqlx::query("UPDATE registry_schemas SET guid = $1 WHERE context = $2 AND id = $3")
                .bind(guid)
                .bind(context)
                .bind(id)
                .execute(&pool)
                .await
                .map_err(backend)?;
        }
        Ok(SqlStore { pool })
    }

    /// One per-scope setting (`scope` is a subject, or a context's global scope).
    async fn setting(&self, table: Setting, scope: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(table.get)
            .bind(scope)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    /// Sets a per-scope setting, or with None removes it (the scope then inherits).
    async fn set_setting(&self, table: Setting, scope: &str, value: Option<&str>) -> Result<(), StoreError> {
        let q = match value {
            Some(v) => sqlx::query(table.set).bind(scope).bind(v),
            None => sqlx::query(table.delete).bind(scope),
        };
        q.execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    /// Finds or creates the schema's id inside the registration transaction.
    async fn schema_id(tx: &mut Transaction<'_, DB>, new: &NewVersion) -> Result<i64, StoreError> {
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
                if s.schema_type != new.schema_type
                    || s.schema != new.schema
                    || s.references != new.references
                {
                    return Err(StoreError::IdInUse(id));
                }
                return Ok(id);
            }
            Self::insert_schema(tx, new, id).await?;
            sqlx::query(
                "UPDATE registry_ids SET next_id = CASE WHEN next_id < $1 THEN $1 ELSE next_id END \
                 WHERE context = $2",
            )
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
        Self::insert_schema(tx, new, id).await?;
        Ok(id)
    }

    async fn insert_schema(
        tx: &mut Transaction<'_, DB>,
        new: &NewVersion,
        id: i64,
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
        .bind(encode_refs(&new.references)?)
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
}

#[async_trait]
impl<DB: Dialect> RegistryStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    String: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB>,
    str: Type<DB>,
    i64: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    i32: for<'q> Encode<'q, DB> + Type<DB>,
    bool: for<'q> Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
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
        let packed: String = sqlx::query_scalar(DB::VERSIONS_JSON)
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
        // The first statement writes, then the context is locked (module doc).
        sqlx::query("INSERT INTO registry_ids (context, next_id) VALUES ($1, 1) ON CONFLICT DO NOTHING")
            .bind(&new.context)
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_unique)?;
        if let Some(lock) = DB::LOCK_CONTEXT {
            sqlx::query(lock)
                .bind(&new.context)
                .execute(&mut *tx)
                .await
                .map_err(conflict_on_unique)?;
        }
        // BIGINT: Postgres' INTEGER column would otherwise read as i32, SQLite's as i64.
        let max: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(MAX(version) AS BIGINT) FROM registry_versions WHERE subject = $1",
        )
        .bind(&new.subject)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let max = max.map(i32::try_from).transpose().map_err(backend)?;
        if max != new.expected_max_version {
            return Err(StoreError::Conflict(format!("subject {} changed", new.subject)));
        }
        let id = Self::schema_id(&mut tx, new).await?;
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
        self.setting(CONFIG, scope).await
    }

    async fn set_config(&self, scope: &str, config: Option<&str>) -> Result<(), StoreError> {
        self.set_setting(CONFIG, scope, config).await
    }

    async fn mode(&self, scope: &str) -> Result<Option<String>, StoreError> {
        self.setting(MODE, scope).await
    }

    async fn set_mode(&self, scope: &str, mode: Option<&str>) -> Result<(), StoreError> {
        self.set_setting(MODE, scope, mode).await
    }
}

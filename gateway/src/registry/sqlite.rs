//! The registry's SQLite store: its tables live in the worker's state database.
//!
//! Registrations serialize on SQLite's single writer: a registration's first statement writes
//! (the context's id counter row), so it holds the write lock before it reads anything.

use schemas::registry::service::StoreError;
use sqlx::Sqlite;
use sqlx::sqlite::SqlitePool;

use super::sql_store::{Dialect, SqlStore};

pub type SqliteStore = SqlStore<Sqlite>;

impl Dialect for Sqlite {
    const LOCK_CONTEXT: Option<&'static str> = None;
    const VERSIONS_JSON: &'static str = "SELECT json_group_array(json_array(version, schema_id, deleted)) \
         FROM registry_versions WHERE subject = $1";
}

impl SqlStore<Sqlite> {
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
        SqlStore::open(pool).await
    }
}

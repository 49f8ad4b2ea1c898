//! The registry's Postgres store, for workers that share their state.
//!
//! Registrations serialize per context on a row lock: the registration's transaction locks the
//! context's id counter row (`SELECT ... FOR UPDATE`) before it reads the subject's versions or
//! looks for an identical schema, so two workers sharing one database never hand out the same
//! id or version and never both create an id for the same schema.

use std::str::FromStr;

use schemas::registry::service::StoreError;
use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::sql_store::{Dialect, SqlStore};
use super::store_util::backend;

pub type PostgresStore = SqlStore<Postgres>;

impl Dialect for Postgres {
    const LOCK_CONTEXT: Option<&'static str> =
        Some("SELECT next_id FROM registry_ids WHERE context = $1 FOR UPDATE");
    const VERSIONS_JSON: &'static str = "SELECT COALESCE(json_agg(json_build_array(version, schema_id, deleted::int)), '[]')::text \
         FROM registry_versions WHERE subject = $1";
}

impl SqlStore<Postgres> {
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
        SqlStore::open(pool).await
    }
}

//! Shared by the registry tests: real SQLite and Postgres registries, Avro schemas.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use gateway::registry::Registry;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A registry over a fresh SQLite file; keep the `TempDir` alive while using it.
pub async fn sqlite_registry() -> (Arc<Registry>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("state.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("sqlite: {e}"));
    let registry = Registry::sqlite(pool)
        .await
        .unwrap_or_else(|e| panic!("registry over sqlite: {e}"));
    (Arc::new(registry), dir)
}

/// A Postgres schema name no other test run uses.
pub fn fresh_pg_schema(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("weir_registry_{tag}_{}_{nanos}", std::process::id())
}

/// A registry over a fresh Postgres schema of the local test database.
pub async fn postgres_registry(schema: &str) -> Arc<Registry> {
    Arc::new(
        Registry::postgres_in_schema(POSTGRES_URL, schema)
            .await
            .unwrap_or_else(|e| panic!("registry over postgres ({POSTGRES_URL}): {e}")),
    )
}

/// Drops a test's Postgres schema (best effort).
pub async fn drop_pg_schema(schema: &str) {
    if let Ok(pool) = sqlx::PgPool::connect(POSTGRES_URL).await {
        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .execute(&pool)
            .await;
    }
}

/// An Avro record `name` with `extra` optional string fields (`f1`..`fN`, each with a
/// default) after a required `id`: every next `extra` is a BACKWARD compatible evolution.
pub fn avro_record(name: &str, extra: usize) -> String {
    let mut fields = vec![r#"{"name":"id","type":"long"}"#.to_string()];
    for i in 1..=extra {
        fields.push(format!(
            r#"{{"name":"f{i}","type":["null","string"],"default":null}}"#
        ));
    }
    format!(
        r#"{{"type":"record","name":"{name}","namespace":"weir.test","fields":[{}]}}"#,
        fields.join(",")
    )
}

/// `avro_record` plus a required field without default: BACKWARD incompatible with it.
pub fn avro_record_with_required(name: &str, extra: usize) -> String {
    let base = avro_record(name, extra);
    base.replacen(
        r#"{"name":"id","type":"long"}"#,
        r#"{"name":"id","type":"long"},{"name":"must","type":"string"}"#,
        1,
    )
}

//! Registry figures (run by `bench/registry.sh`, release build):
//! 1. 1,000 successive versions of an evolving Avro record under BACKWARD_TRANSITIVE (each
//!    checked against every earlier version), on a SQLite file, two ways: a "rolling" record
//!    of 20 optional fields where each version adds one field and drops the oldest (the size
//!    stays put, so the cost is the registry's), and a "growing" record where each version
//!    adds one field (version 1,000 has 1,000 fields: half a million checks of records of
//!    hundreds of fields: the Avro checker's speed and each 1,000-field parse count);
//! 2. checking a 50-field record against its subject's latest version (mean of many).

use std::sync::Arc;
use std::time::Instant;

use gateway::registry::Registry;
use schemas::registry::service::Config;
use schemas::registry::{CompatibilityLevel, SchemaType};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// A record with a required `id` and optional string fields `f{first}`..`f{last}`.
fn record_range(name: &str, first: usize, last: usize) -> String {
    let mut parts = vec![r#"{"name":"id","type":"long"}"#.to_string()];
    for i in first..=last {
        parts.push(format!(
            r#"{{"name":"f{i}","type":["null","string"],"default":null}}"#
        ));
    }
    format!(
        r#"{{"type":"record","name":"{name}","namespace":"weir.bench","fields":[{}]}}"#,
        parts.join(",")
    )
}

/// `id` plus `fields - 1` optional fields.
fn record(name: &str, fields: usize) -> String {
    record_range(name, 1, fields.saturating_sub(1))
}

async fn evolve(
    registry: &Registry,
    subject: &str,
    versions: usize,
    schema_of: impl Fn(usize) -> String,
) -> anyhow::Result<()> {
    let started = Instant::now();
    for v in 1..=versions {
        registry
            .register(subject, &schema_of(v), SchemaType::Avro, vec![], false)
            .await?;
    }
    let elapsed = started.elapsed();
    println!(
        "register {versions} versions of a {subject} record under BACKWARD_TRANSITIVE: {:.2} s \
         ({:.2} ms/version)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / versions as f64
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let versions: usize = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("state.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    let registry = Arc::new(Registry::sqlite(pool).await?);
    let transitive = Config {
        compatibility: Some(CompatibilityLevel::BackwardTransitive),
        ..Config::default()
    };
    registry.service().set_config(None, transitive).await?;

    evolve(&registry, "rolling", versions, |v| {
        record_range("Rolling", v, v + 19)
    })
    .await?;
    if std::env::args().nth(2).as_deref() != Some("--no-growing") {
        evolve(&registry, "growing", versions, |v| record("Growing", v)).await?;
    }

    let fifty = record("Wide", 50);
    registry
        .register("wide-value", &fifty, SchemaType::Avro, vec![], false)
        .await?;
    let candidate = record("Wide", 51);
    let rounds = 2000;
    let started = Instant::now();
    for _ in 0..rounds {
        let messages = registry
            .check("wide-value", &candidate, SchemaType::Avro, vec![])
            .await?;
        if !messages.is_empty() {
            anyhow::bail!("the 51-field record should be compatible: {messages:?}");
        }
    }
    let each = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!("check a 50-field record against its latest version (parse + check): {each:.0} µs");
    Ok(())
}

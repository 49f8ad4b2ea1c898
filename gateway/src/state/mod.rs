//! The state store: one SQLite database, `DATA_DIR/state.db`, holding connector configs with
//! their target state, source offsets, last known statuses and the topics each connector used.
//! Its schema is managed by the migrations under `migrations/sqlite/`, applied at open.
//!
//! The pool is shared: the schema registry keeps its tables in the same database
//! ([`StateStore::pool`]).
//!
//! What must stay true: source offsets are written in one transaction per flush, so a crash
//! leaves either the old or the new positions of a flush, never half of them.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use schemas::SourcePosition;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// What the user asked a connector to be (Kafka Connect's target state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetState {
    Running,
    Paused,
    Stopped,
}

impl TargetState {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Running => "RUNNING",
            TargetState::Paused => "PAUSED",
            TargetState::Stopped => "STOPPED",
        }
    }
}

impl FromStr for TargetState {
    type Err = StateError;
    fn from_str(s: &str) -> Result<Self, StateError> {
        match s {
            "RUNNING" => Ok(TargetState::Running),
            "PAUSED" => Ok(TargetState::Paused),
            "STOPPED" => Ok(TargetState::Stopped),
            other => Err(StateError::Corrupt(format!("unknown target state {other:?}"))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state store {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("state store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("state store: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("state store holds unreadable data: {0}")]
    Corrupt(String),
}

/// A connector as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConnector {
    pub name: String,
    pub config: BTreeMap<String, String>,
    pub target: TargetState,
}

/// A last known status row (task None: the connector itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatus {
    pub task: Option<u32>,
    pub state: String,
    pub trace: Option<String>,
    pub worker_id: String,
}

type JsonMap = serde_json::Map<String, serde_json::Value>;

#[derive(Clone, Debug)]
pub struct StateStore {
    pool: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl StateStore {
    /// Opens (creating if needed) `data_dir/state.db` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> Result<StateStore, StateError> {
        let path = data_dir.join("state.db");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL survives a killed process (kill -9); only a power loss can drop the
            // last commits, which at-least-once delivery then replays.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StateError::Open {
                path: path.display().to_string(),
                source,
            })?;
        MIGRATOR.run(&pool).await?;
        Ok(StateStore { pool })
    }

    /// The shared pool (the schema registry keeps its tables here too).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn connectors(&self) -> Result<Vec<StoredConnector>, StateError> {
        let rows = sqlx::query("SELECT name, config, target_state FROM connectors ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("name")?;
                let config: String = row.try_get("config")?;
                let target: String = row.try_get("target_state")?;
                let config = serde_json::from_str(&config)
                    .map_err(|e| StateError::Corrupt(format!("config of connector {name}: {e}")))?;
                Ok(StoredConnector {
                    name,
                    config,
                    target: target.parse()?,
                })
            })
            .collect()
    }

    /// Creates or replaces a connector's config and target state.
    pub async fn put_connector(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
        target: TargetState,
    ) -> Result<(), StateError> {
        let config = serde_json::to_string(config).map_err(|e| StateError::Corrupt(e.to_string()))?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO connectors (name, config, target_state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(name) DO UPDATE SET config = excluded.config,
                 target_state = excluded.target_state, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(config)
        .bind(target.as_str())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_target(&self, name: &str, target: TargetState) -> Result<(), StateError> {
        sqlx::query("UPDATE connectors SET target_state = ?, updated_at = ? WHERE name = ?")
            .bind(target.as_str())
            .bind(now_ms())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes a connector's config, statuses and topics. Source offsets stay, as in Kafka.
    pub async fn delete_connector(&self, name: &str) -> Result<(), StateError> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DELETE FROM connectors WHERE name = ?",
            "DELETE FROM statuses WHERE connector = ?",
            "DELETE FROM connector_topics WHERE connector = ?",
        ] {
            sqlx::query(sql).bind(name).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn source_offsets(&self, connector: &str) -> Result<Vec<SourcePosition>, StateError> {
        let rows = sqlx::query(
            "SELECT partition, offset FROM source_offsets WHERE connector = ? ORDER BY partition",
        )
        .bind(connector)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let partition: String = row.try_get("partition")?;
                let offset: String = row.try_get("offset")?;
                let parse = |text: &str| {
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).map_err(|e| {
                        StateError::Corrupt(format!("source offset of connector {connector}: {e}"))
                    })
                };
                Ok(SourcePosition {
                    partition: parse(&partition)?,
                    offset: parse(&offset)?,
                })
            })
            .collect()
    }

    /// Writes positions in one transaction; an offset of None deletes that source partition.
    pub async fn alter_source_offsets(
        &self,
        connector: &str,
        changes: &[(JsonMap, Option<JsonMap>)],
    ) -> Result<(), StateError> {
        if changes.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        for (partition, offset) in changes {
            let partition = canonical_json(partition);
            match offset {
                Some(offset) => {
                    sqlx::query(
                        "INSERT INTO source_offsets (connector, partition, offset, updated_at) VALUES (?, ?, ?, ?)
                         ON CONFLICT(connector, partition) DO UPDATE SET offset = excluded.offset,
                             updated_at = excluded.updated_at",
                    )
                    .bind(connector)
                    .bind(partition)
                    .bind(canonical_json(offset))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM source_offsets WHERE connector = ? AND partition = ?")
                        .bind(connector)
                        .bind(partition)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores positions reached (one transaction).
    pub async fn put_source_offsets(
        &self,
        connector: &str,
        positions: &[SourcePosition],
    ) -> Result<(), StateError> {
        let changes: Vec<_> = positions
            .iter()
            .map(|p| (p.partition.clone(), Some(p.offset.clone())))
            .collect();
        self.alter_source_offsets(connector, &changes).await
    }

    pub async fn delete_source_offsets(&self, connector: &str) -> Result<(), StateError> {
        sqlx::query("DELETE FROM source_offsets WHERE connector = ?")
            .bind(connector)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn put_status(
        &self,
        connector: &str,
        task: Option<u32>,
        state: &str,
        trace: Option<&str>,
        worker_id: &str,
    ) -> Result<(), StateError> {
        sqlx::query(
            "INSERT INTO statuses (connector, task, state, trace, worker_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(connector, task) DO UPDATE SET state = excluded.state, trace = excluded.trace,
                 worker_id = excluded.worker_id, updated_at = excluded.updated_at",
        )
        .bind(connector)
        .bind(task.map_or(-1, i64::from))
        .bind(state)
        .bind(trace)
        .bind(worker_id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drops status rows of tasks at or above `task_count` (after tasks.max shrank or a stop).
    pub async fn trim_task_statuses(&self, connector: &str, task_count: u32) -> Result<(), StateError> {
        sqlx::query("DELETE FROM statuses WHERE connector = ? AND task >= ?")
            .bind(connector)
            .bind(i64::from(task_count))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn statuses(&self, connector: &str) -> Result<Vec<StoredStatus>, StateError> {
        let rows = sqlx::query(
            "SELECT task, state, trace, worker_id FROM statuses WHERE connector = ? ORDER BY task",
        )
        .bind(connector)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let task: i64 = row.try_get("task")?;
                Ok(StoredStatus {
                    task: u32::try_from(task).ok(),
                    state: row.try_get("state")?,
                    trace: row.try_get("trace")?,
                    worker_id: row.try_get("worker_id")?,
                })
            })
            .collect()
    }

    pub async fn topics(&self, connector: &str) -> Result<Vec<String>, StateError> {
        let rows = sqlx::query("SELECT topic FROM connector_topics WHERE connector = ? ORDER BY topic")
            .bind(connector)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get("topic").map_err(StateError::from))
            .collect()
    }

    pub async fn add_topic(&self, connector: &str, topic: &str) -> Result<(), StateError> {
        sqlx::query("INSERT OR IGNORE INTO connector_topics (connector, topic) VALUES (?, ?)")
            .bind(connector)
            .bind(topic)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn reset_topics(&self, connector: &str) -> Result<(), StateError> {
        sqlx::query("DELETE FROM connector_topics WHERE connector = ?")
            .bind(connector)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// JSON text with object keys sorted at every level, so equal maps give equal text.
pub fn canonical_json(map: &serde_json::Map<String, serde_json::Value>) -> String {
    fn sort(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let sorted: BTreeMap<&String, serde_json::Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                serde_json::Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(&serde_json::Value::Object(map.clone())).to_string()
}

#[cfg(test)]
mod tests;

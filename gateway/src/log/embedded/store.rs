//! The SQL of the embedded log: opening `log.db`, and every statement that reads or writes it.
//!
//! One writer connection (owned by `EmbeddedLog` behind an async mutex) does every write, so
//! SQLite never sees two write transactions race; a small pool of reader connections serves
//! consumers concurrently with it (WAL lets readers and the writer proceed together).
//!
//! Durability decision: `synchronous=FULL` in WAL mode. NORMAL already survives kill -9 (a
//! commit has been written to the WAL file, the OS keeps it), but loses the last commits on
//! power loss or a kernel crash; FULL fsyncs the WAL at each commit, i.e. once per append call
//! (never per record). Measured on this 2-core VM (bench/README.md), appends of 1,000 200-byte
//! records ran at ~420k records/s under NORMAL and ~310k/s under FULL: FULL still clears the
//! 200k/s target, and an HTTP push answered 200 should survive a power cut too, so FULL it is.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Row};

use super::batch::EncodedBatch;
use crate::log::LogError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/log");

pub(crate) const SYNCHRONOUS: SqliteSynchronous = SqliteSynchronous::Full;

/// Reader connections: consumers of different sink tasks read in parallel.
const READERS: u32 = 4;

pub(crate) fn storage(context: &str, e: impl std::fmt::Display) -> LogError {
    LogError::Storage(format!("{context}: {e}"))
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .synchronous(SYNCHRONOUS)
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        // Retention deletes whole batches; incremental vacuum hands their pages back to the OS.
        .auto_vacuum(SqliteAutoVacuum::Incremental)
        .busy_timeout(Duration::from_secs(10))
        // Checkpoint every 64 MiB of WAL rather than SQLite's 4 MiB: each checkpoint fsyncs the
        // database file, and at 4 MiB that happened every ~20 appends of 1,000 records (measured:
        // ~190k records/s with the default, ~310k/s with this, same load).
        .pragma("wal_autocheckpoint", "16384")
        // ... and truncate the WAL back to that size after a burst of appends.
        .pragma("journal_size_limit", "67108864")
        .foreign_keys(true)
}

/// Opens (creating if needed) the database, migrates it, and returns the writer connection,
/// the reader pool and the lock connection that keeps other processes out.
pub(crate) async fn open(dir: &Path) -> Result<(SqliteConnection, SqlitePool, SqliteConnection), LogError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| storage(&format!("cannot create log directory {}", dir.display()), e))?;
    let lock = lock_dir(dir).await?;
    let path = dir.join("log.db");
    let mut writer = SqliteConnection::connect_with(&options(&path).create_if_missing(true))
        .await
        .map_err(|e| storage(&format!("cannot open {}", path.display()), e))?;
    MIGRATOR
        .run(&mut writer)
        .await
        .map_err(|e| storage(&format!("cannot migrate {}", path.display()), e))?;
    let readers = SqlitePoolOptions::new()
        .max_connections(READERS)
        .min_connections(0)
        .connect_with(options(&path))
        .await
        .map_err(|e| storage(&format!("cannot open readers of {}", path.display()), e))?;
    Ok((writer, readers, lock))
}

/// Offsets are assigned from memory, so two processes appending to one log would collide.
/// An exclusive SQLite lock on a side file, held for the log's lifetime (and released by the
/// OS if the process dies), keeps a second process out with a clear error.
async fn lock_dir(dir: &Path) -> Result<SqliteConnection, LogError> {
    let path = dir.join("log.lock");
    let opts = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .locking_mode(sqlx::sqlite::SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::from_millis(0));
    let in_use = |e: sqlx::Error| {
        LogError::Unavailable(format!(
            "the embedded log in {} is in use by another process ({e})",
            dir.display()
        ))
    };
    let mut conn = SqliteConnection::connect_with(&opts).await.map_err(in_use)?;
    // A write takes the exclusive lock; locking_mode=EXCLUSIVE keeps it until close.
    sqlx::query("CREATE TABLE IF NOT EXISTS held (pid INTEGER)")
        .execute(&mut conn)
        .await
        .map_err(in_use)?;
    sqlx::query("DELETE FROM held")
        .execute(&mut conn)
        .await
        .map_err(in_use)?;
    Ok(conn)
}

pub(crate) struct TopicRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) partitions: i32,
}

pub(crate) async fn load_topics(conn: &mut SqliteConnection) -> Result<Vec<TopicRow>, LogError> {
    let rows = sqlx::query("SELECT id, name, partitions FROM topics ORDER BY id")
        .fetch_all(conn)
        .await
        .map_err(|e| storage("cannot read topics", e))?;
    rows.iter()
        .map(|r| {
            Ok(TopicRow {
                id: r.try_get(0).map_err(|e| storage("topics.id", e))?,
                name: r.try_get(1).map_err(|e| storage("topics.name", e))?,
                partitions: r.try_get(2).map_err(|e| storage("topics.partitions", e))?,
            })
        })
        .collect()
}

/// (topic_id, partition, earliest retained offset, next offset) of every partition with batches.
pub(crate) async fn load_bounds(conn: &mut SqliteConnection) -> Result<Vec<(i64, i32, i64, i64)>, LogError> {
    let rows = sqlx::query(
        "SELECT topic_id, partition, MIN(base_offset), MAX(last_offset) + 1 \
         FROM batches GROUP BY topic_id, partition",
    )
    .fetch_all(conn)
    .await
    .map_err(|e| storage("cannot read partition offsets", e))?;
    rows.iter()
        .map(|r| {
            let get = |i: usize| -> Result<i64, LogError> {
                r.try_get::<i64, _>(i)
                    .map_err(|e| storage("partition offsets", e))
            };
            let partition = i32::try_from(get(1)?).map_err(|e| storage("batches.partition", e))?;
            Ok((get(0)?, partition, get(2)?, get(3)?))
        })
        .collect()
}

pub(crate) async fn insert_topic(
    conn: &mut SqliteConnection,
    name: &str,
    partitions: i32,
    now_ms: i64,
) -> Result<i64, LogError> {
    sqlx::query("INSERT INTO topics (name, partitions, created_ms) VALUES (?, ?, ?) RETURNING id")
        .bind(name)
        .bind(partitions)
        .bind(now_ms)
        .fetch_one(conn)
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .map_err(|e| storage(&format!("cannot create topic {name}"), e))
}

/// One batch to insert: the partition, its base offset and the encoded records.
pub(crate) struct PendingBatch {
    pub(crate) partition: i32,
    pub(crate) base_offset: i64,
    pub(crate) batch: EncodedBatch,
}

/// Inserts the batches of one append in one transaction: all become visible (and durable) at
/// once, or none does.
pub(crate) async fn insert_batches(
    conn: &mut SqliteConnection,
    topic_id: i64,
    topic: &str,
    batches: Vec<PendingBatch>,
    append_time: i64,
) -> Result<(), LogError> {
    let context = || format!("cannot append to topic {topic}");
    let mut tx = conn.begin().await.map_err(|e| storage(&context(), e))?;
    for b in batches {
        let size = b.batch.blob.len() as i64;
        sqlx::query(
            "INSERT INTO batches (topic_id, partition, base_offset, last_offset, record_count, \
             size_bytes, max_timestamp, append_time, records) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(topic_id)
        .bind(b.partition)
        .bind(b.base_offset)
        .bind(b.base_offset + b.batch.record_count - 1)
        .bind(b.batch.record_count)
        .bind(size)
        .bind(b.batch.max_timestamp)
        .bind(append_time)
        .bind(b.batch.blob)
        .execute(&mut *tx)
        .await
        .map_err(|e| storage(&context(), e))?;
    }
    tx.commit().await.map_err(|e| storage(&context(), e))
}

pub(crate) struct StoredBatch {
    pub(crate) base_offset: i64,
    pub(crate) record_count: i64,
    pub(crate) blob: Bytes,
}

/// Up to `limit` batches of a partition holding offsets at or after `from`, oldest first.
pub(crate) async fn read_batches(
    pool: &SqlitePool,
    topic_id: i64,
    partition: i32,
    from: i64,
    limit: i64,
) -> Result<Vec<StoredBatch>, LogError> {
    let rows = sqlx::query(
        "SELECT base_offset, record_count, records FROM batches \
         WHERE topic_id = ? AND partition = ? AND last_offset >= ? ORDER BY last_offset LIMIT ?",
    )
    .bind(topic_id)
    .bind(partition)
    .bind(from)
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(|e| storage("cannot read batches", e))?;
    rows.into_iter()
        .map(|r| {
            let blob: Vec<u8> = r.try_get(2).map_err(|e| storage("batches.records", e))?;
            Ok(StoredBatch {
                base_offset: r.try_get(0).map_err(|e| storage("batches.base_offset", e))?,
                record_count: r.try_get(1).map_err(|e| storage("batches.record_count", e))?,
                blob: Bytes::from(blob),
            })
        })
        .collect()
}

/// Committed next-offsets of a group: (topic, partition, next_offset).
pub(crate) async fn committed(pool: &SqlitePool, group: &str) -> Result<Vec<(String, i32, i64)>, LogError> {
    let rows = sqlx::query(
        "SELECT topic, partition, next_offset FROM group_offsets WHERE group_id = ? \
         ORDER BY topic, partition",
    )
    .bind(group)
    .fetch_all(pool)
    .await
    .map_err(|e| storage(&format!("cannot read offsets of group {group}"), e))?;
    rows.iter()
        .map(|r| {
            let ctx = |e| storage("group_offsets", e);
            Ok((
                r.try_get(0).map_err(ctx)?,
                r.try_get(1).map_err(ctx)?,
                r.try_get(2).map_err(ctx)?,
            ))
        })
        .collect()
}

/// Upserts (Some) or deletes (None) committed offsets of a group, in one transaction.
pub(crate) async fn write_committed(
    conn: &mut SqliteConnection,
    group: &str,
    offsets: &[(String, i32, Option<i64>)],
    now_ms: i64,
) -> Result<(), LogError> {
    let context = || format!("cannot commit offsets of group {group}");
    let mut tx = conn.begin().await.map_err(|e| storage(&context(), e))?;
    for (topic, partition, offset) in offsets {
        let query = match offset {
            Some(next) => sqlx::query(
                "INSERT INTO group_offsets (group_id, topic, partition, next_offset, updated_ms) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (group_id, topic, partition) \
                 DO UPDATE SET next_offset = excluded.next_offset, updated_ms = excluded.updated_ms",
            )
            .bind(group)
            .bind(topic)
            .bind(partition)
            .bind(next)
            .bind(now_ms),
            None => {
                sqlx::query("DELETE FROM group_offsets WHERE group_id = ? AND topic = ? AND partition = ?")
                    .bind(group)
                    .bind(topic)
                    .bind(partition)
            }
        };
        query
            .execute(&mut *tx)
            .await
            .map_err(|e| storage(&context(), e))?;
    }
    tx.commit().await.map_err(|e| storage(&context(), e))
}

pub(crate) async fn delete_group(conn: &mut SqliteConnection, group: &str) -> Result<(), LogError> {
    sqlx::query("DELETE FROM group_offsets WHERE group_id = ?")
        .bind(group)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| storage(&format!("cannot delete group {group}"), e))
}

/// Size and newest timestamp of each batch of a partition, oldest first (retention's input).
pub(crate) async fn batch_extents(
    conn: &mut SqliteConnection,
    topic_id: i64,
    partition: i32,
) -> Result<Vec<(i64, i64, i64)>, LogError> {
    let rows = sqlx::query(
        "SELECT last_offset, size_bytes, max_timestamp FROM batches \
         WHERE topic_id = ? AND partition = ? ORDER BY last_offset",
    )
    .bind(topic_id)
    .bind(partition)
    .fetch_all(conn)
    .await
    .map_err(|e| storage("cannot read batch sizes", e))?;
    rows.iter()
        .map(|r| {
            let ctx = |e| storage("batch sizes", e);
            Ok((
                r.try_get(0).map_err(ctx)?,
                r.try_get(1).map_err(ctx)?,
                r.try_get(2).map_err(ctx)?,
            ))
        })
        .collect()
}

/// Deletes the batches of a partition up to and including offset `upto`.
pub(crate) async fn delete_batches_upto(
    conn: &mut SqliteConnection,
    topic_id: i64,
    partition: i32,
    upto: i64,
) -> Result<u64, LogError> {
    sqlx::query("DELETE FROM batches WHERE topic_id = ? AND partition = ? AND last_offset <= ?")
        .bind(topic_id)
        .bind(partition)
        .bind(upto)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| storage("cannot delete expired batches", e))
}

/// Hands free pages back to the file system (auto_vacuum=INCREMENTAL) and trims the WAL.
pub(crate) async fn reclaim(conn: &mut SqliteConnection) -> Result<(), LogError> {
    sqlx::query("PRAGMA incremental_vacuum")
        .execute(&mut *conn)
        .await
        .map_err(|e| storage("incremental vacuum", e))?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| storage("wal checkpoint", e))
}

//! The embedded log: Kafka-like topics, partitions, offsets and consumer groups in a SQLite
//! database of its own, `DATA_DIR/log/log.db`, used when `bootstrap.servers` is unset.
//!
//! Layout: [`batch`] encodes record batches, [`store`] holds the SQL, [`partition`] picks
//! partitions and checks topic names as Kafka does, [`consumer`] reads for consumer groups,
//! [`retention`] deletes old batches.
//!
//! What must stay true:
//! - one row per appended batch per partition; offsets per partition are dense from the earliest
//!   retained batch to `end`, the next offset, which lives in memory (recovered from the database
//!   at open) and is only advanced by the single writer after its transaction committed;
//! - `append` returns only after the commit, i.e. once durable (see [`store`] for the sync mode);
//! - consumers are woken by a per-topic `watch` bumped after each commit: no busy polling.

mod batch;
mod consumer;
pub(crate) mod partition;
mod retention;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use tokio::sync::{Mutex as AsyncMutex, watch};
use tokio_util::sync::CancellationToken;

use schemas::TopicPartition;

use self::batch::BatchEncoder;
use self::store::PendingBatch;
use super::{Appended, Log, LogConsumer, LogError, LogRecord, LogResult, Subscription, append_detached};

pub use self::consumer::EmbeddedConsumer;
pub use self::retention::RetentionReport;

/// Kafka's `log.retention.ms` default: 7 days.
pub const DEFAULT_RETENTION_MS: i64 = 604_800_000;
/// Per partition. Kafka's default is unlimited; ours is bounded so a long-running worker's disk
/// does not grow without bound.
pub const DEFAULT_RETENTION_BYTES: i64 = 1 << 30;
/// Kafka's `log.retention.check.interval.ms` default: 5 minutes.
pub const DEFAULT_RETENTION_CHECK_INTERVAL: Duration = Duration::from_secs(300);
/// Kafka's `num.partitions` default.
pub const DEFAULT_PARTITIONS: i32 = 1;

/// Settings of the embedded log. Negative retention values mean unlimited, as in Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedLogConfig {
    /// Directory holding `log.db` (the worker passes `DATA_DIR/log`).
    pub dir: PathBuf,
    /// Partitions of a topic created by its first append.
    pub default_partitions: i32,
    /// `log.retention.ms`: batches whose newest record is older are deleted.
    pub retention_ms: i64,
    /// `log.retention.bytes`: per partition, oldest batches are deleted beyond this size.
    pub retention_bytes: i64,
    /// How often the retention task runs.
    pub retention_check_interval: Duration,
}

impl EmbeddedLogConfig {
    /// Kafka's defaults for everything but the directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        EmbeddedLogConfig {
            dir: dir.into(),
            default_partitions: DEFAULT_PARTITIONS,
            retention_ms: DEFAULT_RETENTION_MS,
            retention_bytes: DEFAULT_RETENTION_BYTES,
            retention_check_interval: DEFAULT_RETENTION_CHECK_INTERVAL,
        }
    }
}

/// Offsets of one partition. `end` is written only by the writer, after commit; `start` only
/// by retention (also under the writer lock).
pub(crate) struct PartitionState {
    pub(crate) start: AtomicI64,
    pub(crate) end: AtomicI64,
}

pub(crate) struct TopicState {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) partitions: Box<[PartitionState]>,
    /// Bumped after every committed append: consumers wait on it.
    pub(crate) appended: watch::Sender<u64>,
}

impl TopicState {
    fn new(id: i64, name: String, partitions: i32) -> Self {
        let partitions = (0..partitions.max(1))
            .map(|_| PartitionState {
                start: AtomicI64::new(0),
                end: AtomicI64::new(0),
            })
            .collect();
        TopicState {
            id,
            name,
            partitions,
            appended: watch::Sender::new(0),
        }
    }

    pub(crate) fn partition(&self, partition: i32) -> Option<&PartitionState> {
        usize::try_from(partition)
            .ok()
            .and_then(|p| self.partitions.get(p))
    }
}

/// State shared by the log, its consumers and its retention task.
pub(crate) struct Inner {
    pub(crate) config: EmbeddedLogConfig,
    /// The only connection that writes. Held across its awaits on purpose: it serializes
    /// appends so offsets never collide, as SQLite would serialize the writes anyway.
    pub(crate) writer: AsyncMutex<Option<SqliteConnection>>,
    pub(crate) readers: SqlitePool,
    pub(crate) topics: parking_lot::RwLock<HashMap<String, Arc<TopicState>>>,
    /// Bumped when a topic is created: pattern subscriptions re-evaluate.
    pub(crate) topics_changed: watch::Sender<u64>,
    sticky: AtomicU32,
    pub(crate) closed: AtomicBool,
    lock: AsyncMutex<Option<SqliteConnection>>,
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn closed_error() -> LogError {
    LogError::Unavailable("the embedded log is closed".to_owned())
}

impl Inner {
    pub(crate) fn topic(&self, name: &str) -> Option<Arc<TopicState>> {
        self.topics.read().get(name).cloned()
    }

    pub(crate) fn check_open(&self) -> LogResult<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(closed_error())
        } else {
            Ok(())
        }
    }

    /// The topic, created with `partitions` if missing.
    async fn topic_or_create(&self, name: &str, partitions: i32) -> LogResult<Arc<TopicState>> {
        if let Some(t) = self.topic(name) {
            return Ok(t);
        }
        partition::validate_topic_name(name)?;
        if partitions < 1 {
            return Err(LogError::InvalidArgument(format!(
                "topic {name}: partitions must be at least 1, got {partitions}"
            )));
        }
        let mut writer = self.writer.lock().await;
        // Another append may have created it while we waited for the writer.
        if let Some(t) = self.topic(name) {
            return Ok(t);
        }
        let conn = writer.as_mut().ok_or_else(closed_error)?;
        let id = store::insert_topic(conn, name, partitions, now_ms()).await?;
        let state = Arc::new(TopicState::new(id, name.to_owned(), partitions));
        self.topics.write().insert(name.to_owned(), Arc::clone(&state));
        drop(writer);
        self.topics_changed.send_modify(|v| *v += 1);
        tracing::info!(topic = name, partitions, "created topic in the embedded log");
        Ok(state)
    }

    /// Assigns base offsets, inserts and commits; advances `end` only after the commit.
    async fn write_batches(
        &self,
        topic: &TopicState,
        mut batches: Vec<PendingBatch>,
        append_time: i64,
    ) -> LogResult<Vec<(i32, i64)>> {
        let mut writer = self.writer.lock().await;
        let conn = writer.as_mut().ok_or_else(closed_error)?;
        let mut bases = Vec::with_capacity(batches.len());
        for b in &mut batches {
            let state = topic
                .partition(b.partition)
                .ok_or_else(|| LogError::UnknownPartition {
                    topic: topic.name.clone(),
                    partition: b.partition,
                })?;
            b.base_offset = state.end.load(Ordering::Acquire);
            bases.push((b.partition, b.base_offset, b.batch.record_count));
        }
        store::insert_batches(conn, topic.id, &topic.name, batches, append_time).await?;
        for (partition, base, count) in &bases {
            if let Some(state) = topic.partition(*partition) {
                state.end.store(base + count, Ordering::Release);
            }
        }
        drop(writer);
        topic.appended.send_modify(|v| *v += 1);
        Ok(bases.into_iter().map(|(p, base, _)| (p, base)).collect())
    }

    async fn append(self: Arc<Self>, topic: String, records: Vec<LogRecord>) -> LogResult<Vec<Appended>> {
        self.check_open()?;
        if records.is_empty() {
            partition::validate_topic_name(&topic)?;
            return Ok(Vec::new());
        }
        let state = self
            .topic_or_create(&topic, self.config.default_partitions)
            .await?;
        let partitions = state.partitions.len() as i32;
        // Kafka's sticky partitioner: keyless records of one batch share one partition.
        let sticky = (self.sticky.fetch_add(1, Ordering::Relaxed) % partitions as u32) as i32;
        let append_time = now_ms();
        // The average over every record (not a sample): a batch of a few huge records and many
        // tiny ones must not reserve (huge x count) bytes up front.
        let avg_size = records
            .iter()
            .map(|r| r.value.as_ref().map_or(0, |v| v.len()) + r.key.as_ref().map_or(0, |k| k.len()) + 8)
            .sum::<usize>()
            / records.len();
        let mut encoders: BTreeMap<i32, BatchEncoder> = BTreeMap::new();
        // (partition, index within that partition's batch) of each record, in order.
        let mut placed = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let p = match (r.partition, &r.key) {
                (Some(p), _) => {
                    if p < 0 || p >= partitions {
                        return Err(LogError::UnknownPartition {
                            topic: topic.clone(),
                            partition: p,
                        });
                    }
                    p
                }
                (None, Some(key)) => partition::partition_for_key(key, partitions),
                (None, None) => sticky,
            };
            // Sized for an even share of the remaining records; grows if the share is uneven.
            let share =
                (records.len() - i).div_ceil((partitions as usize).saturating_sub(encoders.len()).max(1));
            let enc = encoders
                .entry(p)
                .or_insert_with(|| BatchEncoder::new(avg_size * share));
            placed.push((p, enc.len()));
            enc.push(r, append_time);
        }
        drop(records);
        let batches = encoders
            .into_iter()
            .map(|(partition, enc)| PendingBatch {
                partition,
                base_offset: 0,
                batch: enc.finish(),
            })
            .collect();
        let bases: HashMap<i32, i64> = self
            .write_batches(&state, batches, append_time)
            .await?
            .into_iter()
            .collect();
        Ok(placed
            .into_iter()
            .map(|(partition, index)| Appended {
                partition,
                offset: bases.get(&partition).copied().unwrap_or(0) + index,
            })
            .collect())
    }

    async fn write_committed(&self, group: &str, offsets: Vec<(String, i32, Option<i64>)>) -> LogResult<()> {
        self.check_open()?;
        if let Some((topic, partition, Some(offset))) =
            offsets.iter().find(|(_, _, o)| o.is_some_and(|o| o < 0))
        {
            return Err(LogError::InvalidArgument(format!(
                "group {group}: offset {offset} for {topic}-{partition} is negative"
            )));
        }
        let mut writer = self.writer.lock().await;
        let conn = writer.as_mut().ok_or_else(closed_error)?;
        store::write_committed(conn, group, &offsets, now_ms()).await
    }
}

/// The embedded log. Open with [`EmbeddedLog::open`]; [`EmbeddedLog::close`] before exit stops
/// the retention task and closes the database cleanly (dropping it also stops retention).
pub struct EmbeddedLog {
    inner: Arc<Inner>,
    retention: parking_lot::Mutex<Option<(CancellationToken, tokio::task::JoinHandle<()>)>>,
}

impl std::fmt::Debug for EmbeddedLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedLog")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl EmbeddedLog {
    /// Opens (or creates) the log in `config.dir`, recovers every partition's offsets and starts
    /// the retention task. Must run inside a tokio runtime.
    pub async fn open(config: EmbeddedLogConfig) -> Result<Arc<EmbeddedLog>, LogError> {
        if config.default_partitions < 1 {
            return Err(LogError::InvalidArgument(format!(
                "default partitions must be at least 1, got {}",
                config.default_partitions
            )));
        }
        let (mut writer, readers, lock) = store::open(&config.dir).await?;
        let mut topics = HashMap::new();
        let mut by_id = HashMap::new();
        for row in store::load_topics(&mut writer).await? {
            let state = Arc::new(TopicState::new(row.id, row.name.clone(), row.partitions));
            by_id.insert(row.id, Arc::clone(&state));
            topics.insert(row.name, state);
        }
        for (topic_id, partition, start, end) in store::load_bounds(&mut writer).await? {
            if let Some(p) = by_id.get(&topic_id).and_then(|t| t.partition(partition)) {
                p.start.store(start, Ordering::Release);
                p.end.store(end, Ordering::Release);
            }
        }
        let inner = Arc::new(Inner {
            config,
            writer: AsyncMutex::new(Some(writer)),
            readers,
            topics: parking_lot::RwLock::new(topics),
            topics_changed: watch::Sender::new(0),
            sticky: AtomicU32::new(0),
            closed: AtomicBool::new(false),
            lock: AsyncMutex::new(Some(lock)),
        });
        let cancel = CancellationToken::new();
        let task = tokio::spawn(retention::run(Arc::downgrade(&inner), cancel.clone()));
        Ok(Arc::new(EmbeddedLog {
            inner,
            retention: parking_lot::Mutex::new(Some((cancel, task))),
        }))
    }

    pub fn config(&self) -> &EmbeddedLogConfig {
        &self.inner.config
    }

    /// Applies retention now (the background task does this every `retention_check_interval`).
    pub async fn enforce_retention(&self) -> LogResult<RetentionReport> {
        self.inner.check_open()?;
        retention::enforce(&self.inner).await
    }

    /// Earliest retained and next offset of a partition (Kafka's log start and end offsets).
    pub fn offsets(&self, topic: &str, partition: i32) -> LogResult<(i64, i64)> {
        let state = self
            .inner
            .topic(topic)
            .ok_or_else(|| LogError::UnknownTopic(topic.to_owned()))?;
        let p = state
            .partition(partition)
            .ok_or_else(|| LogError::UnknownPartition {
                topic: topic.to_owned(),
                partition,
            })?;
        Ok((p.start.load(Ordering::Acquire), p.end.load(Ordering::Acquire)))
    }

    /// Stops the retention task, waits for an append in progress, and closes the database.
    /// Later calls fail with `Unavailable`. Idempotent.
    pub async fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        let retention = self.retention.lock().take();
        if let Some((cancel, task)) = retention {
            cancel.cancel();
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "embedded log retention task ended abnormally");
            }
        }
        let writer = self.inner.writer.lock().await.take();
        if let Some(conn) = writer {
            use sqlx::Connection;
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing the embedded log's writer");
            }
        }
        self.inner.readers.close().await;
        let lock = self.inner.lock.lock().await.take();
        if let Some(conn) = lock {
            use sqlx::Connection;
            let _ = conn.close().await;
        }
        // Wake consumers so their next poll sees the log closed.
        self.inner.topics_changed.send_modify(|v| *v += 1);
    }
}

impl Drop for EmbeddedLog {
    fn drop(&mut self) {
        if let Some((cancel, _)) = self.retention.lock().take() {
            cancel.cancel();
        }
    }
}

#[async_trait]
impl Log for EmbeddedLog {
    async fn partition_offsets(&self, topic: &str, partition: i32) -> LogResult<(i64, i64)> {
        self.inner.check_open()?;
        self.offsets(topic, partition)
    }

    async fn create_topic(&self, topic: &str, partitions: i32) -> LogResult<()> {
        self.inner.check_open()?;
        self.inner.topic_or_create(topic, partitions).await.map(|_| ())
    }

    async fn topics(&self) -> LogResult<BTreeMap<String, i32>> {
        self.inner.check_open()?;
        Ok(self
            .inner
            .topics
            .read()
            .values()
            .map(|t| (t.name.clone(), t.partitions.len() as i32))
            .collect())
    }

    async fn append(&self, topic: &str, records: Vec<LogRecord>) -> LogResult<Vec<Appended>> {
        append_detached(topic, Arc::clone(&self.inner).append(topic.to_owned(), records)).await
    }

    async fn consumer(&self, group: &str, subscription: Subscription) -> LogResult<Box<dyn LogConsumer>> {
        self.inner.check_open()?;
        let consumer = EmbeddedConsumer::new(Arc::clone(&self.inner), group, subscription).await?;
        Ok(Box::new(consumer))
    }

    async fn committed(&self, group: &str) -> LogResult<BTreeMap<TopicPartition, i64>> {
        self.inner.check_open()?;
        Ok(store::committed(&self.inner.readers, group)
            .await?
            .into_iter()
            .map(|(topic, partition, offset)| (TopicPartition { topic, partition }, offset))
            .collect())
    }

    async fn set_committed(
        &self,
        group: &str,
        offsets: BTreeMap<TopicPartition, Option<i64>>,
    ) -> LogResult<()> {
        let offsets = offsets
            .into_iter()
            .map(|(tp, o)| (tp.topic, tp.partition, o))
            .collect();
        self.inner.write_committed(group, offsets).await
    }

    async fn delete_group(&self, group: &str) -> LogResult<()> {
        self.inner.check_open()?;
        let mut writer = self.inner.writer.lock().await;
        let conn = writer.as_mut().ok_or_else(closed_error)?;
        store::delete_group(conn, group).await
    }

    async fn close(&self) {
        EmbeddedLog::close(self).await;
    }
}

//! The log: where topics live. One trait, two implementations: the embedded log (SQLite under
//! `data.dir`, the default) and Kafka (through rdkafka, when `bootstrap.servers` is set).
//! `gateway/tests/log_suite` runs one behaviour suite against both.
//!
//! What must stay true for every implementation:
//! - `append` returns only when the records are durable (embedded: synced to disk; Kafka:
//!   acknowledged by all in-sync replicas), so the caller may then store source offsets or
//!   answer an HTTP push.
//! - offsets per partition start at 0 and grow by one per record; a consumer group's committed
//!   offset is the next offset to read (Kafka's convention).
//! - batches are the unit: no call per record.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use schemas::TopicPartition;

pub mod embedded;
pub mod kafka;

pub use embedded::{EmbeddedLog, EmbeddedLogConfig};
pub use kafka::{KafkaConfig, KafkaLog};

/// A record as the log stores it: bytes only. Converters run before and after the log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogRecord {
    /// Requested partition; None: by key hash when there is a key, else round robin.
    pub partition: Option<i32>,
    pub key: Option<Bytes>,
    /// None is a tombstone.
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
    /// Milliseconds since the epoch; None: the log's append time.
    pub timestamp: Option<i64>,
}

/// A record read back, with where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

/// A partition as the cluster's metadata describes it (broker ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub in_sync: Vec<i32>,
}

/// Where one appended record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub partition: i32,
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    Topics(Vec<String>),
    /// A regular expression matched against whole topic names, re-evaluated as topics appear.
    Pattern(String),
}

/// Runs an append to completion even if the caller stops waiting (a dropped HTTP request, a
/// stopping task): an append that lands must also finish its own bookkeeping (the embedded
/// log's next offsets, or the next append would reuse them).
pub(crate) async fn append_detached(
    topic: &str,
    append: impl Future<Output = LogResult<Vec<Appended>>> + Send + 'static,
) -> LogResult<Vec<Appended>> {
    tokio::spawn(append)
        .await
        .map_err(|e| LogError::Storage(format!("append to topic {topic} failed: {e}")))?
}

/// A subscription checked and ready to match topic names: what both logs' consumers hold.
#[derive(Debug)]
pub(crate) struct TopicFilter {
    subscription: Subscription,
    /// The pattern, anchored to whole names.
    pattern: Option<regex::Regex>,
}

impl TopicFilter {
    /// Checks the named topics' names, or compiles the pattern.
    pub(crate) fn new(subscription: Subscription) -> LogResult<TopicFilter> {
        let pattern = match &subscription {
            Subscription::Topics(names) => {
                for name in names {
                    embedded::partition::validate_topic_name(name)?;
                }
                None
            }
            Subscription::Pattern(p) => Some(regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                LogError::InvalidArgument(format!(
                    "topic pattern {p:?} is not a valid regular expression: {e}"
                ))
            })?),
        };
        Ok(TopicFilter {
            subscription,
            pattern,
        })
    }

    pub(crate) fn subscription(&self) -> &Subscription {
        &self.subscription
    }

    /// Whether records of `topic` are wanted.
    pub(crate) fn wants(&self, topic: &str) -> bool {
        match (&self.subscription, &self.pattern) {
            (_, Some(re)) => re.is_match(topic),
            (Subscription::Topics(names), None) => names.iter().any(|n| n == topic),
            (Subscription::Pattern(_), None) => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("unknown topic {0}")]
    UnknownTopic(String),
    #[error("topic {topic} has no partition {partition}")]
    UnknownPartition { topic: String, partition: i32 },
    #[error("invalid topic name {0:?}: use letters, digits, '.', '_' and '-' (at most 249)")]
    InvalidTopic(String),
    /// The log cannot be reached or written right now; retrying can help.
    #[error("log unavailable: {0}")]
    Unavailable(String),
    #[error("log storage error: {0}")]
    Storage(String),
    /// A record of the batch is larger than the log takes; nothing of the batch was written.
    #[error(
        "record {index} is {size} bytes, larger than the log takes ({max} bytes: producer.message.max.bytes)"
    )]
    RecordTooLarge { index: usize, size: usize, max: usize },
    /// A request the log refuses whatever its state: a bad partition count, a negative offset,
    /// a topic pattern that is not a regular expression.
    #[error("invalid log request: {0}")]
    InvalidArgument(String),
}

impl LogError {
    pub fn retriable(&self) -> bool {
        matches!(self, LogError::Unavailable(_))
    }
}

pub type LogResult<T> = Result<T, LogError>;

/// The most a record's framing (varints, attributes) adds to its key, value and headers.
const RECORD_FRAMING: usize = 64;

/// A record's size as a Kafka producer counts it against `message.max.bytes`: key, value,
/// header names and values, plus the framing.
pub fn record_bytes(r: &LogRecord) -> usize {
    r.key.as_ref().map_or(0, |k| k.len())
        + r.value.as_ref().map_or(0, |v| v.len())
        + r.headers
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, |v| v.len()) + 10)
            .sum::<usize>()
        + RECORD_FRAMING
}

/// (its size, the limit) when `r` is larger than `max`.
pub fn too_large(r: &LogRecord, max: Option<usize>) -> Option<(usize, usize)> {
    let max = max?;
    let size = record_bytes(r);
    (size > max).then_some((size, max))
}

/// Whether a keyless, headerless record of `value_len` bytes is larger than `max`.
pub fn value_too_large(value_len: usize, max: usize) -> bool {
    value_len + RECORD_FRAMING > max
}

/// What [`LogError::RecordTooLarge`] says, for `what` ("record 3", "the record").
pub fn too_large_message(what: &str, size: usize, max: usize) -> String {
    format!("{what} is {size} bytes, larger than the log takes ({max} bytes: producer.message.max.bytes)")
}

/// The first record of `records` larger than `max`, as the error an append gives for it.
pub fn oversized(records: &[LogRecord], max: Option<usize>) -> Option<LogError> {
    records.iter().enumerate().find_map(|(index, r)| {
        too_large(r, max).map(|(size, max)| LogError::RecordTooLarge { index, size, max })
    })
}

#[async_trait]
pub trait Log: Send + Sync + 'static {
    /// Creates the topic if missing (idempotent). Appends to a missing topic create it with
    /// the worker's defaults, as Kafka's auto-creation does.
    async fn create_topic(&self, topic: &str, partitions: i32) -> LogResult<()>;

    /// Topic names and partition counts.
    async fn topics(&self) -> LogResult<BTreeMap<String, i32>>;

    /// The partitions of one topic with their leader and replicas; None when the topic does
    /// not exist. By default one broker, id 0, leads every partition (the embedded log).
    async fn partitions(&self, topic: &str) -> LogResult<Option<Vec<PartitionInfo>>> {
        Ok(self.topics().await?.get(topic).map(|n| {
            (0..*n)
                .map(|partition| PartitionInfo {
                    partition,
                    leader: 0,
                    replicas: vec![0],
                    in_sync: vec![0],
                })
                .collect()
        }))
    }

    /// The earliest retained offset and the next offset (Kafka's log start and end offsets) of
    /// one partition.
    async fn partition_offsets(&self, topic: &str, partition: i32) -> LogResult<(i64, i64)>;

    /// The largest record (key, value and headers, as [`record_bytes`] counts them) an append
    /// takes; None: no limit but memory. An append holding a larger record writes nothing and
    /// fails with [`LogError::RecordTooLarge`].
    fn max_record_bytes(&self) -> Option<usize> {
        None
    }

    /// Appends a batch to one topic; returns where each record landed, in order, once durable.
    async fn append(&self, topic: &str, records: Vec<LogRecord>) -> LogResult<Vec<Appended>>;

    /// A consumer in `group` (consumer groups keep committed offsets). Without a committed
    /// offset a partition is read from the earliest retained offset.
    async fn consumer(&self, group: &str, subscription: Subscription) -> LogResult<Box<dyn LogConsumer>>;

    /// Committed offsets of a group (next offset to read per partition).
    async fn committed(&self, group: &str) -> LogResult<BTreeMap<TopicPartition, i64>>;

    /// Overwrites (or, with None, deletes) committed offsets of a group: the offsets API of a
    /// STOPPED sink connector uses this.
    async fn set_committed(
        &self,
        group: &str,
        offsets: BTreeMap<TopicPartition, Option<i64>>,
    ) -> LogResult<()>;

    /// Deletes a consumer group's committed offsets entirely.
    async fn delete_group(&self, group: &str) -> LogResult<()>;

    /// Finishes what is in flight and releases the log; later calls fail with `Unavailable`.
    /// Idempotent.
    async fn close(&self);
}

#[async_trait]
pub trait LogConsumer: Send {
    /// Up to `max` records, waiting at most `timeout` for the first one. An empty Vec on timeout.
    async fn poll(&mut self, max: usize, timeout: Duration) -> LogResult<Vec<ConsumedRecord>>;

    /// Commits next-offsets for the group.
    async fn commit(&mut self, offsets: &BTreeMap<TopicPartition, i64>) -> LogResult<()>;

    /// Moves the read position of one partition (the next poll starts there).
    async fn seek(&mut self, partition: &TopicPartition, offset: i64) -> LogResult<()>;

    /// Leaves the group (Kafka: at once, rather than when the session times out). Dropping a
    /// consumer also leaves, in the background.
    async fn close(&mut self) {}
}

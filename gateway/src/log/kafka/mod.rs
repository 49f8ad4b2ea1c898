//! Kafka as the log, through rdkafka (librdkafka), used when `bootstrap.servers` is set.
//!
//! What must stay true (the [`Log`] contract):
//! - `append` sends every record of the batch before waiting, and returns only once every one
//!   of them is acknowledged by all in-sync replicas (idempotent producer, `acks=all`), with the
//!   partition and offset of each, in order;
//! - partitions are chosen here, not by librdkafka: a key by Kafka's murmur2 (as the embedded
//!   log and Java clients do), keyless records of one append all to one partition (Kafka's
//!   sticky partitioner, per batch), so a pipeline keeps its layout when it moves between logs;
//! - a topic missing on append is created with `topic.creation.default.*`;
//! - consumers never auto-commit: a sink task commits exactly what its sink flushed;
//! - the offsets of a stopped connector's group are read, overwritten and deleted without
//!   joining the group (OffsetFetch / OffsetCommit as a simple consumer, DeleteGroups).
//!
//! librdkafka's calls that block (metadata, commits, seeks, flush) run on tokio's blocking
//! pool, never on a worker thread.

mod config;
mod consumer;
mod context;
mod partition_cache;
mod produce;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::metadata::Metadata;
use rdkafka::producer::Producer;
use rdkafka::{Offset, TopicPartitionList};

use schemas::TopicPartition;

pub use self::config::KafkaConfig;
pub use self::consumer::KafkaConsumer;
use self::context::WeirContext;
use self::partition_cache::PartitionCache;
use super::embedded::partition::{partition_for_key, validate_topic_name};
use super::{
    Appended, Log, LogConsumer, LogError, LogRecord, LogResult, PartitionInfo, Subscription, append_detached,
};

/// Timeout of one metadata, offsets or admin request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an append waits for the cluster to answer once every broker was reported down.
const DOWN_PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a topic just created may take to show up in metadata.
const TOPIC_VISIBLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Kafka's internal topics, left out of `topics()` as Kafka's own listTopics leaves them out.
const INTERNAL_TOPICS: &[&str] = &["__consumer_offsets", "__transaction_state"];

/// State shared by the log and its consumers.
pub(crate) struct Inner {
    pub(crate) config: KafkaConfig,
    producer: produce::Producer,
    admin: AdminClient<WeirContext>,
    /// Partition counts of topics seen in metadata, trusted for `metadata.max.age.ms`.
    pub(crate) partitions: PartitionCache,
    sticky: AtomicU32,
    closed: AtomicBool,
    /// When the last reachability probe (while every broker was reported down) failed: appends
    /// within a second of it fail at once instead of each probing the cluster again.
    probe_failed: parking_lot::Mutex<Option<std::time::Instant>>,
}

impl Inner {
    pub(crate) fn context(&self) -> WeirContext {
        WeirContext::new(&self.config.bootstrap_servers)
    }

    pub(crate) fn check_open(&self) -> LogResult<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(LogError::Unavailable(format!(
                "the Kafka log for bootstrap.servers={} is closed",
                self.config.bootstrap_servers
            )))
        } else {
            Ok(())
        }
    }

    /// Maps a client error, naming the cluster when it could not be reached.
    pub(crate) fn error(&self, context: &str, e: &KafkaError) -> LogError {
        map_error(&self.config.bootstrap_servers, context, e)
    }

    /// After librdkafka reported every broker down (and nothing was delivered since), whether
    /// the cluster answers now: a metadata request with a short timeout. Unavailable when it
    /// does not, before anything is queued.
    async fn check_reachable(self: &Arc<Self>, topic: &str) -> LogResult<()> {
        use rdkafka::producer::Producer as _;
        if !self.producer.context().cluster_down() {
            return Ok(());
        }
        let unreachable = || {
            LogError::Unavailable(format!(
                "appending to topic {topic}: the Kafka cluster at bootstrap.servers={} is unreachable (all brokers down); nothing was sent",
                self.config.bootstrap_servers
            ))
        };
        if self
            .probe_failed
            .lock()
            .is_some_and(|at| at.elapsed() < Duration::from_secs(1))
        {
            return Err(unreachable());
        }
        let inner = Arc::clone(self);
        let answered = tokio::task::spawn_blocking(move || {
            inner
                .producer
                .client()
                .fetch_metadata(None, DOWN_PROBE_TIMEOUT)
                .is_ok()
        })
        .await
        .unwrap_or(false);
        if answered {
            *self.probe_failed.lock() = None;
            self.producer.context().cluster_up();
            return Ok(());
        }
        *self.probe_failed.lock() = Some(std::time::Instant::now());
        Err(unreachable())
    }

    /// Metadata of one topic or of all, fetched on the blocking pool.
    pub(crate) async fn metadata(self: &Arc<Self>, topic: Option<&str>) -> LogResult<Metadata> {
        let inner = Arc::clone(self);
        let topic = topic.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            inner
                .producer
                .client()
                .fetch_metadata(topic.as_deref(), REQUEST_TIMEOUT)
                .map_err(|e| inner.error("reading cluster metadata", &e))
        })
        .await
        .map_err(|e| LogError::Storage(format!("metadata request failed: {e}")))?
    }

    /// Topic names and partition counts, refreshing the cache. Internal topics and topics the
    /// broker reports an error for (e.g. still being created) are left out.
    pub(crate) async fn topic_partitions(self: &Arc<Self>) -> LogResult<BTreeMap<String, i32>> {
        let metadata = self.metadata(None).await?;
        let topics: BTreeMap<String, i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.error().is_none() && !t.partitions().is_empty())
            .filter(|t| !INTERNAL_TOPICS.contains(&t.name()))
            .map(|t| (t.name().to_owned(), t.partitions().len() as i32))
            .collect();
        self.partitions.put_all(&topics, Instant::now());
        Ok(topics)
    }

    /// Partition count of one topic from metadata, None when the topic does not exist.
    async fn lookup(self: &Arc<Self>, topic: &str) -> LogResult<Option<i32>> {
        let metadata = self.metadata(Some(topic)).await?;
        let count = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .filter(|t| t.error().is_none() && !t.partitions().is_empty())
            .map(|t| t.partitions().len() as i32);
        if let Some(n) = count {
            self.partitions.put(topic, n, Instant::now());
        }
        Ok(count)
    }

    /// Partition count of `topic`, creating it with the defaults when missing. The cached count
    /// serves while it is younger than `metadata.max.age.ms` and has partition `wanted` (a
    /// record's explicit partition); else metadata is read again.
    async fn partitions_or_create(self: &Arc<Self>, topic: &str, wanted: Option<i32>) -> LogResult<i32> {
        if let Some(n) = self.partitions.fresh(topic, Instant::now())
            && wanted.is_none_or(|p| p < n)
        {
            return Ok(n);
        }
        if let Some(n) = self.lookup(topic).await? {
            return Ok(n);
        }
        self.create(topic, self.config.default_partitions).await
    }

    /// Creates a topic (an existing one is fine) and waits until metadata shows it; returns
    /// its partition count.
    async fn create(self: &Arc<Self>, topic: &str, partitions: i32) -> LogResult<i32> {
        validate_topic_name(topic)?;
        if partitions < 1 {
            return Err(LogError::InvalidArgument(format!(
                "topic {topic}: partitions must be at least 1, got {partitions}"
            )));
        }
        let replication = i32::from(self.config.default_replication_factor);
        let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(replication));
        let options = AdminOptions::new().operation_timeout(Some(REQUEST_TIMEOUT));
        let results = self
            .admin
            .create_topics([&new], &options)
            .await
            .map_err(|e| self.error(&format!("creating topic {topic}"), &e))?;
        for result in results {
            match result {
                Ok(_) => {
                    tracing::info!(topic, partitions, replication, "created topic in Kafka");
                }
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((_, code)) => {
                    return Err(map_error(
                        &self.config.bootstrap_servers,
                        &format!("creating topic {topic}"),
                        &KafkaError::AdminOp(code),
                    ));
                }
            }
        }
        let deadline = tokio::time::Instant::now() + TOPIC_VISIBLE_TIMEOUT;
        loop {
            if let Some(n) = self.lookup(topic).await? {
                return Ok(n);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(LogError::Unavailable(format!(
                    "topic {topic} was created but does not show in the metadata of \
                     bootstrap.servers={} after {TOPIC_VISIBLE_TIMEOUT:?}",
                    self.config.bootstrap_servers
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn append(self: Arc<Self>, topic: String, records: Vec<LogRecord>) -> LogResult<Vec<Appended>> {
        self.check_open()?;
        validate_topic_name(&topic)?;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        // librdkafka refuses an oversized record at send time, after the ones before it were
        // queued: checked first, so such a batch writes nothing.
        if let Some(e) = crate::log::oversized(&records, Some(self.config.max_record_bytes())) {
            return Err(e);
        }
        self.check_reachable(&topic).await?;
        let wanted = records.iter().filter_map(|r| r.partition).max();
        let partitions = self.partitions_or_create(&topic, wanted).await?;
        // Kafka's sticky partitioner, per append: keyless records of one batch share a partition.
        let sticky = (self.sticky.fetch_add(1, Ordering::Relaxed) % partitions as u32) as i32;
        let mut placed = Vec::with_capacity(records.len());
        for r in &records {
            let p = match (r.partition, &r.key) {
                (Some(p), _) => p,
                (None, Some(key)) => partition_for_key(key, partitions),
                (None, None) => sticky,
            };
            if p < 0 || p >= partitions {
                return Err(LogError::UnknownPartition {
                    topic: topic.clone(),
                    partition: p,
                });
            }
            placed.push(p);
        }
        produce::append(
            &self.producer,
            &self.config.bootstrap_servers,
            &topic,
            &records,
            &placed,
        )
        .await
    }

    /// A consumer of `group` that never subscribes: reads and writes the group's committed
    /// offsets the way Kafka's admin tools do for a group with no active member.
    fn offsets_client(&self, group: &str) -> LogResult<BaseConsumer<WeirContext>> {
        self.config
            .consumer_config(group)
            .create_with_context(self.context())
            .map_err(|e| self.error(&format!("creating a client for group {group}"), &e))
    }

    async fn committed(self: &Arc<Self>, group: &str) -> LogResult<BTreeMap<TopicPartition, i64>> {
        let topics = self.topic_partitions().await?;
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut list = TopicPartitionList::new();
        for (topic, n) in &topics {
            for p in 0..*n {
                list.add_partition(topic, p);
            }
        }
        let client = self.offsets_client(group)?;
        let inner = Arc::clone(self);
        let group = group.to_owned();
        tokio::task::spawn_blocking(move || {
            let got = client
                .committed_offsets(list, REQUEST_TIMEOUT)
                .map_err(|e| inner.error(&format!("reading the offsets of group {group}"), &e))?;
            Ok(got
                .elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(o) => Some((
                        TopicPartition {
                            topic: e.topic().to_owned(),
                            partition: e.partition(),
                        },
                        o,
                    )),
                    _ => None,
                })
                .collect())
        })
        .await
        .map_err(|e| LogError::Storage(format!("offset fetch failed: {e}")))?
    }

    /// Commits `offsets` for `group` without joining it.
    async fn commit_as(
        self: &Arc<Self>,
        group: &str,
        offsets: BTreeMap<TopicPartition, i64>,
    ) -> LogResult<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        let list = offset_list(&offsets)?;
        let client = self.offsets_client(group)?;
        let inner = Arc::clone(self);
        let group = group.to_owned();
        tokio::task::spawn_blocking(move || commit_sync(&inner, &client, &group, &list))
            .await
            .map_err(|e| LogError::Storage(format!("offset commit failed: {e}")))?
    }

    async fn delete_group(&self, group: &str) -> LogResult<()> {
        let options = AdminOptions::new().operation_timeout(Some(REQUEST_TIMEOUT));
        let results = self
            .admin
            .delete_groups(&[group], &options)
            .await
            .map_err(|e| self.error(&format!("deleting group {group}"), &e))?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
                Err((_, RDKafkaErrorCode::NonEmptyGroup)) => {
                    return Err(LogError::Unavailable(format!(
                        "group {group} still has active members; stop its consumers first"
                    )));
                }
                Err((_, code)) => {
                    return Err(self.error(&format!("deleting group {group}"), &KafkaError::AdminOp(code)));
                }
            }
        }
        Ok(())
    }
}

/// The offsets as a librdkafka list; negative offsets are refused.
pub(crate) fn offset_list(offsets: &BTreeMap<TopicPartition, i64>) -> LogResult<TopicPartitionList> {
    let mut list = TopicPartitionList::new();
    for (tp, offset) in offsets {
        if *offset < 0 {
            return Err(LogError::InvalidArgument(format!(
                "offset {offset} for {}-{} is negative",
                tp.topic, tp.partition
            )));
        }
        list.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
            .map_err(|e| {
                LogError::InvalidArgument(format!("offset for {}-{}: {e}", tp.topic, tp.partition))
            })?;
    }
    Ok(list)
}

/// A synchronous commit; per-partition errors (an unknown topic, say) fail it too.
pub(crate) fn commit_sync<C: Consumer<WeirContext>>(
    inner: &Inner,
    consumer: &C,
    group: &str,
    list: &TopicPartitionList,
) -> LogResult<()> {
    consumer
        .commit(list, CommitMode::Sync)
        .map_err(|e| inner.error(&format!("committing offsets of group {group}"), &e))?;
    for e in list.elements() {
        if let Err(err) = e.error() {
            return Err(inner.error(
                &format!(
                    "committing offset {:?} of {}-{} for group {group}",
                    e.offset(),
                    e.topic(),
                    e.partition()
                ),
                &err,
            ));
        }
    }
    Ok(())
}

/// librdkafka's error codes that mean "not now" rather than "never".
fn transient(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        code,
        C::BrokerTransportFailure
            | C::AllBrokersDown
            | C::MessageTimedOut
            | C::OperationTimedOut
            | C::RequestTimedOut
            | C::QueueFull
            | C::Resolve
            | C::TimedOutQueue
            | C::NotEnoughReplicas
            | C::NotEnoughReplicasAfterAppend
            | C::LeaderNotAvailable
            | C::NotLeaderForPartition
            | C::NetworkException
            | C::CoordinatorLoadInProgress
            | C::CoordinatorNotAvailable
            | C::NotCoordinator
            | C::RebalanceInProgress
            | C::BrokerNotAvailable
            | C::WaitingForCoordinator
            | C::KafkaStorageError
            | C::BrokerDestroy
    )
}

pub(crate) fn map_error(bootstrap: &str, context: &str, e: &KafkaError) -> LogError {
    match e.rdkafka_error_code() {
        Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
            LogError::Storage(format!("{context}: {e}"))
        }
        Some(code) if transient(code) => LogError::Unavailable(format!(
            "{context}: the Kafka cluster at bootstrap.servers={bootstrap} did not answer: {e}"
        )),
        _ => LogError::Storage(format!("{context} (bootstrap.servers={bootstrap}): {e}")),
    }
}

/// Kafka as the log. Open with [`KafkaLog::connect`]; [`Log::close`] flushes the producer.
pub struct KafkaLog {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KafkaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLog")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl KafkaLog {
    /// Creates the clients and waits (at most `config.connect_timeout`) for the cluster to
    /// answer a metadata request, so a wrong `bootstrap.servers` is reported at start, not at
    /// the first append. Must run inside a tokio runtime.
    pub async fn connect(config: KafkaConfig) -> LogResult<Arc<KafkaLog>> {
        if config.bootstrap_servers.trim().is_empty() {
            return Err(LogError::InvalidArgument("bootstrap.servers is empty".to_owned()));
        }
        let invalid = |what: &str, e: KafkaError| {
            LogError::InvalidArgument(format!(
                "the Kafka {what} settings are refused by librdkafka (check producer.*, consumer.*, \
                 admin.*, security.protocol, sasl.*, ssl.*): {e}"
            ))
        };
        let context = || WeirContext::new(&config.bootstrap_servers);
        let producer: produce::Producer = config
            .producer_config()
            .create_with_context(produce::ProduceContext::new(&config.bootstrap_servers))
            .map_err(|e| invalid("producer", e))?;
        let admin: AdminClient<WeirContext> = config
            .admin_config()
            .create_with_context(context())
            .map_err(|e| invalid("admin", e))?;
        // A consumer config is only used later; check it now so a typo fails at start.
        let _: BaseConsumer<WeirContext> = config
            .consumer_config("weir-config-check")
            .create_with_context(context())
            .map_err(|e| invalid("consumer", e))?;
        let timeout = config.connect_timeout;
        // The producer's `metadata.max.age.ms` (librdkafka has checked it is a number).
        let metadata_max_age = config
            .producer
            .get("metadata.max.age.ms")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(partition_cache::DEFAULT_MAX_AGE, Duration::from_millis);
        let inner = Arc::new(Inner {
            config,
            producer,
            admin,
            partitions: PartitionCache::new(metadata_max_age),
            sticky: AtomicU32::new(0),
            closed: AtomicBool::new(false),
            probe_failed: parking_lot::Mutex::new(None),
        });
        let probe = Arc::clone(&inner);
        let answered = tokio::task::spawn_blocking(move || {
            probe
                .producer
                .client()
                .fetch_metadata(None, timeout)
                .map(|m| m.brokers().len())
        })
        .await
        .map_err(|e| LogError::Storage(format!("metadata request failed: {e}")))?;
        match answered {
            Ok(brokers) => {
                tracing::info!(
                    bootstrap.servers = %inner.config.bootstrap_servers, brokers,
                    "connected to the Kafka cluster"
                );
                Ok(Arc::new(KafkaLog { inner }))
            }
            Err(e) => Err(LogError::Unavailable(format!(
                "cannot reach the Kafka cluster at bootstrap.servers={} within {timeout:?}: {e}",
                inner.config.bootstrap_servers
            ))),
        }
    }

    pub fn config(&self) -> &KafkaConfig {
        &self.inner.config
    }
}

#[async_trait]
impl Log for KafkaLog {
    fn max_record_bytes(&self) -> Option<usize> {
        Some(self.inner.config.max_record_bytes())
    }

    async fn create_topic(&self, topic: &str, partitions: i32) -> LogResult<()> {
        self.inner.check_open()?;
        self.inner.create(topic, partitions).await.map(|_| ())
    }

    async fn topics(&self) -> LogResult<BTreeMap<String, i32>> {
        self.inner.check_open()?;
        self.inner.topic_partitions().await
    }

    async fn partition_offsets(&self, topic: &str, partition: i32) -> LogResult<(i64, i64)> {
        self.inner.check_open()?;
        let inner = Arc::clone(&self.inner);
        let topic = topic.to_owned();
        tokio::task::spawn_blocking(move || {
            inner
                .producer
                .client()
                .fetch_watermarks(&topic, partition, REQUEST_TIMEOUT)
                .map_err(|e| inner.error("reading partition offsets", &e))
        })
        .await
        .map_err(|e| LogError::Storage(format!("offsets request failed: {e}")))?
    }

    async fn partitions(&self, topic: &str) -> LogResult<Option<Vec<PartitionInfo>>> {
        self.inner.check_open()?;
        let metadata = self.inner.metadata(Some(topic)).await?;
        Ok(metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .filter(|t| t.error().is_none() && !t.partitions().is_empty())
            .map(|t| {
                let mut partitions: Vec<PartitionInfo> = t
                    .partitions()
                    .iter()
                    .map(|p| PartitionInfo {
                        partition: p.id(),
                        leader: p.leader(),
                        replicas: p.replicas().to_vec(),
                        in_sync: p.isr().to_vec(),
                    })
                    .collect();
                partitions.sort_by_key(|p| p.partition);
                partitions
            }))
    }

    async fn append(&self, topic: &str, records: Vec<LogRecord>) -> LogResult<Vec<Appended>> {
        append_detached(topic, Arc::clone(&self.inner).append(topic.to_owned(), records)).await
    }

    async fn consumer(&self, group: &str, subscription: Subscription) -> LogResult<Box<dyn LogConsumer>> {
        self.inner.check_open()?;
        let consumer = KafkaConsumer::new(Arc::clone(&self.inner), group, subscription)?;
        Ok(Box::new(consumer))
    }

    async fn committed(&self, group: &str) -> LogResult<BTreeMap<TopicPartition, i64>> {
        self.inner.check_open()?;
        self.inner.committed(group).await
    }

    async fn set_committed(
        &self,
        group: &str,
        offsets: BTreeMap<TopicPartition, Option<i64>>,
    ) -> LogResult<()> {
        self.inner.check_open()?;
        if let Some((tp, Some(o))) = offsets.iter().find(|(_, o)| o.is_some_and(|o| o < 0)) {
            return Err(LogError::InvalidArgument(format!(
                "group {group}: offset {o} for {}-{} is negative",
                tp.topic, tp.partition
            )));
        }
        let set: BTreeMap<TopicPartition, i64> = offsets
            .iter()
            .filter_map(|(tp, o)| o.map(|o| (tp.clone(), o)))
            .collect();
        if offsets.values().all(Option::is_some) {
            return self.inner.commit_as(group, set).await;
        }
        // Kafka can overwrite a committed offset but librdkafka has no call to remove one
        // (OffsetDelete): read the group, delete it, and commit back what remains. The group
        // has no member (its connector is STOPPED), so nothing else writes meanwhile.
        let mut remaining = self.inner.committed(group).await?;
        for (tp, o) in offsets {
            match o {
                Some(o) => {
                    remaining.insert(tp, o);
                }
                None => {
                    remaining.remove(&tp);
                }
            }
        }
        self.inner.delete_group(group).await?;
        self.inner.commit_as(group, remaining).await
    }

    async fn delete_group(&self, group: &str) -> LogResult<()> {
        self.inner.check_open()?;
        self.inner.delete_group(group).await
    }

    async fn close(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = Arc::clone(&self.inner);
        let flushed = tokio::task::spawn_blocking(move || inner.producer.flush(REQUEST_TIMEOUT)).await;
        if let Ok(Err(e)) = flushed {
            tracing::warn!(error = %e, "flushing the Kafka producer at close");
        }
    }
}

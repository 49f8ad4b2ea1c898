//! A consumer-group member on Kafka.
//!
//! The subscription is resolved here, not by librdkafka: the consumer subscribes to the named
//! topics that exist (or, for a pattern, to the topics whose whole name matches the Rust
//! regular expression, the same dialect and rule as the embedded log), and compares that list
//! with the cluster's topics again every second while a named topic is missing or a pattern is
//! in use. So a sink started before its source's first append picks the topic up within a
//! second, and `topics.regex` means the same thing on both logs (librdkafka's own `^regex`
//! subscriptions use a different regex dialect and only look at metadata every 5 minutes).
//!
//! `poll` waits for the first record with librdkafka's queue-wakeup (no busy polling), then
//! takes what is already fetched, without waiting, up to `max`.
//!
//! A consumer never hands out a record twice unless asked to by `seek`: it remembers the next
//! offset per partition and drops records below it. A rebalance (a pattern matching a new topic
//! re-subscribes) restarts the partitions it kept from the group's committed offsets; the
//! embedded log keeps its positions, and so, with this, does the Kafka consumer.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::FutureExt;
use rdkafka::Offset;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use tokio::time::Instant;

use schemas::TopicPartition;

use super::context::WeirContext;
use super::{Inner, commit_sync, offset_list};
use crate::log::{ConsumedRecord, LogConsumer, LogError, LogResult, Subscription, TopicFilter};

/// How often the subscription is compared with the cluster's topics while it may grow.
const REFRESH_GROWING: Duration = Duration::from_secs(1);
/// How often otherwise (a named topic deleted and created again is picked up again).
const REFRESH_STABLE: Duration = Duration::from_secs(30);
const SEEK_TIMEOUT: Duration = Duration::from_secs(10);

pub struct KafkaConsumer {
    inner: Arc<Inner>,
    group: String,
    /// None only while being dropped.
    consumer: Option<Arc<StreamConsumer<WeirContext>>>,
    topics: TopicFilter,
    /// Topics subscribed now, sorted.
    subscribed: Vec<String>,
    next_refresh: Instant,
    /// Seeks asked for partitions not yet assigned: applied once they are.
    pending_seeks: Vec<(TopicPartition, i64)>,
    /// Next offset to hand out, per (topic, partition) read so far.
    positions: HashMap<(String, i32), i64>,
}

impl std::fmt::Debug for KafkaConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaConsumer")
            .field("group", &self.group)
            .field("subscription", self.topics.subscription())
            .field("subscribed", &self.subscribed)
            .finish_non_exhaustive()
    }
}

impl KafkaConsumer {
    pub(crate) fn new(inner: Arc<Inner>, group: &str, subscription: Subscription) -> LogResult<Self> {
        let topics = TopicFilter::new(subscription)?;
        let consumer: StreamConsumer<WeirContext> = inner
            .config
            .consumer_config(group)
            .create_with_context(inner.context())
            .map_err(|e| inner.error(&format!("creating a consumer for group {group}"), &e))?;
        Ok(KafkaConsumer {
            inner,
            group: group.to_owned(),
            consumer: Some(Arc::new(consumer)),
            topics,
            subscribed: Vec::new(),
            next_refresh: Instant::now(),
            pending_seeks: Vec::new(),
            positions: HashMap::new(),
        })
    }

    fn client(&self) -> LogResult<&Arc<StreamConsumer<WeirContext>>> {
        self.consumer
            .as_ref()
            .ok_or_else(|| LogError::Unavailable(format!("the consumer of group {} is closed", self.group)))
    }

    /// Subscribes to the wanted topics that exist, when that set changed.
    async fn refresh(&mut self, force: bool) -> LogResult<()> {
        if !force && Instant::now() < self.next_refresh {
            return Ok(());
        }
        let topics = self.inner.topic_partitions().await?;
        let wanted: Vec<String> = topics
            .keys()
            .filter(|t| self.topics.wants(t))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let growing = match self.topics.subscription() {
            Subscription::Pattern(_) => true,
            Subscription::Topics(names) => wanted.len() < names.iter().collect::<BTreeSet<_>>().len(),
        };
        self.next_refresh = Instant::now() + if growing { REFRESH_GROWING } else { REFRESH_STABLE };
        if wanted == self.subscribed {
            return Ok(());
        }
        let consumer = self.client()?;
        if wanted.is_empty() {
            consumer.unsubscribe();
        } else {
            let names: Vec<&str> = wanted.iter().map(String::as_str).collect();
            consumer.subscribe(&names).map_err(|e| {
                self.inner
                    .error(&format!("subscribing group {} to {names:?}", self.group), &e)
            })?;
        }
        tracing::debug!(group = %self.group, topics = ?wanted, "consumer subscription");
        self.subscribed = wanted;
        Ok(())
    }

    /// Applies the seeks whose partitions are assigned now.
    async fn apply_pending_seeks(&mut self) -> LogResult<()> {
        if self.pending_seeks.is_empty() {
            return Ok(());
        }
        let consumer = Arc::clone(self.client()?);
        let assigned = consumer
            .assignment()
            .map_err(|e| self.inner.error("reading the consumer's assignment", &e))?;
        let mut still = Vec::new();
        for (tp, offset) in std::mem::take(&mut self.pending_seeks) {
            let is_assigned = assigned
                .elements_for_topic(&tp.topic)
                .iter()
                .any(|e| e.partition() == tp.partition);
            if !is_assigned || !self.seek_now(&consumer, &tp, offset).await? {
                still.push((tp, offset));
            }
        }
        self.pending_seeks = still;
        Ok(())
    }

    /// Seeks an assigned partition; false when librdkafka is not fetching it yet.
    async fn seek_now(
        &self,
        consumer: &Arc<StreamConsumer<WeirContext>>,
        tp: &TopicPartition,
        offset: i64,
    ) -> LogResult<bool> {
        let consumer = Arc::clone(consumer);
        let (topic, partition) = (tp.topic.clone(), tp.partition);
        let result = tokio::task::spawn_blocking(move || {
            consumer.seek(&topic, partition, Offset::Offset(offset), SEEK_TIMEOUT)
        })
        .await
        .map_err(|e| LogError::Storage(format!("seek failed: {e}")))?;
        match result {
            Ok(()) => Ok(true),
            Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::State) => Ok(false),
            Err(e) => Err(self.inner.error(
                &format!("seeking {}-{} to offset {offset}", tp.topic, tp.partition),
                &e,
            )),
        }
    }

    /// What a consumer error means for the poll: transient ones (a broker connection dropped,
    /// a topic deleted under it) are logged and librdkafka recovers; others fail the poll.
    fn consumer_error(&self, e: &KafkaError) -> LogResult<()> {
        match e {
            KafkaError::PartitionEOF(_) => Ok(()),
            _ => match e.rdkafka_error_code() {
                Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
                    tracing::debug!(group = %self.group, error = %e, "consumer: topic not (yet) known");
                    Ok(())
                }
                Some(code) if super::transient(code) => {
                    tracing::warn!(
                        group = %self.group, error = %e,
                        bootstrap.servers = %self.inner.config.bootstrap_servers,
                        "consumer: Kafka did not answer; librdkafka retries"
                    );
                    Ok(())
                }
                _ => Err(self
                    .inner
                    .error(&format!("consuming for group {}", self.group), e)),
            },
        }
    }
}

/// Adds the message unless it was handed out already (see the module comment).
fn take(positions: &mut HashMap<(String, i32), i64>, m: &BorrowedMessage<'_>, out: &mut Vec<ConsumedRecord>) {
    let key = (m.topic().to_owned(), m.partition());
    let next = positions.entry(key).or_insert(m.offset());
    if m.offset() < *next {
        return;
    }
    *next = m.offset() + 1;
    out.push(to_record(m));
}

fn to_record(m: &BorrowedMessage<'_>) -> ConsumedRecord {
    let headers = m
        .headers()
        .map(|h| {
            (0..h.count())
                .map(|i| {
                    let header = h.get(i);
                    (header.key.to_owned(), header.value.map(Bytes::copy_from_slice))
                })
                .collect()
        })
        .unwrap_or_default();
    ConsumedRecord {
        topic: m.topic().to_owned(),
        partition: m.partition(),
        offset: m.offset(),
        timestamp: m.timestamp().to_millis().unwrap_or(-1),
        key: m.key().map(Bytes::copy_from_slice),
        value: m.payload().map(Bytes::copy_from_slice),
        headers,
    }
}

#[async_trait]
impl LogConsumer for KafkaConsumer {
    async fn poll(&mut self, max: usize, timeout: Duration) -> LogResult<Vec<ConsumedRecord>> {
        let deadline = Instant::now() + timeout;
        loop {
            self.inner.check_open()?;
            self.refresh(false).await?;
            self.apply_pending_seeks().await?;
            if max == 0 {
                return Ok(Vec::new());
            }
            let wake = deadline.min(self.next_refresh);
            if self.subscribed.is_empty() {
                if Instant::now() >= deadline {
                    return Ok(Vec::new());
                }
                tokio::time::sleep_until(wake).await;
                continue;
            }
            let consumer = Arc::clone(self.client()?);
            match tokio::time::timeout_at(wake, consumer.recv()).await {
                Ok(Ok(first)) => {
                    let mut out = Vec::with_capacity(max.min(1024));
                    take(&mut self.positions, &first, &mut out);
                    drop(first);
                    // What librdkafka already fetched, without waiting.
                    while out.len() < max {
                        match consumer.recv().now_or_never() {
                            Some(Ok(m)) => take(&mut self.positions, &m, &mut out),
                            Some(Err(e)) => {
                                self.consumer_error(&e)?;
                                break;
                            }
                            None => break,
                        }
                    }
                    if !out.is_empty() {
                        return Ok(out);
                    }
                }
                Ok(Err(e)) => self.consumer_error(&e)?,
                Err(_) => {
                    if Instant::now() >= deadline {
                        return Ok(Vec::new());
                    }
                }
            }
        }
    }

    async fn commit(&mut self, offsets: &std::collections::BTreeMap<TopicPartition, i64>) -> LogResult<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        self.inner.check_open()?;
        let list = offset_list(offsets)?;
        let consumer = Arc::clone(self.client()?);
        let inner = Arc::clone(&self.inner);
        let group = self.group.clone();
        // A commit that reaches the broker completes even if the caller stops waiting.
        tokio::task::spawn_blocking(move || commit_sync(&inner, consumer.as_ref(), &group, &list))
            .await
            .map_err(|e| LogError::Storage(format!("commit of group {} failed: {e}", self.group)))?
    }

    async fn seek(&mut self, partition: &TopicPartition, offset: i64) -> LogResult<()> {
        if offset < 0 {
            return Err(LogError::InvalidArgument(format!(
                "cannot seek {}-{} to negative offset {offset}",
                partition.topic, partition.partition
            )));
        }
        self.inner.check_open()?;
        if !self.subscribed.contains(&partition.topic) {
            self.refresh(true).await?;
        }
        let count = self.inner.partitions.known(&partition.topic);
        let Some(count) = count else {
            return Err(LogError::UnknownTopic(partition.topic.clone()));
        };
        if !self.topics.wants(&partition.topic) {
            return Err(LogError::InvalidArgument(format!(
                "cannot seek {}-{}: the consumer is not subscribed to topic {}",
                partition.topic, partition.partition, partition.topic
            )));
        }
        if partition.partition < 0 || partition.partition >= count {
            return Err(LogError::UnknownPartition {
                topic: partition.topic.clone(),
                partition: partition.partition,
            });
        }
        self.pending_seeks.retain(|(tp, _)| tp != partition);
        self.pending_seeks.push((partition.clone(), offset));
        self.positions
            .insert((partition.topic.clone(), partition.partition), offset);
        self.apply_pending_seeks().await
    }

    async fn close(&mut self) {
        if let Some(consumer) = self.consumer.take() {
            // Leaving the group blocks until the coordinator answered.
            let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
        }
    }
}

impl Drop for KafkaConsumer {
    fn drop(&mut self) {
        if let Some(consumer) = self.consumer.take()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            handle.spawn_blocking(move || drop(consumer));
        }
    }
}

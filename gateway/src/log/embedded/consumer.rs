//! A consumer-group member of the embedded log.
//!
//! One consumer reads every partition of the topics its subscription names or matches (one
//! consumer per group is the supported shape; a second one of the same group reads the same
//! records and commits through the same single writer, so it duplicates work but cannot corrupt
//! offsets). Positions start at the group's committed offset, else at the earliest retained
//! offset, and a position that retention overtook moves to the earliest retained offset, as
//! Kafka's `auto.offset.reset=earliest` does.
//!
//! `poll` never busy-waits: before looking at the partitions' in-memory end offsets it marks
//! every topic's `appended` watch as seen, so an append that commits afterwards wakes it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::time::Instant;

use schemas::TopicPartition;

use super::batch::{self, DecodeTarget};
use super::store::{self, StoredBatch};
use super::{Inner, TopicState};
use crate::log::{ConsumedRecord, LogConsumer, LogError, LogResult, Subscription, TopicFilter};

/// Batches fetched per query; a batch usually holds hundreds of records.
const READ_BATCHES: i64 = 4;

struct AssignedTopic {
    topic: Arc<TopicState>,
    appended: watch::Receiver<u64>,
    /// Next offset to read, per partition.
    positions: Vec<i64>,
}

/// The last batch read but not fully consumed (a poll's `max` ended inside it): the next poll
/// continues from it without fetching it again. At most one, so memory stays bounded.
struct CachedBatch {
    topic_id: i64,
    partition: usize,
    batch: StoredBatch,
}

pub struct EmbeddedConsumer {
    inner: Arc<Inner>,
    group: String,
    topics: TopicFilter,
    topics_seen: watch::Receiver<u64>,
    /// The `topics_changed` version the assignment was last computed for.
    topics_version: u64,
    assigned: Vec<AssignedTopic>,
    /// Rotates the partition a poll starts with, so one busy partition cannot starve others.
    cursor: usize,
    cached: Option<CachedBatch>,
}

impl std::fmt::Debug for EmbeddedConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedConsumer")
            .field("group", &self.group)
            .field("subscription", self.topics.subscription())
            .finish_non_exhaustive()
    }
}

impl EmbeddedConsumer {
    pub(crate) async fn new(inner: Arc<Inner>, group: &str, subscription: Subscription) -> LogResult<Self> {
        let topics = TopicFilter::new(subscription)?;
        let topics_seen = inner.topics_changed.subscribe();
        let mut consumer = EmbeddedConsumer {
            inner,
            group: group.to_owned(),
            topics,
            topics_seen,
            topics_version: 0,
            assigned: Vec::new(),
            cursor: 0,
            cached: None,
        };
        consumer.refresh_assignment(true).await?;
        Ok(consumer)
    }

    /// The partitions this consumer reads now.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.assigned
            .iter()
            .flat_map(|a| {
                (0..a.positions.len()).map(|p| TopicPartition {
                    topic: a.topic.name.clone(),
                    partition: p as i32,
                })
            })
            .collect()
    }

    /// Current read positions (next offset per assigned partition).
    pub fn positions(&self) -> BTreeMap<TopicPartition, i64> {
        self.assigned
            .iter()
            .flat_map(|a| {
                a.positions.iter().enumerate().map(|(p, o)| {
                    (
                        TopicPartition {
                            topic: a.topic.name.clone(),
                            partition: p as i32,
                        },
                        *o,
                    )
                })
            })
            .collect()
    }

    /// Adds topics that appeared since the last look and match the subscription.
    async fn refresh_assignment(&mut self, force: bool) -> LogResult<()> {
        // Compared by value: `changed()` in poll already marks the watch as seen.
        let version = *self.topics_seen.borrow_and_update();
        if !force && version == self.topics_version {
            return Ok(());
        }
        self.topics_version = version;
        let mut new_topics: Vec<Arc<TopicState>> = self
            .inner
            .topics
            .read()
            .values()
            .filter(|t| self.topics.wants(&t.name) && !self.assigned.iter().any(|a| a.topic.id == t.id))
            .cloned()
            .collect();
        if new_topics.is_empty() {
            return Ok(());
        }
        new_topics.sort_by(|a, b| a.name.cmp(&b.name));
        let committed: HashMap<(String, i32), i64> = store::committed(&self.inner.readers, &self.group)
            .await?
            .into_iter()
            .map(|(t, p, o)| ((t, p), o))
            .collect();
        for topic in new_topics {
            let positions = topic
                .partitions
                .iter()
                .enumerate()
                .map(|(p, state)| {
                    committed
                        .get(&(topic.name.clone(), p as i32))
                        .copied()
                        .unwrap_or_else(|| state.start.load(Ordering::Acquire))
                })
                .collect();
            tracing::debug!(group = %self.group, topic = %topic.name, "consumer assigned topic");
            self.assigned.push(AssignedTopic {
                appended: topic.appended.subscribe(),
                topic,
                positions,
            });
        }
        Ok(())
    }

    /// Reads up to `max` records from the partitions that have any, starting at a rotating one.
    async fn fetch(&mut self, max: usize) -> LogResult<Vec<ConsumedRecord>> {
        let slots: Vec<(usize, usize)> = self
            .assigned
            .iter()
            .enumerate()
            .flat_map(|(i, a)| (0..a.positions.len()).map(move |p| (i, p)))
            .collect();
        let mut out = Vec::new();
        if slots.is_empty() || max == 0 {
            return Ok(out);
        }
        let first = self.cursor % slots.len();
        self.cursor = self.cursor.wrapping_add(1);
        for k in 0..slots.len() {
            if out.len() >= max {
                break;
            }
            let (ai, p) = slots[(first + k) % slots.len()];
            let topic = Arc::clone(&self.assigned[ai].topic);
            let pos = self
                .fetch_partition(&topic, p, self.assigned[ai].positions[p], max, &mut out)
                .await?;
            self.assigned[ai].positions[p] = pos;
        }
        Ok(out)
    }

    /// Appends records of one partition from `pos` to `out` until `max`; returns the new position.
    async fn fetch_partition(
        &mut self,
        topic: &TopicState,
        p: usize,
        mut pos: i64,
        max: usize,
        out: &mut Vec<ConsumedRecord>,
    ) -> LogResult<i64> {
        let state = &topic.partitions[p];
        let start = state.start.load(Ordering::Acquire);
        let end = state.end.load(Ordering::Acquire);
        if pos < start || pos > end {
            tracing::info!(
                group = %self.group, topic = %topic.name, partition = p, position = pos, start, end,
                "offset out of range, resetting to the earliest retained offset"
            );
            pos = start;
        }
        while out.len() < max && pos < end {
            let batches = match self.cached.take() {
                Some(c)
                    if c.topic_id == topic.id
                        && c.partition == p
                        && c.batch.base_offset <= pos
                        && pos < c.batch.base_offset + c.batch.record_count =>
                {
                    vec![c.batch]
                }
                _ => store::read_batches(&self.inner.readers, topic.id, p as i32, pos, READ_BATCHES).await?,
            };
            if batches.is_empty() {
                break;
            }
            for b in batches {
                if out.len() >= max {
                    break;
                }
                // Retention deleted what lay between: continue at the earliest retained batch.
                pos = pos.max(b.base_offset);
                let skip = pos - b.base_offset;
                if skip >= b.record_count {
                    continue;
                }
                let target = DecodeTarget {
                    topic: &topic.name,
                    partition: p as i32,
                    base_offset: b.base_offset,
                    skip: skip as u64,
                    take: (max - out.len()) as u64,
                };
                let added = batch::decode(&b.blob, b.record_count, &target, out).map_err(|e| {
                    LogError::Storage(format!(
                        "corrupt batch in {}-{p} at offset {}: {e}",
                        topic.name, b.base_offset
                    ))
                })?;
                pos += added as i64;
                if pos < b.base_offset + b.record_count {
                    self.cached = Some(CachedBatch {
                        topic_id: topic.id,
                        partition: p,
                        batch: b,
                    });
                }
            }
        }
        Ok(pos)
    }
}

/// Resolves when any of the topics gets an append.
async fn any_appended(assigned: &mut [AssignedTopic]) {
    if assigned.is_empty() {
        return std::future::pending().await;
    }
    let waits = assigned.iter_mut().map(|a| Box::pin(a.appended.changed()));
    let _ = futures::future::select_all(waits).await;
}

#[async_trait]
impl LogConsumer for EmbeddedConsumer {
    async fn poll(&mut self, max: usize, timeout: Duration) -> LogResult<Vec<ConsumedRecord>> {
        let deadline = Instant::now() + timeout;
        loop {
            self.inner.check_open()?;
            self.refresh_assignment(false).await?;
            for a in &mut self.assigned {
                a.appended.borrow_and_update();
            }
            let records = self.fetch(max).await?;
            if !records.is_empty() || max == 0 {
                return Ok(records);
            }
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return Ok(records),
                _ = self.topics_seen.changed() => {}
                _ = any_appended(&mut self.assigned) => {}
            }
        }
    }

    async fn commit(&mut self, offsets: &BTreeMap<TopicPartition, i64>) -> LogResult<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        let offsets = offsets
            .iter()
            .map(|(tp, o)| (tp.topic.clone(), tp.partition, Some(*o)))
            .collect();
        let inner = Arc::clone(&self.inner);
        let group = self.group.clone();
        // Like append: a commit that reaches the database completes even if the caller gives up.
        tokio::spawn(async move { inner.write_committed(&group, offsets).await })
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
        self.refresh_assignment(false).await?;
        let assigned = self
            .assigned
            .iter_mut()
            .find(|a| a.topic.name == partition.topic)
            .ok_or_else(|| {
                if self.inner.topic(&partition.topic).is_some() {
                    LogError::InvalidArgument(format!(
                        "cannot seek {}-{}: the consumer is not subscribed to topic {}",
                        partition.topic, partition.partition, partition.topic
                    ))
                } else {
                    LogError::UnknownTopic(partition.topic.clone())
                }
            })?;
        let slot = usize::try_from(partition.partition)
            .ok()
            .and_then(|p| assigned.positions.get_mut(p))
            .ok_or_else(|| LogError::UnknownPartition {
                topic: partition.topic.clone(),
                partition: partition.partition,
            })?;
        *slot = offset;
        self.cached = None;
        Ok(())
    }
}

//! Partition counts of topics, kept as Kafka's producer keeps its metadata: a count read from
//! the cluster is trusted for `metadata.max.age.ms` (the producer's setting, Kafka's default
//! 5 minutes), then read again. So after a topic's partitions are increased, keyed records go
//! where a Kafka producer would put them (murmur2 modulo the new count) within that time.
//!
//! Rule: every call takes `now`, so the expiry is tested without waiting.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Kafka's producer default for `metadata.max.age.ms` (librdkafka's is 15 minutes; Weir
/// follows the Java clients whose layout it keeps).
pub(crate) const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

pub(crate) struct PartitionCache {
    max_age: Duration,
    entries: parking_lot::RwLock<HashMap<String, (i32, Instant)>>,
}

impl PartitionCache {
    pub(crate) fn new(max_age: Duration) -> PartitionCache {
        PartitionCache {
            max_age,
            entries: parking_lot::RwLock::new(HashMap::new()),
        }
    }

    /// The count of `topic` when it was read less than `max_age` before `now`.
    pub(crate) fn fresh(&self, topic: &str, now: Instant) -> Option<i32> {
        self.entries
            .read()
            .get(topic)
            .filter(|(_, at)| now.saturating_duration_since(*at) < self.max_age)
            .map(|(count, _)| *count)
    }

    /// The last count read for `topic`, however old.
    pub(crate) fn known(&self, topic: &str) -> Option<i32> {
        self.entries.read().get(topic).map(|(count, _)| *count)
    }

    pub(crate) fn put(&self, topic: &str, count: i32, now: Instant) {
        self.entries.write().insert(topic.to_owned(), (count, now));
    }

    pub(crate) fn put_all<'a>(&self, counts: impl IntoIterator<Item = (&'a String, &'a i32)>, now: Instant) {
        let mut entries = self.entries.write();
        for (topic, count) in counts {
            entries.insert(topic.clone(), (*count, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_trusted_for_max_age_then_read_again() {
        let cache = PartitionCache::new(Duration::from_secs(300));
        let t0 = Instant::now();
        assert_eq!(cache.fresh("t", t0), None);
        cache.put("t", 1, t0);
        assert_eq!(cache.fresh("t", t0 + Duration::from_secs(299)), Some(1));
        assert_eq!(
            cache.fresh("t", t0 + Duration::from_secs(300)),
            None,
            "expired: the caller reads metadata again and sees a partition increase"
        );
        assert_eq!(cache.known("t"), Some(1));
        cache.put_all([(&"t".to_owned(), &4)], t0 + Duration::from_secs(300));
        assert_eq!(cache.fresh("t", t0 + Duration::from_secs(301)), Some(4));

        let never = PartitionCache::new(Duration::ZERO);
        never.put("t", 2, t0);
        assert_eq!(never.fresh("t", t0), None, "metadata.max.age.ms=0: always read");
    }
}

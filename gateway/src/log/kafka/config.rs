//! Which librdkafka settings each Kafka client gets.
//!
//! Worker keys are split the way Kafka Connect splits them: `producer.*`, `consumer.*` and
//! `admin.*` go (prefix stripped) to that client only; `security.protocol`, `sasl.*`, `ssl.*` and
//! `client.id` go to every client. Weir's own defaults come first, so a worker key always wins.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;

use crate::config::WorkerConfig;

/// How long the first contact with the cluster may take before the worker gives up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Settings of a [`super::KafkaLog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `bootstrap.servers`, as the user wrote it (it names the cluster in error messages).
    pub bootstrap_servers: String,
    /// `topic.creation.default.partitions`: partitions of topics Weir creates.
    pub default_partitions: i32,
    /// `topic.creation.default.replication.factor` (-1: the broker's default).
    pub default_replication_factor: i16,
    /// Keys for every client: `security.protocol`, `sasl.*`, `ssl.*`, `client.id`.
    pub common: BTreeMap<String, String>,
    /// `producer.*`, `consumer.*`, `admin.*` with the prefix stripped.
    pub producer: BTreeMap<String, String>,
    pub consumer: BTreeMap<String, String>,
    pub admin: BTreeMap<String, String>,
    /// How long [`super::KafkaLog::connect`] waits for the cluster to answer.
    pub connect_timeout: Duration,
}

impl KafkaConfig {
    /// A cluster with Kafka's defaults and no client overrides.
    pub fn new(bootstrap_servers: impl Into<String>) -> Self {
        KafkaConfig {
            bootstrap_servers: bootstrap_servers.into(),
            default_partitions: 1,
            default_replication_factor: 1,
            common: BTreeMap::new(),
            producer: BTreeMap::new(),
            consumer: BTreeMap::new(),
            admin: BTreeMap::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// The worker's Kafka settings; None when the worker uses the embedded log.
    pub fn from_worker(worker: &WorkerConfig) -> Option<Self> {
        let bootstrap = worker.bootstrap_servers.clone()?;
        let raw = &worker.raw;
        let prefixed = |prefix: &str| -> BTreeMap<String, String> {
            raw.iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix(prefix)
                        .map(|s| (s.to_owned(), v.trim().to_owned()))
                })
                .collect()
        };
        let common = raw
            .iter()
            .filter(|(k, _)| {
                k.as_str() == "security.protocol"
                    || k.as_str() == "client.id"
                    || k.starts_with("sasl.")
                    || k.starts_with("ssl.")
            })
            .map(|(k, v)| (k.clone(), v.trim().to_owned()))
            .collect();
        Some(KafkaConfig {
            bootstrap_servers: bootstrap,
            default_partitions: worker.default_partitions,
            default_replication_factor: worker.default_replication_factor,
            common,
            producer: prefixed("producer."),
            consumer: prefixed("consumer."),
            admin: prefixed("admin."),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        })
    }

    fn base(&self, defaults: &[(&str, &str)], overrides: &BTreeMap<String, String>) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in defaults {
            c.set(*k, *v);
        }
        for (k, v) in self.common.iter().chain(overrides) {
            c.set(k, v);
        }
        c
    }

    /// The producer: idempotent with acks=all, so an acknowledged append is on every in-sync
    /// replica exactly once. Weir picks partitions itself (see `append`), so the partitioner
    /// setting only matters to records a user override sends without one.
    pub(crate) fn producer_config(&self) -> ClientConfig {
        let mut c = self.base(
            &[
                ("enable.idempotence", "true"),
                ("acks", "all"),
                ("partitioner", "murmur2_random"),
                // librdkafka waits 5 minutes by default before failing a send; a source task
                // retries a failed batch itself, so a minute is enough to report an outage.
                ("message.timeout.ms", "60000"),
                // An append waits for its acknowledgements (an HTTP push is answered after
                // them): a short linger keeps that wait short, and concurrent appends still
                // share produce requests (bench/README.md has the figures: 1 ms beat 2 and 0.5).
                ("linger.ms", "1"),
            ],
            &self.producer,
        );
        // A 200 for a push, and a source's stored position, mean the broker has the records on
        // every in-sync replica exactly once: these two are not the user's to weaken.
        for (key, value) in [("acks", "all"), ("enable.idempotence", "true")] {
            if let Some(set) = self.producer.get(key)
                && set != value
                && !(key == "acks" && set == "-1")
            {
                tracing::warn!(key = %format!("producer.{key}"), set = %set, used = value, "ignored: Weir's appends are acknowledged only when durable");
            }
            c.set(key, value);
        }
        c
    }

    /// The largest record the producer takes (`producer.message.max.bytes`, librdkafka's
    /// 1,000,000 by default), counted as librdkafka does: key, value and headers plus the
    /// record's framing.
    pub(crate) fn max_record_bytes(&self) -> usize {
        self.producer
            .get("message.max.bytes")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(1_000_000)
    }

    /// A member of `group`: no auto-commit (the sink task commits exactly what its sink
    /// flushed), and partitions without a committed offset read from the earliest one.
    pub(crate) fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut c = self.base(
            &[
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("auto.offset.reset", "earliest"),
                ("enable.partition.eof", "false"),
                // A worker killed with -9 leaves its member behind until the session times out;
                // 10 s (Kafka's floor is 6 s) lets a restarted worker resume sooner than 45 s.
                ("session.timeout.ms", "10000"),
                ("heartbeat.interval.ms", "3000"),
            ],
            &self.consumer,
        );
        c.set("group.id", group);
        c
    }

    pub(crate) fn admin_config(&self) -> ClientConfig {
        self.base(&[], &self.admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_properties;

    #[test]
    fn worker_keys_reach_the_right_clients_and_win_over_defaults() {
        let props = parse_properties(
            "bootstrap.servers=k1:9092,k2:9092\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n\
             ssl.ca.location=/ca.pem\nclient.id=w1\nproducer.linger.ms=20\nconsumer.session.timeout.ms=30000\n\
             admin.request.timeout.ms=5000\ntopic.creation.default.partitions=3\n",
            std::path::Path::new("w.properties"),
        )
        .unwrap_or_default();
        let worker = WorkerConfig::from_properties(props).map_err(|e| e.to_string());
        let Ok(worker) = worker else {
            panic!("worker config refused: {worker:?}");
        };
        let Some(kafka) = KafkaConfig::from_worker(&worker) else {
            panic!("bootstrap.servers was ignored");
        };
        assert_eq!(kafka.bootstrap_servers, "k1:9092,k2:9092");
        assert_eq!(kafka.default_partitions, 3);
        let p = kafka.producer_config();
        assert_eq!(p.get("linger.ms"), Some("20"));
        assert_eq!(p.get("acks"), Some("all"));
        assert_eq!(p.get("enable.idempotence"), Some("true"));
        assert_eq!(p.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(p.get("session.timeout.ms"), None);
        let c = kafka.consumer_config("connect-sink");
        assert_eq!(c.get("session.timeout.ms"), Some("30000"));
        assert_eq!(c.get("group.id"), Some("connect-sink"));
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("sasl.mechanism"), Some("PLAIN"));
        assert_eq!(c.get("client.id"), Some("w1"));
        let a = kafka.admin_config();
        assert_eq!(a.get("request.timeout.ms"), Some("5000"));
        assert_eq!(a.get("ssl.ca.location"), Some("/ca.pem"));
        assert_eq!(a.get("linger.ms"), None);
    }
}

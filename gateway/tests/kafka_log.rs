//! The Kafka log against a real Kafka-protocol broker (tansu, one per test, on a free port):
//! the same behaviour suite as the embedded log (`log_suite`), plus what only Kafka has: an
//! unreachable cluster is reported, naming `bootstrap.servers`, as a retriable error.

use std::sync::Arc;
use std::time::Duration;

use gateway::log::kafka::{KafkaConfig, KafkaLog};
use gateway::log::{Log, LogError};

#[macro_use]
mod log_suite;

#[path = "../../tests/src/kafka.rs"]
mod kafka;

struct OnKafka {
    broker: kafka::Kafka,
}

#[async_trait::async_trait(?Send)]
impl log_suite::Harness for OnKafka {
    async fn open(&self) -> Arc<dyn Log> {
        match KafkaLog::connect(KafkaConfig::new(self.broker.bootstrap())).await {
            Ok(log) => log,
            Err(e) => panic!(
                "connecting to tansu failed: {e}\ntansu log:\n{}",
                self.broker.logs()
            ),
        }
    }
}

async fn on_kafka() -> OnKafka {
    OnKafka {
        broker: tokio::task::spawn_blocking(kafka::Kafka::start)
            .await
            .expect("start tansu"),
    }
}

behaviour_suite!(on_kafka);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cluster_is_a_retriable_error_naming_bootstrap_servers() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut config = KafkaConfig::new(format!("127.0.0.1:{port}"));
    config.connect_timeout = Duration::from_secs(2);
    let err = KafkaLog::connect(config)
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, LogError::Unavailable(_)), "{err}");
    assert!(err.retriable());
    assert!(
        err.to_string()
            .contains(&format!("bootstrap.servers=127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_client_setting_is_refused_at_connect() {
    let mut config = KafkaConfig::new("127.0.0.1:9");
    config.producer.insert("no.such.setting".into(), "1".into());
    let err = KafkaLog::connect(config)
        .await
        .expect_err("librdkafka refuses unknown keys");
    assert!(err.to_string().contains("no.such.setting"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_records_follow_a_partition_increase_once_metadata_is_older_than_its_max_age() {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::config::ClientConfig;

    let h = on_kafka().await;
    let mut config = KafkaConfig::new(h.broker.bootstrap());
    // The producer's metadata.max.age.ms (the default is 5 minutes): 1 ms, so the count the
    // log cached is stale by the time the partitions are increased below.
    config.producer.insert("metadata.max.age.ms".into(), "1".into());
    let log = KafkaLog::connect(config).await.expect("connect");
    log.create_topic("grow", 1).await.expect("create");
    let keyed = || gateway::log::LogRecord {
        key: Some(bytes::Bytes::from_static(b"foobar")),
        value: Some(bytes::Bytes::from_static(b"v")),
        ..gateway::log::LogRecord::default()
    };
    let before = log.append("grow", vec![keyed()]).await.expect("append");
    assert_eq!(before[0].partition, 0);

    // The topic is replaced by one with 4 partitions (tansu has no CreatePartitions; to the
    // producer's metadata both are the topic growing from 1 to 4 partitions).
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", h.broker.bootstrap())
        .create()
        .expect("admin client");
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let deleted = admin.delete_topics(&["grow"], &options).await.expect("delete");
    assert!(deleted.iter().all(Result::is_ok), "{deleted:?}");
    let created = admin
        .create_topics([&NewTopic::new("grow", 4, TopicReplication::Fixed(1))], &options)
        .await
        .expect("create");
    assert!(created.iter().all(Result::is_ok), "{created:?}");

    // murmur2("foobar") = -790332482 (Kafka's UtilsTest): partition 2 of 4, where a Kafka
    // producer puts it now.
    let after = log.append("grow", vec![keyed()]).await.expect("append");
    assert_eq!(after[0].partition, 2);
    log.close().await;
}

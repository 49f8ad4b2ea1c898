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

//! What Weir's Kafka clients do with librdkafka's global errors: name the cluster, and say it
//! once in a while instead of at every reconnect attempt (librdkafka retries every 100 ms at
//! first, which would bury the worker's log when a broker is down).

use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;

/// At most one warning per client per this interval for errors librdkafka recovers from.
const REPEAT_AFTER: Duration = Duration::from_secs(10);

pub(crate) struct WeirContext {
    bootstrap: String,
    /// When a transient error was last logged, and how many were not logged since.
    last: parking_lot::Mutex<(Option<Instant>, u64)>,
}

impl WeirContext {
    pub(crate) fn new(bootstrap: &str) -> Self {
        WeirContext {
            bootstrap: bootstrap.to_owned(),
            last: parking_lot::Mutex::new((None, 0)),
        }
    }
}

impl ClientContext for WeirContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let transient = error.rdkafka_error_code().is_some_and(super::transient);
        if !transient {
            tracing::error!(bootstrap.servers = %self.bootstrap, "Kafka client: {error}: {reason}");
            return;
        }
        let mut last = self.last.lock();
        let due = last.0.is_none_or(|at| at.elapsed() >= REPEAT_AFTER);
        if due {
            let repeated = last.1;
            *last = (Some(Instant::now()), 0);
            drop(last);
            tracing::warn!(
                bootstrap.servers = %self.bootstrap, repeated,
                "Kafka cluster unreachable, librdkafka keeps retrying: {error}: {reason}"
            );
        } else {
            last.1 += 1;
        }
    }
}

impl ConsumerContext for WeirContext {}

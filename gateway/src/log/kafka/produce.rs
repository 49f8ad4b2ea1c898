//! Appending a batch to Kafka: every record is handed to librdkafka before any wait, and the
//! batch then waits once, until its last record is acknowledged (or failed).
//!
//! The records of one append share one [`Pending`] (librdkafka's per-message opaque is an
//! `Arc` of it: no allocation or channel per record). librdkafka's polling thread reports each
//! delivery to it; the last report wakes the append. Appends of concurrent requests overlap:
//! each waits only for its own records, while librdkafka batches everyone's records into its
//! produce requests.
//!
//! Offsets: a delivery report says the partition and offset, not which record of the batch it
//! was. The offsets one batch got in one partition, sorted, belong to its records for that
//! partition in the order they were sent (Kafka appends a producer's records to a partition in
//! send order; the idempotent producer keeps that order across retries).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use tokio::sync::oneshot;

use super::context::WeirContext;
use super::map_error;
use crate::log::{Appended, LogError, LogRecord, LogResult};

/// The producer's context: the clients' error reporting, and deliveries to their batch.
pub(crate) struct ProduceContext {
    client: WeirContext,
    /// librdkafka said every broker is down, and no record was delivered since: an append
    /// checks the cluster answers before queueing records that could only time out
    /// (`message.timeout.ms` later), so a push is answered 503 at once, not after a minute.
    down: AtomicBool,
}

impl ProduceContext {
    pub(crate) fn new(bootstrap: &str) -> Self {
        ProduceContext {
            client: WeirContext::new(bootstrap),
            down: AtomicBool::new(false),
        }
    }

    pub(crate) fn cluster_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    pub(crate) fn cluster_up(&self) {
        self.down.store(false, Ordering::Release);
    }
}

impl ClientContext for ProduceContext {
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.down.store(true, Ordering::Release);
        }
        self.client.error(error, reason);
    }
}

impl ProducerContext for ProduceContext {
    type DeliveryOpaque = Arc<Pending>;

    fn delivery(&self, result: &DeliveryResult<'_>, pending: Arc<Pending>) {
        if result.is_ok() {
            self.cluster_up();
        }
        pending.delivered(result);
    }
}

pub(crate) type Producer = ThreadedProducer<ProduceContext>;

/// One append's records in flight.
pub(crate) struct Pending {
    /// Records sent and not yet reported, plus one while the append is still sending.
    remaining: AtomicUsize,
    state: parking_lot::Mutex<State>,
}

struct State {
    /// Offsets per partition, as reported.
    offsets: HashMap<i32, Vec<i64>>,
    /// The first failure.
    error: Option<KafkaError>,
    done: Option<oneshot::Sender<()>>,
}

impl Pending {
    fn new(done: oneshot::Sender<()>) -> Self {
        Pending {
            remaining: AtomicUsize::new(1),
            state: parking_lot::Mutex::new(State {
                offsets: HashMap::with_capacity(1),
                error: None,
                done: Some(done),
            }),
        }
    }

    fn delivered(&self, result: &DeliveryResult<'_>) {
        {
            let mut state = self.state.lock();
            match result {
                Ok(m) => state.offsets.entry(m.partition()).or_default().push(m.offset()),
                Err((e, _)) => {
                    if state.error.is_none() {
                        state.error = Some(e.clone());
                    }
                }
            }
        }
        self.release();
    }

    /// One fewer to wait for; the last one wakes the append.
    fn release(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1
            && let Some(done) = self.state.lock().done.take()
        {
            let _ = done.send(());
        }
    }
}

/// Sends `records` (each to its partition in `placed`) and waits until every one is
/// acknowledged; their partitions and offsets, in order.
pub(crate) async fn append(
    producer: &Producer,
    bootstrap: &str,
    topic: &str,
    records: &[LogRecord],
    placed: &[i32],
) -> LogResult<Vec<Appended>> {
    let failed = |e: &KafkaError| map_error(bootstrap, &format!("appending to topic {topic}"), e);
    let (done, finished) = oneshot::channel();
    let pending = Arc::new(Pending::new(done));
    for (r, &partition) in records.iter().zip(placed) {
        let mut record = BaseRecord::<[u8], [u8], Arc<Pending>>::with_opaque_to(topic, pending.clone())
            .partition(partition);
        if let Some(key) = &r.key {
            record = record.key(key.as_ref());
        }
        if let Some(value) = &r.value {
            record = record.payload(value.as_ref());
        }
        if let Some(ts) = r.timestamp {
            record = record.timestamp(ts);
        }
        if !r.headers.is_empty() {
            let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
            for (key, value) in &r.headers {
                headers = headers.insert(Header {
                    key: key.as_str(),
                    value: value.as_deref(),
                });
            }
            record = record.headers(headers);
        }
        pending.remaining.fetch_add(1, Ordering::AcqRel);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    // librdkafka's local queue is full: its deliveries make room shortly.
                    record = back;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, _)) => {
                    // Records already sent may still be written: the caller gets an error
                    // either way and retries the batch (the log promises at-least-once).
                    return Err(failed(&e));
                }
            }
        }
    }
    pending.release();
    finished.await.map_err(|_| {
        LogError::Unavailable(format!(
            "appending to topic {topic}: the producer was closed before the broker answered"
        ))
    })?;
    let mut state = std::mem::replace(
        &mut *pending.state.lock(),
        State {
            offsets: HashMap::new(),
            error: None,
            done: None,
        },
    );
    if let Some(e) = state.error {
        let uncertain = state.offsets.values().any(|o| !o.is_empty())
            || e.rdkafka_error_code().is_some_and(|c| {
                matches!(
                    c,
                    RDKafkaErrorCode::MessageTimedOut | RDKafkaErrorCode::RequestTimedOut
                )
            });
        return Err(match failed(&e) {
            // A record that timed out may have reached the broker before its answer was lost,
            // and others of the batch may be written: the caller must not be told "nothing".
            LogError::Unavailable(m) if uncertain => LogError::Unavailable(format!(
                "{m}; some of the records may have been written all the same (a retry may write them twice)"
            )),
            LogError::Storage(m) if uncertain => LogError::Storage(format!(
                "{m}; some of the records may have been written all the same (a retry may write them twice)"
            )),
            other => other,
        });
    }
    for offsets in state.offsets.values_mut() {
        offsets.sort_unstable();
    }
    let mut next: HashMap<i32, usize> = HashMap::with_capacity(state.offsets.len());
    placed
        .iter()
        .map(|&partition| {
            let seen = next.entry(partition).or_insert(0);
            let offset = state.offsets.get(&partition).and_then(|o| o.get(*seen)).copied();
            *seen += 1;
            offset
                .map(|offset| Appended { partition, offset })
                .ok_or_else(|| {
                    LogError::Storage(format!(
                        "appending to topic {topic}: partition {partition} acknowledged fewer records than were sent"
                    ))
                })
        })
        .collect()
}

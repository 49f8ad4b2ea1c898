//! What every task shares: its identity, control channel, status cell, converters, metrics and
//! the worker's services. The loops themselves are in `source_task` and `sink_task`.
//!
//! Control is a `watch` channel from the runtime: `Run`, `Pause` or `Stop`. A task reads it
//! between batches, never in the middle of one, so a batch is always finished (acknowledged and
//! its positions kept) before a pause or stop takes effect.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use formats::Converter;
use parking_lot::Mutex;
use schemas::{ConnectError, ErrorKind};
use tokio::sync::watch;

use super::status::{State, Status, StatusCell, StatusWriter};
use crate::config::WorkerConfig;
use crate::log::{Log, Subscription};
use crate::metrics::TaskMetrics;
use crate::plugins::Factory;
use crate::state::StateStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Run,
    Pause,
    Stop,
}

/// The worker's services, shared by the runtime and every task.
pub struct Shared {
    pub store: StateStore,
    pub log: Arc<dyn Log>,
    pub worker: Arc<WorkerConfig>,
    pub worker_id: String,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub statuses: StatusWriter,
    /// The open `HttpSource` endpoints (`POST /ingest/{connector}`).
    pub ingest: crate::ingest::Endpoints,
    /// What converters are built with: the embedded registry (in process).
    pub converters: formats::ConverterContext,
}

/// The topics a connector has used, shared by its tasks; new ones are also stored.
pub type TopicSet = Arc<Mutex<BTreeSet<String>>>;

pub struct TaskContext {
    pub connector: String,
    pub task: u32,
    pub shared: Arc<Shared>,
    pub status: StatusCell,
    pub control: watch::Receiver<Control>,
    /// The connector's config with config providers resolved.
    pub config: BTreeMap<String, String>,
    pub factory: Factory,
    pub key_converter: Arc<dyn Converter>,
    pub value_converter: Arc<dyn Converter>,
    pub metrics: TaskMetrics,
    pub topics: TopicSet,
    /// `errors.tolerance=all`: data errors skip the record instead of failing the task.
    pub tolerate_errors: bool,
    /// Sinks: what to consume.
    pub subscription: Option<Subscription>,
    /// Sinks: `errors.deadletterqueue.topic.name`, where skipped records go.
    pub dead_letter_topic: Option<String>,
}

impl TaskContext {
    pub fn set_status(&self, status: Status) {
        {
            let mut cell = self.status.lock();
            if *cell == status {
                return;
            }
            *cell = status.clone();
        }
        self.shared
            .statuses
            .put(&self.connector, Some(self.task), &status);
    }

    pub fn set_state(&self, state: State) {
        self.set_status(Status::new(state));
    }

    /// The control the runtime asks for now; Stop when the runtime is gone.
    pub fn wanted(&mut self) -> Control {
        if self.control.has_changed().is_err() {
            return Control::Stop;
        }
        *self.control.borrow_and_update()
    }

    /// Sleeps up to `d`, waking early when the control changes.
    pub async fn idle(&mut self, d: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = self.control.changed() => {}
        }
    }

    /// Waits until the control is no longer `current`.
    pub async fn wait_change(&mut self, current: Control) {
        while self.wanted() == current {
            if self.control.changed().await.is_err() {
                return;
            }
        }
    }

    /// Records a topic as used by this connector (stored the first time).
    pub async fn note_topic(&self, topic: &str) {
        let new = self.topics.lock().insert(topic.to_owned());
        if new && let Err(e) = self.shared.store.add_topic(&self.connector, topic).await {
            tracing::warn!(topic, error = %e, "could not record the connector's topic");
        }
    }

    /// Decides what a failed record does: skipped (Ok) under `errors.tolerance=all` for data
    /// and schema errors, else the task fails with the error.
    pub fn record_error(
        &self,
        error: ConnectError,
        what: impl FnOnce() -> String,
    ) -> Result<(), ConnectError> {
        self.metrics.errors.inc();
        if self.tolerate_errors && matches!(error.kind, ErrorKind::Data | ErrorKind::Schema) {
            tracing::warn!(record = %what(), error = %error, "skipping a record (errors.tolerance=all)");
            Ok(())
        } else {
            Err(error)
        }
    }
}

/// A log error as a connect error (retriable when the log says so).
pub fn log_error(context: &str, e: crate::log::LogError) -> ConnectError {
    let retriable = e.retriable();
    ConnectError::connection(format!("{context}: {e}")).with_retriable(retriable)
}

/// Backoff between retries of a retriable error: 100 ms doubling up to 5 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << attempt.min(6))).min(Duration::from_secs(5))
}

/// Where a dead-lettered record came from: a topic, and for records read from the log their
/// partition and offset (a pushed record has none yet).
pub struct Origin<'a> {
    pub topic: &'a str,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
}

/// Kafka Connect's `__connect.errors.*` headers for a record sent to the dead-letter queue:
/// where it came from, which connector and task, the stage that failed, the class that ran it
/// (`class`: the converter or connector class as configured) and why. One writer for sinks and
/// for pushes, so both dead-letter queues read the same.
pub fn push_error_headers(
    headers: &mut Vec<(String, Option<bytes::Bytes>)>,
    (connector, task): (&str, u32),
    origin: &Origin<'_>,
    (stage, class): (&str, &str),
    error: &ConnectError,
) {
    let mut add = |k: &str, v: String| {
        headers.push((format!("__connect.errors.{k}"), Some(bytes::Bytes::from(v))));
    };
    add("topic", origin.topic.to_owned());
    if let Some(p) = origin.partition {
        add("partition", p.to_string());
    }
    if let Some(o) = origin.offset {
        add("offset", o.to_string());
    }
    add("connector.name", connector.to_owned());
    add("task.id", task.to_string());
    add("stage", stage.to_owned());
    add("class.name", full_class_name(class));
    add("exception.class.name", exception_class(error).to_owned());
    add("exception.message", error.message.clone());
}

/// A converter's or connector's Kafka class name for a short name (`AvroConverter` ->
/// `io.confluent.connect.avro.AvroConverter`); other names as they are.
fn full_class_name(name: &str) -> String {
    let name = name.trim();
    formats::converter_classes()
        .iter()
        .find(|(short, full)| *short == name || *full == name)
        .map(|(_, full)| (*full).to_owned())
        .or_else(|| crate::plugins::find(name).map(|p| p.class.to_owned()))
        .unwrap_or_else(|| name.to_owned())
}

/// The Kafka Connect exception class a Connect runtime would have named for this error, so
/// that tools filtering dead letters on `__connect.errors.exception.class.name` work unchanged.
pub fn exception_class(error: &ConnectError) -> &'static str {
    match error.kind {
        ErrorKind::Data | ErrorKind::Schema => "org.apache.kafka.connect.errors.DataException",
        ErrorKind::Connection => "org.apache.kafka.connect.errors.RetriableException",
        ErrorKind::Config | ErrorKind::Io | ErrorKind::Internal => {
            "org.apache.kafka.connect.errors.ConnectException"
        }
    }
}

/// Runs a task's loop on its own tokio task. A panic (a bug, never bad input) must not leave
/// the task shown as RUNNING while nothing runs: it becomes FAILED with the panic's message, so
/// `GET /connectors/{name}/status` says so and a restart is the operator's call.
pub fn spawn_supervised(
    ctx: TaskContext,
    run: impl FnOnce(TaskContext) -> futures::future::BoxFuture<'static, ()>,
) -> tokio::task::JoinHandle<()> {
    use futures::FutureExt;
    let (shared, connector, task, status) = (
        ctx.shared.clone(),
        ctx.connector.clone(),
        ctx.task,
        ctx.status.clone(),
    );
    let body = run(ctx);
    tokio::spawn(async move {
        if let Err(panic) = std::panic::AssertUnwindSafe(body).catch_unwind().await {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            tracing::error!(connector, task, panic = %message, "task panicked");
            let failed = Status::failed(format!("the task panicked (a bug in Weir): {message}"));
            *status.lock() = failed.clone();
            shared.statuses.put(&connector, Some(task), &failed);
        }
    })
}

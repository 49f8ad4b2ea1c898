//! Prometheus metrics (`GET /metrics`), per connector and task.
//!
//! Tasks take their handles once at start ([`Metrics::task`]) and update atomics on the hot
//! path: no lock, no allocation per batch.

use parking_lot::Mutex;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TaskLabels {
    pub connector: String,
    pub task: String,
}

type HistogramFamily = Family<TaskLabels, Histogram, fn() -> Histogram>;

fn batch_histogram() -> Histogram {
    // 100 µs .. ~26 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 18))
}

pub struct Metrics {
    registry: Mutex<Registry>,
    records_read: Family<TaskLabels, Counter>,
    records_written: Family<TaskLabels, Counter>,
    record_errors: Family<TaskLabels, Counter>,
    batch_seconds: HistogramFamily,
    connectors: Gauge,
}

/// One task's handles.
#[derive(Clone)]
pub struct TaskMetrics {
    /// Source: records polled from the source. Sink: records consumed from the log.
    pub read: Counter,
    /// Source: records appended to the log. Sink: records handed to the sink.
    pub written: Counter,
    /// Records that failed (converted, skipped or failing the task).
    pub errors: Counter,
    /// Time to move one batch through the task, from poll to ack (source) or write (sink).
    pub batch_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("weir");
        let records_read = Family::<TaskLabels, Counter>::default();
        let records_written = Family::<TaskLabels, Counter>::default();
        let record_errors = Family::<TaskLabels, Counter>::default();
        let batch_seconds: HistogramFamily = Family::new_with_constructor(batch_histogram);
        let connectors = Gauge::default();
        registry.register(
            "task_records_read",
            "Records read by a task (source: polled; sink: consumed from the log)",
            records_read.clone(),
        );
        registry.register(
            "task_records_written",
            "Records written by a task (source: acknowledged by the log; sink: handed to the target)",
            records_written.clone(),
        );
        registry.register(
            "task_record_errors",
            "Records that failed in a task (skipped under errors.tolerance=all, or failing it)",
            record_errors.clone(),
        );
        registry.register(
            "task_batch_latency_seconds",
            "Time to move one batch through a task",
            batch_seconds.clone(),
        );
        registry.register(
            "connectors",
            "Connectors configured on this worker",
            connectors.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            records_read,
            records_written,
            record_errors,
            batch_seconds,
            connectors,
        }
    }

    pub fn task(&self, connector: &str, task: u32) -> TaskMetrics {
        let labels = TaskLabels {
            connector: connector.to_owned(),
            task: task.to_string(),
        };
        TaskMetrics {
            read: self.records_read.get_or_create(&labels).clone(),
            written: self.records_written.get_or_create(&labels).clone(),
            errors: self.record_errors.get_or_create(&labels).clone(),
            batch_seconds: self.batch_seconds.get_or_create(&labels).clone(),
        }
    }

    /// Forgets a deleted connector's series.
    pub fn remove_connector(&self, connector: &str, tasks: u32) {
        for task in 0..tasks {
            let labels = TaskLabels {
                connector: connector.to_owned(),
                task: task.to_string(),
            };
            self.records_read.remove(&labels);
            self.records_written.remove(&labels);
            self.record_errors.remove(&labels);
            self.batch_seconds.remove(&labels);
        }
    }

    pub fn set_connectors(&self, n: usize) {
        self.connectors.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail except on a formatter bug; an empty answer then.
        let _ = encode(&mut out, &self.registry.lock());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_connector_and_task_labels() {
        let m = Metrics::new();
        let t = m.task("src", 0);
        t.read.inc_by(3);
        t.written.inc_by(2);
        t.batch_seconds.observe(0.002);
        let text = m.render();
        assert!(
            text.contains(r#"weir_task_records_read_total{connector="src",task="0"} 3"#),
            "{text}"
        );
        assert!(text.contains(r#"weir_task_records_written_total{connector="src",task="0"} 2"#));
        assert!(text.contains("# TYPE weir_task_batch_latency_seconds histogram"));
        m.remove_connector("src", 1);
        assert!(!m.render().contains(r#"connector="src""#));
    }
}

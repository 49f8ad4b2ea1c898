//! The runtime over the real file source, state store and embedded log in a temp dir.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{Runtime, Shared};
use crate::config::WorkerConfig;
use crate::log::embedded::{EmbeddedLog, EmbeddedLogConfig};
use crate::log::{ConsumedRecord, Log, Subscription};
use crate::metrics::Metrics;
use crate::runtime::status::StatusWriter;
use crate::state::{StateStore, TargetState};

async fn runtime(dir: &std::path::Path) -> (Runtime, Arc<EmbeddedLog>) {
    runtime_with(
        dir,
        &[
            ("offset.flush.interval.ms", "50"),
            ("value.converter", "StringConverter"),
        ],
    )
    .await
}

/// A runtime on the embedded log in `dir`, with a worker of these properties (shared with the
/// ingest tests).
pub(crate) async fn runtime_with(
    dir: &std::path::Path,
    props: &[(&str, &str)],
) -> (Runtime, Arc<EmbeddedLog>) {
    let props = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let worker = WorkerConfig::from_properties(props).unwrap();
    let store = StateStore::open(dir).await.unwrap();
    let log = EmbeddedLog::open(EmbeddedLogConfig::new(dir.join("log")))
        .await
        .unwrap();
    let rt = Runtime::new(Shared {
        store: store.clone(),
        log: log.clone() as Arc<dyn Log>,
        worker: Arc::new(worker),
        worker_id: "test:0".into(),
        metrics: Arc::new(Metrics::new()),
        statuses: StatusWriter::spawn(store, "test:0".into()),
        ingest: Default::default(),
        converters: formats::ConverterContext::default(),
    });
    (rt, log)
}

/// Reads `topic` until `expected` records came, then a little longer so that a duplicate shows.
pub(crate) async fn read_all(log: &EmbeddedLog, topic: &str, expected: usize) -> Vec<ConsumedRecord> {
    let mut consumer = log
        .consumer("reader", Subscription::Topics(vec![topic.to_owned()]))
        .await
        .unwrap();
    let mut out = Vec::new();
    for _ in 0..100 {
        out.extend(consumer.poll(1000, Duration::from_millis(100)).await.unwrap());
        if out.len() >= expected {
            break;
        }
    }
    // Anything beyond what was expected (a duplicate) shows up here.
    out.extend(consumer.poll(1000, Duration::from_millis(200)).await.unwrap());
    out
}

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn a_stopped_source_stores_its_position_and_resumes_without_repeating() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a\nb\nc\n").unwrap();
    let (rt, log) = runtime(dir.path()).await;
    let file = input.display().to_string();
    let cfg = config(&[
        ("connector.class", "FileStreamSource"),
        ("file", &file),
        ("topic", "letters"),
    ]);
    rt.create("src", cfg, None).await.unwrap();
    let first = read_all(&log, "letters", 3).await;
    let values: Vec<_> = first.iter().map(|r| r.value.clone().unwrap()).collect();
    assert_eq!(values, vec!["a", "b", "c"]);

    rt.set_target("src", TargetState::Stopped).await.unwrap();
    assert_eq!(rt.status("src").unwrap()["connector"]["state"], "STOPPED");
    assert_eq!(rt.info("src").unwrap()["tasks"], json!([]));
    let offsets = rt.offsets("src").await.unwrap();
    assert_eq!(offsets["offsets"][0]["partition"]["filename"], json!(file));
    assert_eq!(offsets["offsets"][0]["offset"]["position"], json!(6));

    std::fs::write(&input, "a\nb\nc\nd\n").unwrap();
    rt.set_target("src", TargetState::Running).await.unwrap();
    let all = read_all(&log, "letters", 4).await;
    assert_eq!(all.len(), 4, "nothing was read twice");
    assert_eq!(all[3].value.as_deref(), Some(&b"d"[..]));
    assert_eq!(
        rt.topics("src").await.unwrap(),
        json!({"src": {"topics": ["letters"]}})
    );
    rt.shutdown().await;
}

#[tokio::test]
async fn a_missing_file_fails_the_task_with_a_readable_trace_and_restart_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("later.txt");
    let (rt, _log) = runtime(dir.path()).await;
    let file = input.display().to_string();
    rt.create(
        "src",
        config(&[
            ("connector.class", "FileStreamSource"),
            ("file", &file),
            ("topic", "t"),
        ]),
        None,
    )
    .await
    .unwrap();
    let mut status = json!(null);
    for _ in 0..100 {
        status = rt.status("src").unwrap();
        if status["tasks"][0]["state"] == "FAILED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status["tasks"][0]["state"], "FAILED", "{status}");
    assert_eq!(
        status["connector"]["state"], "RUNNING",
        "as in Kafka: the task fails, not the connector"
    );
    let trace = status["tasks"][0]["trace"].as_str().unwrap();
    assert!(trace.contains("later.txt"), "{trace}");

    std::fs::write(&input, "x\n").unwrap();
    rt.restart("src", true, true).await.unwrap();
    let mut state = json!(null);
    for _ in 0..100 {
        state = rt.status("src").unwrap()["tasks"][0]["state"].clone();
        if state == "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state, "RUNNING");
    rt.shutdown().await;
}

#[tokio::test]
async fn tolerated_bad_records_go_to_the_dead_letter_queue_and_are_committed_past() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "{\"ok\": 1}\nnot json\n{\"ok\": 2}\n").unwrap();
    let output = dir.path().join("out.txt");
    let (rt, log) = runtime(dir.path()).await;
    let (file_in, file_out) = (input.display().to_string(), output.display().to_string());
    rt.create(
        "src",
        config(&[
            ("connector.class", "FileStreamSource"),
            ("file", &file_in),
            ("topic", "mixed"),
        ]),
        None,
    )
    .await
    .unwrap();
    rt.create(
        "sink",
        config(&[
            ("connector.class", "FileStreamSink"),
            ("file", &file_out),
            ("topics", "mixed"),
            ("value.converter", "JsonConverter"),
            ("value.converter.schemas.enable", "false"),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", "dlq"),
        ]),
        None,
    )
    .await
    .unwrap();
    let dead = read_all(&log, "dlq", 1).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].value.as_deref(), Some(&b"not json"[..]));
    let header = |k: &str| {
        dead[0]
            .headers
            .iter()
            .find(|(name, _)| name == k)
            .and_then(|(_, v)| v.clone())
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    };
    assert_eq!(header("__connect.errors.topic").as_deref(), Some("mixed"));
    assert_eq!(header("__connect.errors.offset").as_deref(), Some("1"));
    assert_eq!(
        header("__connect.errors.stage").as_deref(),
        Some("VALUE_CONVERTER")
    );

    rt.set_target("sink", TargetState::Stopped).await.unwrap();
    let written = std::fs::read_to_string(&output).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}");
    let offsets = rt.offsets("sink").await.unwrap();
    assert_eq!(
        offsets["offsets"][0]["offset"]["kafka_offset"],
        json!(3),
        "{offsets}"
    );
    assert_eq!(rt.status("sink").unwrap()["connector"]["state"], "STOPPED");
    rt.shutdown().await;
}

#[tokio::test]
async fn a_task_that_panics_shows_failed_with_the_panic_message() {
    use super::status::State;
    use super::task::{Control, TaskContext, spawn_supervised};
    let dir = tempfile::tempdir().unwrap();
    let (rt, _log) = runtime(dir.path()).await;
    let (_control, rx) = tokio::sync::watch::channel(Control::Run);
    let plugin = crate::plugins::find("FileStreamSource").unwrap();
    let ctx = TaskContext {
        connector: "buggy".into(),
        task: 0,
        shared: rt.shared.clone(),
        status: Arc::new(parking_lot::Mutex::new(super::status::Status::new(
            State::Running,
        ))),
        control: rx,
        config: BTreeMap::new(),
        factory: plugin.factory,
        key_converter: Arc::new(formats::StringConverter::default()),
        value_converter: Arc::new(formats::StringConverter::default()),
        metrics: rt.shared.metrics.task("buggy", 0),
        topics: Default::default(),
        tolerate_errors: false,
        subscription: None,
        dead_letter_topic: None,
    };
    let status = ctx.status.clone();
    spawn_supervised(ctx, |_| {
        Box::pin(async { panic!("index out of bounds in a plugin") })
    })
    .await
    .unwrap();
    let shown = status.lock().clone();
    assert_eq!(shown.state, State::Failed);
    assert!(
        shown
            .trace
            .as_deref()
            .unwrap_or_default()
            .contains("index out of bounds in a plugin"),
        "{shown:?}"
    );
    rt.shared.statuses.flush().await;
    let stored = rt.shared.store.statuses("buggy").await.unwrap();
    assert!(
        stored.iter().any(|s| s.task == Some(0) && s.state == "FAILED"),
        "the FAILED status is stored: {stored:?}"
    );
}

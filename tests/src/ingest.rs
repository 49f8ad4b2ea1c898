//! Shared pieces of the HTTP ingestion tests (`POST /ingest/{connector}`, `POST /topics/{topic}`):
//! one scenario is one function taking a [`Backend`], run on the embedded log and on a real
//! Kafka-protocol broker (tansu) by two `#[test]`s ([`crate::on_both_logs!`]).
//!
//! What was written is checked exactly, never by waiting a while and recounting:
//! [`Run::records_in`] asks the worker for the topic's end offsets (`GET
//! /topics/{topic}/partitions/{p}/offsets`, exact on both logs), and [`Run::stop_and_read`]
//! reads every record of a topic up to its end offsets, so a record written by mistake is seen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gateway::log::{
    ConsumedRecord, EmbeddedLog, EmbeddedLogConfig, KafkaConfig, KafkaLog, Log, Subscription,
};

use crate::{Kafka, Value, Weir, WeirConfig, json, temp_dir};

/// The log a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded log under `data.dir` (the default).
    Embedded,
    /// A tansu broker the worker reaches through `bootstrap.servers`.
    Kafka,
}

/// Two `#[test]`s, `embedded` and `kafka`, in a module named after the scenario, each calling
/// `scenario(Backend::...)`: `on_both_logs!(my_scenario);` next to `fn my_scenario(backend:
/// Backend)`. Filter with `my_scenario::kafka`, or `kafka` for every Kafka twin.
#[macro_export]
macro_rules! on_both_logs {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[test]
            fn embedded() {
                super::$scenario($crate::ingest::Backend::Embedded);
            }
            #[test]
            fn kafka() {
                super::$scenario($crate::ingest::Backend::Kafka);
            }
        }
    )+};
}

/// A worker on one backend (and its broker, for Kafka), in a temporary directory. Everything
/// is killed and removed when it drops.
pub struct Run {
    pub backend: Backend,
    weir: Option<Weir>,
    config: WeirConfig,
    // Dropped after the worker: the fields drop in order.
    kafka: Option<Kafka>,
    dir: tempfile::TempDir,
}

impl Run {
    /// Starts a broker when `backend` is Kafka, then a worker on it with `worker` as extra
    /// worker.properties lines.
    pub fn start(backend: Backend, worker: &str) -> Run {
        let dir = temp_dir();
        let kafka = (backend == Backend::Kafka).then(Kafka::start);
        let mut config = WeirConfig::new(dir.path());
        config.worker = worker_config(kafka.as_ref());
        config.worker.push_str(worker);
        let weir = Weir::start(&config);
        Run {
            backend,
            weir: Some(weir),
            config,
            kafka,
            dir,
        }
    }

    /// The running worker.
    pub fn weir(&self) -> &Weir {
        self.weir.as_ref().expect("the worker is running")
    }

    /// The test's directory (files for sinks go here).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A file under the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Kills the broker (on Kafka): the worker keeps running without its log.
    pub fn kill_broker(&mut self) {
        self.kafka = None;
    }

    /// `bootstrap.servers` of the broker, on Kafka.
    pub fn bootstrap(&self) -> Option<String> {
        self.kafka.as_ref().map(Kafka::bootstrap)
    }

    /// Stops the worker (SIGTERM) and starts it again on the same data and broker.
    pub fn restart(&mut self) {
        if let Some(weir) = self.weir.take() {
            weir.terminate();
        }
        self.weir = Some(Weir::start(&self.config));
    }

    /// The end offset of each partition of `topic` as the worker's REST Proxy answers it
    /// (`GET /topics/{topic}/partitions/{p}/offsets`); empty when the topic does not exist.
    pub fn end_offsets(&self, topic: &str) -> Vec<i64> {
        let weir = self.weir();
        let (status, partitions) = weir.get(&format!("/topics/{topic}/partitions"));
        if status == 404 && partitions["error_code"] == 40401 {
            return Vec::new();
        }
        assert_eq!(status, 200, "partitions of {topic}: {partitions}");
        partitions
            .as_array()
            .expect("a partition list")
            .iter()
            .map(|p| {
                let p = &p["partition"];
                let (status, offsets) = weir.get(&format!("/topics/{topic}/partitions/{p}/offsets"));
                assert_eq!(status, 200, "offsets of {topic}-{p}: {offsets}");
                offsets["end_offset"].as_i64().expect("end_offset")
            })
            .collect()
    }

    /// How many records `topic` holds (0 when it does not exist), exactly.
    pub fn records_in(&self, topic: &str) -> i64 {
        self.end_offsets(topic).iter().sum()
    }

    /// Stops the worker (SIGTERM: everything in flight finishes) and returns every record of
    /// each topic, sorted by partition and offset. The embedded log can only be opened once the
    /// worker has released it; on Kafka the worker is stopped too, so nothing more is written
    /// while the topics are read.
    pub fn stop_and_read(&mut self, topics: &[&str]) -> Vec<Vec<ConsumedRecord>> {
        if let Some(weir) = self.weir.take() {
            weir.terminate();
        }
        block_on(async {
            let log = self.open_log().await;
            let mut all = Vec::new();
            for topic in topics {
                all.push(read_whole_topic(&*log, topic).await);
            }
            log.close().await;
            all
        })
    }

    async fn open_log(&self) -> Arc<dyn Log> {
        match &self.kafka {
            Some(kafka) => connect_kafka(&kafka.bootstrap()).await,
            None => open_embedded(self.dir.path()).await,
        }
    }
}

/// worker.properties lines that put a worker on `kafka` (nothing for the embedded log).
pub fn worker_config(kafka: Option<&Kafka>) -> String {
    kafka.map_or_else(String::new, |k| format!("bootstrap.servers={}\n", k.bootstrap()))
}

/// A client of the broker at `bootstrap`, as the worker's own log.
pub async fn connect_kafka(bootstrap: &str) -> Arc<dyn Log> {
    KafkaLog::connect(KafkaConfig::new(bootstrap))
        .await
        .expect("connect to the broker")
}

/// Opens the embedded log of a worker started in `dir` (which must have stopped: the log is
/// locked while a worker holds it).
pub async fn open_embedded(dir: &Path) -> Arc<dyn Log> {
    let config = EmbeddedLogConfig::new(dir.join("data").join("log"));
    EmbeddedLog::open(config).await.expect("open the embedded log")
}

/// Every record of `topic`, up to the end offsets the log reports when the read starts, sorted
/// by partition and offset; empty when the topic does not exist. Panics when the records up to
/// the end offsets do not all arrive within 60 s.
pub async fn read_whole_topic(log: &dyn Log, topic: &str) -> Vec<ConsumedRecord> {
    let Some(partitions) = log.partitions(topic).await.expect("partitions") else {
        return Vec::new();
    };
    let mut ends = BTreeMap::new();
    for p in &partitions {
        let (_, end) = log
            .partition_offsets(topic, p.partition)
            .await
            .expect("partition offsets");
        ends.insert(p.partition, end);
    }
    let mut out: Vec<ConsumedRecord> = Vec::new();
    let done = |out: &[ConsumedRecord]| {
        ends.iter()
            .all(|(p, end)| *end == 0 || out.iter().any(|r| r.partition == *p && r.offset + 1 >= *end))
    };
    if !done(&out) {
        let group = format!("whole-topic-reader-{topic}");
        let mut consumer = log
            .consumer(&group, Subscription::Topics(vec![topic.to_owned()]))
            .await
            .expect("a consumer");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(&out) {
            assert!(
                Instant::now() < deadline,
                "{topic}: {} records read in 60 s, end offsets {ends:?}",
                out.len()
            );
            out.extend(
                consumer
                    .poll(500, Duration::from_millis(500))
                    .await
                    .expect("poll"),
            );
        }
        consumer.close().await;
    }
    out.sort_by_key(|r| (r.partition, r.offset));
    out
}

/// Runs a future to completion on a fresh runtime.
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new()
        .expect("a tokio runtime")
        .block_on(f)
}

/// A FileStreamSink copying `topic` into `file`, keys as text, values through `converter`.
pub fn sink(weir: &Weir, name: &str, topic: &str, file: &Path, converter: &str) {
    weir.create(
        name,
        json!({"connector.class": "FileStreamSink", "topics": topic, "file": file.display().to_string(),
               "key.converter": "StringConverter", "value.converter": converter}),
    );
}

/// An HttpSource with `config` (topic, schema, converters...), waited for until RUNNING.
pub fn source(weir: &Weir, name: &str, config: Value) {
    let mut full = json!({"connector.class": "HttpSource"});
    for (k, v) in config.as_object().expect("a config object") {
        full[k] = v.clone();
    }
    weir.create(name, full);
    weir.wait_state(name, "RUNNING");
}

/// An HttpSource writing Avro (AvroConverter) to `topic`, with `extra` config.
pub fn avro_source(weir: &Weir, name: &str, topic: &str, extra: Value) {
    let mut config = json!({"topic": topic, "value.converter": "AvroConverter"});
    for (k, v) in extra.as_object().expect("a config object") {
        config[k] = v.clone();
    }
    source(weir, name, config);
}

/// `POST /ingest/{connector}` with a body of `content_type`.
pub fn push_as(weir: &Weir, connector: &str, body: &str, content_type: &str) -> (u16, Value) {
    weir.call_with("POST", &format!("/ingest/{connector}"), Some(body), content_type)
}

/// `POST /ingest/{connector}` with a JSON body.
pub fn push(weir: &Weir, connector: &str, body: &str) -> (u16, Value) {
    push_as(weir, connector, body, "application/json")
}

/// `POST /topics/{topic}` (the REST Proxy v2 produce call) with an embedded-format content type.
pub fn produce(weir: &Weir, topic: &str, content_type: &str, body: &Value) -> (u16, Value) {
    weir.call_with(
        "POST",
        &format!("/topics/{topic}"),
        Some(&body.to_string()),
        content_type,
    )
}

/// The message of error `i` of a refused push ("" when there is none).
pub fn message(body: &Value, i: usize) -> String {
    body["errors"][i]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Lines of JSON text, parsed.
pub fn lines_as_json(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// The top-level field names of an Avro subject's `version`.
pub fn avro_fields(weir: &Weir, subject: &str, version: &str) -> Vec<String> {
    let (status, body) = weir.get(&format!("/subjects/{subject}/versions/{version}"));
    assert_eq!(status, 200, "{body}");
    let text = body["schema"].as_str().expect("a schema string");
    let schema: Value = serde_json::from_str(text).expect("an Avro schema in JSON");
    schema["fields"]
        .as_array()
        .expect("a record's fields")
        .iter()
        .map(|f| f["name"].as_str().expect("a field name").to_owned())
        .collect()
}

/// The versions of a registry subject (`[]` when it does not exist).
pub fn versions(weir: &Weir, subject: &str) -> Value {
    let (status, body) = weir.get(&format!("/subjects/{subject}/versions"));
    match status {
        200 => body,
        404 => json!([]),
        _ => panic!("versions of {subject}: {status} {body}"),
    }
}

/// The value of a record as UTF-8 text (for JSON and dead-letter records).
pub fn value_text(r: &ConsumedRecord) -> String {
    String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned()
}

/// The key of a record as UTF-8 text.
pub fn key_text(r: &ConsumedRecord) -> Option<String> {
    r.key.as_ref().map(|k| String::from_utf8_lossy(k).into_owned())
}

/// The schema id a Confluent-framed value carries (magic byte 0, then the id).
pub fn schema_id(bytes: &[u8]) -> i32 {
    assert_eq!(bytes.first(), Some(&0), "Confluent framing: {bytes:?}");
    i32::from_be_bytes(bytes[1..5].try_into().expect("4 bytes of schema id"))
}

/// The value of header `name`, as text.
pub fn header(r: &ConsumedRecord, name: &str) -> Option<String> {
    r.headers
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_ref())
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Calls as a REST Proxy v2 client makes them.
pub mod proxy {
    use super::{block_on, open_embedded, read_whole_topic};
    use crate::{Value, Weir};
    use gateway::log::ConsumedRecord;

    /// The content types a proxy client sends.
    pub const V2: &str = "application/vnd.kafka.v2+json";
    pub const BINARY: &str = "application/vnd.kafka.binary.v2+json";
    pub const AVRO: &str = "application/vnd.kafka.avro.v2+json";
    pub const JSONSCHEMA: &str = "application/vnd.kafka.jsonschema.v2+json";

    /// Stops the worker, then every record of `topic` in its embedded log, read to the end (so a
    /// record written by mistake is seen).
    pub fn embedded_records(weir: Weir, topic: &str) -> Vec<ConsumedRecord> {
        let dir = weir.dir.clone();
        weir.terminate();
        block_on(async {
            let log = open_embedded(&dir).await;
            read_whole_topic(&*log, topic).await
        })
    }

    /// A POST as a proxy client sends it: status, the answer's Content-Type, the JSON body.
    pub fn send(weir: &Weir, path: &str, content_type: Option<&str>, body: &str) -> (u16, String, Value) {
        let client = reqwest::blocking::Client::new();
        let mut req = client
            .post(format!("{}{path}", weir.url))
            .header("Accept", "application/vnd.kafka.v2+json")
            .body(body.to_owned());
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        let resp = req.send().expect("a proxy answer");
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().expect("a proxy answer").to_owned())
            .unwrap_or_default();
        let text = resp.text().expect("a proxy answer");
        (
            status,
            ct,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

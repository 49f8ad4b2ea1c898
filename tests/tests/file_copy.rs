//! Copying files through a topic: tailing, structured formats and converters, observed where a
//! user would look: in the output file.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use tests::{Value, Weir, WeirConfig, json, temp_dir, wait_lines};

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.sync_all().unwrap();
}

#[test]
fn the_seed_curl_calls_copy_a_file_and_keep_tailing_it() {
    let dir = temp_dir();
    let input = dir.path().join("input.txt");
    let output = dir.path().join("output.txt");
    std::fs::write(&input, "hello\nworld\n").unwrap();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    // Verbatim shape of Kafka's quickstart curl calls.
    let (status, body) = weir.call(
        "POST",
        "/connectors",
        Some(&format!(
            r#"{{"name": "file-source", "config": {{"connector.class": "FileStreamSource", "file": "{}", "topic": "file-topic"}}}}"#,
            input.display()
        )),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = weir.call(
        "POST",
        "/connectors",
        Some(&format!(
            r#"{{"name": "file-sink", "config": {{"connector.class": "FileStreamSink", "file": "{}", "topics": "file-topic"}}}}"#,
            output.display()
        )),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        wait_lines(&output, 2, Duration::from_secs(20)),
        vec!["hello", "world"]
    );

    // Lines appended later are picked up; a line without its newline waits for it.
    append(&input, "later\npart");
    assert_eq!(
        wait_lines(&output, 3, Duration::from_secs(20)),
        vec!["hello", "world", "later"]
    );
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        tests::read_lines(&output).len(),
        3,
        "an unterminated line is not emitted yet"
    );
    append(&input, "ial\n");
    assert_eq!(
        wait_lines(&output, 4, Duration::from_secs(20)),
        vec!["hello", "world", "later", "partial"]
    );
}

#[test]
fn kafka_class_names_and_topics_regex_work() {
    let dir = temp_dir();
    let input_a = dir.path().join("a.txt");
    let input_b = dir.path().join("b.txt");
    std::fs::write(&input_a, "from-a\n").unwrap();
    std::fs::write(&input_b, "from-b\n").unwrap();
    let output = dir.path().join("out.txt");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    for (name, input, topic) in [("a", &input_a, "logs.a"), ("b", &input_b, "logs.b")] {
        weir.create(
            name,
            json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                   "file": input.display().to_string(), "topic": topic}),
        );
    }
    weir.create(
        "regex-sink",
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
               "file": output.display().to_string(), "topics.regex": "logs\\..*"}),
    );
    let mut lines = wait_lines(&output, 2, Duration::from_secs(20));
    lines.sort();
    assert_eq!(lines, vec!["from-a", "from-b"]);
}

fn copy_structured(file_format: &str, content: &str, expected_records: usize) -> Vec<Value> {
    let dir = temp_dir();
    let input = dir.path().join(format!("input.{file_format}"));
    std::fs::write(&input, content).unwrap();
    let output = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create(
        "src",
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
               "topic": "customers", "file.format": file_format}),
    );
    weir.create("sink", json!({"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": "customers"}));
    wait_lines(&output, expected_records, Duration::from_secs(20))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("sink line {l:?} is not JSON: {e}")))
        .collect()
}

#[test]
fn json_files_like_the_customer_sample_become_structured_records() {
    let sample = r#"[
  {"customer_id": 1, "name": "Alice Smith", "phone": "(555) 123-4567", "spending": 1200},
  {"customer_id": 2, "name": "Bob Johnson", "phone": "555-987-6543", "spending": 500}
]"#;
    let records = copy_structured("json", sample, 2);
    assert_eq!(
        records[0],
        json!({"customer_id": 1, "name": "Alice Smith", "phone": "(555) 123-4567", "spending": 1200})
    );
    assert_eq!(records[1]["name"], "Bob Johnson");

    let stream = "{\"id\": 1, \"tags\": [\"a\"]}\n{\"id\": 2, \"tags\": []}";
    let records = copy_structured("json", stream, 2);
    assert_eq!(records[0], json!({"id": 1, "tags": ["a"]}));
    assert_eq!(records[1]["id"], 2);
}

#[test]
fn jsonl_and_csv_files_become_structured_records() {
    let records = copy_structured("jsonl", "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n", 2);
    assert_eq!(
        records,
        vec![json!({"a": 1, "b": "x"}), json!({"a": 2, "b": "y"})]
    );

    let records = copy_structured("csv", "id,name,city\n1,Ann,Oslo\n2,Bo,\"Bergen, Norway\"\n", 2);
    assert_eq!(records[0]["name"], "Ann");
    assert_eq!(records[1]["city"], "Bergen, Norway");
    assert!(
        records[0]["id"] == json!(1) || records[0]["id"] == json!("1"),
        "{}",
        records[0]
    );
}

#[test]
fn converters_are_chosen_per_connector_with_kafka_connects_keys() {
    let dir = temp_dir();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\": 7, \"name\": \"Ann\"}\n").unwrap();
    let enveloped = dir.path().join("enveloped.txt");
    let plain = dir.path().join("plain.txt");
    let mut config = WeirConfig::new(dir.path());
    // Worker default: JsonConverter with schemas (Kafka Connect's default).
    config.worker =
        "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=true\n"
            .into();
    let weir = Weir::start(&config);
    weir.create(
        "with-schema",
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
        "topic": "enveloped", "file.format": "jsonl"}),
    );
    weir.create(
        "without-schema",
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
        "topic": "plain", "file.format": "jsonl",
        "value.converter": "JsonConverter", "value.converter.schemas.enable": "false"}),
    );
    // Sinks that read the raw bytes as strings show exactly what the topic holds.
    for (name, topic, output) in [
        ("raw-enveloped", "enveloped", &enveloped),
        ("raw-plain", "plain", &plain),
    ] {
        weir.create(
            name,
            json!({"connector.class": "FileStreamSink", "file": output.display().to_string(),
            "topics": topic, "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
        );
    }
    let line = &wait_lines(&enveloped, 1, Duration::from_secs(20))[0];
    let envelope: Value = serde_json::from_str(line).unwrap();
    assert_eq!(envelope["payload"], json!({"id": 7, "name": "Ann"}), "{envelope}");
    assert_eq!(envelope["schema"]["type"], "struct", "{envelope}");
    let fields: Vec<&str> = envelope["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["id", "name"]);

    let line = &wait_lines(&plain, 1, Duration::from_secs(20))[0];
    assert_eq!(
        serde_json::from_str::<Value>(line).unwrap(),
        json!({"id": 7, "name": "Ann"})
    );
}

#[test]
fn a_sink_reading_bytes_that_are_not_json_fails_with_a_readable_trace() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "this is not json\n").unwrap();
    let output = dir.path().join("out.txt");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create(
        "text-src",
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
        "topic": "text", "value.converter": "StringConverter"}),
    );
    weir.create(
        "json-sink",
        json!({"connector.class": "FileStreamSink", "file": output.display().to_string(),
        "topics": "text", "value.converter": "JsonConverter"}),
    );
    let mut status = Value::Null;
    let failed = tests::wait_until(Duration::from_secs(20), || {
        status = weir.get("/connectors/json-sink/status").1;
        status["tasks"][0]["state"] == "FAILED"
    });
    assert!(failed, "{status}");
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(trace.contains("text"), "the trace names the topic: {trace}");
    assert!(
        trace.to_lowercase().contains("json"),
        "the trace says the JSON is bad: {trace}"
    );
}

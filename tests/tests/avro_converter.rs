//! AvroConverter in a running worker: records go through the embedded log as Confluent Avro,
//! their schema lands in the embedded registry, an incompatible change fails the task naming
//! the subject, and a sink reading plain JSON with AvroConverter fails precisely while the
//! other connectors keep running.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::time::Duration;

use tests::{Value, Weir, WeirConfig, json, temp_dir, wait_lines, wait_until};

const AVRO: &str = "io.confluent.connect.avro.AvroConverter";

fn parsed(lines: &[String]) -> Vec<Value> {
    lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Waits until a task of `name` is FAILED and answers its trace.
fn failed_trace(weir: &Weir, name: &str) -> String {
    let mut last = Value::Null;
    let failed = wait_until(Duration::from_secs(20), || {
        let (_, body) = weir.get(&format!("/connectors/{name}/status"));
        last = body.clone();
        body["tasks"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["state"] == "FAILED"))
    });
    assert!(
        failed,
        "{name} has no FAILED task; last status: {last}\nlogs:\n{}",
        weir.logs()
    );
    last["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["state"] == "FAILED")
        .unwrap()["trace"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn avro_through_the_embedded_log_and_registry() {
    let dir = temp_dir();
    let input = dir.path().join("customers.jsonl");
    let output = dir.path().join("out.jsonl");
    let lines = [
        r#"{"id":1,"name":"Ann","tags":["a","b"],"score":1.5,"vip":true}"#,
        r#"{"id":2,"name":"Bo","tags":[],"score":-2.25,"vip":false}"#,
        r#"{"id":3,"name":null,"tags":["c"],"score":0.5,"vip":true}"#,
    ];
    std::fs::write(&input, format!("{}\n", lines.join("\n"))).unwrap();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create(
        "customers-in",
        json!({"connector.class": "FileStreamSource", "file": input, "file.format": "jsonl",
               "topic": "customers", "value.converter": AVRO}),
    );
    weir.create(
        "customers-out",
        json!({"connector.class": "FileStreamSink", "file": output, "topics": "customers",
               "value.converter": "AvroConverter"}),
    );
    let out = wait_lines(&output, 3, Duration::from_secs(30));
    let expected: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    assert_eq!(parsed(&out), parsed(&expected));

    // The subject is in the embedded registry, visible over the registry API.
    let (status, subjects) = weir.get("/subjects");
    assert_eq!(status, 200);
    assert!(
        subjects.as_array().unwrap().contains(&json!("customers-value")),
        "{subjects}"
    );
    let (_, latest) = weir.get("/subjects/customers-value/versions/latest");
    let schema: Value = serde_json::from_str(latest["schema"].as_str().unwrap()).unwrap();
    assert_eq!(schema[0], "null", "inferred schemas are optional: {schema}");
    assert_eq!(schema[1]["type"], "record");

    // A record whose id changes type is refused by the subject's BACKWARD level: the source
    // task fails naming the subject; nothing of it reaches the output.
    append(
        &input,
        "{\"id\":\"four\",\"name\":\"Cy\",\"tags\":[],\"score\":1.0,\"vip\":false}\n",
    );
    let trace = failed_trace(&weir, "customers-in");
    assert!(trace.contains("customers-value"), "{trace}");
    assert!(trace.to_lowercase().contains("incompatible"), "{trace}");
    assert_eq!(weir.connector_state("customers-out").as_deref(), Some("RUNNING"));
    assert_eq!(tests::read_lines(&output).len(), 3);
}

#[test]
fn plain_json_read_with_avro_fails_that_sink_only() {
    let dir = temp_dir();
    let input = dir.path().join("plain.jsonl");
    let json_out = dir.path().join("json.jsonl");
    let avro_out = dir.path().join("avro.jsonl");
    std::fs::write(&input, "{\"id\":1}\n{\"id\":2}\n").unwrap();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create(
        "plain-in",
        json!({"connector.class": "FileStreamSource", "file": input, "file.format": "jsonl",
               "topic": "plain", "value.converter": "JsonConverter",
               "value.converter.schemas.enable": "false"}),
    );
    weir.create(
        "avro-reader",
        json!({"connector.class": "FileStreamSink", "file": avro_out, "topics": "plain",
               "value.converter": AVRO}),
    );
    weir.create(
        "json-reader",
        json!({"connector.class": "FileStreamSink", "file": json_out, "topics": "plain",
               "value.converter": "JsonConverter", "value.converter.schemas.enable": "false"}),
    );
    let trace = failed_trace(&weir, "avro-reader");
    assert!(
        trace.contains("the payload is plain JSON, not the Confluent wire format (magic byte 0)"),
        "{trace}"
    );
    assert!(trace.contains("plain"), "{trace}");
    assert_eq!(wait_lines(&json_out, 2, Duration::from_secs(20)).len(), 2);
    weir.wait_state("json-reader", "RUNNING");
    weir.wait_state("plain-in", "RUNNING");
    assert!(tests::read_lines(&avro_out).is_empty());
}

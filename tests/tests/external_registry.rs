//! `schema.registry.url`: a worker whose converters use an external Confluent-compatible
//! registry over HTTP. The external registry here is another Weir worker's (a real HTTP
//! registry, not a stub): the schema must land there, not in the converting worker's own.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use tests::{Value, Weir, WeirConfig, json, temp_dir, wait_lines};

#[test]
fn converters_register_and_read_through_an_external_registry() {
    let registry_dir = temp_dir();
    let registry = Weir::start(&WeirConfig::new(registry_dir.path()));

    let dir = temp_dir();
    let input = dir.path().join("in.jsonl");
    let output = dir.path().join("out.jsonl");
    let lines = [r#"{"id":1,"name":"Ann"}"#, r#"{"id":2,"name":"Bo"}"#];
    std::fs::write(&input, format!("{}\n", lines.join("\n"))).unwrap();
    let mut config = WeirConfig::new(dir.path());
    config.worker = format!("schema.registry.url={}\n", registry.url);
    let worker = Weir::start(&config);
    worker.create(
        "orders-in",
        json!({"connector.class": "FileStreamSource", "file": input, "file.format": "jsonl",
               "topic": "orders", "value.converter": "AvroConverter"}),
    );
    worker.create(
        "orders-out",
        json!({"connector.class": "FileStreamSink", "file": output, "topics": "orders",
               "value.converter": "AvroConverter"}),
    );
    let out = wait_lines(&output, 2, Duration::from_secs(30));
    let got: Vec<Value> = out.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let want: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(got, want, "worker logs:\n{}", worker.logs());

    // The schema went to the external registry, and the worker's own registry stayed empty.
    let (status, subjects) = registry.get("/subjects");
    assert_eq!(status, 200);
    assert_eq!(subjects, json!(["orders-value"]));
    let (_, latest) = registry.get("/subjects/orders-value/versions/latest");
    // An Avro record (Weir's AvroData makes an optional value a union with null, as Confluent's does).
    let schema = latest["schema"].as_str().unwrap_or_default();
    assert!(
        schema.contains(r#""type":"record""#),
        "registered schema: {latest}"
    );
    let (_, own) = worker.get("/subjects");
    assert_eq!(own, json!([]));
}

#[test]
fn an_unreachable_external_registry_fails_the_task_naming_it() {
    let dir = temp_dir();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\":1}\n").unwrap();
    let mut config = WeirConfig::new(dir.path());
    // Port 9 (discard) on loopback: nothing listens there.
    config.worker = "schema.registry.url=http://127.0.0.1:9\n".to_owned();
    let worker = Weir::start(&config);
    worker.create(
        "orders-in",
        json!({"connector.class": "FileStreamSource", "file": input, "file.format": "jsonl",
               "topic": "orders", "value.converter": "AvroConverter"}),
    );
    let mut last = Value::Null;
    let named = tests::wait_until(Duration::from_secs(60), || {
        let (_, body) = worker.get("/connectors/orders-in/status");
        last = body.clone();
        body.to_string().contains("127.0.0.1:9")
    });
    assert!(
        named,
        "no status names the registry; last status: {last}\nlogs:\n{}",
        worker.logs()
    );
}

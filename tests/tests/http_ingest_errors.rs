//! HttpSource pushes where something is off: numbers a float would change, schemas the
//! registry refuses, a registry that is gone, pushes racing to widen the schema, records too
//! large for Kafka. Each asserts what a user sees: the answer, and exactly what reached the
//! topics (the partition's end offset, which is exact on both logs).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use tests::{Value, Weir, WeirConfig, json, temp_dir, wait_lines};

fn push(weir: &Weir, connector: &str, body: &str) -> (u16, Value) {
    weir.call_with(
        "POST",
        &format!("/ingest/{connector}"),
        Some(body),
        "application/json",
    )
}

/// Records in partition 0 of `topic` (0 for a topic that does not exist).
fn end_offset(weir: &Weir, topic: &str) -> i64 {
    match weir.get(&format!("/topics/{topic}/partitions/0/offsets")) {
        (200, body) => body["end_offset"].as_i64().unwrap(),
        (404, _) => 0,
        (status, body) => panic!("offsets of {topic}: {status} {body}"),
    }
}

fn source(weir: &Weir, name: &str, topic: &str, extra: Value) {
    let mut config = json!({"connector.class": "HttpSource", "topic": topic, "value.schema.infer": "true",
                            "value.converter": "AvroConverter"});
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    weir.create(name, config);
    weir.wait_state(name, "RUNNING");
}

fn latest_fields(weir: &Weir, subject: &str) -> Vec<String> {
    let (status, latest) = weir.get(&format!("/subjects/{subject}/versions/latest"));
    assert_eq!(status, 200, "{latest}");
    let schema: Value = serde_json::from_str(latest["schema"].as_str().unwrap()).unwrap();
    schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn numbers_are_never_silently_changed() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    source(&weir, "in", "nums", json!({}));
    weir.create(
        "out",
        json!({"connector.class": "FileStreamSink", "topics": "nums", "file": out.display().to_string(),
               "value.converter": "AvroConverter"}),
    );

    assert_eq!(
        push(&weir, "in", r#"[{"id": 1, "n": 2}]"#),
        (200, json!({"accepted": 1}))
    );
    // A float would round this to 1: refused, naming the field.
    let (status, body) = push(&weir, "in", r#"[{"id": 2, "n": 1.0000000000000001}]"#);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("field n"),
        "{body}"
    );
    // Whole numbers written as floats are those numbers (the shortcut and the full path).
    assert_eq!(
        push(&weir, "in", r#"[{"id": 3, "n": 3.0}, {"id": 4, "n": 1e2}]"#),
        (200, json!({"accepted": 2}))
    );
    // An integer beyond int64 is refused, not rounded into a double.
    let (status, body) = push(&weir, "in", r#"[{"id": 5, "big": 18446744073709551615}]"#);
    assert_eq!(status, 400, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("big") && message.contains("18446744073709551615"),
        "{body}"
    );
    assert!(!latest_fields(&weir, "nums-value").contains(&"big".to_owned()));

    let lines = wait_lines(&out, 3, Duration::from_secs(20));
    let n: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["n"].clone())
        .collect();
    assert_eq!(n, [json!(2), json!(3), json!(100)]);
    assert_eq!(end_offset(&weir, "nums"), 3);
}

#[test]
fn a_nested_struct_added_before_another_is_a_compatible_widening() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    source(&weir, "in", "nested", json!({}));
    assert_eq!(
        push(&weir, "in", r#"[{"a": {"x": 1}, "c": {"y": 2}}]"#),
        (200, json!({"accepted": 1}))
    );
    // A struct inside `a` must not rename the struct of `c` (the registry would refuse that).
    assert_eq!(
        push(&weir, "in", r#"[{"a": {"x": 1, "b": {"z": 1}}, "c": {"y": 2}}]"#),
        (200, json!({"accepted": 1}))
    );
    assert_eq!(weir.get("/subjects/nested-value/versions").1, json!([1, 2]));
    assert_eq!(end_offset(&weir, "nested"), 2);
}

#[test]
fn pushes_racing_to_add_fields_end_in_one_schema_that_has_them_all() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    source(&weir, "in", "race", json!({"http.max.inflight.requests": "16"}));
    assert_eq!(push(&weir, "in", r#"[{"id": 0}]"#), (200, json!({"accepted": 1})));
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let weir = &weir;
                s.spawn(move || push(weir, "in", &format!(r#"[{{"id": {i}, "f{i}": {{"v": {i}}}}}]"#)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for answer in &answers {
        assert_eq!(answer, &(200, json!({"accepted": 1})));
    }
    let fields = latest_fields(&weir, "race-value");
    for i in 0..8 {
        assert!(fields.contains(&format!("f{i}")), "f{i} missing from {fields:?}");
    }
    // A record with every new field fits the schema as it now is.
    let all: serde_json::Map<String, Value> = (0..8)
        .map(|i| (format!("f{i}"), json!({"v": i})))
        .chain([("id".to_owned(), json!(9))])
        .collect();
    let (status, body) = push(&weir, "in", &json!([all]).to_string());
    assert_eq!((status, body), (200, json!({"accepted": 1})));
    assert_eq!(end_offset(&weir, "race"), 10);
}

#[test]
fn a_widened_schema_the_registry_refuses_refuses_only_the_records_that_need_it() {
    // JsonSchemaConverter's derived schemas have an open content model, so the default BACKWARD
    // level refuses any new property (docs/ingest.md).
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    source(
        &weir,
        "in",
        "js",
        json!({"value.converter": "JsonSchemaConverter", "errors.tolerance": "all",
               "errors.deadletterqueue.topic.name": "js-dlq"}),
    );
    assert_eq!(
        push(&weir, "in", r#"[{"id": 1}]"#),
        (200, json!({"accepted": 1, "rejected": 0, "errors": []}))
    );
    let (status, body) = push(&weir, "in", r#"[{"id": 2}, {"id": 3, "extra": "x"}]"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["accepted"].clone(), body["rejected"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(body["errors"][0]["index"], 1);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("extra") && message.contains("refused"), "{body}");
    assert_eq!(end_offset(&weir, "js"), 2);
    assert_eq!(end_offset(&weir, "js-dlq"), 1);
    assert_eq!(weir.get("/subjects/js-value/versions").1, json!([1]));
}

#[test]
fn a_registry_that_cannot_be_reached_answers_503_and_writes_nothing_anywhere() {
    let registry_dir = temp_dir();
    let registry = Weir::start(&WeirConfig::new(registry_dir.path()));
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    source(
        &weir,
        "in",
        "reg",
        json!({"value.converter.schema.registry.url": registry.url.clone(), "errors.tolerance": "all",
               "errors.deadletterqueue.topic.name": "reg-dlq"}),
    );
    assert_eq!(
        push(&weir, "in", r#"[{"id": 1}]"#),
        (200, json!({"accepted": 1, "rejected": 0, "errors": []}))
    );
    assert_eq!(registry.get("/subjects").1, json!(["reg-value"]));
    registry.kill9();
    // A new field needs a registration the registry cannot take: retriable, not the records'
    // fault, so nothing goes to the dead-letter queue either.
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/ingest/in", weir.url))
        .header("Content-Type", "application/json")
        .body(r#"[{"id": 2}, {"id": 3, "email": "c@example.com"}]"#)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned()),
        Some("1".to_owned())
    );
    let body: Value = resp.json().unwrap();
    assert!(body["message"].as_str().unwrap().contains("reg-value"), "{body}");
    assert_eq!(end_offset(&weir, "reg"), 1);
    assert_eq!(end_offset(&weir, "reg-dlq"), 0);
}

#[test]
fn on_kafka_a_record_larger_than_the_producer_takes_is_refused_by_index_and_nothing_is_written() {
    let kafka = tests::Kafka::start();
    let dir = temp_dir();
    let mut config = WeirConfig::new(dir.path());
    config.worker = format!("bootstrap.servers={}\n", kafka.bootstrap());
    let weir = Weir::start(&config);
    source(&weir, "in", "big", json!({}));
    assert_eq!(
        push(&weir, "in", r#"[{"s": "small"}]"#),
        (200, json!({"accepted": 1}))
    );
    let large = "x".repeat(1_100_000);
    let (status, body) = push(
        &weir,
        "in",
        &format!(r#"[{{"s": "first"}}, {{"s": "{large}"}}, {{"s": "third"}}]"#),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["errors"][0]["index"], 1);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("producer.message.max.bytes"),
        "{body}"
    );
    assert_eq!(end_offset(&weir, "big"), 1);
}

#[test]
fn with_protobuf_an_inferred_field_left_out_reads_back_as_null_not_zero() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    source(&weir, "in", "pb", json!({"value.converter": "ProtobufConverter"}));
    weir.create(
        "out",
        json!({"connector.class": "FileStreamSink", "topics": "pb", "file": out.display().to_string(),
               "value.converter": "ProtobufConverter"}),
    );
    assert_eq!(
        push(
            &weir,
            "in",
            r#"[{"id": 1, "n": 5, "name": "Ada", "vip": true}, {"id": 2}]"#
        ),
        (200, json!({"accepted": 2}))
    );
    let lines = wait_lines(&out, 2, Duration::from_secs(20));
    let second: Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(second, json!({"id": 2, "n": null, "name": null, "vip": null}));
    let (_, latest) = weir.get("/subjects/pb-value/versions/latest");
    assert!(
        latest["schema"].as_str().unwrap().contains("optional int64 n"),
        "{latest}"
    );
}

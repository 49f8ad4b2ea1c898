//! HttpSource pushes where something is off: numbers a float would change, schemas the
//! registry refuses, a registry that is gone, pushes racing to widen the schema, records too
//! large for Kafka, Protobuf nulls. Each asserts what a user sees: the answer, and exactly what
//! reached the topics (end offsets, exact on both logs). Scenarios that do not depend on the
//! registry being elsewhere run on the embedded log and on tansu.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use tests::ingest::{Backend, Run, avro_fields, avro_source, message, push, sink, source, versions};
use tests::{Value, Weir, WeirConfig, json, on_both_logs, temp_dir, wait_lines};

fn latest_fields(weir: &Weir, subject: &str) -> Vec<String> {
    avro_fields(weir, subject, "latest")
}

/// Pushes `body` and expects 503 with `Retry-After: 1`; the answer's body.
fn push_expecting_503(weir: &Weir, body: &str) -> Value {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/ingest/in", weir.url))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned()),
        Some("1".to_owned())
    );
    resp.json().unwrap()
}

on_both_logs!(
    numbers_are_never_silently_changed,
    a_nested_struct_added_before_another_is_a_compatible_widening,
    pushes_racing_to_add_fields_end_in_one_schema_that_has_them_all,
    a_widened_schema_the_registry_refuses_refuses_only_the_records_that_need_it,
    with_protobuf_an_inferred_field_left_out_reads_back_as_null_not_zero,
);

fn numbers_are_never_silently_changed(backend: Backend) {
    let run = Run::start(backend, "");
    let weir = run.weir();
    let out = run.path("out.jsonl");
    avro_source(weir, "in", "nums", json!({"value.schema.infer": "true"}));
    sink(weir, "out", "nums", &out, "AvroConverter");

    assert_eq!(
        push(weir, "in", r#"[{"id": 1, "n": 2}]"#),
        (200, json!({"accepted": 1}))
    );
    // A float would round this to 1: refused, naming the field.
    let (status, body) = push(weir, "in", r#"[{"id": 2, "n": 1.0000000000000001}]"#);
    assert_eq!(status, 400, "{body}");
    assert!(message(&body, 0).contains("field n"), "{body}");
    // Whole numbers written as floats are those numbers (the shortcut and the full path).
    assert_eq!(
        push(weir, "in", r#"[{"id": 3, "n": 3.0}, {"id": 4, "n": 1e2}]"#),
        (200, json!({"accepted": 2}))
    );
    // An integer beyond int64 is refused, not rounded into a double.
    let (status, body) = push(weir, "in", r#"[{"id": 5, "big": 18446744073709551615}]"#);
    assert_eq!(status, 400, "{body}");
    let m = message(&body, 0);
    assert!(m.contains("big") && m.contains("18446744073709551615"), "{body}");
    assert!(!latest_fields(weir, "nums-value").contains(&"big".to_owned()));

    let lines = wait_lines(&out, 3, Duration::from_secs(20));
    let n: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["n"].clone())
        .collect();
    assert_eq!(n, [json!(2), json!(3), json!(100)]);
    assert_eq!(run.records_in("nums"), 3);
}

fn a_nested_struct_added_before_another_is_a_compatible_widening(backend: Backend) {
    let run = Run::start(backend, "");
    let weir = run.weir();
    avro_source(weir, "in", "nested", json!({"value.schema.infer": "true"}));
    assert_eq!(
        push(weir, "in", r#"[{"a": {"x": 1}, "c": {"y": 2}}]"#),
        (200, json!({"accepted": 1}))
    );
    // A struct inside `a` must not rename the struct of `c` (the registry would refuse that).
    assert_eq!(
        push(weir, "in", r#"[{"a": {"x": 1, "b": {"z": 1}}, "c": {"y": 2}}]"#),
        (200, json!({"accepted": 1}))
    );
    assert_eq!(versions(weir, "nested-value"), json!([1, 2]));
    assert_eq!(run.records_in("nested"), 2);
}

fn pushes_racing_to_add_fields_end_in_one_schema_that_has_them_all(backend: Backend) {
    let run = Run::start(backend, "");
    let weir = run.weir();
    avro_source(
        weir,
        "in",
        "race",
        json!({"value.schema.infer": "true", "http.max.inflight.requests": "16"}),
    );
    assert_eq!(push(weir, "in", r#"[{"id": 0}]"#), (200, json!({"accepted": 1})));
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| s.spawn(move || push(weir, "in", &format!(r#"[{{"id": {i}, "f{i}": {{"v": {i}}}}}]"#))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for answer in &answers {
        assert_eq!(answer, &(200, json!({"accepted": 1})));
    }
    let fields = latest_fields(weir, "race-value");
    for i in 0..8 {
        assert!(fields.contains(&format!("f{i}")), "f{i} missing from {fields:?}");
    }
    // A record with every new field fits the schema as it now is.
    let all: serde_json::Map<String, Value> = (0..8)
        .map(|i| (format!("f{i}"), json!({"v": i})))
        .chain([("id".to_owned(), json!(9))])
        .collect();
    let (status, body) = push(weir, "in", &json!([all]).to_string());
    assert_eq!((status, body), (200, json!({"accepted": 1})));
    assert_eq!(run.records_in("race"), 10);
}

fn a_widened_schema_the_registry_refuses_refuses_only_the_records_that_need_it(backend: Backend) {
    // JsonSchemaConverter's derived schemas have an open content model, so the default BACKWARD
    // level refuses any new property (docs/ingest.md).
    let run = Run::start(backend, "");
    let weir = run.weir();
    source(
        weir,
        "in",
        json!({"topic": "js", "value.schema.infer": "true", "value.converter": "JsonSchemaConverter",
               "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "js-dlq"}),
    );
    assert_eq!(
        push(weir, "in", r#"[{"id": 1}]"#),
        (200, json!({"accepted": 1, "rejected": 0, "errors": []}))
    );
    let (status, body) = push(weir, "in", r#"[{"id": 2}, {"id": 3, "extra": "x"}]"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["accepted"].clone(), body["rejected"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(body["errors"][0]["index"], 1);
    let m = message(&body, 0);
    assert!(m.contains("extra") && m.contains("refused"), "{body}");
    assert_eq!(run.records_in("js"), 2);
    assert_eq!(run.records_in("js-dlq"), 1);
    assert_eq!(versions(weir, "js-value"), json!([1]));
}

fn with_protobuf_an_inferred_field_left_out_reads_back_as_null_not_zero(backend: Backend) {
    let run = Run::start(backend, "");
    let weir = run.weir();
    let out = run.path("out.jsonl");
    source(
        weir,
        "in",
        json!({"topic": "pb", "value.schema.infer": "true", "value.converter": "ProtobufConverter"}),
    );
    sink(weir, "out", "pb", &out, "ProtobufConverter");
    assert_eq!(
        push(
            weir,
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

#[test]
fn a_registry_that_cannot_be_reached_answers_503_and_writes_nothing_anywhere() {
    let registry_dir = temp_dir();
    let registry = Weir::start(&WeirConfig::new(registry_dir.path()));
    let run = Run::start(Backend::Embedded, "");
    let weir = run.weir();
    avro_source(
        weir,
        "in",
        "reg",
        json!({"value.schema.infer": "true", "value.converter.schema.registry.url": registry.url.clone(),
               "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "reg-dlq"}),
    );
    assert_eq!(
        push(weir, "in", r#"[{"id": 1}]"#),
        (200, json!({"accepted": 1, "rejected": 0, "errors": []}))
    );
    assert_eq!(registry.get("/subjects").1, json!(["reg-value"]));
    registry.kill9();
    // A new field needs a registration the registry cannot take: retriable, not the records'
    // fault, so nothing goes to the dead-letter queue either.
    let body = push_expecting_503(weir, r#"[{"id": 2}, {"id": 3, "email": "c@example.com"}]"#);
    assert!(body["message"].as_str().unwrap().contains("reg-value"), "{body}");
    assert_eq!(run.records_in("reg"), 1);
    assert_eq!(run.records_in("reg-dlq"), 0);
}

#[test]
fn on_kafka_a_record_larger_than_the_producer_takes_is_refused_by_index_and_nothing_is_written() {
    let run = Run::start(Backend::Kafka, "");
    let weir = run.weir();
    avro_source(weir, "in", "big", json!({"value.schema.infer": "true"}));
    assert_eq!(
        push(weir, "in", r#"[{"s": "small"}]"#),
        (200, json!({"accepted": 1}))
    );
    let large = "x".repeat(1_100_000);
    let (status, body) = push(
        weir,
        "in",
        &format!(r#"[{{"s": "first"}}, {{"s": "{large}"}}, {{"s": "third"}}]"#),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["errors"][0]["index"], 1);
    assert!(message(&body, 0).contains("producer.message.max.bytes"), "{body}");
    assert_eq!(run.records_in("big"), 1);
}

#[test]
fn on_kafka_a_push_while_every_broker_is_down_is_503_with_retry_after() {
    let mut run = Run::start(Backend::Kafka, "");
    avro_source(run.weir(), "in", "down", json!({"value.schema.infer": "true"}));
    assert_eq!(
        push(run.weir(), "in", r#"[{"id": 1}]"#),
        (200, json!({"accepted": 1}))
    );
    run.kill_broker();
    let weir = run.weir();
    assert!(
        tests::wait_until(Duration::from_secs(30), || weir.logs().contains("unreachable")),
        "the worker never noticed the broker was gone: {}",
        weir.logs()
    );
    let body = push_expecting_503(weir, r#"[{"id": 2}]"#);
    assert!(
        body["message"].as_str().unwrap().contains("unreachable"),
        "{body}"
    );
}

#[test]
fn after_a_restart_nested_structs_keep_their_names_and_nothing_new_is_registered() {
    let mut run = Run::start(Backend::Embedded, "");
    for c in ["AvroConverter", "ProtobufConverter"] {
        source(
            run.weir(),
            c,
            json!({"topic": c, "value.schema.infer": "true", "value.converter": c}),
        );
        let first = push(run.weir(), c, r#"[{"id": 1, "a": {"x": 1, "b": {"z": "q"}}}]"#);
        assert_eq!(first, (200, json!({"accepted": 1})), "{c}");
    }
    run.restart();
    for c in ["AvroConverter", "ProtobufConverter"] {
        let weir = run.weir();
        weir.wait_state(c, "RUNNING");
        let subject = format!("{c}-value");
        let same = push(weir, c, r#"[{"id": 2, "a": {"x": 2, "b": {"z": "r"}}}]"#);
        assert_eq!(same, (200, json!({"accepted": 1})), "{c}");
        assert_eq!(
            versions(weir, &subject),
            json!([1]),
            "{c}: the same shape registers nothing"
        );
        let wider = push(weir, c, r#"[{"id": 3, "a": {"x": 3, "b": {"z": "s", "w": 1}}}]"#);
        assert_eq!(wider, (200, json!({"accepted": 1})), "{c}");
        assert_eq!(versions(weir, &subject), json!([1, 2]), "{c}");
    }
}

#[test]
fn a_null_for_an_optional_json_schema_property_counts_as_left_out_and_compressed_bodies_are_415() {
    let run = Run::start(Backend::Embedded, "");
    let weir = run.weir();
    let schema = r#"{"type":"object","properties":{"id":{"type":"integer"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["id"]}"#;
    source(
        weir,
        "in",
        json!({"topic": "people", "value.schema": schema, "value.schema.type": "JSON",
               "value.converter": "JsonSchemaConverter"}),
    );
    assert_eq!(
        push(weir, "in", r#"[{"id": 5, "age": null}, {"id": 6, "tags": null}]"#),
        (200, json!({"accepted": 2}))
    );
    // A required property is still required, null or not.
    let (status, body) = push(weir, "in", r#"[{"id": null, "age": 3}]"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(run.records_in("people"), 2);

    let (status, body) = weir.call_with_headers(
        "POST",
        "/ingest/in",
        r#"[{"id": 7}]"#,
        &[("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
    );
    assert_eq!(status, 415, "{body}");
    assert!(body["message"].as_str().unwrap().contains("gzip"), "{body}");
}

#[test]
fn protobuf_unsigned_64_bit_fields_take_their_whole_range_and_no_negative() {
    let run = Run::start(Backend::Embedded, "");
    let weir = run.weir();
    let out = run.path("out.jsonl");
    let schema = "syntax = \"proto3\";\nmessage U { uint32 a = 1; uint64 b = 2; fixed64 d = 3; }\n";
    source(
        weir,
        "in",
        json!({"topic": "u", "value.schema": schema, "value.schema.type": "PROTOBUF",
               "value.converter": "ProtobufConverter"}),
    );
    sink(weir, "out", "u", &out, "ProtobufConverter");
    for bad in [
        r#"[{"b": -5}]"#,
        r#"[{"d": -1}]"#,
        r#"[{"b": 18446744073709551616}]"#,
    ] {
        let (status, body) = push(weir, "in", bad);
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(message(&body, 0).contains("unsigned"), "{bad}: {body}");
    }
    assert_eq!(
        push(
            weir,
            "in",
            r#"[{"a": 1, "b": 18446744073709551615, "d": 9223372036854775808}]"#
        ),
        (200, json!({"accepted": 1}))
    );
    assert_eq!(run.records_in("u"), 1);
    // Read back as Confluent's converter holds them: the same 64 bits in a Connect int64.
    let lines = wait_lines(&out, 1, Duration::from_secs(20));
    let v: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!((v["b"].clone(), v["d"].clone()), (json!(-1), json!(i64::MIN)));
}

#[test]
fn a_fixed_avro_union_takes_a_bare_value_when_exactly_one_branch_does() {
    let run = Run::start(Backend::Embedded, "");
    let weir = run.weir();
    let out = run.path("out.jsonl");
    let schema = r#"{"type":"record","name":"M","fields":[{"name":"id","type":"long"},
        {"name":"x","type":["null","int","double"],"default":null},
        {"name":"y","type":["null","string","long"],"default":null}]}"#;
    source(
        weir,
        "in",
        json!({"topic": "m", "value.schema": schema, "value.converter": "AvroConverter"}),
    );
    sink(weir, "out", "m", &out, "AvroConverter");
    assert_eq!(
        push(
            weir,
            "in",
            r#"[{"id": 1, "x": 2.5, "y": "s"}, {"id": 2, "x": {"int": 2}, "y": 7}, {"id": 3}]"#
        ),
        (200, json!({"accepted": 3}))
    );
    // 2 fits int and double alike: the writer must say which.
    let (status, body) = push(weir, "in", r#"[{"id": 4, "x": 2}]"#);
    assert_eq!(status, 400, "{body}");
    let m = message(&body, 0);
    assert!(
        m.contains("field x") && m.contains("ambiguous") && m.contains("int, double"),
        "{body}"
    );
    let (status, body) = push(weir, "in", r#"[{"id": 5, "y": true}]"#);
    assert_eq!(status, 400, "{body}");
    assert!(
        message(&body, 0).contains("fits none of the union's branches"),
        "{body}"
    );
    assert_eq!(run.records_in("m"), 3);
    let lines = wait_lines(&out, 3, Duration::from_secs(20));
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["x"], json!({"int": null, "double": 2.5}));
    assert_eq!(first["y"], json!({"string": "s", "long": null}));
}

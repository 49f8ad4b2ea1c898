//! HTTP ingestion end to end: pushes to an HttpSource (`POST /ingest/{connector}`) and the REST
//! Proxy v2 produce call (`POST /topics/{topic}`), observed where a user looks: the answers, the
//! registry, the records a FileStreamSink copies out of the topics, and every record of the
//! topics read back to their end. Each scenario runs on the embedded log and on a real
//! Kafka-protocol broker (tansu): `SCENARIO::embedded` and `SCENARIO::kafka`.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::time::Duration;

use tests::ingest::{
    Backend, Run, avro_fields, avro_source, header, lines_as_json, message, produce, push, push_as,
    schema_id, sink, value_text, versions,
};
use tests::{Value, Weir, WeirConfig, json, on_both_logs, read_lines, temp_dir, wait_lines};

/// The lines a sink copied, once it has `n`; after the worker stopped, exactly `n` (a record
/// written twice or by mistake would be one more line).
fn sink_lines(path: &Path, n: usize) -> Vec<Value> {
    lines_as_json(&wait_lines(path, n, Duration::from_secs(60)))
}

fn assert_sink_has_exactly(path: &Path, n: usize) {
    assert_eq!(read_lines(path).len(), n, "{}", path.display());
}

on_both_logs!(
    pushes_are_inferred_widened_and_written_in_order,
    a_changed_type_refuses_the_whole_push_and_writes_nothing,
    with_errors_tolerance_all_refused_records_go_to_the_dead_letter_queue,
    rest_proxy_v2_produces_json_and_binary_records_all_or_nothing,
    the_readme_example_pushes_the_sample_customers,
    with_avro_the_inferred_schema_is_registered_and_a_new_field_makes_version_2,
    a_registration_the_subject_refuses_refuses_the_push,
    a_fixed_schema_from_a_subject_or_inline_checks_every_record,
    rest_proxy_v2_produces_avro_with_inline_schemas_and_ids,
);

fn pushes_are_inferred_widened_and_written_in_order(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    weir.create(
        "customers-in",
        json!({"connector.class": "HttpSource", "topic": "customers", "value.schema.infer": "true"}),
    );
    weir.wait_state("customers-in", "RUNNING");
    sink(weir, "customers-out", "customers", &out, "JsonConverter");

    // A JSON array.
    let (status, body) = push(
        weir,
        "customers-in",
        r#"[{"id": 1, "name": "Ada", "score": 1}, {"id": 2, "name": "Bo", "score": 2.5}]"#,
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    // A 200 means written: both records are in the topic now.
    assert_eq!(run.records_in("customers"), 2);
    // NDJSON bringing a new field: the schema widens, nothing is refused.
    let (status, body) = push_as(
        weir,
        "customers-in",
        "{\"id\": 3, \"name\": \"Cy\", \"email\": \"cy@example.com\"}\n\n{\"id\": 4, \"name\": null}\n",
        "application/x-ndjson",
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    assert_eq!(run.records_in("customers"), 4);

    let written = sink_lines(&out, 4);
    assert_eq!(
        written,
        vec![
            json!({"id": 1, "name": "Ada", "score": 1.0}),
            json!({"id": 2, "name": "Bo", "score": 2.5}),
            json!({"id": 3, "name": "Cy", "score": null, "email": "cy@example.com"}),
            json!({"id": 4, "name": null, "score": null, "email": null}),
        ]
    );

    let status = weir.wait_state("customers-in", "RUNNING");
    assert_eq!(status["type"], "source");
    let (_, metrics) = weir.get_text("/metrics");
    assert!(
        metrics.contains(r#"weir_task_records_written_total{connector="customers-in",task="0"} 4"#),
        "{metrics}"
    );
    let records = run.stop_and_read(&["customers"]).remove(0);
    assert_eq!(records.len(), 4);
    assert_sink_has_exactly(&out, 4);
}

fn a_changed_type_refuses_the_whole_push_and_writes_nothing(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    weir.create(
        "in",
        json!({"connector.class": "HttpSource", "topic": "t", "value.schema.infer": "true"}),
    );
    weir.wait_state("in", "RUNNING");
    sink(weir, "out", "t", &out, "JsonConverter");
    assert_eq!(push(weir, "in", r#"[{"id": 1, "zip": "0150"}]"#).0, 200);
    assert_eq!(run.records_in("t"), 1);

    // Record 2 changes zip's type and record 1 is not JSON: both are named, nothing is written,
    // not even the good record 0 or the new field of record 0.
    let (status, body) = push_as(
        weir,
        "in",
        "{\"id\": 2, \"extra\": true}\n{nope\n{\"id\": 3, \"zip\": 150}\n",
        "application/x-ndjson",
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], 400);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["index"], 1);
    assert!(message(&body, 0).contains("invalid JSON"), "{body}");
    assert_eq!(errors[1]["index"], 2);
    assert!(message(&body, 1).contains("field zip"), "{body}");
    assert_eq!(run.records_in("t"), 1, "the refused push wrote nothing");

    // An integer where the schema has a float is fine; a float where it has an integer is not.
    let (status, body) = push(weir, "in", r#"[{"id": 4.5}]"#);
    assert_eq!(status, 400, "{body}");
    assert!(message(&body, 0).contains("field id"), "{body}");
    assert_eq!(run.records_in("t"), 1, "the refused push wrote nothing");

    assert_eq!(push(weir, "in", r#"[{"id": 5, "zip": "0151"}]"#).0, 200);
    assert_eq!(run.records_in("t"), 2);
    // `extra` came with the refused push only: the schema did not keep it.
    assert_eq!(
        sink_lines(&out, 2),
        vec![json!({"id": 1, "zip": "0150"}), json!({"id": 5, "zip": "0151"})]
    );
    assert_eq!(run.stop_and_read(&["t"])[0].len(), 2);
    assert_sink_has_exactly(&out, 2);
}

fn with_errors_tolerance_all_refused_records_go_to_the_dead_letter_queue(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    weir.create(
        "in",
        json!({"connector.class": "HttpSource", "topic": "t", "value.schema.infer": "true",
               "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "t-dlq"}),
    );
    weir.wait_state("in", "RUNNING");
    sink(weir, "out", "t", &out, "JsonConverter");
    assert_eq!(push(weir, "in", r#"[{"id": 1}]"#).0, 200);

    let pushed = ["{\"id\": 2}", "{\"id\": \"two\"}", "[1,2"];
    let (status, body) = push_as(
        weir,
        "in",
        &format!("{}\n", pushed.join("\n")),
        "application/x-ndjson",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["rejected"], 2);
    assert_eq!(body["errors"][0]["index"], 1);
    assert!(message(&body, 0).contains("field id"), "{body}");
    assert_eq!(body["errors"][1]["index"], 2);
    let messages = [message(&body, 0), message(&body, 1)];
    // The answer came after both appends: the valid record is in the topic, the refused ones in
    // the dead-letter queue.
    assert_eq!(run.records_in("t"), 2);
    assert_eq!(run.records_in("t-dlq"), 2);

    // A push of nothing valid: all of it goes to the dead-letter queue, nothing to the topic.
    let (status, body) = push(weir, "in", r#"[{"id": 3.5}]"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["accepted"].clone(), body["rejected"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(run.records_in("t"), 2);
    assert_eq!(run.records_in("t-dlq"), 3);

    assert_eq!(sink_lines(&out, 2), vec![json!({"id": 1}), json!({"id": 2})]);
    let mut read = run.stop_and_read(&["t", "t-dlq"]);
    let dead = read.pop().unwrap();
    assert_eq!(read.pop().unwrap().len(), 2);
    assert_sink_has_exactly(&out, 2);

    // The dead-letter queue holds the records exactly as they were pushed, with Kafka
    // Connect's headers saying where they came from and why they were refused.
    let values: Vec<String> = dead.iter().map(value_text).collect();
    assert_eq!(values, [pushed[1], pushed[2], r#"{"id": 3.5}"#]);
    let stages = ["VALUE_CONVERTER", "TASK_POLL", "VALUE_CONVERTER"];
    for (i, r) in dead.iter().enumerate() {
        let h = |k: &str| header(r, &format!("__connect.errors.{k}"));
        assert_eq!(h("topic").as_deref(), Some("t"), "{i}: {:?}", r.headers);
        assert_eq!(h("connector.name").as_deref(), Some("in"));
        assert_eq!(h("task.id").as_deref(), Some("0"));
        assert_eq!(h("stage").as_deref(), Some(stages[i]), "{i}");
        assert_eq!(
            h("exception.class.name").as_deref(),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        let class = if stages[i] == "TASK_POLL" {
            "HttpSource"
        } else {
            "org.apache.kafka.connect.json.JsonConverter"
        };
        assert_eq!(h("class.name").as_deref(), Some(class), "{i}");
        let text = h("exception.message").unwrap();
        if i < 2 {
            assert_eq!(text, messages[i], "the same message as in the answer");
        } else {
            assert!(text.contains("field id"), "{text}");
        }
    }
}

#[test]
fn limits_and_unknown_or_unready_connectors_have_clear_answers() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create(
        "small",
        json!({"connector.class": "HttpSource", "topic": "t", "value.schema.infer": "true",
               "http.max.body.bytes": "64"}),
    );
    weir.wait_state("small", "RUNNING");

    let big = format!("[{{\"text\": \"{}\"}}]", "x".repeat(100));
    let (status, body) = push(&weir, "small", &big);
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error_code"], 413);

    let (status, body) = push(&weir, "nobody", "[]");
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], 404);

    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    weir.create(
        "file",
        json!({"connector.class": "FileStreamSource", "topic": "f", "file": input.display().to_string()}),
    );
    let (status, body) = push(&weir, "file", "[]");
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("only HttpSource"),
        "{body}"
    );

    assert_eq!(weir.put("/connectors/small/pause", &json!({})).0, 202);
    weir.wait_state("small", "PAUSED");
    let (status, body) = push(&weir, "small", "[]");
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("PAUSED"), "{body}");

    // A config with no schema source is refused at create, naming the keys.
    let (status, body) = weir.post(
        "/connectors",
        &json!({"name": "bad", "config": {"connector.class": "HttpSource", "topic": "t"}}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("value.schema.infer"),
        "{body}"
    );
}

fn rest_proxy_v2_produces_json_and_binary_records_all_or_nothing(backend: Backend) {
    let mut run = Run::start(backend, "");
    let weir = run.weir();
    let json_type = "application/vnd.kafka.json.v2+json";
    let binary = "application/vnd.kafka.binary.v2+json";

    let (status, body) = produce(
        weir,
        "events",
        json_type,
        &json!({"records": [{"value": {"kind": "click", "n": 1}}, {"key": "k", "value": [1, 2]}]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["key_schema_id"], Value::Null);
    assert_eq!(body["value_schema_id"], Value::Null);
    assert_eq!(
        body["offsets"],
        json!([{"partition": 0, "offset": 0, "error_code": null, "error": null},
               {"partition": 0, "offset": 1, "error_code": null, "error": null}])
    );
    // "hello" and "world" in base64, the second to an explicit partition.
    let (status, body) = produce(
        weir,
        "events",
        binary,
        &json!({"records": [{"value": "aGVsbG8="}, {"value": "d29ybGQ=", "partition": 0}]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["offsets"][1]["offset"], 3);
    assert_eq!(run.records_in("events"), 4);

    // All or nothing: in each of these requests the records before the bad one are fine, and
    // none of them is written.
    // A partition the topic does not have: the proxy's 404 / 40402.
    let (status, body) = produce(
        weir,
        "events",
        binary,
        &json!({"records": [{"value": "eA=="}, {"value": "eQ==", "partition": 7}]}),
    );
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40402)),
        "{body}"
    );
    assert_eq!(run.records_in("events"), 4, "nothing of the request written");
    // Bad base64 names the record.
    let (status, body) = produce(
        weir,
        "events",
        binary,
        &json!({"records": [{"value": "eA=="}, {"value": "eQ=="}, {"value": "%%%"}]}),
    );
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42203)),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().starts_with("record 2"),
        "{body}"
    );
    assert_eq!(run.records_in("events"), 4, "nothing of the request written");
    let (status, _) = weir.call_with("POST", "/topics/events", Some("{}"), "text/plain");
    assert_eq!(status, 415);
    assert_eq!(run.records_in("events"), 4);

    let records = run.stop_and_read(&["events"]).remove(0);
    let values: Vec<String> = records.iter().map(value_text).collect();
    assert_eq!(values, [r#"{"kind":"click","n":1}"#, "[1,2]", "hello", "world"]);
    let keys: Vec<Option<&[u8]>> = records.iter().map(|r| r.key.as_deref()).collect();
    assert_eq!(keys, [None, Some(&br#""k""#[..]), None, None]);
}

/// examples/http-ingest/run.sh, as the README gives it; on Kafka with WEIR_BOOTSTRAP_SERVERS.
fn the_readme_example_pushes_the_sample_customers(backend: Backend) {
    let kafka = (backend == Backend::Kafka).then(tests::Kafka::start);
    let dir = temp_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/http-ingest/run.sh");
    let mut command = std::process::Command::new("bash");
    command
        .arg(&script)
        .env("WEIR_BIN", tests::weir_bin())
        .env("WEIR_PORT", "0")
        .env("WEIR_EXAMPLE_DIR", dir.path())
        .env_remove("WEIR_BOOTSTRAP_SERVERS");
    if let Some(kafka) = &kafka {
        command.env("WEIR_BOOTSTRAP_SERVERS", kafka.bootstrap());
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let logs = std::fs::read_to_string(dir.path().join("weir.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "{stdout}\n{}\n{logs}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#"{"accepted":8}"#), "{stdout}");
    assert!(stdout.contains("wrote 8 of 8 records"), "{stdout}");
    assert!(stdout.contains("field customer_id"), "{stdout}");
    let written = lines_as_json(&read_lines(&dir.path().join("output.jsonl")));
    assert_eq!(written.len(), 8, "{stdout}");
    assert_eq!(written[0]["name"], "Ada Lovelace");
    // spending mixes integers and fractions in the first push: one float64 field.
    assert_eq!(written[1]["spending"], json!(1906.0));
    assert_eq!(written[6]["email"], Value::Null);

    // Where the topic lives: the script says so, and the records are there.
    let records = match &kafka {
        Some(kafka) => {
            assert!(
                stdout.contains(&format!("topic : customers, in Kafka at {}", kafka.bootstrap())),
                "{stdout}"
            );
            tests::ingest::block_on(async {
                let log = tests::ingest::connect_kafka(&kafka.bootstrap()).await;
                tests::ingest::read_whole_topic(&*log, "customers").await
            })
        }
        None => {
            assert!(
                stdout.contains("topic : customers, in the embedded log under"),
                "{stdout}"
            );
            tests::ingest::block_on(async {
                let log = tests::ingest::open_embedded(dir.path()).await;
                tests::ingest::read_whole_topic(&*log, "customers").await
            })
        }
    };
    assert_eq!(records.len(), 8, "the topic holds the 8 records, once");
}

/// The schema id of a subject's `version`.
fn version_id(weir: &Weir, subject: &str, version: &str) -> i32 {
    let (status, body) = weir.get(&format!("/subjects/{subject}/versions/{version}"));
    assert_eq!(status, 200, "{body}");
    i32::try_from(body["id"].as_i64().unwrap()).unwrap()
}

fn with_avro_the_inferred_schema_is_registered_and_a_new_field_makes_version_2(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    avro_source(weir, "in", "customers", json!({"value.schema.infer": "true"}));
    sink(weir, "out", "customers", &out, "AvroConverter");

    let (status, body) = push(
        weir,
        "in",
        r#"[{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bo"}]"#,
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    assert_eq!(versions(weir, "customers-value"), json!([1]));
    assert_eq!(avro_fields(weir, "customers-value", "1"), ["id", "name"]);

    // The same shape again registers nothing new; a new field makes version 2.
    assert_eq!(push(weir, "in", r#"[{"id": 3}]"#).0, 200);
    assert_eq!(versions(weir, "customers-value"), json!([1]));
    let (status, body) = push(weir, "in", r#"[{"id": 4, "email": "d@x.org"}]"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(versions(weir, "customers-value"), json!([1, 2]));
    assert_eq!(avro_fields(weir, "customers-value", "2"), ["id", "name", "email"]);

    // Records that fit version 2 go straight from JSON to Avro: keys in any order, a repeated
    // key counts with its last value, a missing field is null.
    let (status, body) = push(
        weir,
        "in",
        r#"[{"email": "e@x.org", "id": 5, "name": "Eve"}, {"id": 6, "id": 7}]"#,
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    assert_eq!(versions(weir, "customers-value"), json!([1, 2]));
    assert_eq!(run.records_in("customers"), 6);

    // A changed type: refused naming the record and the field; no version 3, nothing written,
    // not even the good record 0 or the new field of record 2.
    let (status, body) = push(
        weir,
        "in",
        r#"[{"id": 8}, {"id": "nine"}, {"id": 10, "phone": "555"}]"#,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["errors"][0]["index"], 1);
    assert!(message(&body, 0).contains("field id"), "{body}");
    assert_eq!(versions(weir, "customers-value"), json!([1, 2]));
    assert_eq!(run.records_in("customers"), 6, "the refused push wrote nothing");

    let written = sink_lines(&out, 6);
    assert_eq!(written[0], json!({"id": 1, "name": "Ada"}));
    assert_eq!(written[2], json!({"id": 3, "name": null}));
    assert_eq!(written[3], json!({"id": 4, "name": null, "email": "d@x.org"}));
    assert_eq!(written[4], json!({"id": 5, "name": "Eve", "email": "e@x.org"}));
    assert_eq!(written[5], json!({"id": 7, "name": null, "email": null}));

    // Each record carries the id of the version it was written under.
    let (v1, v2) = (
        version_id(weir, "customers-value", "1"),
        version_id(weir, "customers-value", "2"),
    );
    let records = run.stop_and_read(&["customers"]).remove(0);
    let ids: Vec<i32> = records
        .iter()
        .map(|r| schema_id(r.value.as_deref().unwrap()))
        .collect();
    assert_eq!(ids, [v1, v1, v1, v2, v2, v2]);
    assert_sink_has_exactly(&out, 6);
}

fn a_registration_the_subject_refuses_refuses_the_push(backend: Backend) {
    let mut run = Run::start(backend, "");
    let weir = run.weir();
    // Someone registered a plain string for this subject already (BACKWARD, the default): not
    // a struct, so inference starts from the records, and the registry refuses the record.
    let (status, body) = weir.post(
        "/subjects/orders-value/versions",
        &json!({"schema": "\"string\""}),
    );
    assert_eq!(status, 200, "{body}");
    avro_source(weir, "in", "orders", json!({"value.schema.infer": "true"}));

    let (status, body) = push(weir, "in", r#"[{"id": 1}, {"id": 2}]"#);
    assert_eq!(status, 400, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert!(message(&body, 0).contains("orders-value"), "{body}");
    assert_eq!(versions(weir, "orders-value"), json!([1]));
    assert_eq!(run.records_in("orders"), 0, "the refused push wrote nothing");

    // A registered struct is where inference resumes from: its `id` is a string, so an integer
    // `id` is refused as a changed type, naming the field.
    let schema = r#"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"id","type":"string"}]}"#;
    let (status, body) = weir.post("/subjects/refunds-value/versions", &json!({"schema": schema}));
    assert_eq!(status, 200, "{body}");
    avro_source(
        weir,
        "refunds-in",
        "refunds",
        json!({"value.schema.infer": "true"}),
    );
    let (status, body) = push(weir, "refunds-in", r#"[{"id": "r0"}, {"id": 1}]"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["index"], 1, "{body}");
    assert!(message(&body, 0).contains("field id"), "{body}");
    assert_eq!(run.records_in("refunds"), 0, "the refused push wrote nothing");
    let (status, body) = push(weir, "refunds-in", r#"[{"id": "r1"}]"#);
    assert_eq!((status, body), (200, json!({"accepted": 1})));
    assert_eq!(run.records_in("refunds"), 1);

    let mut read = run.stop_and_read(&["orders", "refunds"]);
    let refunds = read.pop().unwrap();
    assert!(read.pop().unwrap().is_empty(), "nothing in orders");
    assert_eq!(refunds.len(), 1);
    // "r1" as an Avro string after the framing: length 2 (zigzag 4), then the bytes.
    let value = refunds[0].value.as_deref().unwrap();
    assert!(value.ends_with(b"r1"), "{value:?}");
}

fn a_fixed_schema_from_a_subject_or_inline_checks_every_record(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    let schema = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"item","type":["null","string"],"default":null}]}"#;
    let (status, body) = weir.post("/subjects/orders-spec/versions", &json!({"schema": schema}));
    assert_eq!(status, 200, "{body}");
    avro_source(
        weir,
        "by-subject",
        "orders",
        json!({"value.schema.subject": "orders-spec"}),
    );
    avro_source(weir, "inline", "orders", json!({"value.schema": schema}));
    sink(weir, "out", "orders", &out, "AvroConverter");

    let (status, body) = push(weir, "by-subject", r#"[{"id": 1, "item": "tea"}]"#);
    assert_eq!(status, 200, "{body}");
    let (status, body) = push(weir, "inline", r#"[{"id": 2}]"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(run.records_in("orders"), 2);
    // A field the schema lacks would be lost; a missing required one is an error.
    let (status, body) = push(
        weir,
        "inline",
        r#"[{"id": 3}, {"id": 4, "colour": "red"}, {"item": "x"}]"#,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["index"], 1);
    assert!(message(&body, 0).contains("field colour"), "{body}");
    assert_eq!(body["errors"][1]["index"], 2);
    assert_eq!(run.records_in("orders"), 2, "the refused push wrote nothing");
    let written = sink_lines(&out, 2);
    assert_eq!(
        written,
        vec![json!({"id": 1, "item": "tea"}), json!({"id": 2, "item": null})]
    );
    // Written with the registered schema itself: nothing derived was registered.
    let id = version_id(weir, "orders-spec", "1");
    assert_eq!(versions(weir, "orders-value"), json!([1]));
    let inline_id = version_id(weir, "orders-value", "1");
    let records = run.stop_and_read(&["orders"]).remove(0);
    let ids: Vec<i32> = records
        .iter()
        .map(|r| schema_id(r.value.as_deref().unwrap()))
        .collect();
    assert_eq!(ids, [id, inline_id]);
    assert_sink_has_exactly(&out, 2);
}

fn rest_proxy_v2_produces_avro_with_inline_schemas_and_ids(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    sink(weir, "out", "clicks", &out, "AvroConverter");
    let schema = r#"{"type":"record","name":"Click","fields":[{"name":"page","type":"string"},{"name":"n","type":"int"}]}"#;
    let avro = "application/vnd.kafka.avro.v2+json";
    let request = json!({"value_schema": schema, "records": [{"value": {"page": "/a", "n": 1}}]});
    let (status, body) = produce(weir, "clicks", avro, &request);
    assert_eq!(status, 200, "{body}");
    let id = body["value_schema_id"].as_i64().unwrap();
    assert_eq!(body["key_schema_id"], Value::Null);
    assert_eq!(versions(weir, "clicks-value"), json!([1]));

    let request =
        json!({"value_schema_id": id, "records": [{"value": {"page": "/b", "n": 2}, "partition": 0}]});
    let (status, body) = produce(weir, "clicks", avro, &request);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value_schema_id"], id);
    assert_eq!(body["offsets"][0]["offset"], 1);
    assert_eq!(run.records_in("clicks"), 2);

    // A record that does not match: 422 / 42203 naming it; nothing of the request is written.
    let request = json!({"value_schema_id": id, "records": [{"value": {"page": "/c", "n": 3}}, {"value": {"page": "/d", "n": "x"}}]});
    let (status, body) = produce(weir, "clicks", avro, &request);
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42203)),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().starts_with("record 1: value"),
        "{body}"
    );
    assert_eq!(run.records_in("clicks"), 2, "nothing of the request written");
    // Values without a schema: the proxy's 42202.
    let request = json!({"records": [{"value": {"page": "/e", "n": 5}}]});
    let (status, body) = produce(weir, "clicks", avro, &request);
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42202)),
        "{body}"
    );
    // An unknown id: the proxy's "schema registration or lookup failed".
    let request = json!({"value_schema_id": 999, "records": [{"value": {"page": "/f", "n": 6}}]});
    let (status, body) = produce(weir, "clicks", avro, &request);
    assert_eq!(
        (status, body["error_code"].clone()),
        (408, json!(40801)),
        "{body}"
    );
    // A schema the subject's level refuses: nothing registered, nothing written.
    let request = json!({"value_schema": "\"int\"", "records": [{"value": 1}]});
    let (status, body) = produce(weir, "clicks", avro, &request);
    assert_eq!(
        (status, body["error_code"].clone()),
        (408, json!(40801)),
        "{body}"
    );
    assert_eq!(versions(weir, "clicks-value"), json!([1]));
    assert_eq!(run.records_in("clicks"), 2, "refused requests wrote nothing");

    let written = sink_lines(&out, 2);
    assert_eq!(
        written,
        vec![json!({"page": "/a", "n": 1}), json!({"page": "/b", "n": 2})]
    );
    let records = run.stop_and_read(&["clicks"]).remove(0);
    let ids: Vec<i64> = records
        .iter()
        .map(|r| i64::from(schema_id(r.value.as_deref().unwrap())))
        .collect();
    assert_eq!(ids, [id, id]);
    assert_sink_has_exactly(&out, 2);
}

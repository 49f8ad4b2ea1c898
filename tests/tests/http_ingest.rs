//! HTTP ingestion end to end: pushes to an HttpSource (`POST /ingest/{connector}`) and the REST
//! Proxy v2 produce call (`POST /topics/{topic}`), observed where a user looks: the answers, and
//! the records a FileStreamSink copies out of the topics.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::time::Duration;

use tests::{Value, Weir, WeirConfig, json, read_lines, temp_dir, wait_lines};

fn sink(weir: &Weir, name: &str, topic: &str, file: &Path, converter: &str) {
    weir.create(
        name,
        json!({"connector.class": "FileStreamSink", "topics": topic, "file": file.display().to_string(),
               "key.converter": "StringConverter", "value.converter": converter}),
    );
}

fn push(weir: &Weir, connector: &str, body: &str, content_type: &str) -> (u16, Value) {
    weir.call_with("POST", &format!("/ingest/{connector}"), Some(body), content_type)
}

fn lines_as_json(lines: &[String]) -> Vec<Value> {
    lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn pushes_are_inferred_widened_and_written_in_order() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create(
        "customers-in",
        json!({"connector.class": "HttpSource", "topic": "customers", "value.schema.infer": "true"}),
    );
    weir.wait_state("customers-in", "RUNNING");
    sink(&weir, "customers-out", "customers", &out, "JsonConverter");

    // A JSON array.
    let (status, body) = push(
        &weir,
        "customers-in",
        r#"[{"id": 1, "name": "Ada", "score": 1}, {"id": 2, "name": "Bo", "score": 2.5}]"#,
        "application/json",
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    // NDJSON bringing a new field: the schema widens, nothing is refused.
    let (status, body) = push(
        &weir,
        "customers-in",
        "{\"id\": 3, \"name\": \"Cy\", \"email\": \"cy@example.com\"}\n\n{\"id\": 4, \"name\": null}\n",
        "application/x-ndjson",
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));

    let written = lines_as_json(&wait_lines(&out, 4, Duration::from_secs(20)));
    assert_eq!(written[0], json!({"id": 1, "name": "Ada", "score": 1.0}));
    assert_eq!(written[1], json!({"id": 2, "name": "Bo", "score": 2.5}));
    assert_eq!(
        written[2],
        json!({"id": 3, "name": "Cy", "score": null, "email": "cy@example.com"})
    );
    assert_eq!(
        written[3],
        json!({"id": 4, "name": null, "score": null, "email": null})
    );

    let status = weir.wait_state("customers-in", "RUNNING");
    assert_eq!(status["type"], "source");
    let (_, metrics) = weir.get_text("/metrics");
    assert!(
        metrics.contains(r#"weir_task_records_written_total{connector="customers-in",task="0"} 4"#),
        "{metrics}"
    );
}

#[test]
fn a_changed_type_refuses_the_whole_push_and_writes_nothing() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create(
        "in",
        json!({"connector.class": "HttpSource", "topic": "t", "value.schema.infer": "true"}),
    );
    weir.wait_state("in", "RUNNING");
    sink(&weir, "out", "t", &out, "JsonConverter");
    assert_eq!(
        push(&weir, "in", r#"[{"id": 1, "zip": "0150"}]"#, "application/json").0,
        200
    );

    // Record 2 changes zip's type and record 1 is not JSON: both are named, nothing is written,
    // not even the good record 0 or the new field of record 0.
    let (status, body) = push(
        &weir,
        "in",
        "{\"id\": 2, \"extra\": true}\n{nope\n{\"id\": 3, \"zip\": 150}\n",
        "application/x-ndjson",
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], 400);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["index"], 1);
    assert!(
        errors[0]["message"].as_str().unwrap().contains("invalid JSON"),
        "{body}"
    );
    assert_eq!(errors[1]["index"], 2);
    let message = errors[1]["message"].as_str().unwrap();
    assert!(message.contains("field zip"), "{message}");

    // An integer where the schema has a float is fine; a float where it has an integer is not.
    let (status, body) = push(&weir, "in", r#"[{"id": 4.5}]"#, "application/json");
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("field id"),
        "{body}"
    );

    assert_eq!(
        push(&weir, "in", r#"[{"id": 5, "zip": "0151"}]"#, "application/json").0,
        200
    );
    let written = lines_as_json(&wait_lines(&out, 2, Duration::from_secs(20)));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        read_lines(&out).len(),
        2,
        "only the accepted pushes are in the topic"
    );
    assert_eq!(written[0], json!({"id": 1, "zip": "0150"}));
    assert_eq!(written[1], json!({"id": 5, "zip": "0151"}));
}

#[test]
fn with_errors_tolerance_all_refused_records_go_to_the_dead_letter_queue() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let dead = dir.path().join("dead.txt");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create(
        "in",
        json!({"connector.class": "HttpSource", "topic": "t", "value.schema.infer": "true",
               "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "t-dlq"}),
    );
    weir.wait_state("in", "RUNNING");
    sink(&weir, "out", "t", &out, "JsonConverter");
    sink(&weir, "dead", "t-dlq", &dead, "StringConverter");
    assert_eq!(push(&weir, "in", r#"[{"id": 1}]"#, "application/json").0, 200);

    let (status, body) = push(
        &weir,
        "in",
        "{\"id\": 2}\n{\"id\": \"two\"}\n[1,2\n",
        "application/x-ndjson",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["rejected"], 2);
    assert_eq!(body["errors"][0]["index"], 1);
    assert_eq!(body["errors"][1]["index"], 2);

    let written = lines_as_json(&wait_lines(&out, 2, Duration::from_secs(20)));
    assert_eq!(written, vec![json!({"id": 1}), json!({"id": 2})]);
    // The dead-letter queue holds the records exactly as they were pushed.
    assert_eq!(
        wait_lines(&dead, 2, Duration::from_secs(20)),
        vec![r#"{"id": "two"}"#, "[1,2"]
    );
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
    let (status, body) = push(&weir, "small", &big, "application/json");
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error_code"], 413);

    let (status, body) = push(&weir, "nobody", "[]", "application/json");
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], 404);

    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    weir.create(
        "file",
        json!({"connector.class": "FileStreamSource", "topic": "f", "file": input.display().to_string()}),
    );
    let (status, body) = push(&weir, "file", "[]", "application/json");
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("only HttpSource"),
        "{body}"
    );

    assert_eq!(weir.put("/connectors/small/pause", &json!({})).0, 202);
    weir.wait_state("small", "PAUSED");
    let (status, body) = push(&weir, "small", "[]", "application/json");
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

#[test]
fn rest_proxy_v2_produces_json_and_binary_records() {
    let dir = temp_dir();
    let out = dir.path().join("out.txt");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    sink(&weir, "out", "events", &out, "StringConverter");

    let (status, body) = weir.call_with(
        "POST",
        "/topics/events",
        Some(r#"{"records": [{"value": {"kind": "click", "n": 1}}, {"key": "k", "value": [1, 2]}]}"#),
        "application/vnd.kafka.json.v2+json",
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
    let (status, body) = weir.call_with(
        "POST",
        "/topics/events",
        Some(r#"{"records": [{"value": "aGVsbG8="}, {"value": "d29ybGQ=", "partition": 0}]}"#),
        "application/vnd.kafka.binary.v2+json",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["offsets"][1]["offset"], 3);
    assert_eq!(
        wait_lines(&out, 4, Duration::from_secs(20)),
        vec![r#"{"kind":"click","n":1}"#, "[1,2]", "hello", "world"]
    );

    // A partition the topic does not have: the proxy's 404 / 40402, nothing written.
    let (status, body) = weir.call_with(
        "POST",
        "/topics/events",
        Some(r#"{"records": [{"value": "eA=="}, {"value": "eQ==", "partition": 7}]}"#),
        "application/vnd.kafka.binary.v2+json",
    );
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40402)),
        "{body}"
    );
    // Bad base64 names the record.
    let (status, body) = weir.call_with(
        "POST",
        "/topics/events",
        Some(r#"{"records": [{"value": "eA=="}, {"value": "%%%"}]}"#),
        "application/vnd.kafka.binary.v2+json",
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with("record 1"),
        "{body}"
    );
    let (status, _) = weir.call_with("POST", "/topics/events", Some("{}"), "text/plain");
    assert_eq!(status, 415);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read_lines(&out).len(), 4, "refused requests wrote nothing");
}

#[test]
fn the_readme_example_pushes_the_sample_customers() {
    let dir = temp_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/http-ingest/run.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .env("WEIR_BIN", tests::weir_bin())
        .env("WEIR_PORT", "0")
        .env("WEIR_EXAMPLE_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#"{"accepted":8}"#), "{stdout}");
    assert!(stdout.contains("field customer_id"), "{stdout}");
    let written = lines_as_json(&read_lines(&dir.path().join("output.jsonl")));
    assert_eq!(written.len(), 8, "{stdout}");
    assert_eq!(written[0]["name"], "Ada Lovelace");
    // spending mixes integers and fractions in the first push: one float64 field.
    assert_eq!(written[1]["spending"], json!(1906.0));
    assert_eq!(written[6]["email"], Value::Null);
}

#[test]
fn on_kafka_pushes_are_written_all_or_nothing_too() {
    let kafka = tests::Kafka::start();
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let mut config = WeirConfig::new(dir.path());
    config.worker = format!("bootstrap.servers={}\n", kafka.bootstrap());
    let weir = Weir::start(&config);
    weir.create(
        "in",
        json!({"connector.class": "HttpSource", "topic": "customers", "value.schema.infer": "true"}),
    );
    weir.wait_state("in", "RUNNING");
    sink(&weir, "out", "customers", &out, "JsonConverter");

    let (status, body) = push(
        &weir,
        "in",
        r#"[{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bo"}]"#,
        "application/json",
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    let (status, body) = push(&weir, "in", r#"[{"id": 3}, {"id": "four"}]"#, "application/json");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["index"], 1);
    let (status, _) = push(
        &weir,
        "in",
        "{\"id\": 5, \"vip\": true}\n",
        "application/x-ndjson",
    );
    assert_eq!(status, 200);

    let written = lines_as_json(&wait_lines(&out, 3, Duration::from_secs(60)));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read_lines(&out).len(), 3, "the refused push wrote nothing");
    assert_eq!(written[0], json!({"id": 1, "name": "Ada"}));
    assert_eq!(written[2], json!({"id": 5, "name": null, "vip": true}));

    // The REST Proxy call goes to the same broker.
    let (status, body) = weir.call_with(
        "POST",
        "/topics/events",
        Some(r#"{"records": [{"value": {"n": 1}}]}"#),
        "application/vnd.kafka.json.v2+json",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["offsets"][0]["offset"], 0);
}

fn avro_source(weir: &Weir, name: &str, topic: &str, extra: Value) {
    let mut config = json!({"connector.class": "HttpSource", "topic": topic,
                            "value.converter": "AvroConverter"});
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    weir.create(name, config);
    weir.wait_state(name, "RUNNING");
}

fn avro_fields(weir: &Weir, subject: &str, version: &str) -> Vec<String> {
    let (status, body) = weir.get(&format!("/subjects/{subject}/versions/{version}"));
    assert_eq!(status, 200, "{body}");
    let schema: Value = serde_json::from_str(body["schema"].as_str().unwrap()).unwrap();
    schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn with_avro_the_inferred_schema_is_registered_and_a_new_field_makes_version_2() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    avro_source(&weir, "in", "customers", json!({"value.schema.infer": "true"}));
    sink(&weir, "out", "customers", &out, "AvroConverter");

    let (status, body) = push(
        &weir,
        "in",
        r#"[{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bo"}]"#,
        "application/json",
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    assert_eq!(weir.get("/subjects/customers-value/versions").1, json!([1]));
    assert_eq!(avro_fields(&weir, "customers-value", "1"), ["id", "name"]);

    // The same shape again registers nothing new; a new field makes version 2.
    assert_eq!(push(&weir, "in", r#"[{"id": 3}]"#, "application/json").0, 200);
    assert_eq!(weir.get("/subjects/customers-value/versions").1, json!([1]));
    let (status, body) = push(
        &weir,
        "in",
        r#"[{"id": 4, "email": "d@x.org"}]"#,
        "application/json",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(weir.get("/subjects/customers-value/versions").1, json!([1, 2]));
    assert_eq!(
        avro_fields(&weir, "customers-value", "2"),
        ["id", "name", "email"]
    );

    // Records that fit version 2 go straight from JSON to Avro: keys in any order, a repeated
    // key counts with its last value, a missing field is null.
    let (status, body) = push(
        &weir,
        "in",
        r#"[{"email": "e@x.org", "id": 5, "name": "Eve"}, {"id": 6, "id": 7}]"#,
        "application/json",
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    assert_eq!(weir.get("/subjects/customers-value/versions").1, json!([1, 2]));

    // A changed type: refused naming the record and the field; no version 3, nothing written.
    let (status, body) = push(&weir, "in", r#"[{"id": 8}, {"id": "nine"}]"#, "application/json");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["index"], 1);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("field id")
    );
    assert_eq!(weir.get("/subjects/customers-value/versions").1, json!([1, 2]));

    let written = lines_as_json(&wait_lines(&out, 6, Duration::from_secs(20)));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read_lines(&out).len(), 6);
    assert_eq!(written[0], json!({"id": 1, "name": "Ada"}));
    assert_eq!(written[3], json!({"id": 4, "name": null, "email": "d@x.org"}));
    assert_eq!(written[4], json!({"id": 5, "name": "Eve", "email": "e@x.org"}));
    assert_eq!(written[5], json!({"id": 7, "name": null, "email": null}));
}

#[test]
fn a_registration_the_subject_refuses_refuses_the_push() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    // Someone registered a plain string for this subject already (BACKWARD, the default): not
    // a struct, so inference starts from the records, and the registry refuses the record.
    let (status, body) = weir.post(
        "/subjects/orders-value/versions",
        &json!({"schema": "\"string\""}),
    );
    assert_eq!(status, 200, "{body}");
    avro_source(&weir, "in", "orders", json!({"value.schema.infer": "true"}));
    sink(&weir, "out", "orders", &out, "AvroConverter");

    let (status, body) = push(&weir, "in", r#"[{"id": 1}, {"id": 2}]"#, "application/json");
    assert_eq!(status, 400, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("orders-value"),
        "{body}"
    );
    assert_eq!(weir.get("/subjects/orders-value/versions").1, json!([1]));

    // A registered struct is where inference resumes from: its `id` is a string, so an integer
    // `id` is refused as a changed type, naming the field.
    let schema = r#"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"id","type":"string"}]}"#;
    let (status, body) = weir.post("/subjects/refunds-value/versions", &json!({"schema": schema}));
    assert_eq!(status, 200, "{body}");
    avro_source(
        &weir,
        "refunds-in",
        "refunds",
        json!({"value.schema.infer": "true"}),
    );
    let (status, body) = push(&weir, "refunds-in", r#"[{"id": 1}]"#, "application/json");
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("field id"),
        "{body}"
    );
    let (status, body) = push(&weir, "refunds-in", r#"[{"id": "r1"}]"#, "application/json");
    assert_eq!((status, body), (200, json!({"accepted": 1})));
    std::thread::sleep(Duration::from_millis(500));
    assert!(read_lines(&out).is_empty());
}

#[test]
fn a_fixed_schema_from_a_subject_or_inline_checks_every_record() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    let schema = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"item","type":["null","string"],"default":null}]}"#;
    let (status, body) = weir.post("/subjects/orders-spec/versions", &json!({"schema": schema}));
    assert_eq!(status, 200, "{body}");
    avro_source(
        &weir,
        "by-subject",
        "orders",
        json!({"value.schema.subject": "orders-spec"}),
    );
    avro_source(&weir, "inline", "orders", json!({"value.schema": schema}));
    sink(&weir, "out", "orders", &out, "AvroConverter");

    let (status, body) = push(
        &weir,
        "by-subject",
        r#"[{"id": 1, "item": "tea"}]"#,
        "application/json",
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = push(&weir, "inline", r#"[{"id": 2}]"#, "application/json");
    assert_eq!(status, 200, "{body}");
    // A field the schema lacks would be lost; a missing required one is an error.
    let (status, body) = push(
        &weir,
        "inline",
        r#"[{"id": 3, "colour": "red"}, {"item": "x"}]"#,
        "application/json",
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("field colour"),
        "{body}"
    );
    assert_eq!(body["errors"][1]["index"], 1);
    let written = lines_as_json(&wait_lines(&out, 2, Duration::from_secs(20)));
    assert_eq!(
        written,
        vec![json!({"id": 1, "item": "tea"}), json!({"id": 2, "item": null})]
    );
}

#[test]
fn rest_proxy_v2_produces_avro_with_inline_schemas_and_ids() {
    let dir = temp_dir();
    let out = dir.path().join("out.jsonl");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    sink(&weir, "out", "clicks", &out, "AvroConverter");
    let schema = r#"{"type":"record","name":"Click","fields":[{"name":"page","type":"string"},{"name":"n","type":"int"}]}"#;
    let avro = "application/vnd.kafka.avro.v2+json";
    let request = json!({"value_schema": schema, "records": [{"value": {"page": "/a", "n": 1}}]});
    let (status, body) = weir.call_with("POST", "/topics/clicks", Some(&request.to_string()), avro);
    assert_eq!(status, 200, "{body}");
    let id = body["value_schema_id"].as_i64().unwrap();
    assert_eq!(body["key_schema_id"], Value::Null);
    assert_eq!(weir.get("/subjects/clicks-value/versions").1, json!([1]));

    let request =
        json!({"value_schema_id": id, "records": [{"value": {"page": "/b", "n": 2}, "partition": 0}]});
    let (status, body) = weir.call_with("POST", "/topics/clicks", Some(&request.to_string()), avro);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value_schema_id"], id);
    assert_eq!(body["offsets"][0]["offset"], 1);

    // A record that does not match: 422 / 42203 naming it; nothing of the request is written.
    let request = json!({"value_schema_id": id, "records": [{"value": {"page": "/c", "n": 3}}, {"value": {"page": "/d", "n": "x"}}]});
    let (status, body) = weir.call_with("POST", "/topics/clicks", Some(&request.to_string()), avro);
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42203)),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().starts_with("record 1: value"),
        "{body}"
    );
    // Values without a schema: the proxy's 42202.
    let request = json!({"records": [{"value": {"page": "/e", "n": 5}}]});
    let (status, body) = weir.call_with("POST", "/topics/clicks", Some(&request.to_string()), avro);
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42202)),
        "{body}"
    );
    // An unknown id: the proxy's "schema registration or lookup failed".
    let request = json!({"value_schema_id": 999, "records": [{"value": {"page": "/f", "n": 6}}]});
    let (status, body) = weir.call_with("POST", "/topics/clicks", Some(&request.to_string()), avro);
    assert_eq!(
        (status, body["error_code"].clone()),
        (408, json!(40801)),
        "{body}"
    );

    let written = lines_as_json(&wait_lines(&out, 2, Duration::from_secs(20)));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read_lines(&out).len(), 2);
    assert_eq!(written[1], json!({"page": "/b", "n": 2}));
}

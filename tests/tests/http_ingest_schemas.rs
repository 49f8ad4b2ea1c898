//! HTTP ingestion with fixed schemas and keys, end to end on the real binary: inline Protobuf and
//! JSON Schema schemas (records checked, refused naming the record and field, written with the
//! registered schema and read back through the matching converter; a null the JSON schema does
//! not accept left out; the Protobuf message `value.schema.message` names, absent proto3 fields
//! as their defaults), a `value.schema.subject` that picks up a newer version without a
//! restart, `key.field`, and inference resuming from the registered schema after a restart. On
//! the embedded log and on a real broker (tansu).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use tests::ingest::{
    Backend, Run, key_text, lines_as_json, message, push, schema_id, sink, source, versions,
};
use tests::{Value, Weir, json, on_both_logs, wait_lines};

on_both_logs!(
    an_inline_protobuf_schema_checks_records_and_writes_its_own_field_numbers,
    an_inline_json_schema_validates_every_record_against_the_schema_itself,
    a_subject_schema_picks_up_a_newer_version_without_a_restart,
    key_field_makes_a_record_field_the_key,
    a_protobuf_push_is_the_message_value_schema_message_names_and_absent_fields_are_defaults,
    after_a_restart_inference_resumes_from_the_registered_schema,
);

/// A Protobuf schema whose field numbers are not 1, 2, 3...: records must carry these.
const CUSTOMER_PROTO: &str = r#"syntax = "proto3";
package shop;

message Customer {
  int64 id = 1;
  string name = 4;
  optional string email = 9;
  Address address = 12;

  message Address {
    string city = 3;
  }
}

message Unused {
  string x = 1;
}
"#;

fn an_inline_protobuf_schema_checks_records_and_writes_its_own_field_numbers(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    source(
        weir,
        "in",
        json!({"topic": "customers", "value.converter": "ProtobufConverter",
               "value.schema": CUSTOMER_PROTO, "value.schema.type": "PROTOBUF"}),
    );
    sink(weir, "out", "customers", &out, "ProtobufConverter");

    let (status, body) = push(
        weir,
        "in",
        r#"[{"id": 1, "name": "Ada", "email": "ada@example.com", "address": {"city": "Paris"}},
            {"id": 2, "name": "Bo"}]"#,
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    // A value of another type, and a field the message lacks: refused naming record and field.
    let (status, body) = push(
        weir,
        "in",
        r#"[{"id": 3, "name": "Cy"}, {"id": "four", "name": "Di"}, {"id": 5, "nmae": "Ed"}]"#,
    );
    assert_eq!(status, 400, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["index"], 1);
    assert!(message(&body, 0).contains("field id"), "{body}");
    assert_eq!(errors[1]["index"], 2);
    assert!(message(&body, 1).contains("field nmae"), "{body}");
    assert_eq!(run.records_in("customers"), 2, "the refused push wrote nothing");

    // Written with the registered schema itself: nothing derived was registered, and the sink
    // decodes the bytes with that schema's field numbers.
    assert_eq!(versions(weir, "customers-value"), json!([1]));
    let id = version_id(weir, "customers-value", "1");
    let written = lines_as_json(&wait_lines(&out, 2, Duration::from_secs(60)));
    assert_eq!(written[0]["id"], 1);
    assert_eq!(written[0]["name"], "Ada");
    assert_eq!(written[0]["email"], "ada@example.com");
    assert_eq!(written[0]["address"], json!({"city": "Paris"}));
    assert_eq!(written[1]["id"], 2);
    assert_eq!(written[1]["name"], "Bo");
    assert_eq!(written[1]["email"], Value::Null);
    let records = run.stop_and_read(&["customers"]).remove(0);
    let ids: Vec<i32> = records
        .iter()
        .map(|r| schema_id(r.value.as_deref().unwrap()))
        .collect();
    assert_eq!(ids, [id, id]);
}

fn an_inline_json_schema_validates_every_record_against_the_schema_itself(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    let schema = json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "minLength": 1},
            "age": {"type": "integer", "minimum": 0}
        },
        "required": ["id", "name"]
    });
    source(
        weir,
        "in",
        json!({"topic": "people", "value.converter": "JsonSchemaConverter",
               "value.schema": schema.to_string(), "value.schema.type": "JSON"}),
    );
    // Properties outside `required` read as optional (Confluent's default reads them as required).
    weir.create(
        "out",
        json!({"connector.class": "FileStreamSink", "topics": "people", "file": out.display().to_string(),
               "value.converter": "JsonSchemaConverter",
               "value.converter.use.optional.for.nonrequired": "true"}),
    );

    let (status, body) = push(
        weir,
        "in",
        r#"[{"id": 1, "name": "Ada", "age": 36}, {"id": 2, "name": "Bo"}]"#,
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    let (status, body) = push(
        weir,
        "in",
        r#"[{"id": 3, "name": "Cy", "age": -1}, {"id": "4", "name": "Di"}, {"id": 5, "name": ""}]"#,
    );
    assert_eq!(status, 400, "{body}");
    let indexes: Vec<u64> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [0, 1, 2], "{body}");
    assert!(message(&body, 0).contains("field age"), "{body}");
    assert!(message(&body, 1).contains("field id"), "{body}");
    assert!(message(&body, 2).contains("field name"), "{body}");

    assert_eq!(run.records_in("people"), 2, "the refused push wrote nothing");

    assert_eq!(versions(weir, "people-value"), json!([1]));
    let written = lines_as_json(&wait_lines(&out, 2, Duration::from_secs(60)));
    assert_eq!(written[0], json!({"id": 1, "name": "Ada", "age": 36}));
    assert_eq!(written[1], json!({"id": 2, "name": "Bo", "age": null}));

    // `age` accepts no null: Bo's record leaves it out, the only form the schema validates.
    let records = run.stop_and_read(&["people"]).remove(0);
    let texts: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8_lossy(&r.value.as_ref().unwrap()[5..]).into_owned())
        .collect();
    assert_eq!(
        texts,
        [r#"{"id":1,"name":"Ada","age":36}"#, r#"{"id":2,"name":"Bo"}"#]
    );
}

fn a_subject_schema_picks_up_a_newer_version_without_a_restart(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    let v1 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
    let v2 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}"#;
    let v3 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null},{"name":"channel","type":["null","string"],"default":null}]}"#;
    assert_eq!(
        weir.post("/subjects/orders-spec/versions", &json!({"schema": v1}))
            .0,
        200
    );
    // Re-read only when a push has records the cached version refuses...
    source(
        weir,
        "on-mismatch",
        json!({"topic": "orders", "value.converter": "AvroConverter",
               "value.schema.subject": "orders-spec", "value.schema.refresh.ms": "3600000"}),
    );
    // ...and on every push.
    source(
        weir,
        "always",
        json!({"topic": "orders", "value.converter": "AvroConverter",
               "value.schema.subject": "orders-spec", "value.schema.refresh.ms": "0"}),
    );
    sink(weir, "out", "orders", &out, "AvroConverter");

    assert_eq!(push(weir, "on-mismatch", r#"[{"id": 1}]"#).0, 200);
    let (status, body) = push(weir, "on-mismatch", r#"[{"id": 2, "note": "early"}]"#);
    assert_eq!(status, 400, "{body}");
    assert!(message(&body, 0).contains("field note"), "{body}");
    assert_eq!(run.records_in("orders"), 1, "the refused push wrote nothing");

    // Version 2 brings `note`: the record the task refused a moment ago is accepted now.
    assert_eq!(
        weir.post("/subjects/orders-spec/versions", &json!({"schema": v2}))
            .0,
        200
    );
    let (status, body) = push(weir, "on-mismatch", r#"[{"id": 3, "note": "hi"}]"#);
    assert_eq!((status, body), (200, json!({"accepted": 1})));

    // Version 3 adds `channel`. Records that fit version 2 still do: the connector that re-reads
    // only on a mismatch keeps writing version 2; the one that re-reads every push writes 3.
    assert_eq!(
        weir.post("/subjects/orders-spec/versions", &json!({"schema": v3}))
            .0,
        200
    );
    assert_eq!(push(weir, "on-mismatch", r#"[{"id": 4}]"#).0, 200);
    assert_eq!(push(weir, "always", r#"[{"id": 5}]"#).0, 200);
    assert_eq!(run.records_in("orders"), 4);
    let written = lines_as_json(&wait_lines(&out, 4, Duration::from_secs(60)));
    assert_eq!(
        written,
        vec![
            json!({"id": 1}),
            json!({"id": 3, "note": "hi"}),
            json!({"id": 4, "note": null}),
            json!({"id": 5, "note": null, "channel": null}),
        ]
    );
    // Nothing was registered under the topic's own subject: records carry the subject's ids.
    assert_eq!(weir.get("/subjects/orders-value/versions").0, 404);
    let ids: Vec<i32> = ["1", "2", "2", "3"]
        .iter()
        .map(|v| version_id(weir, "orders-spec", v))
        .collect();
    let records = run.stop_and_read(&["orders"]).remove(0);
    let written: Vec<i32> = records
        .iter()
        .map(|r| schema_id(r.value.as_deref().unwrap()))
        .collect();
    assert_eq!(written, ids);
}

fn key_field_makes_a_record_field_the_key(backend: Backend) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    source(
        weir,
        "in",
        json!({"topic": "customers", "value.schema.infer": "true", "key.field": "id",
               "key.converter": "StringConverter"}),
    );
    sink(weir, "out", "customers", &out, "JsonConverter");
    let (status, body) = push(
        weir,
        "in",
        r#"[{"id": 7, "name": "Ada"}, {"name": "no id"}, {"id": 9, "name": "Bo"}]"#,
    );
    assert_eq!((status, body), (200, json!({"accepted": 3})));
    // The field stays in the value.
    let written = lines_as_json(&wait_lines(&out, 3, Duration::from_secs(60)));
    assert_eq!(written[0], json!({"id": 7, "name": "Ada"}));

    // A fixed schema without the field is a config error naming key.field.
    weir.create(
        "bad-key",
        json!({"connector.class": "HttpSource", "topic": "t", "key.field": "nope",
               "value.converter": "AvroConverter",
               "value.schema": r#"{"type":"record","name":"R","fields":[{"name":"id","type":"long"}]}"#}),
    );
    let failed = tests::wait_until(Duration::from_secs(20), || {
        weir.get("/connectors/bad-key/status").1["tasks"][0]["state"] == "FAILED"
    });
    let (_, status) = weir.get("/connectors/bad-key/status");
    assert!(failed, "{status}");
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(trace.contains("key.field") && trace.contains("nope"), "{status}");

    let records = run.stop_and_read(&["customers", "t"]);
    assert!(records[1].is_empty(), "the failed task wrote nothing");
    let records = &records[0];
    let keys: Vec<Option<String>> = records.iter().map(key_text).collect();
    assert_eq!(keys, [Some("7".to_owned()), None, Some("9".to_owned())]);
}

/// Two messages; records are the second one's (`value.schema.message`).
const SHOP_PROTO: &str = r#"syntax = "proto3";
package shop;

message Customer {
  int64 id = 1;
  string name = 2;
}

message Order {
  int64 order_id = 3;
  string customer = 5;
  repeated string items = 6;
  Status status = 7;
  bool paid = 8;
  optional string note = 9;

  enum Status {
    NEW = 0;
    SHIPPED = 1;
  }
}
"#;

fn a_protobuf_push_is_the_message_value_schema_message_names_and_absent_fields_are_defaults(
    backend: Backend,
) {
    let mut run = Run::start(backend, "");
    let out = run.path("out.jsonl");
    let weir = run.weir();
    let config = |message: &str| {
        json!({"connector.class": "HttpSource", "topic": "orders", "value.converter": "ProtobufConverter",
               "value.schema": SHOP_PROTO, "value.schema.type": "PROTOBUF",
               "value.schema.message": message,
               "key.field": "order_id", "key.converter": "StringConverter"})
    };
    // A message the schema lacks: refused at create, naming the key and the messages there are.
    let (status, body) = weir.post(
        "/connectors",
        &json!({"name": "bad", "config": config("Invoice")}),
    );
    assert_eq!(status, 400, "{body}");
    let text = body["message"].as_str().unwrap_or_default();
    assert!(
        text.contains("value.schema.message") && text.contains("shop.Customer, shop.Order"),
        "{body}"
    );

    weir.create("in", config("Order"));
    weir.wait_state("in", "RUNNING");
    sink(weir, "out", "orders", &out, "ProtobufConverter");
    let (status, body) = push(
        weir,
        "in",
        r#"[{"order_id": 7, "customer": "Ada", "items": ["tea", "cups"], "status": "SHIPPED", "paid": true, "note": "gift"},
            {"customer": "Bo"}]"#,
    );
    assert_eq!((status, body), (200, json!({"accepted": 2})));
    // The first message's shape is not an Order.
    let (status, body) = push(weir, "in", r#"[{"id": 1, "name": "Cy"}]"#);
    assert_eq!(status, 400, "{body}");
    assert!(message(&body, 0).contains("field id"), "{body}");
    assert_eq!(run.records_in("orders"), 2, "the refused push wrote nothing");

    // Read back as Orders; the fields Bo's record left out are their proto3 defaults, except
    // `note`, declared `optional`.
    let written = lines_as_json(&wait_lines(&out, 2, Duration::from_secs(60)));
    assert_eq!(
        written,
        vec![
            json!({"order_id": 7, "customer": "Ada", "items": ["tea", "cups"], "status": "SHIPPED", "paid": true, "note": "gift"}),
            json!({"order_id": 0, "customer": "Bo", "items": [], "status": "NEW", "paid": false, "note": null}),
        ]
    );
    assert_eq!(versions(weir, "orders-value"), json!([1]));

    let records = run.stop_and_read(&["orders"]).remove(0);
    // The absent order_id is 0 in the record itself, so it is the key too.
    let keys: Vec<Option<String>> = records.iter().map(key_text).collect();
    assert_eq!(keys, [Some("7".to_owned()), Some("0".to_owned())]);
    // After the magic byte and schema id, the message-index path [1]: count 1, index 1
    // (zigzag varints 2, 2).
    for r in &records {
        let value = r.value.as_ref().unwrap();
        assert_eq!(&value[5..7], &[2, 2], "{value:?}");
    }
}

/// The schema id of a subject's `version`.
fn version_id(weir: &Weir, subject: &str, version: &str) -> i32 {
    let (status, body) = weir.get(&format!("/subjects/{subject}/versions/{version}"));
    assert_eq!(status, 200, "{body}");
    i32::try_from(body["id"].as_i64().unwrap()).unwrap()
}

/// The top-level field names of a subject's `version`, in order, whatever the schema language.
fn registered_fields(weir: &Weir, subject: &str, version: &str) -> Vec<String> {
    let (status, body) = weir.get(&format!("/subjects/{subject}/versions/{version}"));
    assert_eq!(status, 200, "{body}");
    let text = body["schema"].as_str().unwrap();
    match body["schemaType"].as_str().unwrap_or("AVRO") {
        "AVRO" => serde_json::from_str::<Value>(text).unwrap()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect(),
        "JSON" => {
            let schema: Value = serde_json::from_str(text).unwrap();
            let mut props: Vec<(u64, String)> = schema["properties"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (v["connect.index"].as_u64().unwrap(), k.clone()))
                .collect();
            props.sort();
            props.into_iter().map(|(_, k)| k).collect()
        }
        _ => text
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                // `[optional] type name = n;`, not `syntax = ...`.
                let (decl, _) = l.split_once(" = ")?;
                let words: Vec<&str> = decl.split_whitespace().collect();
                (words.len() >= 2).then(|| words[words.len() - 1].to_owned())
            })
            .collect(),
    }
}

fn after_a_restart_inference_resumes_from_the_registered_schema(backend: Backend) {
    let mut run = Run::start(backend, "");
    let weir = run.weir();
    // (JsonSchemaConverter is left out: under the default BACKWARD level the registry refuses
    // any widening of an inferred JSON schema, whose content model is open.)
    let converters = ["AvroConverter", "ProtobufConverter"];
    for c in converters {
        source(
            weir,
            c,
            json!({"topic": c, "value.converter": c, "value.schema.infer": "true"}),
        );
        let first = push(
            weir,
            c,
            r#"[{"id": 1, "name": "Ada", "email": "ada@example.com"}]"#,
        );
        assert_eq!(first, (200, json!({"accepted": 1})), "{c}");
        let second = push(weir, c, r#"[{"id": 2, "tier": "gold"}]"#);
        assert_eq!(second, (200, json!({"accepted": 1})), "{c}");
        let subject = format!("{c}-value");
        assert_eq!(versions(weir, &subject), json!([1, 2]), "{c}");
        assert_eq!(
            registered_fields(weir, &subject, "2"),
            ["id", "name", "email", "tier"],
            "{c}"
        );
    }
    run.restart();
    let weir = run.weir();
    for c in converters {
        weir.wait_state(c, "RUNNING");
        let subject = format!("{c}-value");
        // Fewer fields, in another order: written under version 2, nothing narrower registered.
        let (status, body) = push(weir, c, r#"[{"name": "Cy", "id": 3}]"#);
        assert_eq!((status, body), (200, json!({"accepted": 1})), "{c}");
        assert_eq!(versions(weir, &subject), json!([1, 2]), "{c}");
        // A new field widens version 2, keeping its order.
        let (status, body) = push(weir, c, r#"[{"zip": "0150", "id": 4}]"#);
        assert_eq!((status, body), (200, json!({"accepted": 1})), "{c}");
        assert_eq!(versions(weir, &subject), json!([1, 2, 3]), "{c}");
        assert_eq!(
            registered_fields(weir, &subject, "3"),
            ["id", "name", "email", "tier", "zip"],
            "{c}"
        );
        // The type of a field from before the restart is still fixed.
        let (status, body) = push(weir, c, r#"[{"id": "five"}]"#);
        assert_eq!(status, 400, "{c}: {body}");
        assert!(message(&body, 0).contains("field id"), "{c}: {body}");
        assert_eq!(run.records_in(c), 4, "{c}: the refused push wrote nothing");
    }
    // Every record carries the id of the version it was written under.
    let want: Vec<Vec<i32>> = converters
        .iter()
        .map(|c| {
            let subject = format!("{c}-value");
            ["1", "2", "2", "3"]
                .iter()
                .map(|v| version_id(weir, &subject, v))
                .collect()
        })
        .collect();
    let records = run.stop_and_read(&converters);
    for (c, (records, want)) in converters.iter().zip(records.iter().zip(want)) {
        let ids: Vec<i32> = records
            .iter()
            .map(|r| schema_id(r.value.as_deref().unwrap()))
            .collect();
        assert_eq!(ids, want, "{c}");
    }
}

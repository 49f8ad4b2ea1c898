//! The REST Proxy v2 produce call's embedded formats where clients differ in how they write
//! them, on the real binary: JSON Schema drafts and `format`, schemas with registry references,
//! base64 as other encoders write it, and a schema that cannot be used at all. The calls'
//! shapes, codes and partitioning are in `http_ingest_rest_proxy.rs`.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use tests::ingest::proxy::{BINARY, JSONSCHEMA, V2, embedded_records, send};
use tests::{Weir, WeirConfig, json, temp_dir};

#[test]
fn json_schema_without_dollar_schema_is_draft_7_and_checks_formats() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    // No `$schema`: draft 7, as the registry reads it and Confluent validates: `items` as an
    // array is a tuple, and `format` is checked.
    let schema = r#"{"type":"object","properties":{
        "at":{"type":"string","format":"date-time"},
        "pair":{"type":"array","items":[{"type":"string"},{"type":"integer"}]}}}"#;
    let good = json!({"at": "2026-12-07T09:00:00Z", "pair": ["a", 1]});
    let request = json!({"value_schema": schema, "records": [{"value": good}]});
    let (status, _, body) = send(&weir, "/topics/events", Some(JSONSCHEMA), &request.to_string());
    assert_eq!(status, 200, "{body}");
    let id = body["value_schema_id"].as_i64().unwrap();
    for (bad, field) in [
        (json!({"at": "yesterday"}), "/at"),
        (json!({"pair": [1, "a"]}), "/pair/0"),
    ] {
        let request = json!({"value_schema_id": id, "records": [{"value": good}, {"value": bad}]});
        let (status, _, body) = send(&weir, "/topics/events", Some(JSONSCHEMA), &request.to_string());
        assert_eq!(
            (status, body["error_code"].as_u64()),
            (422, Some(42203)),
            "{body}"
        );
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("record 1: value: ") && message.contains(field),
            "{message}"
        );
    }
    let records = embedded_records(weir, "events");
    assert_eq!(records.len(), 1, "the refused requests wrote nothing");
    let value = records[0].value.as_deref().unwrap();
    assert_eq!(&value[..5], &[0, 0, 0, 0, u8::try_from(id).unwrap()]);
    assert_eq!(&value[5..], br#"{"at":"2026-12-07T09:00:00Z","pair":["a",1]}"#);
}

#[test]
fn json_schema_with_registry_references() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    let address = r#"{"type":"object","properties":{"zip":{"type":"string"}},"required":["zip"]}"#;
    let (status, body) = weir.post(
        "/subjects/address.json/versions",
        &json!({"schemaType": "JSON", "schema": address}),
    );
    assert_eq!(status, 200, "{body}");
    let order = r#"{"type":"object","properties":{"id":{"type":"integer"},"ship_to":{"$ref":"address.json"}},"required":["ship_to"]}"#;
    let (status, body) = weir.post(
        "/subjects/orders-value/versions",
        &json!({"schemaType": "JSON", "schema": order,
                "references": [{"name": "address.json", "subject": "address.json", "version": 1}]}),
    );
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_i64().unwrap();

    let request = json!({"value_schema_id": id, "records": [
        {"value": {"id": 1, "ship_to": {"zip": "1011"}}}]});
    let (status, _, body) = send(&weir, "/topics/orders", Some(JSONSCHEMA), &request.to_string());
    assert_eq!(
        (status, body["value_schema_id"].as_i64()),
        (200, Some(id)),
        "{body}"
    );
    let request = json!({"value_schema_id": id, "records": [
        {"value": {"id": 2, "ship_to": {"zip": 1011}}}]});
    let (status, _, body) = send(&weir, "/topics/orders", Some(JSONSCHEMA), &request.to_string());
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (422, Some(42203)),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("record 0: value: ") && message.contains("/ship_to/zip"),
        "{message}"
    );

    let records = embedded_records(weir, "orders");
    assert_eq!(records.len(), 1);
    let value = records[0].value.as_deref().unwrap();
    assert_eq!(&value[1..5], &i32::try_from(id).unwrap().to_be_bytes());
    assert_eq!(&value[5..], br#"{"id":1,"ship_to":{"zip":"1011"}}"#);
}

#[test]
fn binary_base64_may_be_unpadded_and_broken_into_lines() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    // "hello" padded, unpadded, with a line break and spaces (as MIME encoders and
    // `base64` without -w0 write it): the proxy's decoders take all of them.
    let request = json!({"records": [
        {"key": "aGVsbG8=", "value": "aGVsbG8="},
        {"key": "aGVsbG8", "value": "aGVs\nbG8="},
        {"key": " aGVs bG8\r\n", "value": "aGVsbG8\n"},
    ]});
    let (status, _, body) = send(&weir, "/topics/raw", Some(BINARY), &request.to_string());
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = send(
        &weir,
        "/topics/raw",
        Some(BINARY),
        r#"{"records": [{"value": "aGVsbG8="}, {"value": "aGV*bG8="}]}"#,
    );
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (422, Some(42203)),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("record 1: value: invalid base64"),
        "{body}"
    );
    let records = embedded_records(weir, "raw");
    assert_eq!(records.len(), 3);
    for r in &records {
        assert_eq!(r.key.as_deref(), Some(&b"hello"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"hello"[..]));
    }
}

#[test]
fn a_schema_that_cannot_be_used_is_42205_without_blaming_a_record() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    // A valid Protobuf schema with no message: the registry keeps it, but no record can be
    // written with it. That is the schema's fault, not record 0's.
    let (status, body) = weir.post(
        "/subjects/enums-value/versions",
        &json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nenum Color { RED = 0; BLUE = 1; }\n"}),
    );
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (status, ct, body) = send(
        &weir,
        "/topics/enums",
        Some("application/vnd.kafka.protobuf.v2+json"),
        &json!({"value_schema_id": id, "records": [{"value": {"x": 1}}]}).to_string(),
    );
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (422, Some(42205)),
        "{body}"
    );
    assert_eq!(ct, V2);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Invalid schema: ")
            && message.contains("no message")
            && !message.contains("record"),
        "{message}"
    );
    assert_eq!(weir.get("/topics").1, json!([]), "nothing written");
}

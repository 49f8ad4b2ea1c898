use super::EmbeddedFormat::{self, *};
use super::produce::{ConvertError, parse_request};
use schemas::ConnectError;

#[test]
fn content_types_name_the_embedded_format_and_generic_ones_are_binary() {
    let cases = [
        ("application/vnd.kafka.json.v2+json", Some(Json)),
        ("application/vnd.kafka.binary.v2+json", Some(Binary)),
        ("application/vnd.kafka.avro.v2+json; charset=utf-8", Some(Avro)),
        ("Application/Vnd.Kafka.Protobuf.V2+Json", Some(Protobuf)),
        ("application/vnd.kafka.jsonschema.v2+json", Some(JsonSchema)),
        ("application/vnd.kafka.avro+json", Some(Avro)),
        ("application/vnd.kafka.v2+json", Some(Binary)),
        ("application/vnd.kafka+json", Some(Binary)),
        ("application/json", Some(Binary)),
        ("application/octet-stream", Some(Binary)),
        ("application/vnd.kafka.binary.v1+json", None),
        ("application/vnd.kafka.v1+json", None),
        ("application/vnd.kafka.xml.v2+json", None),
        ("text/plain", None),
        ("application/x-www-form-urlencoded", None),
    ];
    for (content_type, want) in cases {
        assert_eq!(
            EmbeddedFormat::from_content_type(Some(content_type)),
            want,
            "{content_type}"
        );
    }
    assert_eq!(EmbeddedFormat::from_content_type(None), Some(Binary));
}

fn refused(body: &str) -> (u16, u32, String) {
    let e = parse_request(body.as_bytes()).expect_err(body).0;
    (e.status.as_u16(), e.error_code, e.message)
}

#[test]
fn requests_are_read_leniently_where_jackson_is_and_refused_with_the_proxys_codes() {
    let r = parse_request(
        br#"{"value_schema": {"type": "string"}, "value_schema_id": "7", "key_schema_id": null,
             "records": [{"value": "a", "partition": 1}, {"key": null, "value": null}]}"#,
    )
    .unwrap();
    assert_eq!(r.value_schema.as_deref(), Some(r#"{"type":"string"}"#));
    assert_eq!(r.value_schema_id, Some(7));
    assert_eq!(r.key_schema_id, None);
    assert_eq!(r.records[0].partition, Some(1));
    assert!(r.records[1].key.is_none() && r.records[1].value.is_none());
    assert!(r.has_values() && !r.has_keys());

    assert_eq!(refused("").0, 422);
    assert_eq!(refused("null").0, 422);
    assert_eq!(refused(r#"{"records": []}"#).0, 422);
    assert_eq!(refused(r#"{}"#).0, 422);
    assert_eq!(refused("{nope").0, 400);
    assert_eq!(refused("[1]").0, 400);
    assert_eq!(refused(r#"{"records": {"value": 1}}"#).0, 400);
    // Partitions and schema ids as Jackson coerces them: digit strings and whole floats.
    let r = parse_request(
        br#"{"value_schema_id": 7.0, "key_schema_id": " 8 ", "records": [{"value": 1, "partition": "1"},
             {"value": 2, "partition": 2.0}, {"value": 3, "partition": 3e0}]}"#,
    )
    .unwrap();
    assert_eq!((r.value_schema_id, r.key_schema_id), (Some(7), Some(8)));
    let partitions: Vec<_> = r.records.iter().map(|r| r.partition).collect();
    assert_eq!(partitions, [Some(1), Some(2), Some(3)]);
    // A fraction is refused, not truncated as Jackson would.
    let (status, _, message) = refused(r#"{"records": [{"value": 1, "partition": 1.5}]}"#);
    assert_eq!(status, 400);
    assert!(
        message.contains("records[0].partition") && message.contains("1.5"),
        "{message}"
    );
    assert_eq!(
        refused(r#"{"records": [{"value": 1}], "value_schema_id": 7.5}"#).0,
        400
    );
    assert_eq!(
        refused(r#"{"records": [{"value": 1, "partition": "1.0"}]}"#).0,
        400
    );
    assert_eq!(
        refused(r#"{"records": [{"value": 1, "partition": true}]}"#).0,
        400
    );
    assert_eq!(refused(r#"{"records": [{"value": 1, "partition": "x"}]}"#).0, 400);
    assert_eq!(
        refused(r#"{"records": [{"value": 1}], "value_schema_id": "x"}"#).0,
        400
    );
    let (status, code, message) = refused(r#"{"records": [{"value": 1}, {"value": 2, "partition": -1}]}"#);
    assert_eq!((status, code), (422, 422));
    assert!(message.contains("records[1].partition"), "{message}");
}

#[test]
fn serializer_errors_are_answered_by_whose_fault_they_are() {
    let answer = |e: ConnectError| {
        let e = ConvertError::from_serializer(e).at(3, "value").0;
        (e.status.as_u16(), e.error_code, e.retry_after, e.message)
    };
    // The record's data: 42203 naming the record (and the field, as the serializer names it).
    let (status, code, retry, message) = answer(ConnectError::data("field n: expected int, got a string"));
    assert_eq!((status, code, retry), (422, 42203, false));
    assert_eq!(
        message,
        "record 3: value: Conversion of JSON to Object failed: field n: expected int, got a string"
    );
    // The schema cannot be used: 42205, no record blamed.
    let (status, code, retry, message) = answer(ConnectError::schema(
        "schema id 4: the Protobuf schema has no message",
    ));
    assert_eq!((status, code, retry), (422, 42205, false));
    assert!(!message.contains("record"), "{message}");
    assert!(message.contains("schema id 4"), "{message}");
    // The registry did not answer: 503, retry later.
    let (status, code, retry, message) = answer(ConnectError::connection("schema id 4: connection refused"));
    assert_eq!((status, code, retry), (503, 503, true));
    assert!(!message.contains("record"), "{message}");
    let (status, _, retry, _) = answer(ConnectError::internal("bug"));
    assert_eq!((status, retry), (500, false));
}

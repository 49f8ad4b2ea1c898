//! JsonConverter against Kafka Connect's own output: envelopes as Kafka writes them must be
//! read, and what Weir writes must equal Kafka's bytes; plus the error messages users see.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use formats::{Converter, build_converter, converter_classes};
use schemas::data::{DATE, DECIMAL, TIME, TIMESTAMP};
use schemas::{Data, ErrorKind, Schema, SchemaKind, Value};

fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn json(pairs: &[(&str, &str)]) -> Arc<dyn Converter> {
    build_converter(
        "JsonConverter",
        &props(pairs),
        false,
        &formats::ConverterContext::default(),
    )
    .unwrap()
}

fn s(kind: SchemaKind) -> Arc<Schema> {
    Arc::new(Schema::new(kind))
}

fn logical(kind: SchemaKind, name: &str, scale: Option<&str>) -> Arc<Schema> {
    let mut schema = Schema::new(kind).named(name);
    schema.version = Some(1);
    if let Some(scale) = scale {
        schema.parameters.insert("scale".into(), scale.into());
    }
    Arc::new(schema)
}

async fn encode(c: &Arc<dyn Converter>, data: &Data) -> String {
    let bytes = c.from_connect("t", Some(data)).await.unwrap().unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn decode(c: &Arc<dyn Converter>, text: &str) -> Data {
    c.to_connect("t", Some(text.as_bytes())).await.unwrap().unwrap()
}

#[tokio::test]
async fn writes_kafkas_exact_bytes() {
    let c = json(&[]);
    // What Kafka's FileStreamSource + JsonConverter put in a topic for the line "foo".
    let line = Data::new(Some(s(SchemaKind::String)), Value::String("foo".into()));
    assert_eq!(
        encode(&c, &line).await,
        r#"{"schema":{"type":"string","optional":false},"payload":"foo"}"#
    );

    let customer = Arc::new(
        Schema::structure([
            ("id".to_string(), s(SchemaKind::Int32)),
            (
                "name".to_string(),
                Arc::new(Schema::new(SchemaKind::String).optional()),
            ),
        ])
        .named("customer"),
    );
    let data = Data::new(Some(customer), Value::Struct(vec![Value::Int32(1), Value::Null]));
    assert_eq!(
        encode(&c, &data).await,
        r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"customer"},"payload":{"id":1,"name":null}}"#
    );

    let dec = Data::new(
        Some(logical(SchemaKind::Bytes, DECIMAL, Some("2"))),
        Value::Bytes(Bytes::from_static(&[0x00, 0x9c])),
    );
    assert_eq!(
        encode(&c, &dec).await,
        r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"AJw="}"#
    );
    let numeric = json(&[("decimal.format", "NUMERIC")]);
    assert!(encode(&numeric, &dec).await.ends_with(r#""payload":1.56}"#));

    let schemaless = json(&[("schemas.enable", "false")]);
    assert_eq!(encode(&schemaless, &line).await, r#""foo""#);
}

#[tokio::test]
async fn reads_kafka_envelopes_of_every_type() {
    let c = json(&[]);
    let cases: Vec<(&str, Value, SchemaKind)> = vec![
        (
            r#"{ "schema": { "type": "boolean" }, "payload": true }"#,
            Value::Boolean(true),
            SchemaKind::Boolean,
        ),
        (
            r#"{ "schema": { "type": "int8" }, "payload": 12 }"#,
            Value::Int8(12),
            SchemaKind::Int8,
        ),
        (
            r#"{ "schema": { "type": "int16" }, "payload": 12 }"#,
            Value::Int16(12),
            SchemaKind::Int16,
        ),
        (
            r#"{ "schema": { "type": "int32" }, "payload": 12 }"#,
            Value::Int32(12),
            SchemaKind::Int32,
        ),
        (
            r#"{ "schema": { "type": "int64" }, "payload": 4398046511104 }"#,
            Value::Int64(4398046511104),
            SchemaKind::Int64,
        ),
        (
            r#"{ "schema": { "type": "float" }, "payload": 12.34 }"#,
            Value::Float32(12.34),
            SchemaKind::Float32,
        ),
        (
            r#"{ "schema": { "type": "double" }, "payload": 12.34 }"#,
            Value::Float64(12.34),
            SchemaKind::Float64,
        ),
        (
            r#"{ "schema": { "type": "bytes" }, "payload": "Ynl0ZXM=" }"#,
            Value::Bytes(Bytes::from_static(b"bytes")),
            SchemaKind::Bytes,
        ),
        (
            r#"{ "schema": { "type": "string" }, "payload": "foo-bar-baz" }"#,
            Value::String("foo-bar-baz".into()),
            SchemaKind::String,
        ),
        (
            r#"{ "schema": { "type": "array", "items": { "type" : "int32" } }, "payload": [1, 2, 3] }"#,
            Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)]),
            SchemaKind::Array,
        ),
        (
            r#"{ "schema": { "type": "map", "keys": { "type" : "string" }, "values": { "type" : "int32" } }, "payload": { "key1": 12, "key2": 15} }"#,
            Value::Map(vec![
                (Value::String("key1".into()), Value::Int32(12)),
                (Value::String("key2".into()), Value::Int32(15)),
            ]),
            SchemaKind::Map,
        ),
        (
            r#"{ "schema": { "type": "map", "keys": { "type" : "int32" }, "values": { "type" : "int32" } }, "payload": [ [1, 12], [2, 15] ] }"#,
            Value::Map(vec![
                (Value::Int32(1), Value::Int32(12)),
                (Value::Int32(2), Value::Int32(15)),
            ]),
            SchemaKind::Map,
        ),
        (
            r#"{ "schema": { "type": "struct", "fields": [{ "field": "field1", "type": "boolean" }, { "field": "field2", "type": "string" }] }, "payload": { "field1": true, "field2": "string" } }"#,
            Value::Struct(vec![Value::Boolean(true), Value::String("string".into())]),
            SchemaKind::Struct,
        ),
    ];
    for (text, value, kind) in cases {
        let data = decode(&c, text).await;
        assert_eq!(data.value, value, "{text}");
        let schema = data.schema.unwrap();
        assert_eq!(schema.kind, kind);
        assert!(!schema.optional);
    }
}

#[tokio::test]
async fn reads_kafka_logical_types_and_metadata() {
    let c = json(&[]);
    let d = decode(&c, r#"{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": "AJw=" }"#).await;
    assert_eq!(d.value, Value::Bytes(Bytes::from_static(&[0x00, 0x9c])));
    // NUMERIC payloads are read whatever decimal.format says, as in Kafka.
    let d = decode(&c, r#"{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": 1.56 }"#).await;
    assert_eq!(d.value, Value::Bytes(Bytes::from_static(&[0x00, 0x9c])));
    let d = decode(&c, r#"{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1 }, "payload": 10000 }"#).await;
    assert_eq!(
        (d.value, d.schema.unwrap().name.as_deref()),
        (Value::Int32(10000), Some(DATE))
    );
    let d = decode(&c, r#"{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Time", "version": 1 }, "payload": 14400000 }"#).await;
    assert_eq!(
        (d.value, d.schema.unwrap().name.as_deref()),
        (Value::Int32(14400000), Some(TIME))
    );
    let d = decode(&c, r#"{ "schema": { "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1 }, "payload": 4000000000 }"#).await;
    assert_eq!(
        (d.value, d.schema.unwrap().name.as_deref()),
        (Value::Int64(4000000000), Some(TIMESTAMP))
    );

    let d = decode(&c, r#"{ "schema": { "type": "int32", "optional": true, "name": "n", "version": 3, "doc": "the doc", "parameters": {"p": "v"}, "default": 7 }, "payload": null }"#).await;
    let schema = d.schema.unwrap();
    assert!(schema.optional);
    assert_eq!(
        (schema.name.as_deref(), schema.version, schema.doc.as_deref()),
        (Some("n"), Some(3), Some("the doc"))
    );
    assert_eq!(schema.parameters.get("p").map(String::as_str), Some("v"));
    // replace.null.with.default=true (the default): the null reads as the default.
    assert_eq!(d.value, Value::Int32(7));
    let keep_null = json(&[("replace.null.with.default", "false")]);
    let d = decode(
        &keep_null,
        r#"{ "schema": { "type": "int32", "optional": true, "default": 7 }, "payload": null }"#,
    )
    .await;
    assert_eq!(d.value, Value::Null);
}

fn every_type_schema() -> Arc<Schema> {
    let opt = |k| Arc::new(Schema::new(k).optional());
    Arc::new(
        Schema::structure([
            ("b".to_string(), s(SchemaKind::Boolean)),
            ("i8".to_string(), s(SchemaKind::Int8)),
            ("i16".to_string(), s(SchemaKind::Int16)),
            ("i32".to_string(), s(SchemaKind::Int32)),
            ("i64".to_string(), s(SchemaKind::Int64)),
            ("f32".to_string(), s(SchemaKind::Float32)),
            ("f64".to_string(), s(SchemaKind::Float64)),
            ("s".to_string(), opt(SchemaKind::String)),
            ("bytes".to_string(), s(SchemaKind::Bytes)),
            ("arr".to_string(), Arc::new(Schema::array(s(SchemaKind::Int64)))),
            (
                "smap".to_string(),
                Arc::new(Schema::map(s(SchemaKind::String), opt(SchemaKind::Int32))),
            ),
            (
                "imap".to_string(),
                Arc::new(Schema::map(s(SchemaKind::Int16), s(SchemaKind::String))),
            ),
            ("dec".to_string(), logical(SchemaKind::Bytes, DECIMAL, Some("3"))),
            ("date".to_string(), logical(SchemaKind::Int32, DATE, None)),
            ("time".to_string(), logical(SchemaKind::Int32, TIME, None)),
            ("ts".to_string(), logical(SchemaKind::Int64, TIMESTAMP, None)),
            (
                "inner".to_string(),
                Arc::new(Schema::structure([("x".to_string(), opt(SchemaKind::Float64))]).optional()),
            ),
        ])
        .named("com.example.Everything"),
    )
}

fn every_type_value() -> Value {
    Value::Struct(vec![
        Value::Boolean(false),
        Value::Int8(-8),
        Value::Int16(-1600),
        Value::Int32(320000),
        Value::Int64(-6_400_000_000_000),
        Value::Float32(1.5),
        Value::Float64(-2.25e-7),
        Value::String("héllo \"quoted\"\n".into()),
        Value::Bytes(Bytes::from_static(&[0, 1, 2, 255])),
        Value::Array(vec![Value::Int64(1), Value::Int64(-1)]),
        Value::Map(vec![
            (Value::String("a".into()), Value::Null),
            (Value::String("b".into()), Value::Int32(2)),
        ]),
        Value::Map(vec![(Value::Int16(7), Value::String("seven".into()))]),
        Value::Bytes(Bytes::from(vec![0xfe, 0x1d, 0xc0])), // -123456 -> -123.456
        Value::Int32(19_000),
        Value::Int32(43_200_000),
        Value::Int64(1_700_000_000_123),
        Value::Struct(vec![Value::Float64(0.1)]),
    ])
}

#[tokio::test]
async fn round_trips_every_type_with_and_without_schemas() {
    let data = Data::new(Some(every_type_schema()), every_type_value());
    for pairs in [
        vec![],
        vec![("decimal.format", "NUMERIC")],
        vec![("replace.null.with.default", "false")],
    ] {
        let c = json(&pairs);
        let text = encode(&c, &data).await;
        let back = decode(&c, &text).await;
        assert_eq!(back, data, "{pairs:?}: {text}");
        // The same text again is answered from the schema cache and stays equal.
        assert_eq!(decode(&c, &text).await, data);
    }
    let numeric = json(&[("decimal.format", "NUMERIC")]);
    assert!(encode(&numeric, &data).await.contains(r#""dec":-123.456"#));

    // Schemaless: Kafka's inference (objects -> maps, integers -> int64, other numbers -> float64).
    let c = json(&[("schemas.enable", "false")]);
    let d = decode(&c, r#"{"a": 1, "b": [true, null, 2.5], "c": {"d": "x"}}"#).await;
    assert_eq!(d.schema, None);
    let expected = Value::Map(vec![
        (Value::String("a".into()), Value::Int64(1)),
        (
            Value::String("b".into()),
            Value::Array(vec![Value::Boolean(true), Value::Null, Value::Float64(2.5)]),
        ),
        (
            Value::String("c".into()),
            Value::Map(vec![(Value::String("d".into()), Value::String("x".into()))]),
        ),
    ]);
    assert_eq!(d.value, expected);
    assert_eq!(
        encode(&c, &d).await,
        r#"{"a":1,"b":[true,null,2.5],"c":{"d":"x"}}"#
    );
    // Non-string map keys without a schema are written as [key, value] pairs, as Kafka does.
    let pairs = Data::schemaless(Value::Map(vec![(Value::Int64(1), Value::String("one".into()))]));
    assert_eq!(encode(&c, &pairs).await, r#"[[1,"one"]]"#);
}

#[tokio::test]
async fn tombstones_pass_through() {
    for class in ["JsonConverter", "StringConverter", "ByteArrayConverter"] {
        let c = build_converter(
            class,
            &BTreeMap::new(),
            true,
            &formats::ConverterContext::default(),
        )
        .unwrap();
        assert_eq!(c.from_connect("t", None).await.unwrap(), None, "{class}");
        assert_eq!(c.to_connect("t", None).await.unwrap(), None, "{class}");
    }
    let c = json(&[]);
    assert_eq!(
        c.from_connect("t", Some(&Data::schemaless(Value::Null)))
            .await
            .unwrap(),
        None
    );
    // An optional schema with a null value keeps its schema in the envelope, as Kafka writes it.
    let opt = Data::new(
        Some(Arc::new(Schema::new(SchemaKind::String).optional())),
        Value::Null,
    );
    assert_eq!(
        encode(&c, &opt).await,
        r#"{"schema":{"type":"string","optional":true},"payload":null}"#
    );
}

async fn decode_err(c: &Arc<dyn Converter>, text: &str) -> schemas::ConnectError {
    let err = c.to_connect("orders", Some(text.as_bytes())).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data, "{err}");
    err
}

#[tokio::test]
async fn bad_bytes_give_precise_errors() {
    let c = json(&[]);
    let err = decode_err(&c, "{\"schema\": null,\n \"payload\": tru}").await;
    assert_eq!(
        err.message,
        "Converting byte[] to Kafka Connect data failed for topic orders: invalid JSON at line 2 column 16: expected ident"
    );
    let err = decode_err(&c, r#"{"name": "plain json"}"#).await;
    assert!(err.message.contains("JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false"), "{err}");
    assert!(err.message.contains("topic orders"), "{err}");
    let err = decode_err(&c, r#"{"schema": null, "payload": 1, "extra": 2}"#).await;
    assert!(
        err.message.contains("requires \"schema\" and \"payload\""),
        "{err}"
    );
    let err = decode_err(&c, "[1, 2]").await;
    assert!(
        err.message.contains("requires \"schema\" and \"payload\""),
        "{err}"
    );
    let err = decode_err(&c, "[1, 2").await;
    assert!(err.message.contains("invalid JSON at line 1 column 5"), "{err}");

    let struct_schema = r#"{"type":"struct","fields":[{"type":"struct","field":"address","fields":[{"type":"int32","field":"zip"}]}]}"#;
    let err = decode_err(
        &c,
        &format!(r#"{{"schema":{struct_schema},"payload":{{"address":{{"zip":"x1"}}}}}}"#),
    )
    .await;
    assert!(
        err.message
            .ends_with("field address.zip: expected an int32, got string"),
        "{err}"
    );
    let err = decode_err(
        &c,
        &format!(r#"{{"schema":{struct_schema},"payload":{{"address":{{}}}}}}"#),
    )
    .await;
    assert!(
        err.message
            .ends_with("field address.zip: null value for a required int32 field"),
        "{err}"
    );
    let err = decode_err(&c, r#"{"schema":{"type":"int8"},"payload":300}"#).await;
    assert!(
        err.message.ends_with("expected an int8, got the number 300"),
        "{err}"
    );
    let err = decode_err(&c, r#"{"schema":{"type":"bogus"},"payload":1}"#).await;
    assert!(err.message.ends_with("Unknown schema type: bogus"), "{err}");
    let err = decode_err(&c, r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"1"}},"payload":1.25}"#).await;
    assert!(err.message.contains("more than 1 decimal places"), "{err}");

    // Encoding: a value that does not match its schema names the field.
    let schema = Arc::new(Schema::structure([("age".to_string(), s(SchemaKind::Int32))]));
    let err = c
        .from_connect(
            "orders",
            Some(&Data::new(
                Some(schema.clone()),
                Value::Struct(vec![Value::String("x".into())]),
            )),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert!(
        err.message.contains("topic orders") && err.message.contains("field age: expected int32"),
        "{err}"
    );
    let err = c
        .from_connect(
            "orders",
            Some(&Data::new(Some(schema), Value::Struct(vec![Value::Null]))),
        )
        .await
        .unwrap_err();
    assert!(
        err.message.contains("field age: null value for a required int32"),
        "{err}"
    );
}

#[tokio::test]
async fn string_and_bytearray_converters() {
    let c = build_converter(
        "org.apache.kafka.connect.storage.StringConverter",
        &BTreeMap::new(),
        false,
        &formats::ConverterContext::default(),
    )
    .unwrap();
    let d = decode(&c, "héllo").await;
    assert_eq!(d.value, Value::String("héllo".into()));
    let schema = d.schema.clone().unwrap();
    assert!(schema.kind == SchemaKind::String && schema.optional);
    assert_eq!(encode(&c, &d).await, "héllo");
    assert_eq!(encode(&c, &Data::schemaless(Value::Int32(42))).await, "42");
    let err = c.to_connect("t", Some(&[0xff, 0xfe])).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert!(
        err.message.contains("topic t") && err.message.contains("UTF-8"),
        "{err}"
    );

    let latin1 = build_converter(
        "StringConverter",
        &props(&[("converter.encoding", "ISO-8859-1")]),
        false,
        &formats::ConverterContext::default(),
    )
    .unwrap();
    assert_eq!(
        latin1
            .to_connect("t", Some(&[0x68, 0xe9]))
            .await
            .unwrap()
            .unwrap()
            .value,
        Value::String("hé".into())
    );
    let bytes = latin1
        .from_connect("t", Some(&Data::schemaless(Value::String("hé".into()))))
        .await
        .unwrap();
    assert_eq!(bytes.as_deref(), Some(&[0x68, 0xe9][..]));
    let err = build_converter(
        "StringConverter",
        &props(&[("converter.encoding", "EBCDIC")]),
        true,
        &formats::ConverterContext::default(),
    )
    .err()
    .unwrap();
    assert_eq!(err.kind, ErrorKind::Config);
    assert!(
        err.message.starts_with("key.converter.converter.encoding: "),
        "{err}"
    );

    let b = build_converter(
        "org.apache.kafka.connect.converters.ByteArrayConverter",
        &BTreeMap::new(),
        false,
        &formats::ConverterContext::default(),
    )
    .unwrap();
    let d = b.to_connect("t", Some(&[0, 159, 255])).await.unwrap().unwrap();
    assert_eq!(d.value, Value::Bytes(Bytes::from_static(&[0, 159, 255])));
    assert_eq!(
        b.from_connect("t", Some(&d)).await.unwrap().as_deref(),
        Some(&[0, 159, 255][..])
    );
    let err = b
        .from_connect("t", Some(&Data::schemaless(Value::Int32(1))))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
}

#[test]
fn class_names_and_unknown_classes() {
    for (short, java) in converter_classes() {
        assert!(
            build_converter(
                short,
                &BTreeMap::new(),
                false,
                &formats::ConverterContext::default()
            )
            .is_ok()
        );
        assert!(
            build_converter(
                java,
                &BTreeMap::new(),
                false,
                &formats::ConverterContext::default()
            )
            .is_ok()
        );
    }
    for unknown in ["io.confluent.connect.Nope", "Nope"] {
        let err = build_converter(
            unknown,
            &BTreeMap::new(),
            false,
            &formats::ConverterContext::default(),
        )
        .err()
        .unwrap();
        assert_eq!(err.kind, ErrorKind::Config);
        assert!(err.message.starts_with("value.converter: "), "{err}");
        assert!(
            err.message.contains(unknown)
                && err
                    .message
                    .contains("org.apache.kafka.connect.json.JsonConverter"),
            "{err}"
        );
    }
    let err = build_converter(
        "JsonConverter",
        &props(&[("schemas.enable", "maybe")]),
        false,
        &formats::ConverterContext::default(),
    )
    .err()
    .unwrap();
    assert!(
        err.message.starts_with("value.converter.schemas.enable: "),
        "{err}"
    );
    let err = build_converter(
        "JsonConverter",
        &props(&[("decimal.format", "HEX")]),
        false,
        &formats::ConverterContext::default(),
    )
    .err()
    .unwrap();
    assert!(
        err.message.starts_with("value.converter.decimal.format: "),
        "{err}"
    );
}

//! ProtobufConverter and JsonSchemaConverter through the real registry rules (in-memory
//! store): round trips, Confluent's bytes (message-index paths), reading what a Confluent
//! serializer wrote, and precise errors.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use formats::registry::{MemoryStore, SchemaText};
use formats::{Converter, ConverterContext, SchemaRegistryClient, build_converter};
use schemas::data::{DATE, DECIMAL, TIMESTAMP};
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;
use schemas::{Data, ErrorKind, Schema, SchemaKind, Value};

fn registry() -> Arc<RegistryService> {
    Arc::new(RegistryService::new(Arc::new(MemoryStore::new())))
}

fn converter(registry: &Arc<RegistryService>, class: &str) -> Arc<dyn Converter> {
    let ctx = ConverterContext::with_registry(registry.clone() as Arc<dyn SchemaRegistryClient>);
    build_converter(class, &BTreeMap::new(), false, &ctx).unwrap()
}

fn s(kind: SchemaKind) -> Arc<Schema> {
    Arc::new(Schema::new(kind))
}

fn logical(kind: SchemaKind, name: &str) -> Arc<Schema> {
    let mut x = Schema::new(kind).named(name);
    x.version = Some(1);
    Arc::new(x)
}

fn order_schema() -> Arc<Schema> {
    let mut decimal = Schema::new(SchemaKind::Bytes).named(DECIMAL);
    decimal.version = Some(1);
    decimal.parameters.insert("scale".into(), "2".into());
    let item = Arc::new(
        Schema::structure([
            ("sku".to_string(), s(SchemaKind::String)),
            ("qty".to_string(), s(SchemaKind::Int32)),
        ])
        .named("shop.Item"),
    );
    Arc::new(
        Schema::structure([
            ("id".to_string(), s(SchemaKind::Int64)),
            (
                "note".to_string(),
                Arc::new(Schema::new(SchemaKind::String).optional()),
            ),
            ("paid".to_string(), s(SchemaKind::Boolean)),
            ("total".to_string(), s(SchemaKind::Float64)),
            ("items".to_string(), Arc::new(Schema::array(item.clone()))),
            (
                "attrs".to_string(),
                Arc::new(Schema::map(s(SchemaKind::String), s(SchemaKind::Int64))),
            ),
            ("first".to_string(), Arc::new((*item).clone().optional())),
            ("at".to_string(), logical(SchemaKind::Int64, TIMESTAMP)),
            ("day".to_string(), logical(SchemaKind::Int32, DATE)),
            ("price".to_string(), Arc::new(decimal)),
            ("raw".to_string(), s(SchemaKind::Bytes)),
        ])
        .named("shop.Order"),
    )
}

fn order_value(note: Option<&str>) -> Value {
    let item = |sku: &str, qty| Value::Struct(vec![Value::String(sku.into()), Value::Int32(qty)]);
    Value::Struct(vec![
        Value::Int64(7),
        note.map_or(Value::Null, |n| Value::String(n.into())),
        Value::Boolean(true),
        Value::Float64(12.5),
        Value::Array(vec![item("a", 1), item("b", 2)]),
        Value::Map(vec![(Value::String("x".into()), Value::Int64(1))]),
        item("a", 1),
        Value::Int64(1_700_000_000_123),
        Value::Int32(19_000),
        Value::Bytes(Bytes::from_static(&[0x30, 0x39])),
        Value::Bytes(Bytes::from_static(&[1, 2, 3])),
    ])
}

#[tokio::test]
async fn protobuf_round_trip_and_bytes() {
    let reg = registry();
    let c = converter(&reg, "io.confluent.connect.protobuf.ProtobufConverter");
    for note in [Some("fragile"), None] {
        let data = Data::new(Some(order_schema()), order_value(note));
        let bytes = c.from_connect("orders", Some(&data)).await.unwrap().unwrap();
        // header with id 1, then the index path [0] as the single byte 0, then field 1 (id=7).
        assert_eq!(&bytes[..8], &[0, 0, 0, 0, 1, 0, 8, 7]);
        let back = c.to_connect("orders", Some(&bytes)).await.unwrap().unwrap();
        let fresh = converter(&reg, "ProtobufConverter");
        let again = fresh.to_connect("orders", Some(&bytes)).await.unwrap().unwrap();
        assert_eq!(back.value, again.value);
        // Confluent's default (optional.for.nullables=false): an optional string is a plain
        // proto3 field, so a null reads back as "".
        let want = Data::new(None, order_value(Some(note.unwrap_or(""))));
        assert_eq!(back.value, want.value, "note {note:?}");
    }
    let latest = SchemaRegistryClient::latest(reg.as_ref(), "orders-value")
        .await
        .unwrap();
    assert_eq!(latest.schema.schema_type, SchemaType::Protobuf);
    assert!(
        latest.schema.schema.contains("message Order"),
        "{}",
        latest.schema.schema
    );
    assert!(
        latest.schema.schema.contains("package shop"),
        "{}",
        latest.schema.schema
    );
}

#[tokio::test]
async fn protobuf_reads_a_message_that_is_not_first_in_its_file() {
    let reg = registry();
    let proto = "syntax = \"proto3\";\npackage app;\nmessage Other { string x = 1; }\nmessage Click {\n  string page = 1;\n  int64 at = 2;\n  message Meta { bool bot = 1; }\n  Meta meta = 3;\n}\n";
    let id = SchemaRegistryClient::register(
        reg.as_ref(),
        "clicks-value",
        &SchemaText::new(SchemaType::Protobuf, proto),
        false,
    )
    .await
    .unwrap();
    let c = converter(&reg, "ProtobufConverter");
    // Index path [1]: count 1 (zigzag 2), index 1 (zigzag 2). page="/", at=5, meta={bot:true}.
    let mut bytes = vec![0, 0, 0, 0, id as u8, 2, 2];
    bytes.extend_from_slice(&[10, 1, b'/', 16, 5, 26, 2, 8, 1]);
    let data = c.to_connect("clicks", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(data.schema.as_ref().unwrap().name.as_deref(), Some("Click"));
    assert_eq!(
        data.value,
        Value::Struct(vec![
            Value::String("/".into()),
            Value::Int64(5),
            Value::Struct(vec![Value::Boolean(true)])
        ])
    );
    // The nested message: path [1, 0].
    let nested = vec![0, 0, 0, 0, id as u8, 4, 2, 0, 8, 1];
    let meta = c.to_connect("clicks", Some(&nested)).await.unwrap().unwrap();
    assert_eq!(meta.schema.unwrap().name.as_deref(), Some("Meta"));
    assert_eq!(meta.value, Value::Struct(vec![Value::Boolean(true)]));
    // A path that names no message.
    let err = c
        .to_connect("clicks", Some(&[0, 0, 0, 0, id as u8, 2, 8]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert!(err.message.contains("index path [4]"), "{}", err.message);
    // Garbage where the message should be.
    let err = c
        .to_connect("clicks", Some(&[0, 0, 0, 0, id as u8, 0, 0xff, 0xff]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    let err = c.to_connect("clicks", Some(b"{\"page\": 1}")).await.unwrap_err();
    assert!(err.message.contains("plain JSON"), "{}", err.message);
}

#[tokio::test]
async fn json_schema_round_trip_and_bytes() {
    let reg = registry();
    let c = converter(&reg, "io.confluent.connect.json.JsonSchemaConverter");
    for note in [Some("fragile"), None] {
        let data = Data::new(Some(order_schema()), order_value(note));
        let bytes = c.from_connect("orders", Some(&data)).await.unwrap().unwrap();
        assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1]);
        let json: serde_json::Value = serde_json::from_slice(&bytes[5..]).unwrap();
        assert_eq!(json["id"], 7);
        // Decimal as Confluent's default decimal.format=BASE64 writes it (unscaled 12345).
        assert_eq!(json["price"], "MDk=");
        let back = c.to_connect("orders", Some(&bytes)).await.unwrap().unwrap();
        assert_eq!(back.value, data.value, "note {note:?}");
        let back_schema = back.schema.unwrap();
        for (a, b) in back_schema.fields.iter().zip(&order_schema().fields) {
            assert_eq!(
                (&a.name, a.schema.kind, a.schema.optional),
                (&b.name, b.schema.kind, b.schema.optional)
            );
        }
    }
    let latest = SchemaRegistryClient::latest(reg.as_ref(), "orders-value")
        .await
        .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&latest.schema.schema).unwrap();
    assert_eq!(schema["title"], "shop.Order");
    assert_eq!(schema["properties"]["id"]["connect.index"], 0);
    assert_eq!(schema["properties"]["id"]["connect.type"], "int64");
    assert_eq!(schema["properties"]["note"]["oneOf"][0]["type"], "null");
}

#[tokio::test]
async fn json_schema_reads_a_plain_schema_and_names_bad_fields() {
    let reg = registry();
    let text = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name"]}"#;
    let id = SchemaRegistryClient::register(
        reg.as_ref(),
        "people-value",
        &SchemaText::new(SchemaType::Json, text),
        false,
    )
    .await
    .unwrap();
    let c = converter(&reg, "JsonSchemaConverter");
    let mut bytes = vec![0, 0, 0, 0, id as u8];
    bytes.extend_from_slice(br#"{"name":"Ann","age":41,"tags":["x"]}"#);
    let data = c.to_connect("people", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(
        data.value,
        Value::Struct(vec![
            Value::String("Ann".into()),
            Value::Int64(41),
            Value::Array(vec![Value::String("x".into())])
        ])
    );
    let schema = data.schema.unwrap();
    assert!(!schema.fields[0].schema.optional);
    // Not in `required`, but optional only with use.optional.for.nonrequired=true (Confluent).
    assert!(!schema.fields[1].schema.optional);
    let mut bad = vec![0, 0, 0, 0, id as u8];
    bad.extend_from_slice(br#"{"name":"Ann","age":"old"}"#);
    let err = c.to_connect("people", Some(&bad)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert!(err.message.contains("age"), "{}", err.message);
    // An Avro schema id read with the JSON Schema converter.
    let avro = SchemaRegistryClient::register(
        reg.as_ref(),
        "x-value",
        &SchemaText::new(SchemaType::Avro, r#""string""#),
        false,
    )
    .await
    .unwrap();
    let err = c
        .to_connect("x", Some(&[0, 0, 0, 0, avro as u8, 2, b'a']))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("is a AVRO schema, not JSON"),
        "{}",
        err.message
    );
}

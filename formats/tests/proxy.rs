//! REST Proxy JSON -> Confluent wire bytes, for the three schema types.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use formats::registry::{MemoryStore, SchemaText};
use formats::{JsonWireSerializer, SchemaRegistryClient};
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;
use serde_json::json;

async fn setup(t: SchemaType, text: &str) -> (JsonWireSerializer, i32) {
    let reg: Arc<dyn SchemaRegistryClient> = Arc::new(RegistryService::new(Arc::new(MemoryStore::new())));
    let id = reg
        .register("t-value", &SchemaText::new(t, text), false)
        .await
        .unwrap();
    (JsonWireSerializer::new(reg), id)
}

#[tokio::test]
async fn avro_json_encoding() {
    let (s, id) = setup(
        SchemaType::Avro,
        r#"{"type":"record","name":"R","fields":[{"name":"n","type":"int"},{"name":"o","type":["null","string"],"default":null}]}"#,
    )
    .await;
    let bytes = s
        .serialize(id, &json!({"n": 3, "o": {"string": "x"}}))
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), &[0, 0, 0, 0, 1, 6, 2, 2, b'x']);
    let bytes = s.serialize(id, &json!({"n": 3})).await.unwrap();
    assert_eq!(&bytes[5..], &[6, 0]);
    let err = s.serialize(id, &json!({"n": "three"})).await.unwrap_err();
    assert_eq!(err.message, "field n: expected int, got a string");
    let bytes = s.serialize(id, &json!({"n": 3.0})).await.unwrap();
    assert_eq!(
        &bytes[5..],
        &[6, 0],
        "a whole number written as a float is that int"
    );
    let err = s.serialize(id, &json!({"n": 3.5})).await.unwrap_err();
    assert_eq!(err.message, "field n: expected int, got a number");
    let err = s.serialize(id, &json!({"n": 1, "zzz": 1})).await.unwrap_err();
    assert!(err.message.contains("zzz"), "{}", err.message);
}

#[tokio::test]
async fn avro_union_branches_are_named_by_full_name_or_a_unique_simple_name() {
    let (s, id) = setup(
        SchemaType::Avro,
        r#"{"type":"record","name":"R","namespace":"a.b","fields":[{"name":"u","type":["null",
            {"type":"record","name":"X","fields":[{"name":"x","type":"int"}]},
            {"type":"record","name":"Y","namespace":"c","fields":[{"name":"y","type":"int"}]},
            {"type":"long","logicalType":"timestamp-millis"}]}]}"#,
    )
    .await;
    let s = &s;
    let body = |v| async move { s.serialize(id, &v).await.map(|b| b[5..].to_vec()) };
    assert_eq!(body(json!({"u": {"a.b.X": {"x": 1}}})).await.unwrap(), [2, 2]);
    assert_eq!(body(json!({"u": {"X": {"x": 1}}})).await.unwrap(), [2, 2]);
    assert_eq!(body(json!({"u": {"c.Y": {"y": 1}}})).await.unwrap(), [4, 2]);
    assert_eq!(body(json!({"u": {"long": 1}})).await.unwrap(), [6, 2]);
    assert_eq!(body(json!({"u": null})).await.unwrap(), [0]);
}

#[tokio::test]
async fn protobuf_json_mapping() {
    let (s, id) = setup(
        SchemaType::Protobuf,
        "syntax = \"proto3\";\nmessage Order { int32 id = 1; string item = 2; }\nmessage Other { bool x = 1; }\n",
    )
    .await;
    let bytes = s.serialize(id, &json!({"id": 5, "item": "pen"})).await.unwrap();
    // header, index path [0] as one 0 byte, field 1 varint 5, field 2 "pen".
    assert_eq!(bytes.as_ref(), &[0, 0, 0, 0, 1, 0, 8, 5, 18, 3, b'p', b'e', b'n']);
    let err = s.serialize(id, &json!({"id": "x"})).await.unwrap_err();
    assert!(err.message.contains("Order"), "{}", err.message);
}

#[tokio::test]
async fn json_schema_validation() {
    let (s, id) = setup(
        SchemaType::Json,
        r#"{"type":"object","properties":{"age":{"type":"integer"}},"required":["age"]}"#,
    )
    .await;
    let bytes = s.serialize(id, &json!({"age": 4})).await.unwrap();
    assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1]);
    assert_eq!(&bytes[5..], br#"{"age":4}"#);
    let err = s.serialize(id, &json!({"age": "old"})).await.unwrap_err();
    assert!(err.message.starts_with("field /age"), "{}", err.message);
    assert!(s.serialize(77, &json!({})).await.is_err());
}

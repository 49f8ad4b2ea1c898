//! `use.latest.version` and `latest.compatibility.strict` for ProtobufConverter and
//! JsonSchemaConverter (the Avro side is in avro_converter.rs): the record is written under the
//! subject's latest schema, encoded with that schema (Protobuf field numbers), and refused
//! when the latest schema cannot read the record's own unless the check is turned off.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{converter, id_of, register, registry};
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;
use schemas::{Data, Schema, SchemaKind, Value};

const LATEST: &[(&str, &str)] = &[("auto.register.schemas", "false"), ("use.latest.version", "true")];
const LATEST_LAX: &[(&str, &str)] = &[
    ("auto.register.schemas", "false"),
    ("use.latest.version", "true"),
    ("latest.compatibility.strict", "false"),
];

fn person() -> Data {
    let schema = Schema::structure([
        ("id".to_string(), Arc::new(Schema::new(SchemaKind::Int64))),
        ("name".to_string(), Arc::new(Schema::new(SchemaKind::String))),
    ])
    .named("app.Person");
    Data::new(
        Some(Arc::new(schema)),
        Value::Struct(vec![Value::Int64(7), Value::String("Ann".into())]),
    )
}

/// `person()` written to `topic` by a fresh converter of `class` with `pairs`.
async fn write(
    reg: &Arc<RegistryService>,
    class: &str,
    pairs: &[(&str, &str)],
    topic: &str,
) -> Result<bytes::Bytes, schemas::ConnectError> {
    converter(reg, class, pairs)
        .from_connect(topic, Some(&person()))
        .await
        .map(|b| b.unwrap())
}

fn assert_mentions(err: &schemas::ConnectError, needle: &str) {
    assert!(err.message.contains(needle), "{}", err.message);
}

#[tokio::test]
async fn protobuf_writes_with_the_latest_schema() {
    let reg = registry();
    // The latest schema has a field the record does not: compatible, and used as is.
    let v1 = "syntax = \"proto3\";\npackage app;\nmessage Person {\n  int64 id = 1;\n  string name = 2;\n  string email = 3;\n}\n";
    let id1 = register(&reg, "people-value", SchemaType::Protobuf, v1).await;
    let c = converter(&reg, "ProtobufConverter", LATEST);
    let bytes = c.from_connect("people", Some(&person())).await.unwrap().unwrap();
    assert_eq!(id_of(&bytes), id1);
    // index path [0], field 1 varint 7, field 2 "Ann"
    assert_eq!(&bytes[5..], &[0, 0x08, 7, 0x12, 3, b'A', b'n', b'n']);
    let back = converter(&reg, "ProtobufConverter", &[])
        .to_connect("people", Some(&bytes))
        .await
        .unwrap()
        .unwrap();
    let Value::Struct(fields) = &back.value else {
        panic!()
    };
    assert_eq!(&fields[..2], &[Value::Int64(7), Value::String("Ann".into())]);

    // A latest schema that numbers the fields otherwise cannot read the record's own schema:
    // refused while strict, written with its numbers when not.
    let v2 = "syntax = \"proto3\";\npackage app;\nmessage Person {\n  string name = 1;\n  int64 id = 2;\n}\n";
    register(&reg, "renumbered-value", SchemaType::Protobuf, v2).await;
    let err = write(&reg, "ProtobufConverter", LATEST, "renumbered")
        .await
        .unwrap_err();
    assert_mentions(&err, "latest.compatibility.strict=true");
    assert_mentions(&err, "subject renumbered-value");
    let bytes = write(&reg, "ProtobufConverter", LATEST_LAX, "renumbered")
        .await
        .unwrap();
    assert_eq!(&bytes[5..], &[0, 0x0a, 3, b'A', b'n', b'n', 0x10, 7]);
}

#[tokio::test]
async fn json_schema_writes_with_the_latest_schema() {
    let reg = registry();
    let v1 = r#"{"type":"object","title":"app.Person","description":"kept by another team","properties":{"id":{"type":"integer","connect.type":"int64","connect.index":0},"name":{"type":"string","connect.index":1}}}"#;
    let id1 = register(&reg, "people-value", SchemaType::Json, v1).await;
    let c = converter(&reg, "JsonSchemaConverter", LATEST);
    let bytes = c.from_connect("people", Some(&person())).await.unwrap().unwrap();
    assert_eq!(id_of(&bytes), id1);
    assert_eq!(
        std::str::from_utf8(&bytes[5..]).unwrap(),
        r#"{"id":7,"name":"Ann"}"#
    );
    let back = converter(&reg, "JsonSchemaConverter", &[])
        .to_connect("people", Some(&bytes))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.value, person().value);
    assert_eq!(back.schema.unwrap().doc.as_deref(), Some("kept by another team"));
    // Without use.latest.version and without auto-registration, the record's own schema must
    // already be there.
    let err = write(
        &reg,
        "JsonSchemaConverter",
        &[("auto.register.schemas", "false")],
        "people",
    )
    .await
    .unwrap_err();
    assert_mentions(&err, "auto.register.schemas=false");

    // A latest schema whose `name` is an integer cannot read the record's own.
    let v2 = r#"{"type":"object","title":"app.Person","properties":{"id":{"type":"integer","connect.index":0},"name":{"type":"integer","connect.index":1}}}"#;
    let id2 = register(&reg, "strict-value", SchemaType::Json, v2).await;
    let err = write(&reg, "JsonSchemaConverter", LATEST, "strict")
        .await
        .unwrap_err();
    assert_mentions(&err, "latest.compatibility.strict=true");
    let bytes = write(&reg, "JsonSchemaConverter", LATEST_LAX, "strict")
        .await
        .unwrap();
    assert_eq!(id_of(&bytes), id2);
}

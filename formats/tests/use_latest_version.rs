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

/// A struct of optional fields, all of them null but `id`.
fn sparse(fields: &[(&str, SchemaKind)]) -> Data {
    let schema = Schema::structure(fields.iter().map(|(name, kind)| {
        let s = Schema::new(*kind);
        let s = if *name == "id" { s } else { s.optional() };
        (name.to_string(), Arc::new(s))
    }));
    let mut values = vec![Value::Int64(1)];
    values.resize(fields.len(), Value::Null);
    Data::new(Some(Arc::new(schema)), Value::Struct(values))
}

#[tokio::test]
async fn json_schema_leaves_out_a_null_its_latest_schema_does_not_accept() {
    let reg = registry();
    // `age` and `address.zip` accept no null and are not required: only absence validates.
    // `nick` accepts null; `address` is a nullable object; `code` is required.
    let user = serde_json::json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "age": {"type": "integer"},
            "nick": {"type": ["string", "null"]},
            "code": {"type": "string"},
            "address": {"oneOf": [{"type": "null"}, {"$ref": "#/definitions/Address"}]}
        },
        "required": ["id", "code"],
        "definitions": {"Address": {"type": "object", "properties": {
            "zip": {"type": "integer"}, "city": {"type": "string"}}}}
    });
    register(&reg, "people-value", SchemaType::Json, &user.to_string()).await;
    let c = converter(&reg, "JsonSchemaConverter", LATEST_LAX);
    let address = Arc::new(
        Schema::structure([
            (
                "zip".to_string(),
                Arc::new(Schema::new(SchemaKind::Int64).optional()),
            ),
            (
                "city".to_string(),
                Arc::new(Schema::new(SchemaKind::String).optional()),
            ),
        ])
        .optional(),
    );
    let opt = |kind| Arc::new(Schema::new(kind).optional());
    let schema = Schema::structure([
        ("id".to_string(), Arc::new(Schema::new(SchemaKind::Int64))),
        ("age".to_string(), opt(SchemaKind::Int64)),
        ("nick".to_string(), opt(SchemaKind::String)),
        ("code".to_string(), opt(SchemaKind::String)),
        ("address".to_string(), address),
    ]);
    let value = Value::Struct(vec![
        Value::Int64(1),
        Value::Null,
        Value::Null,
        Value::String("c1".into()),
        Value::Struct(vec![Value::Null, Value::String("Oslo".into())]),
    ]);
    let data = Data::new(Some(Arc::new(schema)), value);
    let bytes = c.from_connect("people", Some(&data)).await.unwrap().unwrap();
    let text = std::str::from_utf8(&bytes[5..]).unwrap();
    assert_eq!(
        text,
        r#"{"id":1,"nick":null,"code":"c1","address":{"city":"Oslo"}}"#
    );
    // What a validating consumer does with it: valid (a null `age` or `zip` would not be).
    let validator = jsonschema::validator_for(&user).unwrap();
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    assert!(validator.is_valid(&json));
    let mut with_null = json.clone();
    with_null["age"] = serde_json::Value::Null;
    assert!(!validator.is_valid(&with_null));

    // Read back: absent properties are null again.
    let back = converter(
        &reg,
        "JsonSchemaConverter",
        &[("use.optional.for.nonrequired", "true")],
    )
    .to_connect("people", Some(&bytes))
    .await
    .unwrap()
    .unwrap();
    let Value::Struct(read) = &back.value else {
        panic!()
    };
    let age = back.schema.as_ref().unwrap().field("age").unwrap().index;
    assert_eq!(read[age], Value::Null);

    // A schema the converter derives itself writes nulls, as Confluent does.
    let own = converter(&reg, "JsonSchemaConverter", &[]);
    let bytes = own
        .from_connect(
            "own",
            Some(&sparse(&[("id", SchemaKind::Int64), ("age", SchemaKind::Int64)])),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&bytes[5..]).unwrap(),
        r#"{"id":1,"age":null}"#
    );
}

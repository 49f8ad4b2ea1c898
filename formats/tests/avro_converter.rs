//! AvroConverter through the real registry rules (in-memory store): Confluent's bytes, the
//! Connect <-> Avro mapping, subject naming, and the errors a user sees.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use formats::registry::{MemoryStore, SchemaText};
use formats::{Converter, ConverterContext, SchemaRegistryClient, build_converter};
use schemas::data::{DATE, DECIMAL, TIME, TIMESTAMP};
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;
use schemas::{Data, ErrorKind, Schema, SchemaKind, Value};

fn registry() -> Arc<RegistryService> {
    Arc::new(RegistryService::new(Arc::new(MemoryStore::new())))
}

fn converter(registry: &Arc<RegistryService>, pairs: &[(&str, &str)], is_key: bool) -> Arc<dyn Converter> {
    let props: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let ctx = ConverterContext::with_registry(registry.clone() as Arc<dyn SchemaRegistryClient>);
    build_converter("io.confluent.connect.avro.AvroConverter", &props, is_key, &ctx).unwrap()
}

fn s(kind: SchemaKind) -> Arc<Schema> {
    Arc::new(Schema::new(kind))
}

fn customer_schema() -> Arc<Schema> {
    Arc::new(
        Schema::structure([
            ("id".to_string(), s(SchemaKind::Int64)),
            ("name".to_string(), s(SchemaKind::String)),
        ])
        .named("com.example.Customer"),
    )
}

#[tokio::test]
async fn bytes_are_confluents_and_the_subject_is_registered() {
    let reg = registry();
    let c = converter(&reg, &[], false);
    let data = Data::new(
        Some(customer_schema()),
        Value::Struct(vec![Value::Int64(42), Value::String("Ann".into())]),
    );
    let bytes = c.from_connect("customers", Some(&data)).await.unwrap().unwrap();
    // magic 0, id 1 big-endian, zigzag(42) = 84, string length zigzag(3) = 6, "Ann".
    assert_eq!(bytes.as_ref(), &[0, 0, 0, 0, 1, 84, 6, b'A', b'n', b'n']);
    let latest = SchemaRegistryClient::latest(reg.as_ref(), "customers-value")
        .await
        .unwrap();
    assert_eq!(latest.schema.id, 1);
    let registered: serde_json::Value = serde_json::from_str(&latest.schema.schema).unwrap();
    assert_eq!(
        registered,
        serde_json::json!({"type":"record","name":"Customer","namespace":"com.example","fields":[
            {"name":"id","type":"long"},{"name":"name","type":"string"}],
            "connect.name":"com.example.Customer"})
    );
    let back = c.to_connect("customers", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, data.value);
    assert_eq!(back.schema.as_deref(), data.schema.as_deref());
}

fn rich_schema() -> Arc<Schema> {
    let mut decimal = Schema::new(SchemaKind::Bytes).named(DECIMAL);
    decimal.version = Some(1);
    decimal.parameters.insert("scale".into(), "2".into());
    let logical = |kind, name: &str| {
        let mut x = Schema::new(kind).named(name);
        x.version = Some(1);
        Arc::new(x)
    };
    let address = Arc::new(
        Schema::structure([
            ("street".to_string(), s(SchemaKind::String)),
            (
                "zip".to_string(),
                Arc::new(Schema::new(SchemaKind::Int32).optional()),
            ),
        ])
        .named("com.example.Address"),
    );
    let mut with_default = Schema::new(SchemaKind::String).optional();
    with_default.default = Some(Value::String("none".into()));
    Arc::new(
        Schema::structure([
            ("i8".to_string(), s(SchemaKind::Int8)),
            ("i16".to_string(), s(SchemaKind::Int16)),
            ("i32".to_string(), s(SchemaKind::Int32)),
            ("i64".to_string(), s(SchemaKind::Int64)),
            ("f32".to_string(), s(SchemaKind::Float32)),
            ("f64".to_string(), s(SchemaKind::Float64)),
            ("flag".to_string(), s(SchemaKind::Boolean)),
            (
                "text".to_string(),
                Arc::new(Schema::new(SchemaKind::String).optional()),
            ),
            ("raw".to_string(), s(SchemaKind::Bytes)),
            ("price".to_string(), Arc::new(decimal)),
            ("day".to_string(), logical(SchemaKind::Int32, DATE)),
            ("at".to_string(), logical(SchemaKind::Int32, TIME)),
            ("ts".to_string(), logical(SchemaKind::Int64, TIMESTAMP)),
            ("tags".to_string(), Arc::new(Schema::array(s(SchemaKind::String)))),
            (
                "attrs".to_string(),
                Arc::new(Schema::map(s(SchemaKind::String), s(SchemaKind::Int64))),
            ),
            (
                "by_id".to_string(),
                Arc::new(Schema::map(s(SchemaKind::Int32), s(SchemaKind::String))),
            ),
            ("address".to_string(), address),
            ("nickname".to_string(), Arc::new(with_default)),
        ])
        .named("com.example.Rich"),
    )
}

fn rich_value(text: Option<&str>) -> Value {
    Value::Struct(vec![
        Value::Int8(-8),
        Value::Int16(300),
        Value::Int32(-70000),
        Value::Int64(1 << 40),
        Value::Float32(1.5),
        Value::Float64(-2.25),
        Value::Boolean(true),
        text.map_or(Value::Null, |t| Value::String(t.into())),
        Value::Bytes(Bytes::from_static(&[0, 1, 255])),
        Value::Bytes(Bytes::from_static(&[0x30, 0x39])), // 12345 -> 123.45
        Value::Int32(19_000),
        Value::Int32(3_600_000),
        Value::Int64(1_700_000_000_000),
        Value::Array(vec![Value::String("a".into()), Value::String("b".into())]),
        Value::Map(vec![
            (Value::String("x".into()), Value::Int64(1)),
            (Value::String("y".into()), Value::Int64(-1)),
        ]),
        Value::Map(vec![(Value::Int32(7), Value::String("seven".into()))]),
        Value::Struct(vec![Value::String("Main St".into()), Value::Null]),
        Value::String("Bo".into()),
    ])
}

#[tokio::test]
async fn every_connect_type_round_trips() {
    let reg = registry();
    let c = converter(&reg, &[], false);
    let schema = rich_schema();
    for text in [Some("hello"), None] {
        let data = Data::new(Some(schema.clone()), rich_value(text));
        let bytes = c.from_connect("rich", Some(&data)).await.unwrap().unwrap();
        let back = c.to_connect("rich", Some(&bytes)).await.unwrap().unwrap();
        assert_eq!(back.value, data.value);
        let back_schema = back.schema.unwrap();
        for (a, b) in back_schema.fields.iter().zip(&schema.fields) {
            assert_eq!(a.name, b.name);
            assert_eq!(a.schema.kind, b.schema.kind, "{}", a.name);
            assert_eq!(a.schema.name, b.schema.name, "{}", a.name);
            assert_eq!(a.schema.optional, b.schema.optional, "{}", a.name);
        }
        // A fresh converter (an empty cache) reads it too: everything comes from the registry.
        let fresh = converter(&reg, &[], false);
        assert_eq!(
            fresh
                .to_connect("rich", Some(&bytes))
                .await
                .unwrap()
                .unwrap()
                .value,
            data.value
        );
    }
    let text: serde_json::Value = serde_json::from_str(
        &SchemaRegistryClient::latest(reg.as_ref(), "rich-value")
            .await
            .unwrap()
            .schema
            .schema,
    )
    .unwrap();
    let field = |name: &str| {
        text["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        field("i8")["type"],
        serde_json::json!({"type":"int","connect.type":"int8"})
    );
    assert_eq!(field("text")["type"], serde_json::json!(["null", "string"]));
    assert_eq!(field("text")["default"], serde_json::Value::Null);
    assert_eq!(
        field("nickname")["type"],
        serde_json::json!([{"type":"string","connect.default":"none"}, "null"])
    );
    assert_eq!(field("nickname")["default"], "none");
    assert_eq!(field("price")["type"]["logicalType"], "decimal");
    assert_eq!(field("price")["type"]["scale"], 2);
    assert_eq!(field("price")["type"]["precision"], 64);
    assert_eq!(field("day")["type"]["logicalType"], "date");
    assert_eq!(field("ts")["type"]["logicalType"], "timestamp-millis");
    assert_eq!(field("by_id")["type"]["items"]["name"], "MapEntry");
    assert_eq!(
        field("by_id")["type"]["items"]["namespace"],
        "io.confluent.connect.avro"
    );
}

#[tokio::test]
async fn reads_what_a_confluent_serializer_wrote() {
    // A schema with what Connect does not make itself: an enum, a fixed, a general union.
    let reg = registry();
    let text = r#"{"type":"record","name":"Event","namespace":"io.app","fields":[
        {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B","C"]}},
        {"name":"hash","type":{"type":"fixed","name":"Hash","size":2}},
        {"name":"v","type":["null","int","string"]},
        {"name":"note","type":["null","string"],"default":null}]}"#;
    let id = SchemaRegistryClient::register(
        reg.as_ref(),
        "events-value",
        &SchemaText::new(SchemaType::Avro, text),
        false,
    )
    .await
    .unwrap();
    // kind=C (index 2 -> 4), hash=[9,8], v = union branch 2 ("string" -> 4) "hi", note = null (0).
    let mut bytes = vec![0, 0, 0, 0, id as u8];
    bytes.extend_from_slice(&[4, 9, 8, 4, 4, b'h', b'i', 0]);
    let c = converter(&reg, &[], false);
    let data = c.to_connect("events", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(
        data.value,
        Value::Struct(vec![
            Value::String("C".into()),
            Value::Bytes(Bytes::from_static(&[9, 8])),
            Value::Struct(vec![Value::Null, Value::String("hi".into())]),
            Value::Null,
        ])
    );
    let schema = data.schema.unwrap();
    assert_eq!(schema.name.as_deref(), Some("io.app.Event"));
    assert_eq!(
        schema.fields[0].schema.parameters["io.confluent.connect.avro.Enum"],
        "io.app.Kind"
    );
    assert_eq!(
        schema.fields[2].schema.name.as_deref(),
        Some("io.confluent.connect.avro.Union")
    );
    // Written back with the same schema, the bytes are the same.
    let again = c
        .from_connect(
            "events-copy",
            Some(&Data::new(Some(schema.clone()), {
                let d = c.to_connect("events", Some(&bytes)).await.unwrap().unwrap();
                d.value
            })),
        )
        .await;
    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test]
async fn precise_errors() {
    let reg = registry();
    let c = converter(&reg, &[], false);
    let err = c.to_connect("orders", Some(br#"{"id":1}"#)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert_eq!(
        err.message,
        "topic orders: the payload is plain JSON, not the Confluent wire format (magic byte 0)"
    );
    let err = c
        .to_connect("orders", Some(&[0, 0, 0, 0, 77, 2]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert!(err.message.contains("unknown schema id 77"), "{}", err.message);
    assert!(err.message.contains("orders"), "{}", err.message);
    let err = c.to_connect("orders", Some(&[0, 0, 0])).await.unwrap_err();
    assert!(err.message.contains("truncated"), "{}", err.message);
    let err = c.to_connect("orders", Some(&[7, 0, 0, 0, 1])).await.unwrap_err();
    assert!(err.message.contains("unknown magic byte 7"), "{}", err.message);

    // A datum cut short.
    let data = Data::new(
        Some(customer_schema()),
        Value::Struct(vec![Value::Int64(42), Value::String("Ann".into())]),
    );
    let bytes = c.from_connect("customers", Some(&data)).await.unwrap().unwrap();
    let err = c
        .to_connect("customers", Some(&bytes[..bytes.len() - 1]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert!(err.message.contains("truncated"), "{}", err.message);

    // A value that does not match its schema names the field.
    let bad = Data::new(
        Some(customer_schema()),
        Value::Struct(vec![Value::Int64(42), Value::Int32(1)]),
    );
    let err = c.from_connect("customers", Some(&bad)).await.unwrap_err();
    assert!(err.message.contains("field name"), "{}", err.message);
}

#[tokio::test]
async fn incompatible_change_names_the_subject() {
    let reg = registry();
    let c = converter(&reg, &[], false);
    let v1 = Data::new(
        Some(customer_schema()),
        Value::Struct(vec![Value::Int64(1), Value::String("a".into())]),
    );
    c.from_connect("customers", Some(&v1)).await.unwrap();
    // A new required field without a default is not BACKWARD compatible.
    let v2_schema = Arc::new(
        Schema::structure([
            ("id".to_string(), s(SchemaKind::Int64)),
            ("name".to_string(), s(SchemaKind::String)),
            ("age".to_string(), s(SchemaKind::Int32)),
        ])
        .named("com.example.Customer"),
    );
    let v2 = Data::new(
        Some(v2_schema),
        Value::Struct(vec![Value::Int64(1), Value::String("a".into()), Value::Int32(3)]),
    );
    let err = c.from_connect("customers", Some(&v2)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Schema);
    assert!(err.message.contains("customers-value"), "{}", err.message);
    assert!(err.message.contains("incompatible"), "{}", err.message);
}

#[tokio::test]
async fn subject_strategies_auto_register_and_latest() {
    let reg = registry();
    let data = Data::new(
        Some(customer_schema()),
        Value::Struct(vec![Value::Int64(1), Value::String("a".into())]),
    );
    let record = converter(
        &reg,
        &[(
            "value.subject.name.strategy",
            "io.confluent.kafka.serializers.subject.RecordNameStrategy",
        )],
        false,
    );
    record.from_connect("t1", Some(&data)).await.unwrap();
    assert!(
        SchemaRegistryClient::latest(reg.as_ref(), "com.example.Customer")
            .await
            .is_ok()
    );
    let topic_record = converter(
        &reg,
        &[("key.subject.name.strategy", "TopicRecordNameStrategy")],
        true,
    );
    topic_record.from_connect("t2", Some(&data)).await.unwrap();
    assert!(
        SchemaRegistryClient::latest(reg.as_ref(), "t2-com.example.Customer")
            .await
            .is_ok()
    );

    let strict = converter(&reg, &[("auto.register.schemas", "false")], false);
    let err = strict.from_connect("t3", Some(&data)).await.unwrap_err();
    assert!(err.message.contains("t3-value"), "{}", err.message);
    assert!(
        err.message.contains("auto.register.schemas=false"),
        "{}",
        err.message
    );
    // Registered by someone else, the lookup finds it and writes with its id.
    let registered = converter(&reg, &[], false);
    let a = registered.from_connect("t3", Some(&data)).await.unwrap().unwrap();
    let b = strict.from_connect("t3", Some(&data)).await.unwrap().unwrap();
    assert_eq!(a, b);

    // use.latest.version: a newer, compatible latest schema (one more optional field) is used.
    let latest_text = r#"{"type":"record","name":"Customer","namespace":"com.example","fields":[
        {"name":"id","type":"long"},{"name":"name","type":"string"},
        {"name":"email","type":["null","string"],"default":null}]}"#;
    let id = SchemaRegistryClient::register(
        reg.as_ref(),
        "t3-value",
        &SchemaText::new(SchemaType::Avro, latest_text),
        false,
    )
    .await
    .unwrap();
    let latest = converter(
        &reg,
        &[("auto.register.schemas", "false"), ("use.latest.version", "true")],
        false,
    );
    let bytes = latest.from_connect("t3", Some(&data)).await.unwrap().unwrap();
    assert_eq!(&bytes[1..5], &id.to_be_bytes());
    let back = latest.to_connect("t3", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(
        back.value,
        Value::Struct(vec![Value::Int64(1), Value::String("a".into()), Value::Null])
    );

    let bad = build_converter(
        "AvroConverter",
        &[("value.subject.name.strategy".to_string(), "Nope".to_string())]
            .into_iter()
            .collect(),
        false,
        &ConverterContext::default(),
    )
    .err()
    .unwrap();
    assert!(
        bad.message
            .contains("value.converter.value.subject.name.strategy"),
        "{}",
        bad.message
    );
}

#[tokio::test]
async fn tombstones_and_optional_roots() {
    let reg = registry();
    let c = converter(&reg, &[], false);
    assert_eq!(c.from_connect("t", None).await.unwrap(), None);
    assert_eq!(c.to_connect("t", None).await.unwrap(), None);
    let opt = Arc::new(Schema::new(SchemaKind::String).optional());
    let bytes = c
        .from_connect(
            "t",
            Some(&Data::new(Some(opt.clone()), Value::String("x".into()))),
        )
        .await
        .unwrap()
        .unwrap();
    // ["null","string"]: branch 1 (zigzag 2), length 1 (2), "x".
    assert_eq!(&bytes[5..], &[2, 2, b'x']);
    let err = c
        .from_connect("t", Some(&Data::schemaless(Value::Int32(1))))
        .await
        .unwrap_err();
    assert!(err.message.contains("needs a schema"), "{}", err.message);
}

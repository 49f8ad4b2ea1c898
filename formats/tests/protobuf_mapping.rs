//! ProtobufConverter's Connect <-> Protobuf mapping, rule by rule, against Confluent's
//! `ProtobufData`: the `.proto` Weir registers, the Connect schema it reads, and round trips
//! through the real registry rules (in-memory store).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use formats::protobuf::{ProtobufOptions, scrub, to_proto};
use formats::registry::{MemoryStore, SchemaText};
use formats::{Converter, ConverterContext, SchemaRegistryClient, build_converter};
use schemas::data::{DATE, DECIMAL, TIME, TIMESTAMP};
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;
use schemas::{Data, Schema, SchemaKind, Value};

const TAG: &str = "io.confluent.connect.protobuf.Tag";
const ENUM: &str = "io.confluent.connect.protobuf.Enum";

fn registry() -> Arc<RegistryService> {
    Arc::new(RegistryService::new(Arc::new(MemoryStore::new())))
}

fn converter(reg: &Arc<RegistryService>, props: &[(&str, &str)]) -> Arc<dyn Converter> {
    let ctx = ConverterContext::with_registry(reg.clone() as Arc<dyn SchemaRegistryClient>);
    let props: BTreeMap<String, String> = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    build_converter("ProtobufConverter", &props, false, &ctx).unwrap()
}

fn s(kind: SchemaKind) -> Arc<Schema> {
    Arc::new(Schema::new(kind))
}

fn opt(kind: SchemaKind) -> Arc<Schema> {
    Arc::new(Schema::new(kind).optional())
}

async fn register(reg: &Arc<RegistryService>, subject: &str, proto: &str) -> i32 {
    SchemaRegistryClient::register(
        reg.as_ref(),
        subject,
        &SchemaText::new(SchemaType::Protobuf, proto),
        false,
    )
    .await
    .unwrap()
}

fn framed(id: i32, message: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0, id as u8, 0];
    b.extend_from_slice(message);
    b
}

async fn latest_text(reg: &Arc<RegistryService>, subject: &str) -> String {
    SchemaRegistryClient::latest(reg.as_ref(), subject)
        .await
        .unwrap()
        .schema
        .schema
        .clone()
}

const EVENT: &str = r#"syntax = "proto3";
package app;
message Event {
  string id = 1;
  oneof payload {
    string text = 2;
    Point point = 3;
  }
  Point origin = 4;
  message Point { int32 x = 1; int32 y = 2; }
}
"#;

#[tokio::test]
async fn a_oneof_reads_as_a_union_struct_and_writes_back_as_the_oneof() {
    let reg = registry();
    let id = register(&reg, "events-value", EVENT).await;
    let c = converter(&reg, &[]);
    // id="e1", point={x:3,y:4}, origin={x:1,y:2}: as protobuf-java / confluent-kafka write it.
    let msg = [10, 2, b'e', b'1', 26, 4, 8, 3, 16, 4, 34, 4, 8, 1, 16, 2];
    let data = c
        .to_connect("events", Some(&framed(id, &msg)))
        .await
        .unwrap()
        .unwrap();
    let schema = data.schema.clone().unwrap();
    assert_eq!(schema.name.as_deref(), Some("Event"));
    let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["payload_0", "id", "origin"], "oneofs first, as Confluent");
    let union = &schema.fields[0].schema;
    assert_eq!(
        union.name.as_deref(),
        Some("io.confluent.connect.protobuf.Union.payload")
    );
    assert!(union.optional);
    assert_eq!(union.fields[1].schema.parameters[TAG], "3");
    assert!(
        schema.fields.iter().all(|f| f.schema.optional),
        "every field optional by default"
    );
    let point = |x, y| Value::Struct(vec![Value::Int32(x), Value::Int32(y)]);
    assert_eq!(
        data.value,
        Value::Struct(vec![
            Value::Struct(vec![Value::Null, point(3, 4)]),
            Value::String("e1".into()),
            point(1, 2),
        ])
    );
    // Writing that record registers an equivalent schema with the oneof, and the same bytes.
    let bytes = c.from_connect("events2", Some(&data)).await.unwrap().unwrap();
    assert_eq!(&bytes[6..], &msg, "the same message bytes as protobuf-java");
    let text = latest_text(&reg, "events2-value").await;
    assert!(text.contains("oneof payload"), "{text}");
    let back = c.to_connect("events2", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, data.value);
    // The other member, and no member.
    let text_msg = [10, 1, b'a', 18, 2, b'h', b'i'];
    let d = c
        .to_connect("events", Some(&framed(id, &text_msg)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.value,
        Value::Struct(vec![
            Value::Struct(vec![Value::String("hi".into()), Value::Null]),
            Value::String("a".into()),
            Value::Null
        ])
    );
    let d = c
        .to_connect("events", Some(&framed(id, &[10, 1, b'a'])))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.value,
        Value::Struct(vec![Value::Null, Value::String("a".into()), Value::Null])
    );
    // generate.index.for.unions=false names the field after the oneof alone.
    let plain = converter(&reg, &[("generate.index.for.unions", "false")]);
    let d = plain
        .to_connect("events", Some(&framed(id, &msg)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.schema.unwrap().fields[0].name, "payload");
    // enhanced.protobuf.schema.support keeps full names.
    let full = converter(&reg, &[("enhanced.protobuf.schema.support", "true")]);
    let d = full
        .to_connect("events", Some(&framed(id, &msg)))
        .await
        .unwrap()
        .unwrap();
    let fs = d.schema.unwrap();
    assert_eq!(fs.name.as_deref(), Some("app.Event"));
    assert_eq!(
        fs.fields[0].schema.name.as_deref(),
        Some("io.confluent.connect.protobuf.Union.app.Event.payload")
    );
    assert_eq!(fs.fields[2].schema.name.as_deref(), Some("app.Event.Point"));
}

#[test]
fn a_union_struct_becomes_a_oneof_in_the_proto() {
    let union = Schema::structure([
        ("text".to_string(), opt(SchemaKind::String)),
        ("count".to_string(), opt(SchemaKind::Int64)),
    ])
    .named("io.confluent.connect.protobuf.Union.payload")
    .optional();
    let schema = Schema::structure([
        ("id".to_string(), s(SchemaKind::String)),
        ("payload_0".to_string(), Arc::new(union)),
        ("at".to_string(), s(SchemaKind::Int64)),
    ])
    .named("app.Msg");
    let (text, full) = to_proto(&schema, &ProtobufOptions::default()).unwrap();
    assert_eq!(full, "app.Msg");
    assert_eq!(
        text,
        "syntax = \"proto3\";\npackage app;\n\nmessage Msg {\n  string id = 1;\n  oneof payload {\n    string text = 3;\n    int64 count = 4;\n  }\n  int64 at = 5;\n}\n"
    );
}

#[tokio::test]
async fn int8_and_int16_are_int32_with_connect_type_meta() {
    let reg = registry();
    let c = converter(&reg, &[]);
    let schema = Arc::new(
        Schema::structure([
            ("small".to_string(), s(SchemaKind::Int8)),
            ("mid".to_string(), s(SchemaKind::Int16)),
            ("n".to_string(), s(SchemaKind::Int32)),
        ])
        .named("t.Ints"),
    );
    let (text, _) = to_proto(&schema, &ProtobufOptions::default()).unwrap();
    assert!(text.contains("import \"confluent/meta.proto\";"), "{text}");
    assert!(
        text.contains("int32 small = 1 [(confluent.field_meta) = { params: [{ key: \"connect.type\", value: \"int8\" }] }];"),
        "{text}"
    );
    assert!(text.contains("value: \"int16\""), "{text}");
    let data = Data::new(
        Some(schema),
        Value::Struct(vec![Value::Int8(-5), Value::Int16(300), Value::Int32(7)]),
    );
    let bytes = c.from_connect("ints", Some(&data)).await.unwrap().unwrap();
    let back = c.to_connect("ints", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, data.value);
    let bs = back.schema.unwrap();
    let kinds: Vec<SchemaKind> = bs.fields.iter().map(|f| f.schema.kind).collect();
    assert_eq!(kinds, [SchemaKind::Int8, SchemaKind::Int16, SchemaKind::Int32]);
}

#[tokio::test]
async fn optional_fields_follow_confluents_defaults_and_options() {
    let reg = registry();
    let schema = Arc::new(
        Schema::structure([
            ("id".to_string(), s(SchemaKind::Int64)),
            ("note".to_string(), opt(SchemaKind::String)),
            ("score".to_string(), opt(SchemaKind::Float64)),
        ])
        .named("t.Opt"),
    );
    let with_null = Data::new(
        Some(schema.clone()),
        Value::Struct(vec![Value::Int64(1), Value::Null, Value::Null]),
    );
    // Default: plain proto3 fields; a null reads back as the default value.
    let (text, _) = to_proto(&schema, &ProtobufOptions::default()).unwrap();
    assert!(text.contains("  string note = 2;"), "{text}");
    let c = converter(&reg, &[]);
    let bytes = c.from_connect("o1", Some(&with_null)).await.unwrap().unwrap();
    let back = c.to_connect("o1", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(
        back.value,
        Value::Struct(vec![
            Value::Int64(1),
            Value::String(String::new()),
            Value::Float64(0.0)
        ])
    );
    // optional.for.nullables: `optional` fields; null survives; only they are optional.
    let c = converter(&reg, &[("optional.for.nullables", "true")]);
    let o = ProtobufOptions {
        optional_for_nullables: true,
        ..ProtobufOptions::default()
    };
    let (text, _) = to_proto(&schema, &o).unwrap();
    assert!(text.contains("  optional string note = 2;"), "{text}");
    assert!(text.contains("  int64 id = 1;"), "{text}");
    let bytes = c.from_connect("o2", Some(&with_null)).await.unwrap().unwrap();
    let back = c.to_connect("o2", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, with_null.value);
    let bs = back.schema.unwrap();
    assert_eq!(
        bs.fields.iter().map(|f| f.schema.optional).collect::<Vec<_>>(),
        [false, true, true]
    );
    // wrapper.for.nullables: wrapper messages; null survives; wrappers read as primitives.
    let c = converter(&reg, &[("wrapper.for.nullables", "true")]);
    let o = ProtobufOptions {
        wrapper_for_nullables: true,
        ..ProtobufOptions::default()
    };
    let (text, _) = to_proto(&schema, &o).unwrap();
    assert!(
        text.contains("import \"google/protobuf/wrappers.proto\";"),
        "{text}"
    );
    assert!(text.contains("google.protobuf.StringValue note = 2;"), "{text}");
    assert!(text.contains("google.protobuf.DoubleValue score = 3;"), "{text}");
    let some = Data::new(
        Some(schema.clone()),
        Value::Struct(vec![
            Value::Int64(2),
            Value::String(String::new()),
            Value::Float64(0.0),
        ]),
    );
    for d in [&with_null, &some] {
        let bytes = c.from_connect("o3", Some(d)).await.unwrap().unwrap();
        let back = c.to_connect("o3", Some(&bytes)).await.unwrap().unwrap();
        assert_eq!(back.value, d.value);
        let bs = back.schema.unwrap();
        assert_eq!(bs.fields[1].schema.kind, SchemaKind::String);
        assert_eq!(
            bs.fields.iter().map(|f| f.schema.optional).collect::<Vec<_>>(),
            [false, true, true]
        );
    }
    // Without wrapper.for.nullables a wrapper field reads as a struct of one `value`, as Confluent.
    let bytes = c.from_connect("o3", Some(&some)).await.unwrap().unwrap();
    let plain = converter(&reg, &[]);
    let back = plain.to_connect("o3", Some(&bytes)).await.unwrap().unwrap();
    let bs = back.schema.unwrap();
    assert_eq!(bs.fields[1].schema.kind, SchemaKind::Struct);
    assert_eq!(bs.fields[1].schema.name.as_deref(), Some("StringValue"));
    assert_eq!(
        back.value,
        Value::Struct(vec![
            Value::Int64(2),
            Value::Struct(vec![Value::String(String::new())]),
            Value::Struct(vec![Value::Float64(0.0)])
        ])
    );
}

fn status_schema() -> Schema {
    let mut st = Schema::new(SchemaKind::String).named("Status").optional();
    st.parameters.insert(ENUM.into(), "Status".into());
    st.parameters.insert(format!("{ENUM}.ACTIVE"), "0".into());
    st.parameters.insert(format!("{ENUM}.INACTIVE"), "1".into());
    st
}

#[tokio::test]
async fn enums_maps_and_nested_structs() {
    let reg = registry();
    let c = converter(&reg, &[]);
    let inner = Schema::structure([("a".to_string(), s(SchemaKind::String))]);
    let schema = Arc::new(
        Schema::structure([
            ("status".to_string(), Arc::new(status_schema())),
            (
                "attrs".to_string(),
                Arc::new(Schema::map(s(SchemaKind::String), s(SchemaKind::Int32))),
            ),
            (
                "by_id".to_string(),
                Arc::new(Schema::map(s(SchemaKind::Int64), Arc::new(inner.clone()))),
            ),
            ("inner".to_string(), Arc::new(inner.clone().optional())),
            ("tags".to_string(), Arc::new(Schema::array(s(SchemaKind::String)))),
        ])
        .named("t.Rec"),
    );
    let (text, _) = to_proto(&schema, &ProtobufOptions::default()).unwrap();
    for want in [
        "enum Status {\n    ACTIVE = 0;\n    INACTIVE = 1;\n  }",
        "Status status = 1;",
        "repeated ConnectDefault1Entry attrs = 2;",
        "message ConnectDefault1Entry {\n    string key = 1;\n    int32 value = 2;\n  }",
        "repeated ConnectDefault2Entry by_id = 3;",
        "ConnectDefault4 inner = 4;",
        "repeated string tags = 5;",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    let inner_v = |a: &str| Value::Struct(vec![Value::String(a.into())]);
    let data = Data::new(
        Some(schema),
        Value::Struct(vec![
            Value::String("INACTIVE".into()),
            Value::Map(vec![
                (Value::String("x".into()), Value::Int32(1)),
                (Value::String("y".into()), Value::Int32(0)),
            ]),
            Value::Map(vec![(Value::Int64(9), inner_v("nine"))]),
            inner_v("in"),
            Value::Array(vec![Value::String("p".into()), Value::String("q".into())]),
        ]),
    );
    let bytes = c.from_connect("rec", Some(&data)).await.unwrap().unwrap();
    let back = c.to_connect("rec", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, data.value);
    let bs = back.schema.unwrap();
    assert_eq!(bs.fields[0].schema.parameters[&format!("{ENUM}.INACTIVE")], "1");
    assert_eq!(bs.fields[1].schema.kind, SchemaKind::Map);
    assert_eq!(bs.fields[1].schema.name.as_deref(), Some("connect_default1"));
    // int.for.enums reads the enum as its number.
    let ints = converter(&reg, &[("int.for.enums", "true")]);
    let d = ints.to_connect("rec", Some(&bytes)).await.unwrap().unwrap();
    let Value::Struct(vs) = &d.value else { panic!() };
    assert_eq!(vs[0], Value::Int32(1));
    assert_eq!(d.schema.unwrap().fields[0].schema.kind, SchemaKind::Int32);
    // A `map<...>` field reads as a Connect map named after the field.
    let id = register(
        &reg,
        "m-value",
        "syntax = \"proto3\";\nmessage M { map<string, int64> tag_counts = 1; }\n",
    )
    .await;
    let d = c
        .to_connect("m", Some(&framed(id, &[10, 5, 10, 1, b'k', 16, 7])))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.schema.unwrap().fields[0].schema.name.as_deref(),
        Some("tag_counts")
    );
    assert_eq!(
        d.value,
        Value::Struct(vec![Value::Map(vec![(
            Value::String("k".into()),
            Value::Int64(7)
        )])])
    );
}

#[tokio::test]
async fn logical_types_and_field_types_round_trip() {
    let reg = registry();
    let c = converter(&reg, &[]);
    let mut decimal = Schema::new(SchemaKind::Bytes).named(DECIMAL);
    decimal.version = Some(1);
    decimal.parameters.insert("scale".into(), "2".into());
    decimal
        .parameters
        .insert("connect.decimal.precision".into(), "10".into());
    let logical = |k, n: &str| {
        let mut x = Schema::new(k).named(n);
        x.version = Some(1);
        Arc::new(x)
    };
    let schema = Arc::new(
        Schema::structure([
            ("price".to_string(), Arc::new(decimal)),
            ("day".to_string(), logical(SchemaKind::Int32, DATE)),
            ("at".to_string(), logical(SchemaKind::Int64, TIMESTAMP)),
            ("tod".to_string(), logical(SchemaKind::Int32, TIME)),
        ])
        .named("t.Log"),
    );
    let (text, _) = to_proto(&schema, &ProtobufOptions::default()).unwrap();
    for want in [
        "confluent.type.Decimal price = 1 [(confluent.field_meta) = { params: [{ key: \"precision\", value: \"10\" }, { key: \"scale\", value: \"2\" }] }];",
        "google.type.Date day = 2;",
        "google.protobuf.Timestamp at = 3;",
        "google.type.TimeOfDay tod = 4;",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    let data = Data::new(
        Some(schema),
        Value::Struct(vec![
            Value::Bytes(Bytes::from_static(&[0x30, 0x39])),
            Value::Int32(17_427),
            Value::Int64(-1_500),
            Value::Int32(40_333_014),
        ]),
    );
    let bytes = c.from_connect("log", Some(&data)).await.unwrap().unwrap();
    // price: value 0x3039, precision 5, scale 2; day 2017-09-18.
    assert_eq!(&bytes[6..17], &[10, 8, 10, 2, 0x30, 0x39, 16, 5, 24, 2, 18]);
    assert_eq!(&bytes[17..24], &[7, 8, 0xe1, 0x0f, 16, 9, 24]);
    let back = c.to_connect("log", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, data.value);
    let bs = back.schema.unwrap();
    assert_eq!(bs.fields[0].schema.parameters["scale"], "2");
    assert_eq!(bs.fields[0].schema.parameters["connect.decimal.precision"], "10");
    // Unusual integer kinds keep their kind through Confluent's Type parameter and the Tag.
    let id = register(
        &reg,
        "k-value",
        "syntax = \"proto3\";\nmessage K { sint32 a = 5; uint64 b = 2; fixed32 c = 9; }\n",
    )
    .await;
    // a=-2 (zigzag 3), b=2^63 (as int64: i64::MIN), c=4000000000.
    let msg = [
        40, 3, 16, 128, 128, 128, 128, 128, 128, 128, 128, 128, 1, 77, 0, 40, 107, 238,
    ];
    let d = c.to_connect("k", Some(&framed(id, &msg))).await.unwrap().unwrap();
    assert_eq!(
        d.value,
        Value::Struct(vec![
            Value::Int32(-2),
            Value::Int64(i64::MIN),
            Value::Int64(4_000_000_000)
        ])
    );
    let ks = d.schema.clone().unwrap();
    assert_eq!(
        ks.fields[0].schema.parameters["io.confluent.connect.protobuf.Type"],
        "sint32"
    );
    let bytes = c.from_connect("k2", Some(&d)).await.unwrap().unwrap();
    let text = latest_text(&reg, "k2-value").await;
    assert!(
        text.contains("sint32 a = 5;") && text.contains("uint64 b = 2;") && text.contains("fixed32 c = 9;"),
        "{text}"
    );
    let back = c.to_connect("k2", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, d.value);
}

#[tokio::test]
async fn scrub_invalid_names_rewrites_as_confluent() {
    assert_eq!(scrub("abc_DEF_123"), "abc_DEF_123");
    assert_eq!(scrub("abc+-.*_"), "abc_2B____");
    assert_eq!(scrub("abc  def"), "abc__def");
    assert_eq!(scrub("0abc"), "x0abc");
    assert_eq!(scrub("_abc"), "x_abc");
    let schema = Arc::new(
        Schema::structure([("invalid field-name".to_string(), s(SchemaKind::String))])
            .named("org.acme-corp.invalid record-name"),
    );
    let o = ProtobufOptions {
        scrub_invalid_names: true,
        ..ProtobufOptions::default()
    };
    let (text, full) = to_proto(&schema, &o).unwrap();
    assert_eq!(full, "org.acme_corp.invalid_record_name");
    assert!(text.contains("string invalid_field_name = 1;"), "{text}");
    let reg = registry();
    let c = converter(&reg, &[("scrub.invalid.names", "true")]);
    let data = Data::new(
        Some(schema.clone()),
        Value::Struct(vec![Value::String("foo".into())]),
    );
    let bytes = c.from_connect("scrub", Some(&data)).await.unwrap().unwrap();
    let back = c.to_connect("scrub", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, data.value);
    // Without scrubbing the name is refused, naming it.
    let plain = converter(&reg, &[]);
    let err = plain.from_connect("scrub2", Some(&data)).await.unwrap_err();
    assert!(
        err.message.contains("Invalid schema") && err.message.contains("scrub2-value"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn bad_options_and_bad_values_are_named() {
    let reg = registry();
    let ctx = ConverterContext::with_registry(reg.clone() as Arc<dyn SchemaRegistryClient>);
    let props: BTreeMap<String, String> = [("wrapper.for.nullables".to_string(), "maybe".to_string())].into();
    let Err(err) = build_converter("ProtobufConverter", &props, false, &ctx) else {
        panic!("a bad boolean is refused")
    };
    assert!(err.message.contains("wrapper.for.nullables"), "{}", err.message);
    let c = converter(&reg, &[]);
    let schema = Arc::new(Schema::structure([("st".to_string(), Arc::new(status_schema()))]).named("t.E"));
    let data = Data::new(Some(schema), Value::Struct(vec![Value::String("GONE".into())]));
    let err = c.from_connect("e", Some(&data)).await.unwrap_err();
    assert!(
        err.message.contains("field st") && err.message.contains("GONE"),
        "{}",
        err.message
    );
    // Truncated and malformed messages are data errors naming the field.
    let id = register(&reg, "ev-value", EVENT).await;
    for bad in [
        &[10u8, 5, b'a'][..],
        &[26, 2, 8],
        &[10, 0x80],
        &[18, 2, 0xff, 0xfe],
    ] {
        let err = c.to_connect("ev", Some(&framed(id, bad))).await.unwrap_err();
        assert_eq!(err.kind, schemas::ErrorKind::Data, "{}", err.message);
        assert!(err.message.contains("app.Event"), "{}", err.message);
    }
}

#[tokio::test]
async fn use_latest_version_writes_a_struct_field_named_after_a_oneof_as_the_oneof() {
    // confluent-kafka's Python serializer registers the file as a base64 descriptor.
    const EVENT_B64: &str = "Cg9kYmcvZXZlbnQucHJvdG8SCHdlaXIuZGJnIpwBCgVFdmVudBIKCgJpZBgBIAEoCRIOCgR0ZXh0GAIgASgJSAASJgoFcG9pbnQYAyABKAsyFS53ZWlyLmRiZy5FdmVudC5Qb2ludEgAEiUKBm9yaWdpbhgEIAEoCzIVLndlaXIuZGJnLkV2ZW50LlBvaW50Gh0KBVBvaW50EgkKAXgYASABKAUSCQoBeRgCIAEoBUIJCgdwYXlsb2FkYgZwcm90bzM=";
    for text in [EVENT, EVENT_B64] {
        let reg = registry();
        register(&reg, "lv-value", text).await;
        let c = converter(
            &reg,
            &[
                ("use.latest.version", "true"),
                ("latest.compatibility.strict", "false"),
                ("auto.register.schemas", "false"),
            ],
        );
        // The shape JSON inference gives: unnamed structs, int64 numbers, a null typed as string.
        let point = Arc::new(
            Schema::structure([
                ("x".to_string(), opt(SchemaKind::Int64)),
                ("y".to_string(), opt(SchemaKind::Int64)),
            ])
            .optional(),
        );
        let union = Arc::new(
            Schema::structure([
                ("text".to_string(), opt(SchemaKind::String)),
                ("point".to_string(), point.clone()),
            ])
            .optional(),
        );
        let schema = Arc::new(Schema::structure([
            ("payload_0".to_string(), union),
            ("id".to_string(), opt(SchemaKind::String)),
            ("origin".to_string(), opt(SchemaKind::String)),
        ]));
        let p = |x, y| Value::Struct(vec![Value::Int64(x), Value::Int64(y)]);
        let data = Data::new(
            Some(schema),
            Value::Struct(vec![
                Value::Struct(vec![Value::Null, p(3, 4)]),
                Value::String("e1".into()),
                Value::Null,
            ]),
        );
        let bytes = c.from_connect("lv", Some(&data)).await.unwrap().unwrap();
        assert_eq!(&bytes[6..], &[10, 2, b'e', b'1', 26, 4, 8, 3, 16, 4]);
        // A member the oneof cannot take (a null inferred as a string) is fine while null.
        let union = Arc::new(
            Schema::structure([
                ("text".to_string(), opt(SchemaKind::String)),
                ("point".to_string(), opt(SchemaKind::String)),
            ])
            .optional(),
        );
        let schema = Arc::new(Schema::structure([
            ("id".to_string(), opt(SchemaKind::String)),
            ("payload_0".to_string(), union),
        ]));
        let data = Data::new(
            Some(schema.clone()),
            Value::Struct(vec![
                Value::String("e2".into()),
                Value::Struct(vec![Value::String("hi".into()), Value::Null]),
            ]),
        );
        let bytes = c.from_connect("lv", Some(&data)).await.unwrap().unwrap();
        assert_eq!(&bytes[6..], &[10, 2, b'e', b'2', 18, 2, b'h', b'i']);
        let data = Data::new(
            Some(schema),
            Value::Struct(vec![
                Value::String("e3".into()),
                Value::Struct(vec![Value::Null, Value::String("p".into())]),
            ]),
        );
        let err = c.from_connect("lv", Some(&data)).await.unwrap_err();
        assert!(
            err.message.contains("field payload_0: field point"),
            "{}",
            err.message
        );
    }
}

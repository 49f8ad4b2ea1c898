//! JsonSchemaConverter against Confluent's JsonSchemaData rules: maps with non-string keys as
//! `{key, value}` objects, optional fields as `oneOf` with `connect.index` outside, enums,
//! `oneOf` unions, `connect.parameters`, decimals (BASE64 by default, NUMERIC on request),
//! `object.additional.properties` and `use.optional.for.nonrequired`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use common::{latest_json, registry};
use formats::{Converter, ConverterContext, SchemaRegistryClient, build_converter};
use schemas::data::DECIMAL;
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;
use schemas::{Data, Schema, SchemaKind, Value};
use serde_json::{Value as Json, json};

fn converter(reg: &Arc<RegistryService>, pairs: &[(&str, &str)]) -> Arc<dyn Converter> {
    common::converter(reg, "JsonSchemaConverter", pairs)
}

fn s(kind: SchemaKind) -> Arc<Schema> {
    Arc::new(Schema::new(kind))
}

async fn register(reg: &Arc<RegistryService>, subject: &str, text: &str) -> i32 {
    common::register(reg, subject, SchemaType::Json, text).await
}

fn framed(id: i32, json: &str) -> Vec<u8> {
    common::framed(id, json.as_bytes())
}

async fn read(c: &Arc<dyn Converter>, topic: &str, id: i32, json: &str) -> Data {
    c.to_connect(topic, Some(&framed(id, json)))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn maps_with_non_string_keys_are_arrays_of_key_value_objects() {
    let reg = registry();
    let by_id = Schema::map(s(SchemaKind::Int32), s(SchemaKind::String));
    let schema = Arc::new(
        Schema::structure([
            ("by_id".to_string(), Arc::new(by_id)),
            (
                "tags".to_string(),
                Arc::new(Schema::map(s(SchemaKind::String), s(SchemaKind::Int64))),
            ),
        ])
        .named("app.Index"),
    );
    let value = Value::Struct(vec![
        Value::Map(vec![
            (Value::Int32(1), Value::String("one".into())),
            (Value::Int32(2), Value::String("two".into())),
        ]),
        Value::Map(vec![(Value::String("x".into()), Value::Int64(9))]),
    ]);
    let c = converter(&reg, &[]);
    let data = Data::new(Some(schema), value);
    let bytes = c.from_connect("idx", Some(&data)).await.unwrap().unwrap();
    assert_eq!(
        std::str::from_utf8(&bytes[5..]).unwrap(),
        r#"{"by_id":[{"key":1,"value":"one"},{"key":2,"value":"two"}],"tags":{"x":9}}"#
    );
    let text = latest_json(&reg, "idx-value").await;
    assert_eq!(
        text["properties"]["by_id"],
        json!({"type":"array","items":{"type":"object","properties":{
            "key":{"type":"integer","connect.type":"int32","connect.index":0},
            "value":{"type":"string","connect.index":1}}},
            "connect.type":"map","connect.index":0})
    );
    assert_eq!(
        text["properties"]["tags"],
        json!({"type":"object","additionalProperties":{"type":"integer","connect.type":"int64"},
               "connect.type":"map","connect.index":1})
    );
    // Confluent writes no `required` list.
    assert!(text.get("required").is_none(), "{text}");
    let back = c.to_connect("idx", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(back.value, data.value);
    // The old pair form is refused with a message that says what is expected.
    let id = common::id_of(&bytes);
    let err = c
        .to_connect("idx", Some(&framed(id, r#"{"by_id":[[1,"one"]],"tags":{}}"#)))
        .await
        .unwrap_err();
    assert!(
        err.message.contains(r#"{"key", "value"} object"#),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn optional_fields_enums_unions_and_parameters() {
    let reg = registry();
    // As a Confluent JsonSchemaConverter registers it.
    let text = r#"{"type":"object","title":"app.Shape","properties":{
        "color":{"enum":["red","green","blue"],"connect.index":0},
        "note":{"oneOf":[{"type":"null"},{"type":"string","connect.parameters":{"k":"v"}}],"connect.index":1},
        "size":{"oneOf":[{"type":"integer","connect.type":"int32","connect.index":0},{"type":"string","connect.index":1}],"connect.index":2}}}"#;
    let id = register(&reg, "shapes-value", text).await;
    let c = converter(&reg, &[]);
    let data = read(&c, "shapes", id, r#"{"color":"green","note":null,"size":"XL"}"#).await;
    assert_eq!(
        data.value,
        Value::Struct(vec![
            Value::String("green".into()),
            Value::Null,
            Value::Struct(vec![Value::Null, Value::String("XL".into())]),
        ])
    );
    let schema = data.schema.clone().unwrap();
    let color = &schema.fields[0].schema;
    let keys: Vec<&str> = color.parameters.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "io.confluent.connect.json.Enum",
            "io.confluent.connect.json.Enum.red",
            "io.confluent.connect.json.Enum.green",
            "io.confluent.connect.json.Enum.blue"
        ]
    );
    assert!(schema.fields[1].schema.optional);
    assert_eq!(schema.fields[1].schema.parameters["k"], "v");
    let size = &schema.fields[2].schema;
    assert_eq!(size.name.as_deref(), Some("io.confluent.connect.json.OneOf"));
    assert_eq!(size.fields[0].name, "io.confluent.connect.json.OneOf.field.0");
    // Written back: the same JSON, and the same schema (enum order, oneOf, index placement).
    let out = c.from_connect("shapes2", Some(&data)).await.unwrap().unwrap();
    assert_eq!(
        std::str::from_utf8(&out[5..]).unwrap(),
        r#"{"color":"green","note":null,"size":"XL"}"#
    );
    let back = latest_json(&reg, "shapes2-value").await;
    let original: Json = serde_json::from_str(text).unwrap();
    assert_eq!(back["properties"], original["properties"]);
    assert_eq!(back["title"], "app.Shape");
    // A number takes the integer branch.
    let data = read(&c, "shapes", id, r#"{"color":"red","note":"n","size":3}"#).await;
    let Value::Struct(fields) = &data.value else {
        panic!()
    };
    assert_eq!(fields[2], Value::Struct(vec![Value::Int32(3), Value::Null]));
}

fn priced() -> Arc<Schema> {
    let mut decimal = Schema::new(SchemaKind::Bytes).named(DECIMAL);
    decimal.version = Some(1);
    decimal.parameters.insert("scale".into(), "2".into());
    Arc::new(Schema::structure([("price".to_string(), Arc::new(decimal))]).named("app.Priced"))
}

#[tokio::test]
async fn decimals_are_base64_by_default_and_numbers_on_request() {
    let reg = registry();
    // 123.45 = unscaled 12345 = 0x3039
    let data = Data::new(
        Some(priced()),
        Value::Struct(vec![Value::Bytes(Bytes::from_static(&[0x30, 0x39]))]),
    );
    let c = converter(&reg, &[]);
    let bytes = c.from_connect("prices", Some(&data)).await.unwrap().unwrap();
    assert_eq!(std::str::from_utf8(&bytes[5..]).unwrap(), r#"{"price":"MDk="}"#);
    assert_eq!(
        c.to_connect("prices", Some(&bytes)).await.unwrap().unwrap().value,
        data.value
    );
    let text = latest_json(&reg, "prices-value").await;
    assert_eq!(
        text["properties"]["price"],
        json!({"type":"number","connect.type":"bytes","title":DECIMAL,"connect.version":1,
               "connect.parameters":{"scale":"2"},"connect.index":0})
    );
    let numeric = converter(&reg, &[("decimal.format", "NUMERIC")]);
    let bytes = numeric
        .from_connect("prices", Some(&data))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(std::str::from_utf8(&bytes[5..]).unwrap(), r#"{"price":123.45}"#);
    assert_eq!(
        c.to_connect("prices", Some(&bytes)).await.unwrap().unwrap().value,
        data.value
    );
    let ctx = ConverterContext::with_registry(reg.clone() as Arc<dyn SchemaRegistryClient>);
    let props = BTreeMap::from([("decimal.format".to_string(), "HEX".to_string())]);
    let Err(err) = build_converter("JsonSchemaConverter", &props, false, &ctx) else {
        panic!("decimal.format=HEX was accepted");
    };
    assert!(
        err.message.contains("value.converter.decimal.format"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn additional_properties_and_optional_for_nonrequired() {
    let reg = registry();
    let schema = Arc::new(Schema::structure([("id".to_string(), s(SchemaKind::Int64))]).named("app.Closed"));
    let data = Data::new(Some(schema), Value::Struct(vec![Value::Int64(1)]));
    let c = converter(&reg, &[("object.additional.properties", "false")]);
    c.from_connect("closed", Some(&data)).await.unwrap().unwrap();
    let text = latest_json(&reg, "closed-value").await;
    assert_eq!(text["additionalProperties"], json!(false));

    // A plain schema from another producer: `age` is not required.
    let text = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name"]}"#;
    let id = register(&reg, "people-value", text).await;
    let bytes = framed(id, r#"{"name":"Ann"}"#);
    // Confluent's default: a property is optional only when its schema allows null.
    let strict = converter(&reg, &[]);
    let err = strict.to_connect("people", Some(&bytes)).await.unwrap_err();
    assert!(err.message.contains("age"), "{}", err.message);
    let lenient = converter(&reg, &[("use.optional.for.nonrequired", "true")]);
    let data = lenient.to_connect("people", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(
        data.value,
        Value::Struct(vec![Value::String("Ann".into()), Value::Null])
    );
    let schema = data.schema.unwrap();
    assert!(!schema.fields[0].schema.optional);
    assert!(schema.fields[1].schema.optional);
}

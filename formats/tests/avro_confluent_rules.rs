//! AvroConverter against the finer rules of Confluent's AvroData: enum symbol order,
//! `enhanced.avro.schema.support` (enum and fixed written back as themselves),
//! `connect.meta.data=false`, record and field docs as parameters, Avro field defaults, and
//! recursive records in both directions.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{framed, latest_json, registry};
use formats::Converter;
use formats::avro::connect::{
    ENUM_PARAM, FIELD_DEFAULT_FLAG, FIELD_DOC_PREFIX, FIXED_SIZE_PARAM, RECORD_DOC_PARAM, RECURSIVE_PARAM,
};
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;
use schemas::{Data, Schema, SchemaKind, Value};
use serde_json::{Value as Json, json};

fn converter(reg: &Arc<RegistryService>, pairs: &[(&str, &str)]) -> Arc<dyn Converter> {
    common::converter(reg, "AvroConverter", pairs)
}

async fn register(reg: &Arc<RegistryService>, subject: &str, text: &str) -> i32 {
    common::register(reg, subject, SchemaType::Avro, text).await
}

const CARDS: &str = r#"{"type":"record","name":"Card","namespace":"io.app","fields":[
    {"name":"suit","type":{"type":"enum","name":"Suit","symbols":["HEARTS","SPADES","CLUBS"]}},
    {"name":"hash","type":{"type":"fixed","name":"Hash","size":2}}]}"#;

#[tokio::test]
async fn enum_symbols_keep_their_declared_order() {
    let reg = registry();
    let id = register(&reg, "cards-value", CARDS).await;
    // suit = SPADES (index 1 -> zigzag 2), hash = [7, 9]
    let bytes = framed(id, &[2, 7, 9]);
    let c = converter(&reg, &[]);
    let data = c.to_connect("cards", Some(&bytes)).await.unwrap().unwrap();
    assert_eq!(
        data.value,
        Value::Struct(vec![
            Value::String("SPADES".into()),
            Value::Bytes(Bytes::from_static(&[7, 9]))
        ])
    );
    let schema = data.schema.clone().unwrap();
    let suit = &schema.fields[0].schema;
    assert_eq!(suit.name.as_deref(), Some("io.app.Suit"));
    let keys: Vec<&str> = suit.parameters.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            ENUM_PARAM,
            "io.confluent.connect.avro.Enum.HEARTS",
            "io.confluent.connect.avro.Enum.SPADES",
            "io.confluent.connect.avro.Enum.CLUBS"
        ]
    );
    let hash = &schema.fields[1].schema;
    assert_eq!(hash.name.as_deref(), Some("io.app.Hash"));
    assert_eq!(hash.parameters[FIXED_SIZE_PARAM], "2");

    // enhanced.avro.schema.support: written back as the same enum and fixed, same bytes.
    let enhanced = converter(&reg, &[("enhanced.avro.schema.support", "true")]);
    let out = enhanced
        .from_connect("cards2", Some(&data))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&out[5..], &[2, 7, 9]);
    let text = latest_json(&reg, "cards2-value").await;
    // (The registry stores Avro's canonical text: a namespace equal to the record's is dropped.)
    assert_eq!(text["fields"][0]["type"]["type"], "enum");
    assert_eq!(text["fields"][0]["type"]["name"], "Suit");
    assert_eq!(
        text["fields"][0]["type"]["symbols"],
        json!(["HEARTS", "SPADES", "CLUBS"])
    );
    let mut fixed = text["fields"][1]["type"].clone();
    fixed.as_object_mut().unwrap().remove("namespace");
    assert_eq!(
        fixed,
        json!({"type":"fixed","name":"Hash","size":2,
               "connect.parameters":{"connect.fixed.size":"2"},"connect.name":"io.app.Hash"})
    );

    // Without it (Confluent's default) the enum is a string carrying its parameters in order,
    // the fixed plain bytes.
    let plain = converter(&reg, &[]);
    let out = plain.from_connect("cards3", Some(&data)).await.unwrap().unwrap();
    assert_eq!(&out[5..], &[12, b'S', b'P', b'A', b'D', b'E', b'S', 4, 7, 9]);
    let text = latest_json(&reg, "cards3-value").await;
    assert_eq!(
        serde_json::to_string(&text["fields"][0]["type"]).unwrap(),
        r#"{"type":"string","connect.parameters":{"io.confluent.connect.avro.Enum":"io.app.Suit","io.confluent.connect.avro.Enum.HEARTS":"HEARTS","io.confluent.connect.avro.Enum.SPADES":"SPADES","io.confluent.connect.avro.Enum.CLUBS":"CLUBS"},"connect.name":"io.app.Suit"}"#
    );
    assert_eq!(
        text["fields"][1]["type"],
        json!({"type":"bytes","connect.parameters":{"connect.fixed.size":"2"},"connect.name":"io.app.Hash"})
    );
}

#[tokio::test]
async fn connect_meta_data_false_writes_plain_avro() {
    let reg = registry();
    let mut small = Schema::new(SchemaKind::Int8);
    small.doc = Some("a small one".into());
    let mut schema = Schema::structure([("n".to_string(), Arc::new(small))]).named("io.app.Plain");
    schema.version = Some(3);
    let data = Data::new(Some(Arc::new(schema)), Value::Struct(vec![Value::Int8(-2)]));
    let c = converter(&reg, &[("connect.meta.data", "false")]);
    let bytes = c.from_connect("plain", Some(&data)).await.unwrap().unwrap();
    assert_eq!(&bytes[5..], &[3]);
    assert_eq!(
        latest_json(&reg, "plain-value").await,
        json!({"type":"record","name":"Plain","namespace":"io.app","fields":[{"name":"n","type":"int"}]})
    );
    // With meta data (the default) the same schema carries Confluent's connect.* properties.
    let c = converter(&reg, &[]);
    c.from_connect("meta", Some(&data)).await.unwrap().unwrap();
    assert_eq!(
        latest_json(&reg, "meta-value").await,
        json!({"type":"record","name":"Plain","namespace":"io.app","fields":[
            {"name":"n","type":{"type":"int","connect.doc":"a small one","connect.type":"int8"}}],
            "connect.version":3,"connect.name":"io.app.Plain"})
    );
}

#[tokio::test]
async fn docs_and_field_defaults_travel_as_confluent_carries_them() {
    let reg = registry();
    let text = r#"{"type":"record","name":"Doc","namespace":"io.app","doc":"the record",
        "fields":[{"name":"n","type":"int","default":5,"doc":"the field"},
                  {"name":"s","type":{"type":"string","avro.java.string":"String"}}]}"#;
    let id = register(&reg, "docs-value", text).await;
    let c = converter(&reg, &[]);
    let data = c
        .to_connect("docs", Some(&framed(id, &[14, 2, b'x'])))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        data.value,
        Value::Struct(vec![Value::Int32(7), Value::String("x".into())])
    );
    let schema = data.schema.clone().unwrap();
    assert_eq!(schema.parameters[RECORD_DOC_PARAM], "the record");
    assert_eq!(schema.parameters[&format!("{FIELD_DOC_PREFIX}n")], "the field");
    assert_eq!(schema.doc, None);
    let n = &schema.fields[0].schema;
    assert_eq!(n.default, Some(Value::Int32(5)));
    assert_eq!(n.parameters[FIELD_DEFAULT_FLAG], "true");
    // `avro*` properties travel as parameters, and back as properties.
    assert_eq!(schema.fields[1].schema.parameters["avro.java.string"], "String");
    // Written back: doc, field doc and the field default where they were; the flag is not
    // written, the doc parameters are (as Confluent writes them).
    c.from_connect("docs2", Some(&data)).await.unwrap().unwrap();
    let back = latest_json(&reg, "docs2-value").await;
    assert_eq!(back["doc"], "the record");
    assert_eq!(
        back["fields"][0],
        json!({"name":"n","type":"int","default":5,"doc":"the field"})
    );
    assert_eq!(back["fields"][1]["type"]["avro.java.string"], "String");
    assert_eq!(
        back["connect.parameters"],
        json!({RECORD_DOC_PARAM: "the record", format!("{FIELD_DOC_PREFIX}n"): "the field"})
    );
}

const NODE: &str = r#"{"type":"record","name":"Node","namespace":"io.app","fields":[
    {"name":"value","type":"int"},
    {"name":"next","type":["null","Node"],"default":null}]}"#;

#[tokio::test]
async fn recursive_records_convert_both_ways() {
    let reg = registry();
    let id = register(&reg, "list-value", NODE).await;
    // 1 -> 2 -> 3 -> null
    let datum = [2, 2, 4, 2, 6, 0];
    let c = converter(&reg, &[]);
    let data = c
        .to_connect("list", Some(&framed(id, &datum)))
        .await
        .unwrap()
        .unwrap();
    let node = |v: i32, next: Value| Value::Struct(vec![Value::Int32(v), next]);
    assert_eq!(data.value, node(1, node(2, node(3, Value::Null))));
    let schema = data.schema.clone().unwrap();
    let next = &schema.fields[1].schema;
    assert!(next.optional);
    assert_eq!(next.name.as_deref(), Some("io.app.Node"));
    assert_eq!(next.parameters[RECURSIVE_PARAM], "io.app.Node");

    // Written back: the same Avro schema (by name, no redefinition) and the same bytes.
    let out = c.from_connect("list2", Some(&data)).await.unwrap().unwrap();
    assert_eq!(&out[5..], &datum);
    let text = latest_json(&reg, "list2-value").await;
    let next = &text["fields"][1]["type"];
    assert!(
        *next == json!(["null", "Node"]) || *next == json!(["null", "io.app.Node"]),
        "{text}"
    );
    assert_eq!(text["fields"][1]["default"], Json::Null);
    // ... and it reads back equal through a fresh converter.
    let fresh = converter(&reg, &[]);
    let again = fresh.to_connect("list2", Some(&out)).await.unwrap().unwrap();
    assert_eq!(again.value, data.value);

    // Hostile bytes nesting deeper than any real list fail cleanly (no stack overflow).
    let mut deep = Vec::new();
    for _ in 0..100_000 {
        deep.extend_from_slice(&[2, 2]);
    }
    deep.push(0);
    let err = c.to_connect("list", Some(&framed(id, &deep))).await.unwrap_err();
    assert!(
        err.message.contains("nests deeper than 100 levels"),
        "{}",
        err.message
    );
}

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

/// The message a Protobuf schema id's bytes decode to, read back from the written bytes
/// (after the 5-byte header and the one-byte message index `[0]`).
async fn read_back(
    reg: &Arc<dyn SchemaRegistryClient>,
    id: i32,
    bytes: &[u8],
) -> prost_reflect::DynamicMessage {
    use prost::Message as _;
    let schema = reg.schema_by_id(id).await.unwrap();
    let schemas::registry::ParsedSchema::Protobuf(p) = schema.parsed.as_ref() else {
        panic!("not protobuf");
    };
    assert_eq!(bytes[5], 0, "message index [0]");
    let mut m = prost_reflect::DynamicMessage::new(p.first_message().unwrap());
    m.merge(&bytes[6..]).unwrap();
    m
}

async fn setup_with_registry(
    t: SchemaType,
    text: &str,
) -> (JsonWireSerializer, i32, Arc<dyn SchemaRegistryClient>) {
    let reg: Arc<dyn SchemaRegistryClient> = Arc::new(RegistryService::new(Arc::new(MemoryStore::new())));
    let id = reg
        .register("t-value", &SchemaText::new(t, text), false)
        .await
        .unwrap();
    (JsonWireSerializer::new(reg.clone()), id, reg)
}

#[tokio::test]
async fn protobuf_numbers_are_taken_in_any_json_spelling() {
    let (s, id, reg) = setup_with_registry(
        SchemaType::Protobuf,
        "syntax = \"proto3\";\nimport \"google/protobuf/struct.proto\";\n\
         message Order { double price = 1; float weight = 2; int32 qty = 3; int64 big = 4; uint64 count = 5;\n\
         google.protobuf.Struct extra = 6; google.protobuf.Value any = 7; }\n",
    )
    .await;
    // Numbers as people and other JSON libraries write them (Jackson's 1.0E7, Python's 1e-05),
    // not only in serde_json's shortest form.
    let body: serde_json::Value = serde_json::from_str(
        r#"{"price": 10.50, "weight": 1.0E7, "qty": 1.0E7, "big": -3.0, "count": 2E2,
            "extra": {"n": 10.50}, "any": 1e-05}"#,
    )
    .unwrap();
    let bytes = s.serialize(id, &body).await.unwrap();
    let m = read_back(&reg, id, &bytes).await;
    let get = |name: &str| m.get_field_by_name(name).unwrap().into_owned();
    assert_eq!(get("price").as_f64(), Some(10.5));
    assert_eq!(get("weight").as_f32(), Some(1.0e7));
    assert_eq!(get("qty").as_i32(), Some(10_000_000));
    assert_eq!(get("big").as_i64(), Some(-3));
    assert_eq!(get("count").as_u64(), Some(200));
    let extra = get("extra");
    let extra = extra.as_message().unwrap();
    let fields = extra.get_field_by_name("fields").unwrap();
    let n = fields
        .as_map()
        .unwrap()
        .get(&prost_reflect::MapKey::String("n".into()))
        .unwrap()
        .as_message()
        .unwrap()
        .get_field_by_name("number_value")
        .unwrap()
        .as_f64();
    assert_eq!(n, Some(10.5), "a number inside a google.protobuf.Struct");
    let any = get("any");
    assert_eq!(
        any.as_message()
            .unwrap()
            .get_field_by_name("number_value")
            .unwrap()
            .as_f64(),
        Some(1e-5)
    );

    // A fraction for an integer field is refused, not truncated; the message names the field.
    let err = s
        .serialize(id, &serde_json::from_str(r#"{"qty": 2.5}"#).unwrap())
        .await
        .unwrap_err();
    assert!(err.message.contains("qty"), "{}", err.message);
    // Integers beyond 64 bits are refused for int64, taken for a double.
    let err = s
        .serialize(
            id,
            &serde_json::from_str(r#"{"big": 18446744073709551616}"#).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err.message.contains("big"), "{}", err.message);
    let bytes = s
        .serialize(
            id,
            &serde_json::from_str(r#"{"price": 18446744073709551616}"#).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        read_back(&reg, id, &bytes)
            .await
            .get_field_by_name("price")
            .unwrap()
            .as_f64(),
        Some(18_446_744_073_709_551_616.0)
    );
}

#[tokio::test]
async fn json_schema_without_dollar_schema_is_draft_7_and_checks_formats() {
    // Draft 7 (the registry's and Confluent's default): `items` as an array is a tuple, and
    // `format` is checked.
    let (s, id) = setup(
        SchemaType::Json,
        r#"{"type":"object","properties":{
            "at":{"type":"string","format":"date-time"},
            "pair":{"type":"array","items":[{"type":"string"},{"type":"integer"}]}}}"#,
    )
    .await;
    let bytes = s
        .serialize(id, &json!({"at": "2026-12-07T09:00:00Z", "pair": ["a", 1]}))
        .await
        .unwrap();
    assert_eq!(&bytes[5..], br#"{"at":"2026-12-07T09:00:00Z","pair":["a",1]}"#);
    let err = s.serialize(id, &json!({"at": "yesterday"})).await.unwrap_err();
    assert!(err.message.starts_with("field /at"), "{}", err.message);
    assert!(err.message.contains("date-time"), "{}", err.message);
    let err = s.serialize(id, &json!({"pair": [1, "a"]})).await.unwrap_err();
    assert!(err.message.starts_with("field /pair/0"), "{}", err.message);

    // Draft 2020-12 declared: `format` is an annotation there, as that draft says.
    let (s, id) = setup(
        SchemaType::Json,
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
            "properties":{"at":{"type":"string","format":"date-time"}}}"#,
    )
    .await;
    assert!(s.serialize(id, &json!({"at": "yesterday"})).await.is_ok());
}

#[tokio::test]
async fn json_schema_refs_name_the_schemas_registry_references() {
    use schemas::registry::SchemaReference;
    let reg: Arc<dyn SchemaRegistryClient> = Arc::new(RegistryService::new(Arc::new(MemoryStore::new())));
    let reference = |name: &str| SchemaReference {
        name: name.to_owned(),
        subject: name.to_owned(),
        version: 1,
    };
    let with_refs = |text: &str, refs: &[&str]| {
        let mut s = SchemaText::new(SchemaType::Json, text);
        s.references = refs.iter().map(|r| reference(r)).collect();
        s
    };
    reg.register(
        "country.json",
        &SchemaText::new(SchemaType::Json, r#"{"type":"string","enum":["NL","FR"]}"#),
        false,
    )
    .await
    .unwrap();
    // A reference of a reference.
    reg.register(
        "address.json",
        &with_refs(
            r#"{"type":"object","properties":{"zip":{"type":"string"},"country":{"$ref":"country.json"}},"required":["zip"]}"#,
            &["country.json"],
        ),
        false,
    )
    .await
    .unwrap();
    let plain = reg
        .register(
            "orders-value",
            &with_refs(
                r#"{"type":"object","properties":{"ship_to":{"$ref":"address.json"}},"required":["ship_to"]}"#,
                &["address.json"],
            ),
            false,
        )
        .await
        .unwrap();
    // A root with an `$id`: the name resolves against it.
    let with_id = reg
        .register(
            "orders2-value",
            &with_refs(
                r#"{"$id":"https://example.com/schemas/order.json","type":"object","properties":{"ship_to":{"$ref":"address.json"}}}"#,
                &["address.json"],
            ),
            false,
        )
        .await
        .unwrap();
    let s = JsonWireSerializer::new(reg);
    for id in [plain, with_id] {
        let bytes = s
            .serialize(id, &json!({"ship_to": {"zip": "1234", "country": "NL"}}))
            .await
            .unwrap();
        assert_eq!(&bytes[5..], br#"{"ship_to":{"zip":"1234","country":"NL"}}"#);
        let err = s
            .serialize(id, &json!({"ship_to": {"zip": 1234}}))
            .await
            .unwrap_err();
        assert!(err.message.starts_with("field /ship_to/zip"), "{}", err.message);
        assert_eq!(err.kind, schemas::ErrorKind::Data);
        let err = s
            .serialize(id, &json!({"ship_to": {"zip": "1", "country": "XX"}}))
            .await
            .unwrap_err();
        assert!(
            err.message.starts_with("field /ship_to/country"),
            "{}",
            err.message
        );
    }
}

#[tokio::test]
async fn avro_bare_union_values_are_taken_only_when_exactly_one_branch_takes_them() {
    let (s, id) = setup(
        SchemaType::Avro,
        r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":["null","int"],"default":null},
            {"name":"b","type":["null","int","double"],"default":null},
            {"name":"c","type":["null","string","bytes"],"default":null},
            {"name":"d","type":["int","double"],"default":7}]}"#,
    )
    .await;
    let s = &s;
    let body = |v| async move { s.serialize(id, &v).await.map(|b| b[5..].to_vec()) };
    // a: branch 1, 5; b, c: null; d: its default 7, for the first branch (Avro's rule).
    assert_eq!(body(json!({"a": 5})).await.unwrap(), [2, 10, 0, 0, 0, 14]);
    let mut want = vec![0, 4];
    want.extend_from_slice(&2.5f64.to_le_bytes());
    want.extend_from_slice(&[0, 0, 14]);
    assert_eq!(
        body(json!({"b": 2.5})).await.unwrap(),
        want,
        "only double takes 2.5"
    );
    let mut want = vec![0, 4];
    want.extend_from_slice(&2.0f64.to_le_bytes());
    want.extend_from_slice(&[0, 0, 14]);
    assert_eq!(body(json!({"b": {"double": 2}})).await.unwrap(), want);
    assert_eq!(body(json!({"b": {"int": 2}})).await.unwrap(), [0, 2, 4, 0, 0, 14]);

    for (value, field, branches) in [
        (json!({"b": 2}), "b", "int, double"),
        (json!({"b": 2.0}), "b", "int, double"),
        (json!({"c": "x"}), "c", "string, bytes"),
        (json!({"d": 1}), "d", "int, double"),
    ] {
        let err = body(value.clone()).await.unwrap_err();
        assert!(
            err.message
                .starts_with(&format!("field {field}: ambiguous union value"))
                && err.message.contains(branches)
                && err.message.contains(r#"{"<branch>": value}"#),
            "{value}: {}",
            err.message
        );
        assert_eq!(err.kind, schemas::ErrorKind::Data);
    }
    let err = body(json!({"a": "x"})).await.unwrap_err();
    assert_eq!(err.message, "field a: expected int, got a string");
    let err = body(json!({"b": true})).await.unwrap_err();
    assert_eq!(
        err.message,
        "field b: no branch of the union [null, int, double] takes a boolean"
    );
}

#[tokio::test]
async fn protobuf_map_entries_are_written_in_key_order_so_one_value_is_one_byte_string() {
    let (s, id, reg) = setup_with_registry(
        SchemaType::Protobuf,
        "syntax = \"proto3\";\nimport \"google/protobuf/struct.proto\";\n\
         message Key { map<string, int32> m = 1; Inner inner = 2; google.protobuf.Struct extra = 3; }\n\
         message Inner { map<int32, string> by_id = 1; repeated Inner children = 2; }\n",
    )
    .await;
    let letters = ["h", "c", "a", "g", "e", "b", "f", "d"];
    let m: serde_json::Map<String, serde_json::Value> = letters
        .iter()
        .enumerate()
        .map(|(i, k)| ((*k).to_owned(), json!(i)))
        .collect();
    let by_id = json!({"10": "ten", "-1": "minus one", "2": "two", "7": "seven"});
    let value = json!({"m": m, "inner": {"by_id": by_id, "children": [{"by_id": by_id}]},
                       "extra": {"z": 1, "y": [1, {"q": 1, "p": 2}], "x": "s", "w": null}});
    let first = s.serialize(id, &value).await.unwrap();
    for _ in 0..20 {
        assert_eq!(
            s.serialize(id, &value).await.unwrap(),
            first,
            "the same bytes every time"
        );
    }
    // The top-level map: entries "a" .. "h", each {key: 1 "k", value: 2 varint}.
    let mut want = Vec::new();
    let mut sorted = letters;
    sorted.sort_unstable();
    for k in sorted {
        let i = letters.iter().position(|l| *l == k).unwrap() as u8;
        // (prost-reflect leaves a zero value out of its entry, as proto3 leaves out defaults.)
        let entry: Vec<u8> = if i == 0 {
            vec![0x0a, 1, k.as_bytes()[0]]
        } else {
            vec![0x0a, 1, k.as_bytes()[0], 0x10, i]
        };
        want.extend_from_slice(&[0x0a, entry.len() as u8]);
        want.extend_from_slice(&entry);
    }
    assert_eq!(&first[6..6 + want.len()], want.as_slice());
    // The same value with every object's keys in another order: the same bytes (maps at any
    // depth, integer keys, google.protobuf.Struct fields).
    let reordered = json!({
        "extra": {"w": null, "x": "s", "y": [1, {"p": 2, "q": 1}], "z": 1},
        "inner": {"children": [{"by_id": {"7": "seven", "2": "two", "-1": "minus one", "10": "ten"}}],
                  "by_id": {"7": "seven", "2": "two", "-1": "minus one", "10": "ten"}},
        "m": {"d": 7, "f": 6, "b": 5, "e": 4, "g": 3, "a": 2, "c": 1, "h": 0}});
    assert_eq!(s.serialize(id, &reordered).await.unwrap(), first);
    // Nothing is lost: the bytes read back as the value.
    let m = read_back(&reg, id, &first).await;
    assert_eq!(m.get_field_by_name("m").unwrap().as_map().unwrap().len(), 8);
    let inner = m.get_field_by_name("inner").unwrap().into_owned();
    let by_id = inner
        .as_message()
        .unwrap()
        .get_field_by_name("by_id")
        .unwrap()
        .into_owned();
    assert_eq!(
        by_id
            .as_map()
            .unwrap()
            .get(&prost_reflect::MapKey::I32(-1))
            .and_then(|v| v.as_str().map(str::to_owned)),
        Some("minus one".to_owned())
    );
}

//! AvroConverter's JSON shortcut (`json_writer`): JSON records straight to Avro bytes must be
//! byte for byte what the full path writes (the records read into Connect values, then
//! `from_connect`), and must decline whatever it does not handle instead of guessing.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use formats::{Converter, JsonRecordWriter};
use schemas::json::{JsonOptions, array_known_fields};
use schemas::{Data, Schema, SchemaKind};

fn optional(kind: SchemaKind) -> Arc<Schema> {
    Arc::new(Schema::new(kind).optional())
}

fn array_of(element: Arc<Schema>) -> Arc<Schema> {
    let mut s = Schema::new(SchemaKind::Array).optional();
    s.value_schema = Some(element);
    Arc::new(s)
}

/// The shape HttpSource infers for customer records: a required struct of optional fields.
fn customer() -> Arc<Schema> {
    let address = Arc::new(
        Schema::structure([
            ("zip".to_owned(), optional(SchemaKind::Int64)),
            ("city".to_owned(), optional(SchemaKind::String)),
        ])
        .optional(),
    );
    Arc::new(Schema::structure([
        ("customer_id".to_owned(), optional(SchemaKind::Int64)),
        ("name".to_owned(), optional(SchemaKind::String)),
        ("email".to_owned(), optional(SchemaKind::String)),
        ("phone".to_owned(), optional(SchemaKind::String)),
        ("spending".to_owned(), optional(SchemaKind::Float64)),
        ("vip".to_owned(), optional(SchemaKind::Boolean)),
        ("tags".to_owned(), array_of(optional(SchemaKind::String))),
        ("address".to_owned(), address),
        ("scores".to_owned(), array_of(optional(SchemaKind::Float64))),
    ]))
}

/// Required fields and narrow integers (a fixed schema's shape).
fn narrow() -> Arc<Schema> {
    Arc::new(Schema::structure([
        ("a".to_owned(), Arc::new(Schema::new(SchemaKind::Int8))),
        ("b".to_owned(), Arc::new(Schema::new(SchemaKind::Int16))),
        ("c".to_owned(), Arc::new(Schema::new(SchemaKind::Int32))),
        ("d".to_owned(), Arc::new(Schema::new(SchemaKind::Float32))),
        ("e".to_owned(), Arc::new(Schema::new(SchemaKind::String))),
        ("f".to_owned(), optional(SchemaKind::Int32)),
    ]))
}

/// The full path's bytes and record ends: Connect values, then `from_connect` each.
async fn full_path(
    converter: &Arc<dyn Converter>,
    schema: &Arc<Schema>,
    body: &str,
) -> Option<(Vec<u8>, Vec<usize>)> {
    let values = array_known_fields(schema, body.as_bytes(), &JsonOptions::default())?;
    let mut out = Vec::new();
    let mut ends = Vec::new();
    for value in values {
        let data = Data::new(Some(schema.clone()), value);
        let bytes = converter.from_connect("t", Some(&data)).await.unwrap().unwrap();
        out.extend_from_slice(&bytes);
        ends.push(out.len());
    }
    Some((out, ends))
}

fn direct(writer: &Arc<dyn JsonRecordWriter>, body: &str) -> Option<(Vec<u8>, Vec<usize>)> {
    let mut out = Vec::new();
    let mut ends = Vec::new();
    writer
        .write_array(body.as_bytes(), &mut out, &mut ends)
        .then_some((out, ends))
}

async fn writer_for(converter: &Arc<dyn Converter>, schema: &Arc<Schema>) -> Arc<dyn JsonRecordWriter> {
    converter
        .json_writer("t", schema)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no JSON writer for {schema:?}"))
}

/// (body, does the shortcut take it?)
async fn check(schema: &Arc<Schema>, cases: &[(&str, bool)]) {
    let registry = common::registry();
    let converter = common::converter(&registry, "AvroConverter", &[]);
    let writer = writer_for(&converter, schema).await;
    for (body, takes) in cases {
        let got = direct(&writer, body);
        assert_eq!(got.is_some(), *takes, "{body}");
        if let Some(got) = got {
            let full = full_path(&converter, schema, body).await;
            assert_eq!(Some(got), full, "{body}");
        }
    }
}

#[tokio::test]
async fn customer_records_give_the_full_paths_bytes() {
    check(
        &customer(),
        &[
            (
                r#"[{"customer_id":1,"name":"Customer 1","email":"c1@example.com","phone":"555-001-0001","spending":37.5,"vip":false}]"#,
                true,
            ),
            // Missing and null fields, nested structs, arrays with nulls, escapes, extremes.
            (
                r#"[{"customer_id":2,"phone":null,"vip":true},
                   {"name":"Zoë \"Q\" \n\u00e9\ud83d\ude00","tags":["a",null,"b"],"address":{"zip":-150}},
                   {"customer_id":-9223372036854775808,"spending":-0.0,"tags":[],"scores":[1,2.5,1e300,null]},
                   {"customer_id":9223372036854775807,"spending":3,"address":{"zip":null,"city":"Paris"}},
                   {"customer_id":4,"tags":null,"address":null,"scores":[]},
                   {}]"#,
                true,
            ),
            // A whole number written as a float is told from its text by the full path.
            (r#"[{"customer_id":4.0}]"#, false),
            ("[]", true),
            ("  [ ]  ", true),
            // Fields after a skipped one, still in schema order.
            (r#"[{"customer_id":5,"vip":false,"scores":[0.1]}]"#, true),
            // Keys out of schema order (a field first seen with a value after the others),
            // repeated keys (the last one counts), at both levels.
            (r#"[{"name":"x","customer_id":6}]"#, true),
            (
                r#"[{"vip":true,"customer_id":6,"customer_id":7,"address":{"city":"Paris","zip":1},"tags":["t"]},
                   {"customer_id":8,"name":"n","email":"e","spending":1.5,"vip":false,"phone":"555"},
                   {"address":{"city":"Lyon","zip":2,"city":"Nice"},"name":null,"scores":[2.5]}]"#,
                true,
            ),
            // Left to the full path: unknown fields, types, bad JSON, shape.
            (r#"[{"customer_id":6,"x":null}]"#, false),
            (r#"[{"customer_id":"6"}]"#, false),
            (r#"[{"customer_id":6.5}]"#, false),
            (r#"[{"customer_id":18446744073709551615}]"#, false),
            (r#"[{"vip":1}]"#, false),
            (r#"[{"tags":"a"}]"#, false),
            (r#"[{"address":{"zip":1,"street":"x"}}]"#, false),
            (r#"[null]"#, false),
            (r#"[[1]]"#, false),
            (r#"[{"customer_id":6}"#, false),
            (r#"[{"customer_id":6}] x"#, false),
            (r#"{"customer_id":6}"#, false),
        ],
    )
    .await;
}

#[tokio::test]
async fn required_fields_and_narrow_integers() {
    check(
        &narrow(),
        &[
            (
                r#"[{"a":-128,"b":32767,"c":-2147483648,"d":1.1,"e":"x","f":7},{"a":127,"b":0,"c":1,"d":3,"e":""}]"#,
                true,
            ),
            (r#"[{"a":128,"b":0,"c":1,"d":1,"e":""}]"#, false),
            (r#"[{"a":1,"b":40000,"c":1,"d":1,"e":""}]"#, false),
            (r#"[{"a":1,"b":0,"c":2147483648,"d":1,"e":""}]"#, false),
            // Out of order, and a gap of required fields filled later.
            (r#"[{"e":"y","d":2.5,"c":3,"b":2,"a":1},{"f":null,"c":1,"a":1,"b":0,"e":"","d":0}]"#, true),
            // A required field missing or null.
            (r#"[{"a":1,"b":0,"c":1,"d":1}]"#, false),
            (r#"[{"a":1,"b":0,"c":1,"d":1,"e":null}]"#, false),
        ],
    )
    .await;
}

/// Many generated records (a fixed-seed generator, so a failure repeats) in one body.
#[tokio::test]
async fn generated_records_give_the_full_paths_bytes() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let strings = [
        "",
        "a",
        "Customer 17",
        "é\\u00e9",
        "tab\\t\\\"q\\\"",
        "\\ud83d\\ude00 x",
    ];
    let mut records = Vec::new();
    for _ in 0..2000 {
        let mut fields = Vec::new();
        if next(4) > 0 {
            fields.push(format!("\"customer_id\":{}", next(1 << 62) as i64 - (1 << 61)));
        }
        if next(4) > 0 {
            fields.push(format!("\"name\":\"{}\"", strings[next(6) as usize]));
        }
        if next(3) == 0 {
            fields.push("\"email\":null".to_owned());
        }
        if next(2) == 0 {
            fields.push(format!("\"phone\":\"555-{}\"", next(10_000)));
        }
        if next(3) > 0 {
            let f = next(1_000_000) as f64 / 7.0 - 1000.0;
            fields.push(format!("\"spending\":{f}"));
        }
        if next(2) == 0 {
            fields.push(format!("\"vip\":{}", next(2) == 0));
        }
        if next(3) == 0 {
            let tags: Vec<String> = (0..next(4))
                .map(|_| format!("\"{}\"", strings[next(6) as usize]))
                .collect();
            fields.push(format!("\"tags\":[{}]", tags.join(",")));
        }
        if next(3) == 0 {
            fields.push(format!("\"address\":{{\"zip\":{},\"city\":null}}", next(99_999)));
        }
        if next(4) == 0 {
            let scores: Vec<String> = (0..next(5)).map(|i| format!("{}.25", i)).collect();
            fields.push(format!("\"scores\":[{}]", scores.join(",")));
        }
        // Some records out of schema order, some with a key repeated (the last one counts).
        if next(4) == 0 {
            fields.reverse();
        }
        if next(8) == 0 {
            fields.push(format!("\"customer_id\":{}", next(1000)));
        }
        records.push(format!("{{{}}}", fields.join(",")));
    }
    let body = format!("[{}]", records.join(",\n"));
    let schema = customer();
    let registry = common::registry();
    let converter = common::converter(&registry, "AvroConverter", &[]);
    let writer = writer_for(&converter, &schema).await;
    let got = direct(&writer, &body).unwrap_or_else(|| panic!("declined the generated body"));
    assert_eq!(got.1.len(), 2000);
    assert_eq!(Some(got), full_path(&converter, &schema, &body).await);
}

/// Schemas the shortcut does not handle get none, and the converter's own path still works.
#[tokio::test]
async fn schemas_it_does_not_handle_get_no_shortcut() {
    let registry = common::registry();
    let converter = common::converter(&registry, "AvroConverter", &[]);
    let mut map = Schema::new(SchemaKind::Map).optional();
    map.key_schema = Some(Arc::new(Schema::new(SchemaKind::String)));
    map.value_schema = Some(optional(SchemaKind::Int64));
    let with_map = Arc::new(Schema::structure([("m".to_owned(), Arc::new(map))]));
    let with_bytes = Arc::new(Schema::structure([("b".to_owned(), optional(SchemaKind::Bytes))]));
    let with_default = Arc::new(Schema::structure([(
        "n".to_owned(),
        Arc::new({
            let mut n = Schema::new(SchemaKind::Int64).optional();
            n.default = Some(schemas::Value::Int64(3));
            n
        }),
    )]));
    for schema in [with_map, with_bytes, with_default] {
        assert!(
            converter.json_writer("t", &schema).await.unwrap().is_none(),
            "{schema:?}"
        );
    }
}

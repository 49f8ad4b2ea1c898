//! Round trips through the JSON bridge (proptest) and the inference rules.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::{Schema, SchemaKind, Value};

fn schemaless_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(Value::Int64),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float64),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..5)
                .prop_map(|m| { Value::Map(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()) }),
        ]
    })
}

/// A primitive schema kind and a matching value.
fn typed_field() -> impl Strategy<Value = (SchemaKind, bool, Value)> {
    prop_oneof![
        any::<bool>().prop_map(|v| (SchemaKind::Boolean, false, Value::Boolean(v))),
        any::<i8>().prop_map(|v| (SchemaKind::Int8, false, Value::Int8(v))),
        any::<i16>().prop_map(|v| (SchemaKind::Int16, false, Value::Int16(v))),
        any::<i32>().prop_map(|v| (SchemaKind::Int32, false, Value::Int32(v))),
        any::<i64>().prop_map(|v| (SchemaKind::Int64, false, Value::Int64(v))),
        any::<f32>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|v| (SchemaKind::Float32, false, Value::Float32(v))),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|v| (SchemaKind::Float64, false, Value::Float64(v))),
        ".{0,10}".prop_map(|v| (SchemaKind::String, false, Value::String(v))),
        prop::collection::vec(any::<u8>(), 0..10).prop_map(|v| (
            SchemaKind::Bytes,
            false,
            Value::Bytes(v.into())
        )),
        Just((SchemaKind::String, true, Value::Null)),
    ]
}

proptest! {
    #[test]
    fn schemaless_round_trip(v in schemaless_value()) {
        let text = serde_json::to_string(&JsonView::new(None, &v, &JsonOptions::default())).unwrap();
        let back = schemaless_from_json(&serde_json::from_str(&text).unwrap());
        prop_assert_eq!(back, v);
    }

    #[test]
    fn struct_round_trip(fields in prop::collection::vec(typed_field(), 1..12)) {
        let options = JsonOptions::default();
        let schema = Arc::new(Schema::structure(fields.iter().enumerate().map(|(i, (k, opt, _))| {
            let s = if *opt { Schema::new(*k).optional() } else { Schema::new(*k) };
            (format!("f{i}"), Arc::new(s))
        })));
        let value = Value::Struct(fields.into_iter().map(|(_, _, v)| v).collect());
        let json = to_json(Some(&schema), &value, &options).unwrap();
        prop_assert_eq!(from_json(Some(&schema), &json, &options).unwrap(), value.clone());
        // The parser-driven fast path reads the text to the same value.
        let text = json.to_string();
        prop_assert!(fast::parse(&schema, text.as_bytes(), &options).is_some());
        prop_assert_eq!(from_json_bytes(Some(&schema), text.as_bytes(), &options).unwrap(), value);
        let schema_json = schema_to_json(&schema, &options).unwrap();
        let parsed = schema_from_json(&schema_json, &options).unwrap().unwrap();
        prop_assert_eq!(&*parsed, &*schema);
    }
}

#[test]
fn infers_struct_schemas_from_documents() {
    let doc = json!({"customer_id": 1, "name": "Alice", "spending": 12.5, "vip": true,
                     "note": null, "tags": ["a", "b"], "address": {"zip": "01234"}});
    let data = infer_data(&doc).unwrap();
    let schema = data.schema.clone().unwrap();
    let kinds: Vec<_> = schema
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.schema.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("customer_id", SchemaKind::Int64),
            ("name", SchemaKind::String),
            ("spending", SchemaKind::Float64),
            ("vip", SchemaKind::Boolean),
            ("note", SchemaKind::String),
            ("tags", SchemaKind::Array),
            ("address", SchemaKind::Struct),
        ]
    );
    assert!(schema.fields.iter().all(|f| f.schema.optional));
    let Value::Struct(values) = &data.value else {
        panic!("not a struct: {:?}", data.value)
    };
    assert_eq!(values[0], Value::Int64(1));
    assert_eq!(values[4], Value::Null);
    assert_eq!(values[6], Value::Struct(vec![Value::String("01234".into())]));
    // Written back, the document is unchanged.
    assert_eq!(
        to_json(data.schema.as_deref(), &data.value, &JsonOptions::default()).unwrap(),
        doc
    );
}

#[test]
fn inference_merges_array_elements() {
    let data =
        infer_data(&json!({"n": [1, 2.5, null], "o": [{"a": 1}, {"b": "x"}], "m": [1, "x", {"k": 2}]}))
            .unwrap();
    let schema = data.schema.unwrap();
    let item = |i: usize| schema.fields[i].schema.value_schema.clone().unwrap();
    assert_eq!(item(0).kind, SchemaKind::Float64);
    let names: Vec<_> = item(1).fields.iter().map(|f| f.name.clone()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(item(2).kind, SchemaKind::String);
    let Value::Struct(values) = data.value else {
        panic!()
    };
    assert_eq!(
        values[2],
        Value::Array(vec![
            Value::String("1".into()),
            Value::String("x".into()),
            Value::String(r#"{"k":2}"#.into())
        ])
    );
    assert_eq!(
        values[1],
        Value::Array(vec![
            Value::Struct(vec![Value::Int64(1), Value::Null]),
            Value::Struct(vec![Value::Null, Value::String("x".into())])
        ])
    );
}

#[test]
fn non_finite_floats_and_bad_shapes_are_errors() {
    let options = JsonOptions::default();
    let err = to_json(None, &Value::Float64(f64::NAN), &options).unwrap_err();
    assert!(err.message.contains("cannot be written as JSON"), "{err}");
    let schema = Schema::structure([("a".to_string(), Arc::new(Schema::new(SchemaKind::Int32)))]);
    let err = to_json(Some(&schema), &Value::Struct(vec![]), &options).unwrap_err();
    assert!(
        err.message
            .contains("struct has 0 values but its schema has 1 fields"),
        "{err}"
    );
    let err = to_json(None, &Value::Struct(vec![]), &options).unwrap_err();
    assert!(err.message.contains("needs a schema"), "{err}");
    // A hostile, deeply nested schema is refused, not a stack overflow.
    let mut deep = json!({"type": "int32"});
    for _ in 0..200 {
        deep = json!({"type": "array", "items": deep});
    }
    assert!(schema_from_json(&deep, &options).is_err());
}

#[test]
fn fast_path_matches_the_tree_path_on_odd_inputs() {
    let options = JsonOptions::default();
    let int = |opt: bool| {
        Arc::new(if opt {
            Schema::new(SchemaKind::Int32).optional()
        } else {
            Schema::new(SchemaKind::Int32)
        })
    };
    let mut with_default = Schema::new(SchemaKind::Int32).optional();
    with_default.default = Some(Value::Int32(9));
    let schema = Arc::new(Schema::structure([
        ("a".to_string(), int(false)),
        ("b".to_string(), int(true)),
        ("c".to_string(), Arc::new(with_default)),
        (
            "m".to_string(),
            Arc::new(Schema::map(Arc::new(Schema::new(SchemaKind::Int16)), int(false)).optional()),
        ),
        (
            "s".to_string(),
            Arc::new(Schema::map(Arc::new(Schema::new(SchemaKind::String)), int(false)).optional()),
        ),
    ]));
    for text in [
        r#"{"a": 1}"#,
        r#"{"c": null, "a": 3.0, "zzz": [1, {"x": 2}], "b": -5}"#,
        r#"{"a": 1, "a": 2, "m": [[1, 2], [3, 4]], "s": {"k": 1, "j": 2, "k": 3}}"#,
        r#"{"a": 1, "m": [[1, 2, 3]]}"#,
        r#"{"a": "x"}"#,
        r#"{"a": 2147483648}"#,
        r#"{"a": 1.5}"#,
        r#"{"b": 1}"#,
        r#"{"a": 1} trailing"#,
        r#"{"a": 1"#,
    ] {
        let tree = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| e.to_string())
            .and_then(|j| from_json(Some(&schema), &j, &options).map_err(|e| e.message));
        let fast = fast::parse(&schema, text.as_bytes(), &options);
        match (&tree, &fast) {
            (Ok(t), Some(f)) => assert_eq!(t, f, "{text}"),
            (Err(_), None) => {}
            (Ok(_), None) => {} // declined: the tree path answers, which is allowed
            (Err(e), Some(f)) => panic!("{text}: fast path accepted {f:?}, tree path said {e}"),
        }
        let combined = from_json_bytes(Some(&schema), text.as_bytes(), &options).map_err(|e| e.message);
        assert_eq!(combined.is_ok(), tree.is_ok(), "{text}");
    }
}

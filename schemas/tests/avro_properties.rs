//! Properties of the Avro language over generated schemas: every schema reads itself, the
//! canonical and normalized texts are fixed points, adding an optional field is a BACKWARD and
//! FORWARD compatible change, and the checker answers any pair without panicking.

use proptest::prelude::*;
use schemas::registry::avro::{self, AvroSchema};
use schemas::registry::language::CheckOptions;
use serde_json::{Value, json};

const PRIMITIVES: &[&str] = &[
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

fn primitive() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => proptest::sample::select(PRIMITIVES).prop_map(|p| json!(p)),
        1 => Just(json!({"type": "int", "logicalType": "date"})),
        1 => Just(json!({"type": "long", "logicalType": "timestamp-micros", "connect.name": "ts"})),
        1 => Just(json!({"type": "bytes", "logicalType": "decimal", "precision": 8, "scale": 2})),
        1 => Just(json!({"type": "string", "avro.java.string": "String"})),
    ]
}

/// Schemas with placeholder names; [`name_uniquely`] makes them valid.
fn schema() -> impl Strategy<Value = Value> {
    primitive().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(|items| json!({"type": "array", "items": items})),
            inner
                .clone()
                .prop_map(|values| json!({"type": "map", "values": values})),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(|types| {
                let fields: Vec<Value> = types
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| json!({"name": format!("f{i}"), "type": t, "doc": "d"}))
                    .collect();
                json!({"type": "record", "name": "?", "fields": fields, "x-prop": [1, 2.5]})
            }),
            (1usize..5, any::<bool>()).prop_map(|(n, with_default)| {
                let symbols: Vec<String> = (0..n).map(|i| format!("S{i}")).collect();
                let mut e = json!({"type": "enum", "name": "?", "symbols": symbols});
                if with_default {
                    e["default"] = json!("S0");
                }
                e
            }),
            (1u64..17).prop_map(|size| json!({"type": "fixed", "name": "?", "size": size})),
            // A nullable union of one other type (unions may not nest or repeat a kind).
            inner.prop_filter_map("no nested union", |t| {
                (!t.is_array() && t != json!("null")).then(|| json!(["null", t]))
            }),
        ]
    })
}

/// Gives every named type a distinct name, alternating namespaces to exercise name resolution.
fn name_uniquely(value: &mut Value, counter: &mut usize) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| name_uniquely(v, counter)),
        Value::Object(obj) => {
            if obj.get("name").and_then(Value::as_str) == Some("?") {
                *counter += 1;
                let name = if (*counter).is_multiple_of(3) {
                    format!("ns{}.T{counter}", *counter % 2)
                } else {
                    format!("T{counter}")
                };
                obj.insert("name".into(), json!(name));
            }
            for key in ["items", "values", "type"] {
                if let Some(v) = obj.get_mut(key) {
                    name_uniquely(v, counter);
                }
            }
            if let Some(Value::Array(fields)) = obj.get_mut("fields") {
                for f in fields {
                    if let Some(t) = f.get_mut("type") {
                        name_uniquely(t, counter);
                    }
                }
            }
        }
        _ => {}
    }
}

fn record_of(fields: Vec<Value>) -> Value {
    let mut counter = 0;
    let fields: Vec<Value> = fields
        .into_iter()
        .enumerate()
        .map(|(i, t)| json!({"name": format!("c{i}"), "type": t}))
        .collect();
    let mut root = json!({"type": "record", "name": "Root", "namespace": "p", "fields": fields});
    name_uniquely(&mut root, &mut counter);
    root
}

fn parse(value: &Value) -> Result<AvroSchema, TestCaseError> {
    avro::parse(&value.to_string(), &[])
        .map_err(|e| TestCaseError::fail(format!("generated schema refused: {e}\n{value}")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_schema_reads_itself_and_its_canonical_text_is_stable(
        fields in proptest::collection::vec(schema(), 1..5)
    ) {
        let root = record_of(fields);
        let s = parse(&root)?;
        let options = CheckOptions::default();
        prop_assert_eq!(avro::check(&s, &s, &options), Vec::<String>::new());

        let canonical = avro::canonical(&s);
        let again = avro::parse(&canonical, &[]).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(avro::canonical(&again), canonical.clone());
        // The canonical text is the same schema: each reads the other.
        prop_assert!(avro::check(&again, &s, &options).is_empty());

        let normalized = avro::normalize(&s);
        let n = avro::parse(&normalized, &[]).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(avro::normalize(&n), normalized);
        prop_assert!(avro::check(&n, &s, &options).is_empty());

        // Whitespace does not change the canonical text.
        let pretty = serde_json::to_string_pretty(&root).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let p = avro::parse(&pretty, &[]).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(avro::canonical(&p), canonical);
    }

    #[test]
    fn adding_an_optional_field_is_backward_and_forward_compatible(
        fields in proptest::collection::vec(schema(), 1..5),
        added in schema(),
    ) {
        let old_root = record_of(fields.clone());
        let mut new_root = old_root.clone();
        let mut counter = 100;
        let mut added = json!(["null", added]);
        if added[1].is_array() || added[1] == json!("null") {
            added = json!(["null", "string"]);
        }
        name_uniquely(&mut added, &mut counter);
        if let Some(Value::Array(f)) = new_root.get_mut("fields") {
            f.push(json!({"name": "added", "type": added, "default": null}));
        }
        let (old, new) = (parse(&old_root)?, parse(&new_root)?);
        let options = CheckOptions::default();
        prop_assert_eq!(avro::check(&new, &old, &options), Vec::<String>::new());
        prop_assert_eq!(avro::check(&old, &new, &options), Vec::<String>::new());
    }

    #[test]
    fn the_checker_answers_any_pair(a in schema(), b in schema()) {
        let (ra, rb) = (record_of(vec![a]), record_of(vec![b]));
        let (sa, sb) = (parse(&ra)?, parse(&rb)?);
        let options = CheckOptions::default();
        let forward = avro::check(&sa, &sb, &options);
        let backward = avro::check(&sb, &sa, &options);
        // Every message names its kind, in Confluent's shape.
        for m in forward.iter().chain(&backward) {
            prop_assert!(m.starts_with("{errorType:'"), "{}", m);
        }
    }
}

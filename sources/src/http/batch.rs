//! One pushed batch -> Connect values under one schema, or a reason per refused record.
//!
//! A record is refused when it is not JSON, when a value does not have its field's type (the
//! JSON bridge's checks: an int64 field refuses `10.5` and `"10"`; nothing is coerced), or when
//! it carries a field the schema does not have (with a fixed schema that would silently drop
//! data; with inference it only happens when the field's type could not be added). Fields that
//! are null or empty arrays say nothing and are never refused.

use std::sync::Arc;

use schemas::json::{JsonOptions, from_json};
use schemas::{Schema, SchemaKind, Value};
use serde_json::Value as J;

/// Parses each record; a record that is not JSON gets its reason.
pub fn parse(records: &[&[u8]]) -> Vec<Result<J, String>> {
    records
        .iter()
        .map(|r| serde_json::from_slice::<J>(r).map_err(|e| schemas::json::describe_json_error(&e)))
        .collect()
}

/// Every record as a value of `schema` in one pass over its bytes (no JSON tree), or None when
/// any record needs the full path: a field the schema lacks, a value of another type, bad JSON.
/// When it is Some, it is exactly what [`parse`] then [`to_values`] give, every record valid
/// (so with inference, the batch adds nothing to the schema).
pub fn fast_values(schema: &Schema, records: &[&[u8]]) -> Option<Vec<Value>> {
    if schema.kind != SchemaKind::Struct {
        return None;
    }
    schemas::json::records_known_fields(schema, records, &JsonOptions::default())
}

/// As [`fast_values`] for a body that is a JSON array of records, read in one pass without
/// cutting it into records first.
pub fn fast_array(schema: &Schema, body: &[u8]) -> Option<Vec<Value>> {
    if schema.kind != SchemaKind::Struct {
        return None;
    }
    schemas::json::array_known_fields(schema, body, &JsonOptions::default())
}

/// Each parsed record as a value of `schema`, or why it is refused.
pub fn to_values(schema: &Arc<Schema>, parsed: &[Result<J, String>]) -> Vec<Result<Value, String>> {
    // Decimals as numbers or base64, whatever the record holds; defaults for nulls.
    let options = JsonOptions::default();
    parsed
        .iter()
        .map(|p| {
            let json = p.as_ref().map_err(Clone::clone)?;
            if schema.kind == SchemaKind::Struct && !json.is_object() {
                return Err(format!(
                    "expected a JSON object, got {}",
                    schemas::json::json_type_name(json).to_ascii_lowercase()
                ));
            }
            unknown_field(schema, json, &mut String::new())?;
            from_json(Some(schema), json, &options).map_err(|e| e.message)
        })
        .collect()
}

/// Does a JSON value say nothing about a type (null, [], [null, ...])?
fn says_nothing(json: &J) -> bool {
    match json {
        J::Null => true,
        J::Array(items) => items.iter().all(says_nothing),
        _ => false,
    }
}

/// The first field of `json` that `schema` lacks, as an error naming its path.
fn unknown_field(schema: &Schema, json: &J, path: &mut String) -> Result<(), String> {
    match (schema.kind, json) {
        (SchemaKind::Struct, J::Object(map)) => {
            for (key, value) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match schema.field(key) {
                    Some(f) => unknown_field(&f.schema, value, path)?,
                    None if says_nothing(value) => {}
                    None => {
                        return Err(format!(
                            "field {path}: not in the schema (the record would lose it)"
                        ));
                    }
                }
                path.truncate(len);
            }
            Ok(())
        }
        (SchemaKind::Array, J::Array(items)) => match schema.value_schema.as_deref() {
            Some(element) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    unknown_field(element, item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            None => Ok(()),
        },
        (SchemaKind::Map, J::Object(map)) => match schema.value_schema.as_deref() {
            Some(values) => map.values().try_for_each(|v| unknown_field(values, v, path)),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::infer::widen;

    fn run(docs: &[&str], current: Option<&Arc<Schema>>) -> (Arc<Schema>, Vec<Result<Value, String>>) {
        let raw: Vec<&[u8]> = docs.iter().map(|d| d.as_bytes()).collect();
        let parsed = parse(&raw);
        let refs: Vec<Option<&J>> = parsed.iter().map(|p| p.as_ref().ok()).collect();
        let schema = widen(current, &refs).unwrap_or_else(|| panic!("no schema"));
        let values = to_values(&schema, &parsed);
        (schema, values)
    }

    #[test]
    fn a_changed_type_is_refused_naming_the_field() {
        let (v1, ok) = run(&[r#"{"id": 1, "address": {"zip": 150}}"#], None);
        assert!(ok.iter().all(Result::is_ok));
        let (_, values) = run(
            &[
                r#"{"id": 2, "address": {"zip": 151}}"#,
                r#"{"id": 3, "address": {"zip": "0152"}}"#,
                r#"{"id": 4.5}"#,
                r#"not json"#,
                r#"[1]"#,
            ],
            Some(&v1),
        );
        assert!(values[0].is_ok());
        let errors: Vec<String> = values[1..]
            .iter()
            .map(|v| v.clone().err().unwrap_or_default())
            .collect();
        assert!(errors[0].contains("field address.zip"), "{}", errors[0]);
        assert!(errors[1].contains("field id"), "{}", errors[1]);
        assert!(errors[2].starts_with("invalid JSON"), "{}", errors[2]);
        assert!(errors[3].contains("expected a JSON object"), "{}", errors[3]);
    }

    #[test]
    fn the_one_pass_path_gives_what_the_full_path_gives_or_declines() {
        let (schema, _) = run(
            &[
                r#"{"id": 1, "name": "Ada", "score": 1.5, "tags": ["a"], "address": {"zip": 150}, "vip": true}"#,
            ],
            None,
        );
        // (records, read in one pass?)
        let batches: &[(&[&str], bool)] = &[
            (
                &[
                    r#"{"id": 2, "name": "Bo", "score": 2, "tags": [], "address": {"zip": 151}, "vip": false}"#,
                ],
                true,
            ),
            (
                &[
                    r#"{"vip": null, "id": 3}"#,
                    r#"{"address": null, "tags": null}"#,
                    r#"{}"#,
                ],
                true,
            ),
            (&[r#"{"id": 9, "id": 10}"#], true),
            (&[r#"{"id": 4, "x": null}"#], false),
            (&[r#"{"id": 5, "address": {"zip": 1, "city": "Paris"}}"#], false),
            (&[r#"{"id": 6.5}"#], false),
            (&[r#"{"id": "7"}"#], false),
            (&[r#"[1]"#], false),
            (&[r#"{"id": 8"#], false),
        ];
        for (docs, one_pass) in batches {
            let raw: Vec<&[u8]> = docs.iter().map(|d| d.as_bytes()).collect();
            let fast = fast_values(&schema, &raw);
            assert_eq!(fast.is_some(), *one_pass, "{docs:?}");
            let Some(values) = fast else { continue };
            let parsed = parse(&raw);
            let full: Vec<Value> = to_values(&schema, &parsed)
                .into_iter()
                .map(|v| v.unwrap_or_else(|e| panic!("{docs:?}: {e}")))
                .collect();
            assert_eq!(values, full, "{docs:?}");
            // Nothing new to infer either: widening answers the schema itself.
            let refs: Vec<Option<&J>> = parsed.iter().map(|p| p.as_ref().ok()).collect();
            assert!(
                widen(Some(&schema), &refs).is_some_and(|w| Arc::ptr_eq(&w, &schema)),
                "{docs:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_refused_unless_they_say_nothing() {
        let schema = Arc::new(Schema::structure([(
            "id".to_owned(),
            Arc::new(Schema::new(SchemaKind::Int64).optional()),
        )]));
        let raw: Vec<&[u8]> = vec![br#"{"id": 1, "x": null, "y": []}"#, br#"{"id": 1, "z": 2}"#];
        let values = to_values(&schema, &parse(&raw));
        assert!(values[0].is_ok());
        assert!(
            values[1]
                .as_ref()
                .is_err_and(|e| e.contains("field z: not in the schema"))
        );
    }
}

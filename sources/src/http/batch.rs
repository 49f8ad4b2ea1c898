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

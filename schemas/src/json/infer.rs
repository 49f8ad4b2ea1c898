//! A Connect schema inferred from one JSON document, for sources that read JSON without a
//! declared schema (the file source's `jsonl` and `json` formats).
//!
//! Rules (every inferred schema is optional, since the next document may omit anything):
//! object -> struct, fields in document order; string -> string; true/false -> boolean;
//! integer that fits -> int64; other number -> float64; null -> string (the type is unknown,
//! the value stays null); array -> array of the merged element schema, where int64 and float64
//! merge to float64, structs merge field by field, null merges with anything, and an empty array
//! is an array of strings. Elements that cannot merge (a string and an object, say) make the
//! array an array of strings holding each element's JSON text, so nothing is lost.

use std::sync::Arc;

use serde_json::Value as J;

use super::{JsonOptions, decode};
use crate::{ConnectError, Data, Schema, SchemaKind};

/// The inferred schema of a document.
pub fn infer_schema(json: &J) -> Arc<Schema> {
    Arc::new(infer(json))
}

/// The document as Connect data with its inferred schema.
pub fn infer_data(json: &J) -> Result<Data, ConnectError> {
    let schema = infer_schema(json);
    let value = value_for(&schema, json)?;
    Ok(Data::new(Some(schema), value))
}

/// The document's value under an inferred (or equal) schema. Arrays that fell back to strings
/// get each element's JSON text.
pub fn value_for(schema: &Arc<Schema>, json: &J) -> Result<crate::Value, ConnectError> {
    let text_fallback = contains_text_fallback(schema);
    if !text_fallback {
        return decode::from_json(Some(schema), json, &JsonOptions::default());
    }
    decode::from_json(
        Some(schema),
        &stringify_fallbacks(schema, json),
        &JsonOptions::default(),
    )
}

fn infer(json: &J) -> Schema {
    match json {
        J::Null | J::String(_) => Schema::new(SchemaKind::String).optional(),
        J::Bool(_) => Schema::new(SchemaKind::Boolean).optional(),
        J::Number(n) if n.as_i64().is_some() => Schema::new(SchemaKind::Int64).optional(),
        J::Number(_) => Schema::new(SchemaKind::Float64).optional(),
        J::Array(items) => {
            let mut element: Option<Schema> = None;
            let mut all_null = true;
            for item in items {
                if item.is_null() {
                    continue;
                }
                all_null = false;
                let s = infer(item);
                element = Some(match element {
                    None => s,
                    Some(prev) => match merge(&prev, &s) {
                        Some(m) => m,
                        None => return text_array(),
                    },
                });
            }
            let element = if all_null { None } else { element };
            Schema::array(Arc::new(
                element.unwrap_or_else(|| Schema::new(SchemaKind::String).optional()),
            ))
            .optional()
        }
        J::Object(map) => {
            Schema::structure(map.iter().map(|(k, v)| (k.clone(), Arc::new(infer(v))))).optional()
        }
    }
}

/// Marks an array whose elements are kept as their JSON text.
const TEXT_ARRAY_DOC: &str = "elements of mixed types, kept as JSON text";

fn text_array() -> Schema {
    let mut s = Schema::array(Arc::new(Schema::new(SchemaKind::String).optional())).optional();
    s.doc = Some(TEXT_ARRAY_DOC.to_owned());
    s
}

fn merge(a: &Schema, b: &Schema) -> Option<Schema> {
    use SchemaKind::*;
    if a == b {
        return Some(a.clone());
    }
    match (a.kind, b.kind) {
        (Int64, Float64) | (Float64, Int64) => Some(Schema::new(Float64).optional()),
        (Array, Array) => {
            let (ea, eb) = (a.value_schema.as_deref()?, b.value_schema.as_deref()?);
            if a.doc.is_some() || b.doc.is_some() {
                return Some(text_array());
            }
            Some(Schema::array(Arc::new(merge(ea, eb)?)).optional())
        }
        (Struct, Struct) => {
            let mut fields: Vec<(std::string::String, Arc<Schema>)> = a
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.schema.clone()))
                .collect();
            for f in &b.fields {
                match fields.iter_mut().find(|(n, _)| *n == f.name) {
                    Some((_, existing)) => *existing = Arc::new(merge(existing, &f.schema)?),
                    None => fields.push((f.name.clone(), f.schema.clone())),
                }
            }
            Some(Schema::structure(fields).optional())
        }
        _ => None,
    }
}

fn contains_text_fallback(schema: &Schema) -> bool {
    (schema.kind == SchemaKind::Array && schema.doc.as_deref() == Some(TEXT_ARRAY_DOC))
        || schema.fields.iter().any(|f| contains_text_fallback(&f.schema))
        || schema.value_schema.as_deref().is_some_and(contains_text_fallback)
}

fn stringify_fallbacks(schema: &Schema, json: &J) -> J {
    match (schema.kind, json) {
        (SchemaKind::Array, J::Array(items)) if schema.doc.as_deref() == Some(TEXT_ARRAY_DOC) => J::Array(
            items
                .iter()
                .map(|i| match i {
                    J::Null => J::Null,
                    J::String(s) => J::String(s.clone()),
                    other => J::String(other.to_string()),
                })
                .collect(),
        ),
        (SchemaKind::Array, J::Array(items)) => match schema.value_schema.as_deref() {
            Some(e) => J::Array(items.iter().map(|i| stringify_fallbacks(e, i)).collect()),
            None => json.clone(),
        },
        (SchemaKind::Struct, J::Object(map)) => J::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match schema.field(k) {
                        Some(f) => stringify_fallbacks(&f.schema, v),
                        None => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        _ => json.clone(),
    }
}

/// Would `json` be read unchanged under `schema` (an earlier inference)? Lets a source reuse
/// one `Arc<Schema>` for a run of same-shaped documents instead of inferring each anew. A null
/// fits any (optional) field, an integer fits a float64 field; object keys must match in order.
pub fn fits(schema: &Schema, json: &J) -> bool {
    match json {
        J::Null => schema.optional,
        J::Bool(_) => schema.kind == SchemaKind::Boolean,
        J::String(_) => schema.kind == SchemaKind::String,
        J::Number(n) => {
            schema.kind == SchemaKind::Float64 || (schema.kind == SchemaKind::Int64 && n.as_i64().is_some())
        }
        J::Array(items) => {
            schema.kind == SchemaKind::Array
                && schema.doc.is_none()
                && schema
                    .value_schema
                    .as_deref()
                    .is_some_and(|e| items.iter().all(|i| fits(e, i)))
        }
        J::Object(map) => {
            schema.kind == SchemaKind::Struct
                && schema.fields.len() == map.len()
                && schema
                    .fields
                    .iter()
                    .zip(map)
                    .all(|(f, (k, v))| f.name == *k && fits(&f.schema, v))
        }
    }
}

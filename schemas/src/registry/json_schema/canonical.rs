//! The text the registry stores for a JSON schema, and its normalized form.
//!
//! Canonical: the parsed schema written back as compact JSON, keys in the order the user wrote
//! them (Confluent stores JSON schemas this way), numbers exactly as written.
//! Normalized (`normalize=true`): additionally every object's keys sorted, so two schemas that
//! differ only in key order or whitespace normalize to the same text. Arrays keep their order:
//! it is meaningful for `items`, `prefixItems` and `enum` values.

use serde_json::{Map, Value};

use super::JsonSchema;

pub(crate) fn canonical(schema: &JsonSchema) -> String {
    schema.inner.canonical.clone()
}

pub(crate) fn normalize(schema: &JsonSchema) -> String {
    let sorted = sort_keys(&schema.inner.value);
    // Writing a Value built from a Value cannot fail; keep the canonical text if it ever did.
    serde_json::to_string(&sorted).unwrap_or_else(|_| schema.inner.canonical.clone())
}

/// Recursion follows the parsed value, whose depth serde_json bounds (128 levels).
fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut sorted = Map::with_capacity(map.len());
            for key in keys {
                if let Some(v) = map.get(key) {
                    sorted.insert(key.clone(), sort_keys(v));
                }
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

//! A push's records checked against the connector's schema: each record's Connect value, or
//! why it is refused. Nothing here writes.
//!
//! The common case is read in one pass: every record fits the current schema (inferred or
//! fixed) and is parsed straight into Connect values, with no JSON tree. Anything else (a new
//! field to infer, a refused record, JSON Schema constraints) takes the full path, which gives
//! the same values and names the field of every refusal.

use std::sync::Arc;

use schemas::{Schema, Value};
use sources::http::{batch, infer};

use super::schema::Loaded;

/// The records of one push under one schema.
pub struct Checked {
    /// What the records were checked under; None when inference found no JSON object to learn
    /// from (every record is then refused).
    pub schema: Option<Arc<Schema>>,
    /// One entry per record, in order.
    pub values: Vec<Result<Value, String>>,
}

impl Checked {
    pub fn has_refusals(&self) -> bool {
        self.values.iter().any(Result::is_err)
    }
}

/// Under an inferred schema: `base` is the schema so far (None before the first push).
pub fn inferred(base: Option<&Arc<Schema>>, raw: &[&[u8]]) -> Checked {
    // Records that all fit `base` add nothing to it: `widen` would answer `base` itself.
    if let Some(base) = base
        && let Some(values) = batch::fast_values(base, raw)
    {
        return Checked {
            schema: Some(base.clone()),
            values: values.into_iter().map(Ok).collect(),
        };
    }
    let parsed = batch::parse(raw);
    let refs: Vec<Option<&serde_json::Value>> = parsed.iter().map(|p| p.as_ref().ok()).collect();
    let schema = infer::widen(base, &refs);
    let values = match &schema {
        Some(schema) => batch::to_values(schema, &parsed),
        None => parsed
            .iter()
            .map(|p| match p {
                Err(e) => Err(e.clone()),
                Ok(json) => Err(format!(
                    "expected a JSON object, got {}",
                    schemas::json::json_type_name(json).to_ascii_lowercase()
                )),
            })
            .collect(),
    };
    Checked { schema, values }
}

/// Under a fixed schema (`value.schema` or `value.schema.subject`).
pub fn fixed(loaded: &Loaded, raw: &[&[u8]]) -> Checked {
    let schema = loaded.schema.clone();
    if loaded.validator.is_none()
        && let Some(values) = batch::fast_values(&schema, raw)
    {
        return Checked {
            schema: Some(schema),
            values: values.into_iter().map(Ok).collect(),
        };
    }
    let parsed = batch::parse(raw);
    let mut values = batch::to_values(&schema, &parsed);
    if let Some(validator) = &loaded.validator {
        for (value, json) in values.iter_mut().zip(&parsed) {
            if let (Ok(_), Ok(json)) = (&*value, json)
                && let Some(e) = validator.iter_errors(json).next()
                // A null property counts as left out (and is written so) when that is what
                // the schema takes: `"age": null` for an optional `"age": {"type": "integer"}`.
                && validator.iter_errors(&without_nulls(json)).next().is_some()
            {
                let path = e.instance_path().to_string();
                let at = path.trim_start_matches('/').replace('/', ".");
                *value = Err(if at.is_empty() {
                    format!("the record does not match the JSON schema: {e}")
                } else {
                    format!("field {at}: {e}")
                });
            }
        }
    }
    Checked {
        schema: Some(schema),
        values,
    }
}

/// `json` with every object property whose value is null left out, at any depth.
fn without_nulls(json: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match json {
        J::Object(map) => J::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        J::Array(items) => J::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

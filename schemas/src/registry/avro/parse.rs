//! Turning schema text (plus the texts of its references) into an [`AvroSchema`].
//!
//! Two readers look at every schema: `apache_avro` decides validity (names, unions, defaults,
//! references) and yields the `apache_avro::Schema` that converters use; Weir's arena
//! (`model`) then describes the same JSON for the canonical text and the checker. The rule:
//! nothing reaches the arena that `apache_avro` refused, and every refusal is a [`SchemaError`]
//! carrying the parser's words (and, for JSON syntax, the line and column), never a panic.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::AvroSchema;
use super::canonical;
use super::model::{Arena, Node};
use crate::registry::language::{ResolvedReference, SchemaError, SchemaType};

pub(super) fn parse(text: &str, references: &[ResolvedReference]) -> Result<AvroSchema, SchemaError> {
    let root_json = json(text).map_err(|e| SchemaError::new(format!("Invalid Avro schema: {e}")))?;

    // The registry may list one schema more than once when references share a dependency.
    let mut seen = HashSet::new();
    let mut ref_texts: Vec<&str> = Vec::with_capacity(references.len());
    let mut ref_jsons: Vec<(&str, Value)> = Vec::with_capacity(references.len());
    for r in references {
        if r.schema_type != SchemaType::Avro {
            return Err(SchemaError::new(format!(
                "Invalid Avro schema: reference {:?} is a {} schema, not AVRO",
                r.name, r.schema_type
            )));
        }
        if !seen.insert(r.schema.as_str()) {
            continue;
        }
        let value = json(&r.schema)
            .map_err(|e| SchemaError::new(format!("Invalid Avro schema: reference {:?}: {e}", r.name)))?;
        ref_texts.push(&r.schema);
        ref_jsons.push((&r.name, value));
    }

    let mut arena = Arena::default();
    for (name, value) in &ref_jsons {
        arena
            .add(value)
            .map_err(|e| SchemaError::new(format!("Invalid Avro schema: reference {name:?}: {e}")))?;
    }
    let reference_names: HashSet<String> = arena.names.keys().cloned().collect();
    let root = arena
        .add(&root_json)
        .map_err(|e| SchemaError::new(format!("Invalid Avro schema: {e}")))?;
    check_java_rules(&arena)?;
    let (raw, raw_refs) = crate_parse(text, &root_json, &ref_texts)?;

    let mut schema = AvroSchema {
        arena: Arc::new(arena),
        root,
        reference_names: Arc::new(reference_names),
        raw: Arc::new(raw),
        raw_references: Arc::new(raw_refs),
        canonical: Arc::from(""),
    };
    schema.canonical = Arc::from(canonical::write(&schema, canonical::Style::Canonical));
    Ok(schema)
}

/// `apache_avro`'s verdict and parsed schema. Weir's arena has already refused what would make
/// the crate panic (invalid names); the unwind guard keeps any other panic of the crate from
/// taking the worker down.
fn crate_parse(
    text: &str,
    root_json: &Value,
    ref_texts: &[&str],
) -> Result<(apache_avro::Schema, Vec<apache_avro::Schema>), SchemaError> {
    // The crate cannot read a decimal's default (a string of bytes, valid for Avro Java and so
    // for Confluent); it gets the schema without those defaults.
    let stripped;
    let text = if text.contains("decimal") {
        let mut copy = root_json.clone();
        strip_decimal_defaults(&mut copy, 0);
        stripped = copy.to_string();
        stripped.as_str()
    } else {
        text
    };
    let parsed = std::panic::catch_unwind(|| apache_avro::Schema::parse_str_with_list(text, ref_texts));
    match parsed {
        Ok(Ok(schemas)) => Ok(schemas),
        Ok(Err(e)) => Err(SchemaError::new(format!("Invalid Avro schema: {}", describe(&e)))),
        Err(_) => Err(SchemaError::new(
            "Invalid Avro schema: the Avro parser failed on this schema",
        )),
    }
}

fn strip_decimal_defaults(value: &mut Value, depth: usize) {
    // serde_json nests at most 128 levels; the guard only documents that this ends.
    if depth > 256 {
        return;
    }
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| strip_decimal_defaults(v, depth + 1)),
        Value::Object(obj) => {
            if let Some(Value::Array(fields)) = obj.get_mut("fields") {
                for field in fields.iter_mut() {
                    if let Value::Object(f) = field
                        && f.get("type").is_some_and(is_decimal)
                    {
                        f.remove("default");
                    }
                }
            }
            for (key, v) in obj.iter_mut() {
                if matches!(key.as_str(), "type" | "fields" | "items" | "values") {
                    strip_decimal_defaults(v, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn is_decimal(schema: &Value) -> bool {
    match schema {
        Value::Object(o) => matches!(
            o.get("logicalType").and_then(Value::as_str),
            Some("decimal" | "big-decimal")
        ),
        Value::Array(branches) => branches.iter().any(is_decimal),
        _ => false,
    }
}

/// Parses JSON text; the error names the line and column (serde_json's own words).
fn json(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text)
}

/// The crate's message followed by its causes (its top-level message alone is often generic).
fn describe(err: &apache_avro::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Rules Avro Java (and so Confluent) enforces that `apache_avro` does not.
fn check_java_rules(arena: &Arena) -> Result<(), SchemaError> {
    for node in &arena.nodes {
        if let Node::Enum {
            named,
            symbols,
            default: Some(default),
        } = node
            && !symbols.contains(default)
        {
            return Err(SchemaError::new(format!(
                "Invalid Avro schema: the default {default:?} of enum {} is not one of its symbols",
                named.name.full()
            )));
        }
    }
    Ok(())
}

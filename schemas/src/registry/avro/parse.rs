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
use super::model::{Arena, Node, NodeId};
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

    check_integer_attributes(&root_json)?;
    for (_, value) in &ref_jsons {
        check_integer_attributes(value)?;
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
    arena.index();

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
///
/// Defaults are judged by Avro Java's rules (`check_java_rules`), not the crate's: the crate
/// refuses some that Avro Java, and so Confluent, accepts (a decimal's default as a string of
/// bytes, an enum field's default outside its symbols). When the crate refuses a default, it gets
/// the schema again without that default; `AvroSchema::avro()` then lacks it.
fn crate_parse(
    text: &str,
    root_json: &Value,
    ref_texts: &[&str],
) -> Result<(apache_avro::Schema, Vec<apache_avro::Schema>), SchemaError> {
    use apache_avro::error::Details;
    let mut edited: Option<Value> = None;
    // Each retry removes at least one default; a schema has few enough for this bound.
    for _ in 0..64 {
        let parsed = if ref_texts.is_empty() {
            // Without references the crate's string entry point only parses the JSON again
            // (`parse_str_with_list` = `from_str` + `parse`): hand it the value already parsed.
            let current = edited.as_ref().unwrap_or(root_json);
            std::panic::catch_unwind(|| apache_avro::Schema::parse(current).map(|s| (s, Vec::new())))
        } else {
            let current = edited.as_ref().map(Value::to_string);
            let current = current.as_deref().unwrap_or(text);
            std::panic::catch_unwind(|| apache_avro::Schema::parse_str_with_list(current, ref_texts))
        };
        let err = match parsed {
            Ok(Ok(schemas)) => return Ok(schemas),
            Ok(Err(e)) => e,
            Err(_) => {
                return Err(SchemaError::new(
                    "Invalid Avro schema: the Avro parser failed on this schema",
                ));
            }
        };
        let target = match err.details() {
            Details::GetDefaultRecordField(field, record, _) => Strip::Field { record, field },
            Details::GetDefaultUnion(..) => Strip::All,
            _ => {
                return Err(SchemaError::new(format!(
                    "Invalid Avro schema: {}",
                    describe(&err)
                )));
            }
        };
        let json = edited.get_or_insert_with(|| root_json.clone());
        if !strip_defaults(json, None, &target, 0) {
            return Err(SchemaError::new(format!(
                "Invalid Avro schema: {}",
                describe(&err)
            )));
        }
    }
    Err(SchemaError::new(
        "Invalid Avro schema: too many defaults the Avro parser cannot read",
    ))
}

enum Strip<'a> {
    Field { record: &'a str, field: &'a str },
    All,
}

/// Removes the defaults `target` names; true when one was removed.
fn strip_defaults(value: &mut Value, ns: Option<&str>, target: &Strip<'_>, depth: usize) -> bool {
    // serde_json nests at most 128 levels; the guard only documents that this ends.
    if depth > 256 {
        return false;
    }
    match value {
        Value::Array(items) => {
            let mut removed = false;
            for v in items {
                removed |= strip_defaults(v, ns, target, depth + 1);
            }
            removed
        }
        Value::Object(obj) => {
            let mut removed = false;
            let mut inner_ns = ns.map(str::to_string);
            if let Some(Value::String(name)) = obj.get("name") {
                let own_ns = match obj.get("namespace") {
                    Some(Value::String(n)) => Some(n.as_str()),
                    _ => ns,
                };
                let name = super::model::Name::new(name, own_ns);
                inner_ns = name.namespace.clone();
                let full = name.full();
                if let Some(Value::Array(fields)) = obj.get_mut("fields") {
                    for field in fields.iter_mut() {
                        let Value::Object(f) = field else { continue };
                        let hit = match target {
                            Strip::All => true,
                            Strip::Field { record, field } => {
                                *record == full && f.get("name").and_then(Value::as_str) == Some(*field)
                            }
                        };
                        if hit && f.remove("default").is_some() {
                            removed = true;
                        }
                    }
                }
            }
            for (key, v) in obj.iter_mut() {
                match key.as_str() {
                    "type" | "items" | "values" => {
                        removed |= strip_defaults(v, inner_ns.as_deref(), target, depth + 1)
                    }
                    "fields" => {
                        if let Value::Array(fields) = v {
                            for f in fields {
                                if let Some(t) = f.get_mut("type") {
                                    removed |= strip_defaults(t, inner_ns.as_deref(), target, depth + 1);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            removed
        }
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

/// `apache_avro` panics when it writes the Parsing Canonical Form (which it does, for one, to
/// word an invalid default) of a schema whose `size`, `precision` or `scale` is not an integer
/// or integer text, even as a custom property of a type that has no such attribute (fuzz
/// finding of avro_parse). Refused here, with words, before the crate sees it. The walk
/// follows the crate's: the schema keys it recurses into, not defaults, docs or custom
/// properties.
fn check_integer_attributes(value: &Value) -> Result<(), SchemaError> {
    const RECURSED: &[&str] = &["name", "type", "fields", "symbols", "items", "values", "order"];
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                for (k, v) in map {
                    if matches!(k.as_str(), "size" | "precision" | "scale") {
                        let integer = match v {
                            Value::String(s) => s.parse::<i64>().is_ok(),
                            other => other.as_i64().is_some(),
                        };
                        if !integer {
                            return Err(SchemaError::new(format!(
                                "Invalid Avro schema: \"{k}\" must be an integer, found {}",
                                truncate(&v.to_string())
                            )));
                        }
                    } else if RECURSED.contains(&k.as_str()) {
                        stack.push(v);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Rules Avro Java (and so Confluent, for new schemas) enforces that `apache_avro` does not:
/// an enum's default is one of its symbols; a field's default fits the field's type, a union's
/// default fitting its first branch; a union holds each type once (a logical type counts as its
/// underlying type, a named type by its full name).
fn check_java_rules(arena: &Arena) -> Result<(), SchemaError> {
    for node in &arena.nodes {
        if let Node::Union { branches } = node {
            let mut seen: Vec<String> = Vec::with_capacity(branches.len());
            for b in branches {
                let key = match arena.node(*b) {
                    Node::Primitive { prim, .. } => prim.name().to_string(),
                    Node::Array { .. } => "array".to_string(),
                    Node::Map { .. } => "map".to_string(),
                    Node::Union { .. } => "union".to_string(),
                    Node::Record(r) => r.named.name.full(),
                    Node::Enum { named, .. } | Node::Fixed { named, .. } => named.name.full(),
                    Node::Ref { .. } | Node::Pending => continue,
                };
                if seen.contains(&key) {
                    return Err(SchemaError::new(format!(
                        "Invalid Avro schema: duplicate in union: {key}"
                    )));
                }
                seen.push(key);
            }
        }
        if let Node::Record(record) = node {
            for field in &record.fields {
                if let Some(default) = &field.default
                    && !default_fits(arena, field.ty, default, 0)
                {
                    return Err(SchemaError::new(format!(
                        "Invalid Avro schema: invalid default for field {} of {}: {} does not fit its type",
                        field.name,
                        record.named.name.full(),
                        truncate(&default.to_string())
                    )));
                }
            }
        }
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

/// Avro Java's `isValidDefault`.
fn default_fits(arena: &Arena, ty: NodeId, value: &Value, depth: usize) -> bool {
    use super::model::Primitive as P;
    if depth > 256 {
        return true;
    }
    match arena.node(ty) {
        Node::Primitive { prim, .. } => match prim {
            P::Null => value.is_null(),
            P::Boolean => value.is_boolean(),
            P::Int => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            P::Long => value.is_i64(),
            P::Float | P::Double => {
                value.is_number() || matches!(value.as_str(), Some("NaN" | "Infinity" | "-Infinity"))
            }
            P::Bytes | P::String => value.is_string(),
        },
        Node::Enum { .. } | Node::Fixed { .. } => value.is_string(),
        Node::Array { items, .. } => value
            .as_array()
            .is_some_and(|a| a.iter().all(|v| default_fits(arena, *items, v, depth + 1))),
        Node::Map { values, .. } => value
            .as_object()
            .is_some_and(|m| m.values().all(|v| default_fits(arena, *values, v, depth + 1))),
        Node::Union { branches } => branches
            .first()
            .is_some_and(|first| default_fits(arena, *first, value, depth + 1)),
        Node::Record(record) => value.as_object().is_some_and(|obj| {
            record
                .fields
                .iter()
                .all(|f| match obj.get(&f.name).or(f.default.as_ref()) {
                    Some(v) => default_fits(arena, f.ty, v, depth + 1),
                    None => false,
                })
        }),
        Node::Ref { .. } | Node::Pending => false,
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

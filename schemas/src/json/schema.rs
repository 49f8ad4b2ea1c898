//! Connect schema <-> Connect's JSON schema format (the `schema` half of JsonConverter's envelope).
//!
//! Key order follows Kafka's writer (`type`, `fields` / `items` / `keys` + `values`, `optional`,
//! `name`, `version`, `doc`, `parameters`, `default`; a struct field adds `field` last), so the
//! text Weir writes equals Kafka's byte for byte.

use std::sync::Arc;

use serde_json::{Map, Value as J};

use super::{JsonOptions, decode, to_json};
use crate::{ConnectError, Field, Schema, SchemaKind};

pub fn schema_to_json(schema: &Schema, options: &JsonOptions) -> Result<J, ConnectError> {
    let mut out = Map::new();
    out.insert("type".into(), J::from(schema.kind.connect_name()));
    match schema.kind {
        SchemaKind::Array => {
            let items = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| missing("array", "items"))?;
            out.insert("items".into(), schema_to_json(items, options)?);
        }
        SchemaKind::Map => {
            let keys = schema
                .key_schema
                .as_deref()
                .ok_or_else(|| missing("map", "keys"))?;
            let values = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| missing("map", "values"))?;
            out.insert("keys".into(), schema_to_json(keys, options)?);
            out.insert("values".into(), schema_to_json(values, options)?);
        }
        SchemaKind::Struct => {
            let mut fields = Vec::with_capacity(schema.fields.len());
            for field in &schema.fields {
                let mut f = schema_to_json(&field.schema, options)?;
                if let J::Object(m) = &mut f {
                    m.insert("field".into(), J::from(field.name.as_str()));
                }
                fields.push(f);
            }
            out.insert("fields".into(), J::Array(fields));
        }
        _ => {}
    }
    out.insert("optional".into(), J::Bool(schema.optional));
    if let Some(name) = &schema.name {
        out.insert("name".into(), J::from(name.as_str()));
    }
    if let Some(version) = schema.version {
        out.insert("version".into(), J::from(version));
    }
    if let Some(doc) = &schema.doc {
        out.insert("doc".into(), J::from(doc.as_str()));
    }
    if !schema.parameters.is_empty() {
        let params = schema
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), J::from(v.as_str())))
            .collect();
        out.insert("parameters".into(), J::Object(params));
    }
    if let Some(default) = &schema.default {
        out.insert("default".into(), to_json(Some(schema), default, options)?);
    }
    Ok(J::Object(out))
}

fn missing(kind: &str, what: &str) -> ConnectError {
    ConnectError::schema(format!("{kind} schema without its {what} schema"))
}

/// Kafka's `asConnectSchema`. `null` is "no schema" (None).
pub fn schema_from_json(json: &J, options: &JsonOptions) -> Result<Option<Arc<Schema>>, ConnectError> {
    if json.is_null() {
        return Ok(None);
    }
    parse(json, options, 0).map(|s| Some(Arc::new(s)))
}

/// Deep enough for any real schema, shallow enough that a hostile one cannot blow the stack.
const MAX_DEPTH: usize = 64;

fn parse(json: &J, options: &JsonOptions, depth: usize) -> Result<Schema, ConnectError> {
    if depth > MAX_DEPTH {
        return Err(ConnectError::schema(format!(
            "schema nested deeper than {MAX_DEPTH} levels"
        )));
    }
    let J::Object(node) = json else {
        return Err(ConnectError::schema(format!(
            "a schema must be a JSON object, got {}",
            super::json_type_name(json)
        )));
    };
    let type_name = node
        .get("type")
        .and_then(J::as_str)
        .ok_or_else(|| ConnectError::schema("Schema must contain 'type' field"))?;
    // Kafka's type names only: "float" and "double", not the Java enum names.
    let kind = match type_name {
        "float32" | "float64" => None,
        other => SchemaKind::from_connect_name(other),
    }
    .ok_or_else(|| ConnectError::schema(format!("Unknown schema type: {type_name}")))?;
    let child = |key: &str, err: &str| -> Result<Arc<Schema>, ConnectError> {
        match node.get(key) {
            Some(j) if !j.is_null() => Ok(Arc::new(parse(j, options, depth + 1)?)),
            _ => Err(ConnectError::schema(err.to_owned())),
        }
    };
    let mut schema = Schema::new(kind);
    match kind {
        SchemaKind::Array => {
            schema.value_schema = Some(child("items", "Array schema did not specify the element type")?);
        }
        SchemaKind::Map => {
            schema.key_schema = Some(child("keys", "Map schema did not specify the key type")?);
            schema.value_schema = Some(child("values", "Map schema did not specify the value type")?);
        }
        SchemaKind::Struct => {
            let Some(J::Array(fields)) = node.get("fields") else {
                return Err(ConnectError::schema(
                    "Struct schema's \"fields\" argument is not an array.",
                ));
            };
            for (index, field) in fields.iter().enumerate() {
                let name = field.get("field").and_then(J::as_str).ok_or_else(|| {
                    ConnectError::schema("Struct schema's field name not specified properly")
                })?;
                if schema.field(name).is_some() {
                    return Err(ConnectError::schema(format!(
                        "Cannot create field because of field name duplication {name}"
                    )));
                }
                schema.fields.push(Field {
                    name: name.to_owned(),
                    index,
                    schema: Arc::new(parse(field, options, depth + 1)?),
                });
            }
        }
        _ => {}
    }
    schema.optional = node.get("optional").and_then(J::as_bool).unwrap_or(false);
    schema.name = node.get("name").and_then(J::as_str).map(str::to_owned);
    schema.version = node
        .get("version")
        .and_then(J::as_i64)
        .and_then(|v| i32::try_from(v).ok());
    schema.doc = node.get("doc").and_then(J::as_str).map(str::to_owned);
    if let Some(J::Object(params)) = node.get("parameters") {
        for (k, v) in params {
            let v = v
                .as_str()
                .ok_or_else(|| ConnectError::schema("Schema parameters must have string values."))?;
            schema.parameters.insert(k.clone(), v.to_owned());
        }
    }
    if let Some(default) = node.get("default") {
        let value = decode::convert(&schema, default, options, &super::Path::Root)
            .map_err(|e| ConnectError::schema(format!("Invalid default value: {e}")))?;
        schema.default = Some(value);
    }
    Ok(schema)
}

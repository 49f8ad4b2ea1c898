//! JSON -> Connect data, with a schema (Kafka's `convertToConnect`) or without one.
//!
//! With a schema, a JSON value must have the shape its schema says; numbers must fit the
//! integer width (Kafka would truncate silently; Weir refuses and names the field). A missing
//! or null field takes the schema default (when `replace.null.with.default`), else null if
//! optional, else it is an error. Decimal accepts a number or base64 bytes, whatever
//! `decimal.format` says, as Kafka does.

use std::sync::Arc;

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use serde_json::Value as J;

use super::{JsonDialect, JsonOptions, Path, decimal, json_type_name};
use crate::data::{DATE, DECIMAL, TIME, TIMESTAMP};
use crate::{ConnectError, Schema, SchemaKind, Value};

/// Jackson's base64 reader accepts padded and unpadded text; so do we.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// JSON -> Connect value. Without a schema, Kafka's schemaless inference.
pub fn from_json(
    schema: Option<&Arc<Schema>>,
    json: &J,
    options: &JsonOptions,
) -> Result<Value, ConnectError> {
    match schema {
        Some(schema) => convert(schema, json, options, &Path::Root).map_err(ConnectError::data),
        None => Ok(schemaless_from_json(json)),
    }
}

/// Kafka's schemaless reading: objects -> maps with string keys, arrays -> arrays, integers
/// that fit -> int64, other numbers -> float64.
pub fn schemaless_from_json(json: &J) -> Value {
    match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int64(i),
            None => Value::Float64(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::String(s.clone()),
        J::Array(items) => Value::Array(items.iter().map(schemaless_from_json).collect()),
        J::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (Value::String(k.clone()), schemaless_from_json(v)))
                .collect(),
        ),
    }
}

fn expected(path: &Path<'_>, what: &str, json: &J) -> String {
    format!("{}expected {what}, got {}", path.prefix(), describe(json))
}

/// A short description of a JSON value for messages: its type, and the number itself.
fn describe(json: &J) -> String {
    match json {
        J::Number(n) => format!("the number {n}"),
        other => json_type_name(other).to_ascii_lowercase(),
    }
}

fn integer(json: &J, path: &Path<'_>, what: &str, min: i64, max: i64) -> Result<i64, String> {
    let J::Number(n) = json else {
        return Err(expected(path, what, json));
    };
    let v = match n.as_i64() {
        Some(v) => Some(v),
        // 3.0 and 1e2 are accepted as 3 and 100 (some writers emit integral floats); 3.5 is
        // not, nor 1.0000000000000001 (told from the text, not from a rounded f64).
        None => super::scalars::integral_literal(&n.to_string()),
    };
    v.filter(|v| (min..=max).contains(v))
        .ok_or_else(|| expected(path, what, json))
}

/// Confluent's ProtobufData keeps a `uint64` / `fixed64` field in a Connect int64 (Java's long,
/// the same 64 bits): such a field takes 0 ..= 18446744073709551615 from JSON, never a negative.
pub(crate) fn unsigned_64(schema: &Schema) -> bool {
    matches!(
        schema
            .parameters
            .get("io.confluent.connect.protobuf.Type")
            .map(String::as_str),
        Some("uint64" | "fixed64")
    )
}

/// A `uint64` / `fixed64` value: its 64 bits as the int64 Connect holds.
fn unsigned(json: &J, path: &Path<'_>) -> Result<i64, String> {
    let what = "an unsigned 64-bit integer (0 to 18446744073709551615)";
    let J::Number(n) = json else {
        return Err(expected(path, what, json));
    };
    let v = n
        .as_u64()
        .or_else(|| super::scalars::integral_literal(&n.to_string()).and_then(|i| u64::try_from(i).ok()));
    v.map(|v| v as i64).ok_or_else(|| expected(path, what, json))
}

pub(crate) fn convert(
    schema: &Schema,
    json: &J,
    options: &JsonOptions,
    path: &Path<'_>,
) -> Result<Value, String> {
    if json.is_null() {
        if options.replace_null_with_default
            && let Some(default) = &schema.default
        {
            return Ok(default.clone());
        }
        if schema.optional {
            return Ok(Value::Null);
        }
        return Err(format!(
            "{}null value for a required {} field",
            path.prefix(),
            schema.kind.connect_name()
        ));
    }
    match schema.name.as_deref() {
        Some(DECIMAL) => return decimal_value(schema, json, path),
        Some(DATE) => {
            let v = integer(
                json,
                path,
                "an integer (Date: days since epoch)",
                i32::MIN.into(),
                i32::MAX.into(),
            )?;
            return Ok(Value::Int32(v as i32));
        }
        Some(TIME) => {
            let v = integer(
                json,
                path,
                "an integer (Time: ms since midnight)",
                i32::MIN.into(),
                i32::MAX.into(),
            )?;
            return Ok(Value::Int32(v as i32));
        }
        Some(TIMESTAMP) => {
            let v = integer(
                json,
                path,
                "an integer (Timestamp: ms since epoch)",
                i64::MIN,
                i64::MAX,
            )?;
            return Ok(Value::Int64(v));
        }
        _ => {}
    }
    Ok(match schema.kind {
        SchemaKind::Boolean => {
            Value::Boolean(json.as_bool().ok_or_else(|| expected(path, "a boolean", json))?)
        }
        SchemaKind::Int8 => {
            Value::Int8(integer(json, path, "an int8", i8::MIN.into(), i8::MAX.into())? as i8)
        }
        SchemaKind::Int16 => {
            Value::Int16(integer(json, path, "an int16", i16::MIN.into(), i16::MAX.into())? as i16)
        }
        SchemaKind::Int32 => {
            Value::Int32(integer(json, path, "an int32", i32::MIN.into(), i32::MAX.into())? as i32)
        }
        SchemaKind::Int64 if unsigned_64(schema) => Value::Int64(unsigned(json, path)?),
        SchemaKind::Int64 => Value::Int64(integer(json, path, "an int64", i64::MIN, i64::MAX)?),
        SchemaKind::Float32 => {
            let v = json.as_f64().ok_or_else(|| expected(path, "a float", json))?;
            let f = v as f32;
            if f.is_infinite() && v.is_finite() {
                return Err(format!(
                    "{}the number {v} is out of float32's range",
                    path.prefix()
                ));
            }
            Value::Float32(f)
        }
        SchemaKind::Float64 => Value::Float64(json.as_f64().ok_or_else(|| expected(path, "a double", json))?),
        SchemaKind::String => Value::String(
            json.as_str()
                .ok_or_else(|| expected(path, "a string", json))?
                .to_owned(),
        ),
        SchemaKind::Bytes => {
            let text = json
                .as_str()
                .ok_or_else(|| expected(path, "base64 bytes (a string)", json))?;
            Value::Bytes(Bytes::from(
                BASE64
                    .decode(text)
                    .map_err(|e| format!("{}invalid base64 bytes: {e}", path.prefix()))?,
            ))
        }
        SchemaKind::Array => {
            let J::Array(items) = json else {
                return Err(expected(path, "an array", json));
            };
            let item_schema = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| no_schema(path, "array items"))?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(convert(item_schema, item, options, &Path::Index(path, i))?);
            }
            Value::Array(out)
        }
        SchemaKind::Map => map_value(schema, json, options, path)?,
        SchemaKind::Struct if options.dialect.is_union(schema) => union_value(schema, json, options, path)?,
        SchemaKind::Struct if is_bare_avro_union_value(schema, json) => {
            bare_union_value(schema, json, options, path)?
        }
        SchemaKind::Struct => {
            let J::Object(object) = json else {
                return Err(expected(path, "an object (struct)", json));
            };
            let mut out = Vec::with_capacity(schema.fields.len());
            for field in &schema.fields {
                let v = object.get(&field.name).unwrap_or(&J::Null);
                out.push(convert(
                    &field.schema,
                    v,
                    options,
                    &Path::Field(path, &field.name),
                )?);
            }
            Value::Struct(out)
        }
    })
}

/// Confluent's AvroData name for the struct a multi-branch Avro union becomes.
const AVRO_UNION: &str = "io.confluent.connect.avro.Union";

/// A value for an Avro union struct written bare (`2.5`, `"text"`) rather than in the struct's
/// own form (`{"double": 2.5}`, an object whose keys are branch names).
fn is_bare_avro_union_value(schema: &Schema, json: &J) -> bool {
    schema.name.as_deref() == Some(AVRO_UNION)
        && !json.is_null()
        && !matches!(json, J::Object(o) if !o.is_empty() && o.keys().all(|k| schema.field(k).is_some()))
}

/// A bare union value: the one branch that takes it. None or several is an error naming the
/// branches, so a value is never put in a branch the writer did not mean (`2` fits both int
/// and double: write `{"int": 2}` or `{"double": 2}`).
fn bare_union_value(
    schema: &Schema,
    json: &J,
    options: &JsonOptions,
    path: &Path<'_>,
) -> Result<Value, String> {
    let mut taken = Vec::new();
    for (i, f) in schema.fields.iter().enumerate() {
        if let Ok(v) = convert(&f.schema, json, options, path) {
            taken.push((i, v));
        }
    }
    let names = |idx: &mut dyn Iterator<Item = usize>| {
        idx.filter_map(|i| schema.fields.get(i).map(|f| f.name.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match taken.len() {
        1 => {
            let (i, v) = taken.remove(0);
            let mut out = vec![Value::Null; schema.fields.len()];
            if let Some(slot) = out.get_mut(i) {
                *slot = v;
            }
            Ok(Value::Struct(out))
        }
        0 => Err(format!(
            "{}{} fits none of the union's branches ({})",
            path.prefix(),
            describe(json),
            names(&mut (0..schema.fields.len()))
        )),
        _ => Err(format!(
            "{}ambiguous union value: branches {} all take {}; write it as {{\"<branch>\": value}}",
            path.prefix(),
            names(&mut taken.iter().map(|(i, _)| *i)),
            describe(json)
        )),
    }
}

/// A `oneOf` struct (Confluent's JSON Schema mapping): the first field whose type takes the
/// JSON value, else the struct field sharing the most property names with it.
fn union_value(schema: &Schema, json: &J, options: &JsonOptions, path: &Path<'_>) -> Result<Value, String> {
    let simple = |s: &Schema| match s.kind {
        SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64 => {
            json.is_i64() || json.is_u64()
        }
        SchemaKind::Float32 | SchemaKind::Float64 => json.is_number(),
        SchemaKind::Boolean => json.is_boolean(),
        SchemaKind::String => json.is_string(),
        SchemaKind::Bytes => json.is_string() || json.is_number(),
        SchemaKind::Array => json.is_array(),
        SchemaKind::Map => json.is_object() || json.is_array(),
        SchemaKind::Struct => false,
    };
    let overlap = |s: &Schema| match (s.kind, json) {
        (SchemaKind::Struct, J::Object(o)) => {
            Some(s.fields.iter().filter(|f| o.contains_key(&f.name)).count())
        }
        _ => None,
    };
    let pick = schema.fields.iter().position(|f| simple(&f.schema)).or_else(|| {
        schema
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| overlap(&f.schema).map(|n| (n, i)))
            .max_by_key(|(n, i)| (*n, std::cmp::Reverse(*i)))
            .map(|(_, i)| i)
    });
    let Some(i) = pick else {
        return Err(format!(
            "{}no oneOf branch takes {}",
            path.prefix(),
            json_type_name(json)
        ));
    };
    let field = &schema.fields[i];
    let mut values = vec![Value::Null; schema.fields.len()];
    values[i] = convert(&field.schema, json, options, &Path::Field(path, &field.name))?;
    Ok(Value::Struct(values))
}

fn no_schema(path: &Path<'_>, what: &str) -> String {
    format!("{}the schema does not say the type of the {what}", path.prefix())
}

fn map_value(schema: &Schema, json: &J, options: &JsonOptions, path: &Path<'_>) -> Result<Value, String> {
    let key_schema = schema
        .key_schema
        .as_deref()
        .ok_or_else(|| no_schema(path, "map keys"))?;
    let value_schema = schema
        .value_schema
        .as_deref()
        .ok_or_else(|| no_schema(path, "map values"))?;
    if options.dialect.object_mode(Some(key_schema)) {
        let J::Object(object) = json else {
            return Err(expected(path, "an object (map with string keys)", json));
        };
        let mut out = Vec::with_capacity(object.len());
        for (k, v) in object {
            out.push((
                Value::String(k.clone()),
                convert(value_schema, v, options, &Path::Field(path, k))?,
            ));
        }
        return Ok(Value::Map(out));
    }
    let objects = options.dialect == JsonDialect::Confluent;
    let J::Array(pairs) = json else {
        let what = if objects {
            "an array of {\"key\", \"value\"} objects (map with non-string keys)"
        } else {
            "an array of [key, value] pairs (map with non-string keys)"
        };
        return Err(expected(path, what, json));
    };
    let mut out = Vec::with_capacity(pairs.len());
    for (i, pair) in pairs.iter().enumerate() {
        let at = Path::Index(path, i);
        match pair {
            J::Array(kv) if !objects && kv.len() == 2 => out.push((
                convert(key_schema, &kv[0], options, &Path::Key(&at))?,
                convert(value_schema, &kv[1], options, &at)?,
            )),
            J::Object(kv) if objects && kv.len() == 2 => out.push((
                convert(
                    key_schema,
                    kv.get("key").unwrap_or(&J::Null),
                    options,
                    &Path::Key(&at),
                )?,
                convert(value_schema, kv.get("value").unwrap_or(&J::Null), options, &at)?,
            )),
            other if objects => return Err(expected(&at, "a {\"key\", \"value\"} object", other)),
            other => return Err(expected(&at, "a [key, value] pair", other)),
        }
    }
    Ok(Value::Map(out))
}

fn decimal_value(schema: &Schema, json: &J, path: &Path<'_>) -> Result<Value, String> {
    let scale = decimal::scale_of(schema).map_err(|e| format!("{}{e}", path.prefix()))?;
    match json {
        J::Number(n) => decimal::text_to_unscaled(&n.to_string(), scale)
            .map(|b| Value::Bytes(Bytes::from(b)))
            .map_err(|e| format!("{}Decimal {e}", path.prefix())),
        J::String(text) => BASE64
            .decode(text)
            .map(|b| Value::Bytes(Bytes::from(b)))
            .map_err(|e| format!("{}invalid base64 bytes for Decimal: {e}", path.prefix())),
        other => Err(expected(path, "a number or base64 bytes (Decimal)", other)),
    }
}

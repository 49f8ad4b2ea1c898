//! Connect data -> JSON as `serde::Serialize`, so callers write straight into their buffers.
//!
//! Kafka's rules: a null with a schema default is written as the default (when
//! `replace.null.with.default`), a null for an optional schema as `null`, a null for a required
//! schema without default is an error; maps with string keys become objects, other maps arrays
//! of `[key, value]` pairs (or `{"key", "value"}` objects, [`JsonDialect`]); bytes are base64; Decimal is base64 or a number (`decimal.format`);
//! Date / Time / Timestamp are their integers. A value whose variant does not match its schema
//! is an error naming the field, never a guess.

use std::str::FromStr;

use base64::Engine;
use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde::ser::{Error as _, SerializeMap, SerializeSeq, Serializer};

use super::{DecimalFormat, JsonDialect, JsonOptions, Path, decimal};
use crate::data::{DATE, DECIMAL, TIME, TIMESTAMP};
use crate::{Schema, SchemaKind, Value};

/// A value (and its schema, when it has one) ready to be serialized as Kafka's JSON.
pub struct JsonView<'a> {
    schema: Option<&'a Schema>,
    value: &'a Value,
    options: &'a JsonOptions,
    path: Path<'a>,
    omit: Option<&'a OmitNulls>,
}

/// Which null struct properties are left out of the JSON instead of written as `null`, as a
/// tree that follows the value's schema. A JSON Schema writer builds it from its schema: a
/// property that is not `required` and whose schema does not accept null validates only when
/// it is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OmitNulls {
    /// Per struct field, by index: leave the property out when its value is null (after
    /// `replace.null.with.default`).
    pub omit: Vec<bool>,
    /// Per struct field, by index (a union struct: per branch): the plan for the field's value.
    pub fields: Vec<Option<OmitNulls>>,
    /// Array elements and map values.
    pub items: Option<Box<OmitNulls>>,
}

impl OmitNulls {
    fn field(&self, i: usize) -> Option<&OmitNulls> {
        self.fields.get(i).and_then(Option::as_ref)
    }
}

impl<'a> JsonView<'a> {
    pub fn new(schema: Option<&'a Schema>, value: &'a Value, options: &'a JsonOptions) -> Self {
        JsonView {
            schema,
            value,
            options,
            path: Path::Root,
            omit: None,
        }
    }

    /// Leaves out the null properties `omit` names.
    pub fn omitting(mut self, omit: Option<&'a OmitNulls>) -> Self {
        self.omit = omit;
        self
    }

    fn child(&self, schema: Option<&'a Schema>, value: &'a Value, path: Path<'a>) -> JsonView<'a> {
        JsonView {
            schema,
            value,
            options: self.options,
            path,
            omit: None,
        }
    }

    /// Whether a field's value is written as JSON null (a null without a default to take).
    fn writes_null(&self, schema: &Schema, value: &Value) -> bool {
        matches!(value, Value::Null)
            && !(self.options.replace_null_with_default
                && schema.default.as_ref().is_some_and(|d| !matches!(d, Value::Null)))
    }
}

fn finite<E: serde::ser::Error>(v: f64, path: &Path<'_>) -> Result<(), E> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(E::custom(format!(
            "{}{v} cannot be written as JSON",
            path.prefix()
        )))
    }
}

impl Serialize for JsonView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let path = &self.path;
        let Some(schema) = self.schema else {
            return self.schemaless(s);
        };
        let value = self.value;
        if let Value::Null = value {
            if self.options.replace_null_with_default
                && let Some(default) = &schema.default
                && !matches!(default, Value::Null)
            {
                return self.child(Some(schema), default, self.path).serialize(s);
            }
            if schema.optional {
                return s.serialize_unit();
            }
            return Err(S::Error::custom(format!(
                "{}null value for a required {} with no default value",
                path.prefix(),
                schema.kind.connect_name()
            )));
        }
        let mismatch = || {
            S::Error::custom(format!(
                "{}expected {} for schema {}, got {}",
                path.prefix(),
                schema.kind.connect_name(),
                schema.name.as_deref().unwrap_or(schema.kind.connect_name()),
                value.type_name()
            ))
        };
        match schema.name.as_deref() {
            Some(DECIMAL) => {
                let Value::Bytes(unscaled) = value else {
                    return Err(mismatch());
                };
                return match self.options.decimal_format {
                    DecimalFormat::Base64 => s.collect_str(&Base64Display::new(unscaled, &STANDARD)),
                    DecimalFormat::Numeric => {
                        let scale = decimal::scale_of(schema)
                            .map_err(|e| S::Error::custom(format!("{}{e}", path.prefix())))?;
                        let text = decimal::unscaled_to_text(unscaled, scale);
                        let number = serde_json::Number::from_str(&text)
                            .map_err(|e| S::Error::custom(format!("{}{e}", path.prefix())))?;
                        number.serialize(s)
                    }
                };
            }
            Some(DATE) | Some(TIME) if !matches!(value, Value::Int32(_)) => return Err(mismatch()),
            Some(TIMESTAMP) if !matches!(value, Value::Int64(_)) => return Err(mismatch()),
            _ => {}
        }
        match (schema.kind, value) {
            (SchemaKind::Boolean, Value::Boolean(v)) => s.serialize_bool(*v),
            (SchemaKind::Int8, Value::Int8(v)) => s.serialize_i8(*v),
            (SchemaKind::Int16, Value::Int16(v)) => s.serialize_i16(*v),
            (SchemaKind::Int32, Value::Int32(v)) => s.serialize_i32(*v),
            (SchemaKind::Int64, Value::Int64(v)) => s.serialize_i64(*v),
            (SchemaKind::Float32, Value::Float32(v)) => {
                finite(f64::from(*v), path)?;
                s.serialize_f32(*v)
            }
            (SchemaKind::Float64, Value::Float64(v)) => {
                finite(*v, path)?;
                s.serialize_f64(*v)
            }
            (SchemaKind::String, Value::String(v)) => s.serialize_str(v),
            (SchemaKind::Bytes, Value::Bytes(v)) => s.collect_str(&Base64Display::new(v, &STANDARD)),
            (SchemaKind::Array, Value::Array(items)) => {
                let item_schema = schema.value_schema.as_deref();
                let items_omit = self.omit.and_then(|o| o.items.as_deref());
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for (i, item) in items.iter().enumerate() {
                    seq.serialize_element(
                        &self
                            .child(item_schema, item, Path::Index(path, i))
                            .omitting(items_omit),
                    )?;
                }
                seq.end()
            }
            (SchemaKind::Map, Value::Map(entries)) => {
                let key_schema = schema.key_schema.as_deref();
                let value_schema = schema.value_schema.as_deref();
                let object_mode = self.options.dialect.object_mode(key_schema);
                self.map(s, entries, key_schema, value_schema, object_mode)
            }
            (SchemaKind::Struct, Value::Struct(values)) if self.options.dialect.is_union(schema) => {
                match schema
                    .fields
                    .iter()
                    .zip(values)
                    .find(|(_, v)| !matches!(v, Value::Null))
                {
                    Some((field, v)) => self
                        .child(Some(&field.schema), v, Path::Field(path, &field.name))
                        .omitting(self.omit.and_then(|o| o.field(field.index)))
                        .serialize(s),
                    None => s.serialize_unit(),
                }
            }
            (SchemaKind::Struct, Value::Struct(values)) => {
                if values.len() != schema.fields.len() {
                    return Err(S::Error::custom(format!(
                        "{}struct has {} values but its schema has {} fields",
                        path.prefix(),
                        values.len(),
                        schema.fields.len()
                    )));
                }
                let omitted = |(i, (field, v)): (usize, (&crate::Field, &Value))| {
                    self.omit
                        .is_some_and(|o| o.omit.get(i) == Some(&true) && self.writes_null(&field.schema, v))
                };
                let written = match self.omit {
                    None => values.len(),
                    Some(_) => schema
                        .fields
                        .iter()
                        .zip(values)
                        .enumerate()
                        .filter(|e| !omitted(*e))
                        .count(),
                };
                let mut map = s.serialize_map(Some(written))?;
                for (i, (field, v)) in schema.fields.iter().zip(values).enumerate() {
                    if omitted((i, (field, v))) {
                        continue;
                    }
                    map.serialize_entry(
                        &field.name,
                        &self
                            .child(Some(&field.schema), v, Path::Field(path, &field.name))
                            .omitting(self.omit.and_then(|o| o.field(i))),
                    )?;
                }
                map.end()
            }
            _ => Err(mismatch()),
        }
    }
}

impl<'a> JsonView<'a> {
    fn map<S: Serializer>(
        &self,
        s: S,
        entries: &'a [(Value, Value)],
        key_schema: Option<&'a Schema>,
        value_schema: Option<&'a Schema>,
        object_mode: bool,
    ) -> Result<S::Ok, S::Error> {
        let path = &self.path;
        if object_mode {
            let mut map = s.serialize_map(Some(entries.len()))?;
            for (k, v) in entries {
                let Value::String(key) = k else {
                    return Err(S::Error::custom(format!(
                        "{}map key must be a string, got {}",
                        path.prefix(),
                        k.type_name()
                    )));
                };
                map.serialize_entry(
                    key,
                    &self
                        .child(value_schema, v, Path::Field(path, key))
                        .omitting(self.omit.and_then(|o| o.items.as_deref())),
                )?;
            }
            map.end()
        } else {
            let mut seq = s.serialize_seq(Some(entries.len()))?;
            for (i, (k, v)) in entries.iter().enumerate() {
                let at = Path::Index(path, i);
                let key = self.child(key_schema, k, Path::Key(&at));
                let value = self.child(value_schema, v, at);
                match self.options.dialect {
                    JsonDialect::Kafka => seq.serialize_element(&(key, value))?,
                    JsonDialect::Confluent => seq.serialize_element(&KeyValue(key, value))?,
                }
            }
            seq.end()
        }
    }

    /// No schema: the value's own variant decides, as Kafka infers from the Java class.
    fn schemaless<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let path = &self.path;
        match self.value {
            Value::Null => s.serialize_unit(),
            Value::Boolean(v) => s.serialize_bool(*v),
            Value::Int8(v) => s.serialize_i8(*v),
            Value::Int16(v) => s.serialize_i16(*v),
            Value::Int32(v) => s.serialize_i32(*v),
            Value::Int64(v) => s.serialize_i64(*v),
            Value::Float32(v) => {
                finite(f64::from(*v), path)?;
                s.serialize_f32(*v)
            }
            Value::Float64(v) => {
                finite(*v, path)?;
                s.serialize_f64(*v)
            }
            Value::String(v) => s.serialize_str(v),
            Value::Bytes(v) => s.collect_str(&Base64Display::new(v, &STANDARD)),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for (i, item) in items.iter().enumerate() {
                    seq.serialize_element(&self.child(None, item, Path::Index(path, i)))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let object_mode = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
                self.map(s, entries, None, None, object_mode)
            }
            Value::Struct(_) => Err(S::Error::custom(format!(
                "{}a struct value needs a schema to be written as JSON",
                path.prefix()
            ))),
        }
    }
}

/// Base64 as Kafka writes bytes (standard alphabet, padded).
pub fn base64_text(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// One entry of a map as Confluent's JSON Schema mapping writes it: `{"key": k, "value": v}`.
struct KeyValue<'a>(JsonView<'a>, JsonView<'a>);

impl Serialize for KeyValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("key", &self.0)?;
        map.serialize_entry("value", &self.1)?;
        map.end()
    }
}

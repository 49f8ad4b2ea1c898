//! JSON bytes -> Connect value straight from the parser, guided by the schema (no JSON tree).
//!
//! This is the hot path of JsonConverter's decoding. It accepts exactly what
//! [`super::decode::from_json`] accepts and yields the same value; whenever it meets anything it
//! does not handle (a Decimal, a type mismatch, bad JSON) it gives up and the caller runs the
//! tree-based path, which produces the precise, field-naming error. So errors are written once,
//! in `decode`, and the fast path only has to be right on the inputs it accepts.

use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use bytes::Bytes;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::JsonOptions;
use super::scalars::{BoolVisitor, FloatVisitor, IntVisitor, declined as give_up, to_f32};
use crate::data::{DATE, DECIMAL, TIME};
use crate::{Schema, SchemaKind, Value};

/// True when the fast path can read values of this schema (no Decimal and no unsigned 64-bit
/// Protobuf field anywhere).
pub(crate) fn supported(schema: &Schema) -> bool {
    schema.name.as_deref() != Some(DECIMAL)
        && !super::decode::unsigned_64(schema)
        && schema.fields.iter().all(|f| supported(&f.schema))
        && schema.key_schema.as_deref().is_none_or(supported)
        && schema.value_schema.as_deref().is_none_or(supported)
}

/// Parses `bytes` under `schema`; None when the slow path must decide (including every error).
pub(crate) fn parse(schema: &Schema, bytes: &[u8], options: &JsonOptions) -> Option<Value> {
    parse_with(schema, bytes, options, false)
}

/// As [`parse`], and also None when an object has a key its struct schema lacks (the caller
/// refuses such records instead of dropping the field).
pub(crate) fn parse_known_fields(schema: &Schema, bytes: &[u8], options: &JsonOptions) -> Option<Value> {
    parse_with(schema, bytes, options, true)
}

/// A JSON array of values of `schema`, as [`parse_known_fields`] reads each.
pub(crate) fn parse_array_known_fields(
    schema: &Schema,
    bytes: &[u8],
    options: &JsonOptions,
) -> Option<Vec<Value>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Seed {
        schema,
        options,
        deny_unknown: true,
    };
    let values = Elements(seed).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(values)
}

/// The elements of a JSON array, each read with the seed.
struct Elements<'a>(Seed<'a>);

impl<'de> DeserializeSeed<'de> for Elements<'_> {
    type Value = Vec<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Value>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_> {
    type Value = Vec<Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(64));
        while let Some(v) = seq.next_element_seed(self.0)? {
            out.push(v);
        }
        Ok(out)
    }
}

fn parse_with(schema: &Schema, bytes: &[u8], options: &JsonOptions, deny_unknown: bool) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Seed {
        schema,
        options,
        deny_unknown,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(value)
}

#[derive(Clone, Copy)]
struct Seed<'a> {
    schema: &'a Schema,
    options: &'a JsonOptions,
    /// Give up on an object key the struct schema lacks (instead of skipping its value).
    deny_unknown: bool,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of the schema's type")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        let schema = self.schema;
        if self.options.replace_null_with_default
            && let Some(default) = &schema.default
        {
            return Ok(default.clone());
        }
        if schema.optional {
            Ok(Value::Null)
        } else {
            Err(give_up())
        }
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        let schema = self.schema;
        if self.options.dialect.is_union(schema) {
            return Err(give_up());
        }
        match schema.kind {
            SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64 => {
                let (min, max) = match (schema.kind, schema.name.as_deref()) {
                    (SchemaKind::Int8, _) => (i8::MIN.into(), i8::MAX.into()),
                    (SchemaKind::Int16, _) => (i16::MIN.into(), i16::MAX.into()),
                    (SchemaKind::Int32, _) | (_, Some(DATE | TIME)) => (i32::MIN.into(), i32::MAX.into()),
                    _ => (i64::MIN, i64::MAX),
                };
                let v = d.deserialize_i64(IntVisitor)?;
                if !(min..=max).contains(&v) {
                    return Err(give_up());
                }
                Ok(match schema.kind {
                    SchemaKind::Int8 => Value::Int8(v as i8),
                    SchemaKind::Int16 => Value::Int16(v as i16),
                    SchemaKind::Int32 => Value::Int32(v as i32),
                    _ => Value::Int64(v),
                })
            }
            SchemaKind::Float32 => Ok(Value::Float32(to_f32(d.deserialize_f64(FloatVisitor)?)?)),
            SchemaKind::Float64 => Ok(Value::Float64(d.deserialize_f64(FloatVisitor)?)),
            SchemaKind::Boolean => Ok(Value::Boolean(d.deserialize_bool(BoolVisitor)?)),
            SchemaKind::String => Ok(Value::String(d.deserialize_string(StringVisitor)?)),
            SchemaKind::Bytes => {
                let text = d.deserialize_str(StringVisitor)?;
                let bytes = super::decode::BASE64
                    .decode(text)
                    .map_err(|_| give_up::<D::Error>())?;
                Ok(Value::Bytes(Bytes::from(bytes)))
            }
            SchemaKind::Array | SchemaKind::Map | SchemaKind::Struct => d.deserialize_any(Composite(self)),
        }
    }
}

struct StringVisitor;
impl<'de> Visitor<'de> for StringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

/// Arrays, maps and structs: the JSON shape must match the schema kind.
struct Composite<'a>(Seed<'a>);

impl<'de> Visitor<'de> for Composite<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array or an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Seed {
            schema,
            options,
            deny_unknown,
        } = self.0;
        match schema.kind {
            SchemaKind::Array => {
                let item = Seed {
                    schema: schema.value_schema.as_deref().ok_or_else(give_up::<A::Error>)?,
                    options,
                    deny_unknown,
                };
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(v) = seq.next_element_seed(item)? {
                    out.push(v);
                }
                Ok(Value::Array(out))
            }
            SchemaKind::Map => {
                let key_schema = schema.key_schema.as_deref().ok_or_else(give_up::<A::Error>)?;
                let value_schema = schema.value_schema.as_deref().ok_or_else(give_up::<A::Error>)?;
                if key_schema.kind == SchemaKind::String || options.dialect != super::JsonDialect::Kafka {
                    return Err(give_up());
                }
                let pair = Pair(
                    Seed {
                        schema: key_schema,
                        options,
                        deny_unknown,
                    },
                    Seed {
                        schema: value_schema,
                        options,
                        deny_unknown,
                    },
                );
                let mut out = Vec::new();
                while let Some(kv) = seq.next_element_seed(pair)? {
                    out.push(kv);
                }
                Ok(Value::Map(out))
            }
            _ => Err(give_up()),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Seed {
            schema,
            options,
            deny_unknown,
        } = self.0;
        match schema.kind {
            SchemaKind::Map => {
                let key_schema = schema.key_schema.as_deref().ok_or_else(give_up::<A::Error>)?;
                let value_schema = schema.value_schema.as_deref().ok_or_else(give_up::<A::Error>)?;
                if !options.dialect.object_mode(Some(key_schema)) {
                    return Err(give_up());
                }
                let value = Seed {
                    schema: value_schema,
                    options,
                    deny_unknown,
                };
                let mut out: Vec<(Value, Value)> = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value_seed(value)?;
                    // A repeated key keeps its first place and its last value, like the tree path;
                    // checked for small maps, big ones go to the tree path (no quadratic search).
                    if out.len() >= 16 {
                        return Err(give_up());
                    }
                    match out
                        .iter_mut()
                        .find(|(ek, _)| matches!(ek, Value::String(s) if *s == k))
                    {
                        Some(slot) => slot.1 = v,
                        None => out.push((Value::String(k), v)),
                    }
                }
                Ok(Value::Map(out))
            }
            SchemaKind::Struct => {
                // One allocation per struct: the values in place, nulls until seen.
                let n = schema.fields.len();
                let mut out: Vec<Value> = vec![Value::Null; n];
                let mut seen = Seen::new(n);
                let mut expected_next = 0;
                while let Some(key) = map.next_key::<KeyBuf<'_>>()? {
                    // Fields usually arrive in schema order: try the next one before searching.
                    let index = match schema.fields.get(expected_next) {
                        Some(f) if f.name == key.0 => Some(expected_next),
                        _ => schema.fields.iter().position(|f| f.name == key.0),
                    };
                    match (index, out.get_mut(index.unwrap_or(n))) {
                        (Some(i), Some(slot)) => {
                            *slot = map.next_value_seed(Seed {
                                schema: &schema.fields[i].schema,
                                options,
                                deny_unknown,
                            })?;
                            seen.set(i);
                            expected_next = i + 1;
                        }
                        _ if deny_unknown => return Err(give_up()),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                for ((i, slot), field) in out.iter_mut().enumerate().zip(&schema.fields) {
                    if !seen.get(i) {
                        *slot = Seed {
                            schema: &field.schema,
                            options,
                            deny_unknown,
                        }
                        .visit_unit()?;
                    }
                }
                Ok(Value::Struct(out))
            }
            _ => Err(give_up()),
        }
    }
}

/// Which fields of a struct were present: bits for up to 64 fields, else a flag each.
enum Seen {
    Small(u64),
    Large(Vec<bool>),
}

impl Seen {
    fn new(n: usize) -> Seen {
        if n <= 64 {
            Seen::Small(0)
        } else {
            Seen::Large(vec![false; n])
        }
    }

    fn set(&mut self, i: usize) {
        match self {
            Seen::Small(bits) => *bits |= 1u64 << i,
            Seen::Large(flags) => {
                if let Some(f) = flags.get_mut(i) {
                    *f = true;
                }
            }
        }
    }

    fn get(&self, i: usize) -> bool {
        match self {
            Seen::Small(bits) => bits & (1u64 << i) != 0,
            Seen::Large(flags) => flags.get(i).copied().unwrap_or(false),
        }
    }
}

/// A map entry written as `[key, value]`.
#[derive(Clone, Copy)]
struct Pair<'a>(Seed<'a>, Seed<'a>);

impl<'de> DeserializeSeed<'de> for Pair<'_> {
    type Value = (Value, Value);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Pair<'_> {
    type Value = (Value, Value);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [key, value] pair")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let k = seq.next_element_seed(self.0)?.ok_or_else(give_up::<A::Error>)?;
        let v = seq.next_element_seed(self.1)?.ok_or_else(give_up::<A::Error>)?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(give_up());
        }
        Ok((k, v))
    }
}

/// An object key, borrowed when the JSON has no escapes in it (no allocation per key).
struct KeyBuf<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for KeyBuf<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
        }
        d.deserialize_str(V).map(KeyBuf)
    }
}

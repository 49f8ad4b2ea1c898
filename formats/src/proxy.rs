//! JSON in, Confluent wire bytes out: what the REST Proxy's produce call needs.
//!
//! [`JsonWireSerializer::serialize`] takes a registered schema id and a value in the REST
//! Proxy's JSON form for that schema's language, checks the value against the schema, and
//! answers the exact bytes a Confluent serializer would write:
//! - AVRO: Avro's JSON encoding (a union as `{"type": value}`, e.g. `{"string": "x"}`; a bare
//!   value is also taken when one branch fits; bytes as a string of code points 0-255);
//! - PROTOBUF: the Protobuf JSON mapping of the schema's first message (`lowerCamelCase` or
//!   original field names; 64-bit integers as numbers or strings); the message-index path is
//!   `[0]`; map entries are written in key order, so one value is always the same bytes;
//! - JSON: plain JSON, validated against the JSON Schema (under its draft, `$ref`s to its
//!   registry references resolved); the bytes are the JSON text.
//!
//! Errors are data errors whose message names the field (`field address.zip: expected int,
//! got a string`). Compiled schemas are cached by id: one registry call per schema id.

use std::sync::Arc;

use bytes::Bytes;
use prost::Message as _;
use schemas::ConnectError;
use schemas::registry::{ParsedSchema, SchemaType};
use serde::de::IntoDeserializer as _;

use crate::avro::compile_registered;
use crate::avro::plan::Plan;
use crate::confluent::ReaderCache;
use crate::registry::{RegisteredSchema, RegistryErrorKind, SchemaRegistryClient};
use crate::wire;

enum Compiled {
    Avro(Plan),
    /// The message, and whether it can hold a map field (at any depth).
    Protobuf(prost_reflect::MessageDescriptor, bool),
    Json(Box<jsonschema::Validator>),
}

/// See the module doc. Cheap to share (`Arc`); every method takes `&self`.
pub struct JsonWireSerializer {
    registry: Arc<dyn SchemaRegistryClient>,
    compiled: ReaderCache<Compiled>,
}

impl JsonWireSerializer {
    pub fn new(registry: Arc<dyn SchemaRegistryClient>) -> Self {
        JsonWireSerializer {
            registry,
            compiled: ReaderCache::default(),
        }
    }

    async fn compiled(&self, schema_id: i32) -> Result<Arc<Compiled>, ConnectError> {
        if let Some(c) = self.compiled.get(schema_id) {
            return Ok(c);
        }
        let schema = self
            .registry
            .schema_by_id(schema_id)
            .await
            .map_err(|e| e.into_connect(format!("schema id {schema_id}")))?;
        let references = match schema.schema_type {
            SchemaType::Json if !schema.references.is_empty() => self.json_references(&schema).await?,
            _ => Vec::new(),
        };
        let c = Arc::new(compile(&schema, &references)?);
        self.compiled.put(schema_id, c.clone());
        Ok(c)
    }

    /// The documents of a JSON schema's registry references, and of theirs (each name once),
    /// as (reference name, document): what its `$ref`s to other documents name.
    async fn json_references(
        &self,
        schema: &RegisteredSchema,
    ) -> Result<Vec<(String, serde_json::Value)>, ConnectError> {
        let mut todo = schema.references.clone();
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        while let Some(r) = todo.pop() {
            if !seen.insert(r.name.clone()) {
                continue;
            }
            let at = format!(
                "schema id {}: reference {:?} (subject {}, version {})",
                schema.id, r.name, r.subject, r.version
            );
            if seen.len() > MAX_REFERENCES {
                return Err(ConnectError::schema(format!(
                    "{at}: more than {MAX_REFERENCES} references"
                )));
            }
            let found = if r.version == -1 {
                self.registry.latest(&r.subject).await
            } else {
                self.registry.version(&r.subject, r.version).await
            };
            let found = found.map_err(|e| match e.kind {
                // The registry keeps what a registered schema references: a reference it does
                // not find is a schema problem, not the record's.
                RegistryErrorKind::NotFound => ConnectError::schema(format!("{at}: {}", e.message)),
                _ => e.into_connect(&at),
            })?;
            let ParsedSchema::Json(j) = found.schema.parsed.as_ref() else {
                return Err(ConnectError::schema(format!(
                    "{at}: a {} schema, not a JSON schema",
                    found.schema.schema_type
                )));
            };
            out.push((r.name.clone(), j.value().clone()));
            todo.extend(found.schema.references.iter().cloned());
        }
        Ok(out)
    }

    /// `value` as Confluent wire bytes for schema `schema_id`; see the module doc for the JSON
    /// form each schema type takes.
    pub async fn serialize(&self, schema_id: i32, value: &serde_json::Value) -> Result<Bytes, ConnectError> {
        let compiled = self.compiled(schema_id).await?;
        let mut out = Vec::with_capacity(64);
        wire::write_header(&mut out, schema_id);
        match compiled.as_ref() {
            Compiled::Avro(plan) => {
                crate::avro::codec::encode_json(plan, &plan.root, value, &mut out)
                    .map_err(|e| ConnectError::data(e.to_string()))?;
            }
            Compiled::Protobuf(desc, maps) => {
                let value = plain_numbers(value)
                    .map_err(|e| ConnectError::data(format!("message {}: {e}", desc.full_name())))?;
                let mut track = serde_path_to_error::Track::new();
                let message = prost_reflect::DynamicMessage::deserialize(
                    desc.clone(),
                    serde_path_to_error::Deserializer::new(value.into_deserializer(), &mut track),
                )
                .map_err(|e| {
                    let path = track.path().to_string();
                    let at = match path.as_str() {
                        "" | "." => String::new(),
                        _ => format!(" field {path}"),
                    };
                    ConnectError::data(format!("message {}{at}: {e}", desc.full_name()))
                })?;
                wire::write_message_indexes(&mut out, &[0]);
                let start = out.len();
                message
                    .encode(&mut out)
                    .map_err(|e| ConnectError::data(format!("message {}: {e}", desc.full_name())))?;
                if *maps {
                    let encoded = out.get_mut(start..).unwrap_or_default();
                    sort_map_entries(desc, encoded)
                        .map_err(|e| ConnectError::internal(format!("message {}: {e}", desc.full_name())))?;
                }
            }
            Compiled::Json(validator) => {
                if let Some(e) = validator.iter_errors(value).next() {
                    let path = e.instance_path().to_string();
                    let at = if path.is_empty() {
                        "the document".to_owned()
                    } else {
                        format!("field {path}")
                    };
                    return Err(ConnectError::data(format!("{at}: {e}")));
                }
                serde_json::to_writer(&mut out, value).map_err(|e| ConnectError::data(e.to_string()))?;
            }
        }
        Ok(Bytes::from(out))
    }
}

/// `value` with every number in a form serde's data model carries as a number: an integer
/// that fits 64 bits as that integer, any other number as the nearest `f64`.
///
/// serde_json's `arbitrary_precision` (on in this workspace) hands a number to a deserializer
/// as a private one-entry map unless its text is an integer or the shortest `f64` form, so
/// prost-reflect would refuse `10.50`, `1.0E7` or `1e-05` for a double or int field, and keep
/// a struct for them inside a `google.protobuf.Value`. Protobuf numbers are 64-bit at most, so
/// nothing is lost; an integer beyond 64 bits becomes a float, which an integer field refuses.
fn plain_numbers(value: &serde_json::Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match value {
        J::Number(n) if n.is_i64() || n.is_u64() => J::Number(n.clone()),
        J::Number(n) => {
            let text = n.to_string();
            match schemas::json::scalars::integral_literal(&text) {
                // `3.0`, `1e2`: a whole number, for integer and floating fields alike.
                Some(i) => J::Number(i.into()),
                None => {
                    let f = n
                        .as_f64()
                        .filter(|f| f.is_finite())
                        .ok_or_else(|| format!("the number {n} is beyond the range of a double"))?;
                    if f.fract() == 0.0 {
                        // Not a whole number, but a double rounds it to one
                        // (`1.0000000000000001`): as text, which a double field reads and an
                        // integer field refuses, instead of an integer it never was.
                        J::String(text)
                    } else {
                        J::Number(
                            serde_json::Number::from_f64(f)
                                .ok_or_else(|| format!("the number {n} is beyond the range of a double"))?,
                        )
                    }
                }
            }
        }
        J::Array(items) => J::Array(items.iter().map(plain_numbers).collect::<Result<_, _>>()?),
        J::Object(map) => J::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), plain_numbers(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Whether a message of `desc` can hold a map field, at any depth.
fn has_maps(desc: &prost_reflect::MessageDescriptor) -> bool {
    fn walk(desc: &prost_reflect::MessageDescriptor, seen: &mut Vec<String>) -> bool {
        if seen.iter().any(|s| s == desc.full_name()) {
            return false;
        }
        seen.push(desc.full_name().to_owned());
        desc.fields()
            .any(|f| f.is_map() || matches!(f.kind(), prost_reflect::Kind::Message(m) if walk(&m, seen)))
    }
    walk(desc, &mut Vec::new())
}

/// Puts the entries of every map field of `bytes` (a message of `desc` as prost-reflect
/// encoded it), at any depth, in key order, so one logical value is always the same bytes
/// (prost-reflect keeps a map in a `HashMap` and writes it in that order, which differs from
/// one run to the next; a key's bytes choose its partition). Entries keep their bytes and a
/// map's entries are contiguous, so this permutes them in place.
fn sort_map_entries(desc: &prost_reflect::MessageDescriptor, bytes: &mut [u8]) -> Result<(), String> {
    use prost::encoding::{WireType, decode_key, decode_varint};
    use prost_reflect::{Kind, MapKey};

    /// The entries of one map field met one after another: field number, (key, byte range).
    type Run = (u32, Vec<(MapKey, std::ops::Range<usize>)>);

    fn flush(run: &mut Option<Run>, bytes: &mut [u8]) {
        let Some((_, mut entries)) = run.take() else {
            return;
        };
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return;
        };
        let span = first.1.start..last.1.end;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let sorted: Vec<u8> = entries
            .iter()
            .flat_map(|(_, range)| bytes.get(range.clone()).unwrap_or_default().iter().copied())
            .collect();
        if let Some(target) = bytes.get_mut(span)
            && target.len() == sorted.len()
        {
            target.copy_from_slice(&sorted);
        }
    }

    let total = bytes.len();
    let mut pos = 0;
    let mut run: Option<Run> = None;
    while pos < total {
        let start = pos;
        let (number, body) = {
            let mut buf = bytes.get(pos..).unwrap_or_default();
            let (number, wire_type) = decode_key(&mut buf).map_err(|e| e.to_string())?;
            let skip = match wire_type {
                WireType::Varint => {
                    decode_varint(&mut buf).map_err(|e| e.to_string())?;
                    0
                }
                WireType::SixtyFourBit => 8,
                WireType::ThirtyTwoBit => 4,
                WireType::LengthDelimited => {
                    usize::try_from(decode_varint(&mut buf).map_err(|e| e.to_string())?)
                        .map_err(|e| e.to_string())?
                }
                // Groups (proto2) are left as written; prost-reflect writes none for JSON input
                // other than group fields, whose maps stay in their order.
                WireType::StartGroup | WireType::EndGroup => {
                    flush(&mut run, bytes);
                    return Ok(());
                }
            };
            let body_start = total - buf.len();
            if skip > buf.len() {
                return Err("a field runs past the end of the message".to_owned());
            }
            pos = body_start + skip;
            (
                number,
                (wire_type == WireType::LengthDelimited).then_some(body_start..pos),
            )
        };
        let field = desc.get_field(number);
        match (field, body) {
            (Some(field), Some(body)) if field.is_map() => {
                let Kind::Message(entry) = field.kind() else {
                    continue;
                };
                if run.as_ref().is_some_and(|(n, _)| *n != number) {
                    flush(&mut run, bytes);
                }
                let entry_bytes = bytes.get_mut(body.clone()).unwrap_or_default();
                sort_map_entries(&entry, entry_bytes)?;
                let key = prost_reflect::DynamicMessage::decode(entry, &*entry_bytes)
                    .map_err(|e| e.to_string())?
                    .get_field_by_number(1)
                    .and_then(|k| k.into_owned().into_map_key())
                    .ok_or_else(|| format!("map field {} has an entry without a key", field.name()))?;
                run.get_or_insert_with(|| (number, Vec::new()))
                    .1
                    .push((key, start..pos));
            }
            (Some(field), Some(body)) => {
                flush(&mut run, bytes);
                if let Kind::Message(inner) = field.kind() {
                    sort_map_entries(&inner, bytes.get_mut(body).unwrap_or_default())?;
                }
            }
            _ => flush(&mut run, bytes),
        }
    }
    flush(&mut run, bytes);
    Ok(())
}

/// References (transitively) a JSON schema may have: a bound on the registry calls.
const MAX_REFERENCES: usize = 1000;

fn compile(
    schema: &RegisteredSchema,
    references: &[(String, serde_json::Value)],
) -> Result<Compiled, ConnectError> {
    Ok(match (schema.schema_type, schema.parsed.as_ref()) {
        (SchemaType::Avro, _) => Compiled::Avro(compile_registered(schema)?),
        (SchemaType::Protobuf, ParsedSchema::Protobuf(p)) => {
            let message = p.first_message().ok_or_else(|| {
                ConnectError::schema(format!(
                    "schema id {}: the Protobuf schema has no message",
                    schema.id
                ))
            })?;
            let maps = has_maps(&message);
            Compiled::Protobuf(message, maps)
        }
        (SchemaType::Json, ParsedSchema::Json(j)) => Compiled::Json(Box::new(
            crate::json_schema::validator_with_references(j, references)
                .map_err(|e| ConnectError::schema(format!("schema id {}: {e}", schema.id)))?,
        )),
        (t, _) => {
            return Err(ConnectError::schema(format!(
                "schema id {}: a {t} schema that did not parse as {t}",
                schema.id
            )));
        }
    })
}

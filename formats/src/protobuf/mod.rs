//! `ProtobufConverter` (`io.confluent.connect.protobuf.ProtobufConverter`): Connect data as
//! Protobuf messages in Confluent's wire format (with the message-index path), schemas as
//! `.proto` files in the registry, mapped as Confluent's `ProtobufData` maps them:
//!
//! - a struct is a message named after the Connect schema (package = up to the last dot), or
//!   `ConnectDefault1` when unnamed; nested structs are nested messages; field numbers follow
//!   field positions (1, 2, ...);
//! - int8 / int16 / int32 are `int32`, int64 `int64`, float32 `float`, float64 `double`;
//! - an optional primitive is a proto3 `optional` field (explicit presence, so null survives a
//!   round trip); a struct field is a message field (present or not);
//! - arrays are `repeated`; maps `map<K, V>` when the key is a string or integer, else a
//!   repeated `{key, value}` entry message;
//! - Decimal is `confluent.type.Decimal`, Date `google.type.Date`, Time
//!   `google.type.TimeOfDay`, Timestamp `google.protobuf.Timestamp`.
//!
//! Reading: the message is found by the index path (any message of the file, nested ones too),
//! mapped to Connect once per (schema id, path): messages -> structs, enums -> strings,
//! `uint32` / `uint64` / `fixed*` -> int64, repeated -> arrays, maps -> maps, the wrapper types
//! (`google.protobuf.StringValue`, ...) -> optional primitives. Messages are decoded with
//! prost-reflect.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use prost::Message as _;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage as _, Value as Pv,
};
use schemas::data::{DATE, DECIMAL, DECIMAL_SCALE, TIME, TIMESTAMP};
use schemas::registry::{ParsedSchema, SchemaType};
use schemas::{ConnectError, Data, Schema, SchemaKind, Value};

use crate::Converter;
use crate::confluent::{SerdeConfig, WriterCache, resolve_writer, schema_for_id, schemaless_error};
use crate::registry::{ConverterContext, SchemaText};
use crate::wire;

mod proto_text;
mod schema;
mod values;

pub use proto_text::to_proto;
pub use schema::message_schema;
use schema::*;
use values::*;

// ---------------------------------------------------------------------------------------------
// The converter

/// A message of a registered schema and its Connect schema (reader side of (id, path)).
pub struct ProtobufReader {
    pub id: i32,
    pub message: MessageDescriptor,
    pub schema: Arc<Schema>,
}

/// Decodes a message (the bytes after the index path) with a reader (exposed for fuzzing).
pub fn decode_message(reader: &ProtobufReader, topic: &str, bytes: &[u8]) -> Result<Data, ConnectError> {
    let msg = DynamicMessage::decode(reader.message.clone(), bytes).map_err(|e| {
        ConnectError::data(format!(
            "topic {topic}: schema id {}: not a valid {} message: {e}",
            reader.id,
            reader.message.full_name()
        ))
    })?;
    let value = from_message(&reader.schema, &msg)
        .map_err(|e| ConnectError::data(format!("topic {topic}: schema id {}: {e}", reader.id)))?;
    Ok(Data::new(Some(reader.schema.clone()), value))
}

/// The Connect schema and reader for message `path` of a compiled file.
pub fn reader_for(id: i32, message: MessageDescriptor) -> Result<ProtobufReader, String> {
    let schema = Arc::new(message_schema(&message, 0)?);
    Ok(ProtobufReader { id, message, schema })
}

struct ProtobufWriter {
    id: i32,
    message: MessageDescriptor,
    indexes: Vec<usize>,
}

/// (schema id, message-index path)
type ReaderKey = (i32, Vec<usize>);

pub struct ProtobufConverter {
    config: SerdeConfig,
    writers: WriterCache<ProtobufWriter>,
    readers: Mutex<HashMap<ReaderKey, Arc<ProtobufReader>>>,
}

impl std::fmt::Debug for ProtobufConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtobufConverter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ProtobufConverter {
    /// Sub-keys as [`crate::AvroConverter::new`].
    pub fn new(
        props: &BTreeMap<String, String>,
        is_key: bool,
        context: &ConverterContext,
    ) -> Result<Self, ConnectError> {
        Ok(ProtobufConverter {
            config: SerdeConfig::new(props, is_key, context)?,
            writers: WriterCache::default(),
            readers: Mutex::new(HashMap::new()),
        })
    }

    async fn writer(&self, topic: &str, schema: &Arc<Schema>) -> Result<Arc<ProtobufWriter>, ConnectError> {
        if let Some(w) = self.writers.get(schema, topic) {
            return Ok(w);
        }
        let (text, full_name) = to_proto(schema).map_err(|e| {
            ConnectError::schema(format!(
                "topic {topic}: no Protobuf form for the record's schema: {e}"
            ))
        })?;
        let (id, latest) = resolve_writer(
            &self.config,
            topic,
            Some(&full_name),
            &SchemaText::new(SchemaType::Protobuf, text.clone()),
        )
        .await?;
        let parsed = match latest {
            Some(l) => l.parsed.clone(),
            None => Arc::new(
                ParsedSchema::parse(SchemaType::Protobuf, &text, &[]).map_err(|e| {
                    ConnectError::internal(format!("topic {topic}: Weir's own .proto does not compile: {e}"))
                })?,
            ),
        };
        let ParsedSchema::Protobuf(p) = parsed.as_ref() else {
            return Err(ConnectError::schema(format!(
                "topic {topic}: schema id {id} is not Protobuf"
            )));
        };
        let indexes = p.index_path_of(&full_name).unwrap_or_else(|| vec![0]);
        let message = p.message_by_index_path(&indexes).ok_or_else(|| {
            ConnectError::schema(format!(
                "topic {topic}: schema id {id} has no message {full_name}"
            ))
        })?;
        let w = Arc::new(ProtobufWriter { id, message, indexes });
        self.writers.put(schema, topic, w.clone());
        Ok(w)
    }

    pub async fn reader(
        &self,
        topic: &str,
        id: i32,
        indexes: &[usize],
    ) -> Result<Arc<ProtobufReader>, ConnectError> {
        let key = (id, indexes.to_vec());
        if let Some(r) = self.readers.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(r.clone());
        }
        let registered = schema_for_id(&self.config, topic, id, SchemaType::Protobuf).await?;
        let ParsedSchema::Protobuf(p) = registered.parsed.as_ref() else {
            return Err(ConnectError::schema(format!(
                "topic {topic}: schema id {id} is not Protobuf"
            )));
        };
        let message = p.message_by_index_path(indexes).ok_or_else(|| {
            ConnectError::data(format!(
                "topic {topic}: schema id {id} has no message at index path {indexes:?} (messages: {})",
                p.message_names().join(", ")
            ))
        })?;
        let r = Arc::new(
            reader_for(id, message)
                .map_err(|e| ConnectError::schema(format!("topic {topic}: schema id {id}: {e}")))?,
        );
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if readers.len() >= 1000 {
            readers.clear();
        }
        readers.insert(key, r.clone());
        Ok(r)
    }
}

#[async_trait]
impl Converter for ProtobufConverter {
    async fn from_connect(&self, topic: &str, data: Option<&Data>) -> Result<Option<Bytes>, ConnectError> {
        let Some(data) = data else { return Ok(None) };
        let Some(schema) = &data.schema else {
            if matches!(data.value, Value::Null) {
                return Ok(None);
            }
            return Err(schemaless_error("ProtobufConverter", topic));
        };
        let Value::Struct(values) = &data.value else {
            if matches!(data.value, Value::Null) {
                return Ok(None);
            }
            return Err(ConnectError::data(format!(
                "topic {topic}: ProtobufConverter writes structs, not {}",
                data.value.type_name()
            )));
        };
        let w = self.writer(topic, schema).await?;
        let msg = to_message(&w.message, schema, values)
            .map_err(|e| ConnectError::data(format!("topic {topic}: {e}")))?;
        let mut out = Vec::with_capacity(64);
        wire::write_header(&mut out, w.id);
        wire::write_message_indexes(&mut out, &w.indexes);
        msg.encode(&mut out)
            .map_err(|e| ConnectError::internal(format!("topic {topic}: encoding: {e}")))?;
        Ok(Some(Bytes::from(out)))
    }

    async fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<Option<Data>, ConnectError> {
        let Some(bytes) = bytes else { return Ok(None) };
        let (id, rest) = wire::read_header(topic, bytes)?;
        let (indexes, message) = wire::read_message_indexes(topic, rest)?;
        let reader = self.reader(topic, id, &indexes).await?;
        decode_message(&reader, topic, message).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        for days in [-719_468, -1, 0, 1, 59, 19_000, 2_932_896] {
            let (y, m, d) = days_to_civil(days);
            assert_eq!(civil_to_days(y, m, d), days);
        }
        assert_eq!(days_to_civil(0), (1970, 1, 1));
        assert_eq!(days_to_civil(19_000), (2022, 1, 8));
    }
}

//! `ProtobufConverter` (`io.confluent.connect.protobuf.ProtobufConverter`): Connect data as
//! Protobuf messages in Confluent's wire format (with the message-index path), schemas as
//! `.proto` files in the registry, mapped as Confluent's `ProtobufData` maps them (see
//! [`proto_text`] for Connect -> Protobuf and [`schema`] for Protobuf -> Connect; the options are
//! [`ProtobufOptions`]).
//!
//! Speed: prost-reflect only compiles descriptors. Records are decoded from wire bytes straight
//! into Connect values and encoded straight from them, walking plans compiled once per
//! (schema id, message-index path) for reading and per (Connect schema, topic) for writing.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use prost_reflect::{FieldDescriptor, Kind, MapKey, MessageDescriptor, Value as Pv};
use schemas::data::{DATE, DECIMAL, DECIMAL_SCALE, TIME, TIMESTAMP};
use schemas::registry::{ParsedSchema, SchemaType};
use schemas::{ConnectError, Data, Schema, SchemaKind, Value};

use crate::Converter;
use crate::confluent::{SerdeConfig, WriterCache, resolve_writer, schema_for_id, schemaless_error};
use crate::registry::{ConverterContext, SchemaText};
use crate::wire;

mod decode;
mod encode;
mod plan;
mod proto_text;
mod schema;
mod values;

pub use plan::ProtobufOptions;
pub use proto_text::{scrub, to_proto};
pub use schema::{message_schema, message_schema_with_defaults};

// ---------------------------------------------------------------------------------------------
// The converter

/// A message of a registered schema, its Connect schema and decoding plan (reader side of
/// (id, path)).
pub struct ProtobufReader {
    pub id: i32,
    pub message: MessageDescriptor,
    pub schema: Arc<Schema>,
    plan: plan::MsgPlan,
}

/// Decodes a message (the bytes after the index path) with a reader (exposed for fuzzing).
pub fn decode_message(reader: &ProtobufReader, topic: &str, bytes: &[u8]) -> Result<Data, ConnectError> {
    let value = decode::decode(&reader.plan, bytes).map_err(|e| {
        ConnectError::data(format!(
            "topic {topic}: schema id {}: not a valid {} message: {e}",
            reader.id,
            reader.message.full_name()
        ))
    })?;
    Ok(Data::new(Some(reader.schema.clone()), value))
}

/// The Connect schema and reader for a message of a compiled file, under `options`.
pub fn reader_with(
    id: i32,
    message: MessageDescriptor,
    options: &ProtobufOptions,
) -> Result<ProtobufReader, String> {
    let (schema, plan) = schema::Reader { opts: options }.message(&message, 0)?;
    Ok(ProtobufReader {
        id,
        message,
        schema: Arc::new(schema),
        plan,
    })
}

/// [`reader_with`] under Confluent's default options.
pub fn reader_for(id: i32, message: MessageDescriptor) -> Result<ProtobufReader, String> {
    reader_with(id, message, &ProtobufOptions::default())
}

struct ProtobufWriter {
    id: i32,
    indexes: Vec<usize>,
    plan: plan::EncMsg,
}

/// (schema id, message-index path)
type ReaderKey = (i32, Vec<usize>);

pub struct ProtobufConverter {
    config: SerdeConfig,
    options: ProtobufOptions,
    writers: WriterCache<ProtobufWriter>,
    readers: Mutex<HashMap<ReaderKey, Arc<ProtobufReader>>>,
}

impl std::fmt::Debug for ProtobufConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtobufConverter")
            .field("config", &self.config)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ProtobufConverter {
    /// Sub-keys as [`crate::AvroConverter::new`], plus Confluent's `ProtobufDataConfig` keys
    /// ([`ProtobufOptions`]).
    pub fn new(
        props: &BTreeMap<String, String>,
        is_key: bool,
        context: &ConverterContext,
    ) -> Result<Self, ConnectError> {
        Ok(ProtobufConverter {
            config: SerdeConfig::new(props, is_key, context)?,
            options: ProtobufOptions::from_props(props)?,
            writers: WriterCache::default(),
            readers: Mutex::new(HashMap::new()),
        })
    }

    async fn writer(&self, topic: &str, schema: &Arc<Schema>) -> Result<Arc<ProtobufWriter>, ConnectError> {
        if let Some(w) = self.writers.get(schema, topic) {
            return Ok(w);
        }
        let (text, full_name) = to_proto(schema, &self.options).map_err(|e| {
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
                    ConnectError::schema(format!(
                        "topic {topic}: the record's schema has no valid Protobuf form ({e}); its .proto:\n{text}"
                    ))
                })?,
            ),
        };
        let ParsedSchema::Protobuf(p) = parsed.as_ref() else {
            return Err(ConnectError::schema(format!(
                "topic {topic}: schema id {id} is not Protobuf"
            )));
        };
        // The record's message by full name, else by simple name (a Connect schema read from
        // a message carries its simple name), else the first message.
        let indexes = match p.index_path_of(&full_name) {
            Some(indexes) => indexes,
            None => p
                .message_named(&full_name)
                .map_or_else(|_| vec![0], |(indexes, _)| indexes),
        };
        let message = p.message_by_index_path(&indexes).ok_or_else(|| {
            ConnectError::schema(format!(
                "topic {topic}: schema id {id} has no message {full_name}"
            ))
        })?;
        let plan = encode::message(schema, &message, &self.options, 0)
            .map_err(|e| ConnectError::schema(format!("topic {topic}: schema id {id}: {e}")))?;
        let w = Arc::new(ProtobufWriter { id, indexes, plan });
        self.writers.put(schema, topic, w.clone());
        Ok(w)
    }

    pub async fn reader(
        &self,
        topic: &str,
        id: i32,
        indexes: &[usize],
    ) -> Result<Arc<ProtobufReader>, ConnectError> {
        {
            let readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(r) = readers.get(&(id, indexes.to_vec())) {
                return Ok(r.clone());
            }
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
            reader_with(id, message, &self.options)
                .map_err(|e| ConnectError::schema(format!("topic {topic}: schema id {id}: {e}")))?,
        );
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if readers.len() >= 1000 {
            readers.clear();
        }
        readers.insert((id, indexes.to_vec()), r.clone());
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
        let mut out = Vec::with_capacity(128);
        wire::write_header(&mut out, w.id);
        wire::write_message_indexes(&mut out, &w.indexes);
        encode::encode(&w.plan, values, &mut out)
            .map_err(|e| ConnectError::data(format!("topic {topic}: message {}: {e}", w.plan.full_name)))?;
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
    use super::values::{civil_to_days, days_to_civil};

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

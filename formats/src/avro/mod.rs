//! `AvroConverter` (`io.confluent.connect.avro.AvroConverter`): Connect data as Avro binary in
//! Confluent's wire format, schemas in the registry.
//!
//! - `plan`: an Avro schema compiled for the hot path;
//! - `codec`: Avro binary <-> Connect values, and Avro's JSON encoding -> binary;
//! - `connect`: Confluent's `AvroData` mapping between Connect and Avro schemas.
//!
//! Writing: the Connect schema becomes Avro schema text once per schema (cached by `Arc`
//! pointer), is registered (or looked up) under its subject once, then every record is one
//! walk of the value. Reading: the writer schema by id, compiled and mapped to Connect once
//! per id; the reader schema is the writer schema, as in Confluent's converter.

pub mod codec;
pub mod connect;
pub mod from_json;
mod json_codec;
pub mod plan;
pub mod to_connect;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use schemas::registry::{ParsedSchema, SchemaType};
use schemas::{ConnectError, Data, Schema};

use crate::confluent::{
    ReaderCache, SerdeConfig, WriterCache, resolve_writer, schema_for_id, schemaless_error,
};
use crate::registry::{ConverterContext, RegisteredSchema, SchemaText};
use crate::wire;
use crate::{Converter, JsonRecordWriter};
use plan::{Plan, Ty};

/// A compiled Avro schema and its Connect schema (the reader side of an id).
pub struct AvroReader {
    pub id: i32,
    pub plan: Plan,
    pub schema: Arc<Schema>,
}

struct AvroWriter {
    id: i32,
    plan: Plan,
    /// JSON records straight to bytes, when the schema allows it.
    json: Option<Arc<from_json::JsonToAvro>>,
}

pub struct AvroConverter {
    config: SerdeConfig,
    data: connect::AvroDataConfig,
    writers: WriterCache<AvroWriter>,
    readers: ReaderCache<AvroReader>,
}

impl std::fmt::Debug for AvroConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroConverter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The texts of a registered Avro schema's references, for compiling it.
fn reference_texts(schema: &RegisteredSchema) -> Vec<String> {
    match schema.parsed.as_ref() {
        ParsedSchema::Avro(a) => a
            .referenced_schemata()
            .iter()
            .filter_map(|s| serde_json::to_string(s).ok())
            .collect(),
        _ => Vec::new(),
    }
}

/// Compiles a registered Avro schema (its stored text keeps the `connect.*` properties).
pub fn compile_registered(schema: &RegisteredSchema) -> Result<Plan, ConnectError> {
    let refs = reference_texts(schema);
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    Plan::compile(&schema.schema, &refs)
        .map_err(|e| ConnectError::schema(format!("schema id {}: {e}", schema.id)))
}

impl AvroConverter {
    /// Sub-keys: `schema.registry.url`, `auto.register.schemas`, `use.latest.version`,
    /// `latest.compatibility.strict`, `key.subject.name.strategy` /
    /// `value.subject.name.strategy`, `normalize.schemas`, `basic.auth.user.info`; and
    /// Confluent's `AvroDataConfig` keys `connect.meta.data` (default true) and
    /// `enhanced.avro.schema.support` (default false).
    pub fn new(
        props: &BTreeMap<String, String>,
        is_key: bool,
        context: &ConverterContext,
    ) -> Result<Self, ConnectError> {
        Ok(AvroConverter {
            config: SerdeConfig::new(props, is_key, context)?,
            data: connect::AvroDataConfig {
                connect_meta_data: crate::confluent::bool_prop(props, "connect.meta.data", true)?,
                enhanced: crate::confluent::bool_prop(props, "enhanced.avro.schema.support", false)?,
            },
            writers: WriterCache::default(),
            readers: ReaderCache::default(),
        })
    }

    async fn writer(&self, topic: &str, schema: &Arc<Schema>) -> Result<Arc<AvroWriter>, ConnectError> {
        if let Some(w) = self.writers.get(schema, topic) {
            return Ok(w);
        }
        let avro = connect::to_avro_schema_with(schema, &self.data).map_err(|e| {
            ConnectError::schema(format!(
                "topic {topic}: no Avro form for the record's schema: {e}"
            ))
        })?;
        let text = avro.to_string();
        let record_name = match &avro {
            serde_json::Value::Object(o) if o.get("type").and_then(|t| t.as_str()) == Some("record") => {
                schema
                    .name
                    .clone()
                    .or_else(|| Some(format!("{}.{}", connect::NAMESPACE, connect::DEFAULT_NAME)))
            }
            serde_json::Value::Array(_) => schema.name.clone().or_else(|| {
                (schema.kind == schemas::SchemaKind::Struct)
                    .then(|| format!("{}.{}", connect::NAMESPACE, connect::DEFAULT_NAME))
            }),
            _ => None,
        };
        let (id, latest) = resolve_writer(
            &self.config,
            topic,
            record_name.as_deref(),
            &SchemaText::new(SchemaType::Avro, text.clone()),
        )
        .await?;
        let plan = match latest {
            Some(latest) => compile_registered(&latest)?,
            None => Plan::compile(&text, &[]).map_err(|e| {
                ConnectError::internal(format!("topic {topic}: compiling Weir's own Avro schema: {e}"))
            })?,
        };
        let json = from_json::JsonToAvro::compile(schema, &plan, id).map(Arc::new);
        let w = Arc::new(AvroWriter { id, plan, json });
        self.writers.put(schema, topic, w.clone());
        Ok(w)
    }

    /// The compiled reader of a schema id (from the registry the first time).
    pub async fn reader(&self, topic: &str, id: i32) -> Result<Arc<AvroReader>, ConnectError> {
        if let Some(r) = self.readers.get(id) {
            return Ok(r);
        }
        let registered = schema_for_id(&self.config, topic, id, SchemaType::Avro).await?;
        let plan = compile_registered(&registered)?;
        let schema = connect::to_connect_schema_with(&plan, &self.data)
            .map_err(|e| ConnectError::schema(format!("topic {topic}: schema id {id}: {e}")))?;
        let r = Arc::new(AvroReader { id, plan, schema });
        self.readers.put(id, r.clone());
        Ok(r)
    }
}

/// Decodes the datum after the wire header with a compiled reader. Exposed for fuzzing and
/// benchmarks; the converter is the way in.
pub fn decode_datum(reader: &AvroReader, topic: &str, datum: &[u8]) -> Result<Data, ConnectError> {
    let mut r = codec::Reader::new(datum);
    let value = codec::decode(&reader.plan, &reader.plan.root, &reader.schema, &mut r)
        .map_err(|e| ConnectError::data(format!("topic {topic}: schema id {}: {e}", reader.id)))?;
    if r.remaining() != 0 {
        return Err(ConnectError::data(format!(
            "topic {topic}: schema id {}: {} bytes left after the Avro datum (not written with this schema?)",
            reader.id,
            r.remaining()
        )));
    }
    Ok(Data::new(Some(reader.schema.clone()), value))
}

#[async_trait]
impl Converter for AvroConverter {
    async fn from_connect(&self, topic: &str, data: Option<&Data>) -> Result<Option<Bytes>, ConnectError> {
        let Some(data) = data else { return Ok(None) };
        let Some(schema) = &data.schema else {
            if matches!(data.value, schemas::Value::Null) {
                return Ok(None);
            }
            return Err(schemaless_error("AvroConverter", topic));
        };
        if matches!(data.value, schemas::Value::Null) && schema.optional {
            return Ok(None);
        }
        let w = self.writer(topic, schema).await?;
        let mut out = Vec::with_capacity(64);
        wire::write_header(&mut out, w.id);
        codec::encode(&w.plan, &w.plan.root, Some(schema), &data.value, &mut out)
            .map_err(|e| ConnectError::data(format!("topic {topic}: {e}")))?;
        Ok(Some(Bytes::from(out)))
    }

    async fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<Option<Data>, ConnectError> {
        let Some(bytes) = bytes else { return Ok(None) };
        let (id, datum) = wire::read_header(topic, bytes)?;
        let reader = self.reader(topic, id).await?;
        decode_datum(&reader, topic, datum).map(Some)
    }

    async fn json_writer(
        &self,
        topic: &str,
        schema: &Arc<Schema>,
    ) -> Result<Option<Arc<dyn JsonRecordWriter>>, ConnectError> {
        let w = self.writer(topic, schema).await?;
        Ok(w.json.clone().map(|j| j as Arc<dyn JsonRecordWriter>))
    }
}

/// The Avro type at the root of a plan (for helpers that encode JSON).
pub fn root(plan: &Plan) -> &Ty {
    &plan.root
}

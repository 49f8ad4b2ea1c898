//! Converters between bytes and Connect data (Kafka Connect's `Converter`).
//!
//! - [`json`]: `JsonConverter`, with or without the `{"schema", "payload"}` envelope.
//! - [`string`]: `StringConverter` (text in a configurable encoding).
//! - [`bytes`]: `ByteArrayConverter` (bytes as they are).
//! - [`avro`]: `AvroConverter` (Confluent's), its Avro codec and Connect mapping.
//! - [`json_schema`]: `JsonSchemaConverter` (Confluent's), its Connect <-> JSON Schema mapping.
//! - [`protobuf`]: `ProtobufConverter` (Confluent's), Connect <-> .proto and messages.
//! - [`proxy`]: [`JsonWireSerializer`], REST Proxy JSON -> Confluent wire bytes.
//! - [`wire`]: Confluent's wire format (magic byte, schema id, Protobuf message indexes).
//! - [`registry`]: the schema registry client the schema-aware converters use
//!   ([`SchemaRegistryClient`]: embedded in process, or external over HTTP) and
//!   [`ConverterContext`], which hands it to [`build_converter`].
//!
//! [`build_converter`] is the one table from class names (short or Kafka's) to converters; a
//! class not in [`converter_classes`] is a config error, never a silent fallback.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use schemas::{ConnectError, Data, Schema};

pub mod avro;
pub mod bytes_converter;
mod confluent;
pub mod json;
pub mod json_schema;
pub mod protobuf;
pub mod proxy;
pub mod registry;
pub mod string;
pub mod wire;

pub use avro::AvroConverter;
pub use bytes_converter::ByteArrayConverter;
pub use confluent::{SerdeConfig, SubjectNameStrategy};
pub use json::JsonConverter;
pub use json_schema::JsonSchemaConverter;
pub use protobuf::ProtobufConverter;
pub use proxy::JsonWireSerializer;
pub use registry::{ConverterContext, SchemaRegistryClient};
pub use string::StringConverter;

/// Kafka Connect's names (`fromConnectData` / `toConnectData`) win over the `from_*` convention.
#[allow(clippy::wrong_self_convention)]
#[async_trait]
pub trait Converter: Send + Sync {
    /// Connect data -> bytes (Kafka Connect's fromConnectData). None in, None out (tombstone).
    async fn from_connect(&self, topic: &str, data: Option<&Data>) -> Result<Option<Bytes>, ConnectError>;
    /// bytes -> Connect data (toConnectData). Bad bytes: ErrorKind::Data naming the topic and what is wrong.
    async fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<Option<Data>, ConnectError>;

    /// A shortcut from JSON records of `schema` straight to this converter's bytes for
    /// `topic` (HTTP ingestion's common case), when the converter has one for this schema.
    /// Getting it does what the first `from_connect` of a record of `schema` would do (e.g.
    /// register the schema). None: use `from_connect` on Connect values.
    async fn json_writer(
        &self,
        topic: &str,
        schema: &Arc<Schema>,
    ) -> Result<Option<Arc<dyn JsonRecordWriter>>, ConnectError> {
        let _ = (topic, schema);
        Ok(None)
    }
}

/// Writes JSON records of one schema as a converter's bytes, without Connect values between.
pub trait JsonRecordWriter: Send + Sync {
    /// Reads `body`, a JSON array of records, and appends each record's bytes to `out` and
    /// the offset in `out` where it ends to `ends`. Every record's bytes equal what
    /// `from_connect` writes for the record read as Connect data (`schemas::json` with default
    /// options, a field the schema lacks refused). False when any record needs that full path
    /// (bad JSON, a value of another type, an unknown, repeated or out-of-order field, ...):
    /// `out` and `ends` then hold partial output to discard.
    fn write_array(&self, body: &[u8], out: &mut Vec<u8>, ends: &mut Vec<usize>) -> bool;
}

const CLASSES: &[(&str, &str)] = &[
    ("JsonConverter", "org.apache.kafka.connect.json.JsonConverter"),
    (
        "StringConverter",
        "org.apache.kafka.connect.storage.StringConverter",
    ),
    (
        "ByteArrayConverter",
        "org.apache.kafka.connect.converters.ByteArrayConverter",
    ),
    ("AvroConverter", "io.confluent.connect.avro.AvroConverter"),
    (
        "ProtobufConverter",
        "io.confluent.connect.protobuf.ProtobufConverter",
    ),
    (
        "JsonSchemaConverter",
        "io.confluent.connect.json.JsonSchemaConverter",
    ),
];

/// The converters this build knows: (short name, Kafka class name).
pub fn converter_classes() -> &'static [(&'static str, &'static str)] {
    CLASSES
}

/// `class`: short name or Kafka class name; `props`: the converter's sub-keys with the
/// `key.converter.` / `value.converter.` prefix stripped; `context`: the embedded registry
/// (the schema-aware converters use it unless `props` has `schema.registry.url`).
pub fn build_converter(
    class: &str,
    props: &BTreeMap<String, String>,
    is_key: bool,
    context: &ConverterContext,
) -> Result<Arc<dyn Converter>, ConnectError> {
    let class = class.trim();
    let short = CLASSES
        .iter()
        .find(|(short, java)| *short == class || *java == class)
        .map(|(short, _)| *short);
    let config_key = if is_key {
        "key.converter"
    } else {
        "value.converter"
    };
    let prefixed = |e: ConnectError| ConnectError {
        message: format!("{config_key}.{}", e.message),
        ..e
    };
    match short {
        Some("JsonConverter") => Ok(Arc::new(JsonConverter::new(props, is_key).map_err(prefixed)?)),
        Some("StringConverter") => Ok(Arc::new(StringConverter::new(props).map_err(prefixed)?)),
        Some("ByteArrayConverter") => Ok(Arc::new(ByteArrayConverter)),
        Some("ProtobufConverter") => Ok(Arc::new(
            ProtobufConverter::new(props, is_key, context).map_err(prefixed)?,
        )),
        Some("JsonSchemaConverter") => Ok(Arc::new(
            JsonSchemaConverter::new(props, is_key, context).map_err(prefixed)?,
        )),
        Some("AvroConverter") => Ok(Arc::new(
            AvroConverter::new(props, is_key, context).map_err(prefixed)?,
        )),
        _ => {
            let known: Vec<String> = CLASSES
                .iter()
                .map(|(short, java)| format!("{short} ({java})"))
                .collect();
            Err(ConnectError::config(
                config_key,
                format!(
                    "unknown converter class \"{class}\"; known converters: {}",
                    known.join(", ")
                ),
            ))
        }
    }
}

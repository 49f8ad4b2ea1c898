//! `JsonSchemaConverter` (`io.confluent.connect.json.JsonSchemaConverter`): Connect data as
//! JSON text in Confluent's wire format, its schema a JSON Schema in the registry, mapped as
//! Confluent's `JsonSchemaData` maps it ([`mapping`]).
//!
//! Values travel as Kafka's JSON mapping does (`schemas::json`), except maps with non-string
//! keys, which are arrays of `{"key", "value"}` objects; decimals are written as
//! `decimal.format` says (BASE64 by default, as Confluent), read in either form.

pub mod mapping;
pub mod nulls;
mod validator;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use schemas::json::{DecimalFormat, JsonDialect, JsonOptions};
use schemas::registry::{ParsedSchema, SchemaType};
use schemas::{ConnectError, Data, Schema};

use crate::Converter;
use crate::confluent::{
    ReaderCache, SerdeConfig, WriterCache, bool_prop, resolve_writer, schema_for_id, schemaless_error,
};
use crate::registry::{ConverterContext, SchemaText};
use crate::wire;
pub use mapping::{Mapping, to_connect_schema, to_connect_schema_with, to_json_schema, to_json_schema_with};
pub use validator::{validator, validator_with_references};

/// How values are read: decimals as numbers or base64 both, maps with non-string keys as
/// Confluent's `{key, value}` objects.
pub(crate) const READ_OPTIONS: JsonOptions = JsonOptions {
    decimal_format: DecimalFormat::Numeric,
    replace_null_with_default: true,
    dialect: JsonDialect::Confluent,
};

/// The Connect schema of a schema id (reader side).
pub struct JsonSchemaReader {
    pub id: i32,
    pub schema: Arc<Schema>,
}

struct JsonSchemaWriter {
    id: i32,
    /// Null properties the writer's schema does not accept (use.latest.version with a schema
    /// of the user's): left out instead of written as null ([`nulls`]).
    omit: Option<schemas::json::OmitNulls>,
}

pub struct JsonSchemaConverter {
    config: SerdeConfig,
    mapping: Mapping,
    writers: WriterCache<JsonSchemaWriter>,
    readers: ReaderCache<JsonSchemaReader>,
}

impl std::fmt::Debug for JsonSchemaConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSchemaConverter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Reads the JSON after the wire header with a reader (exposed for fuzzing).
pub fn decode_json(reader: &JsonSchemaReader, topic: &str, bytes: &[u8]) -> Result<Data, ConnectError> {
    let value = schemas::json::from_json_bytes(Some(&reader.schema), bytes, &READ_OPTIONS)
        .map_err(|e| ConnectError::data(format!("topic {topic}: schema id {}: {}", reader.id, e.message)))?;
    Ok(Data::new(Some(reader.schema.clone()), value))
}

impl JsonSchemaConverter {
    /// Sub-keys as [`crate::AvroConverter::new`], plus Confluent's `JsonSchemaDataConfig`:
    /// `object.additional.properties` (default true), `use.optional.for.nonrequired` (default
    /// false), `decimal.format` (BASE64 or NUMERIC, default BASE64).
    pub fn new(
        props: &BTreeMap<String, String>,
        is_key: bool,
        context: &ConverterContext,
    ) -> Result<Self, ConnectError> {
        let decimal_format = match props.get("decimal.format").map(|v| v.trim()) {
            None | Some("") => DecimalFormat::Base64,
            Some(v) => DecimalFormat::parse(v).ok_or_else(|| {
                ConnectError::config(
                    "decimal.format",
                    format!("Invalid value {v} for configuration decimal.format: String must be one of (case insensitive): BASE64, NUMERIC"),
                )
            })?,
        };
        let mapping = Mapping {
            additional_properties: bool_prop(props, "object.additional.properties", true)?,
            optional_for_nonrequired: bool_prop(props, "use.optional.for.nonrequired", false)?,
            values: JsonOptions {
                decimal_format,
                ..READ_OPTIONS
            },
        };
        Ok(JsonSchemaConverter {
            config: SerdeConfig::new(props, is_key, context)?,
            mapping,
            writers: WriterCache::default(),
            readers: ReaderCache::default(),
        })
    }

    pub async fn reader(&self, topic: &str, id: i32) -> Result<Arc<JsonSchemaReader>, ConnectError> {
        if let Some(r) = self.readers.get(id) {
            return Ok(r);
        }
        let registered = schema_for_id(&self.config, topic, id, SchemaType::Json).await?;
        let ParsedSchema::Json(parsed) = registered.parsed.as_ref() else {
            return Err(ConnectError::schema(format!(
                "topic {topic}: schema id {id} is not a JSON schema"
            )));
        };
        let schema = to_connect_schema_with(parsed.value(), &self.mapping)
            .map_err(|e| ConnectError::schema(format!("topic {topic}: schema id {id}: {e}")))?;
        let r = Arc::new(JsonSchemaReader {
            id,
            schema: Arc::new(schema),
        });
        self.readers.put(id, r.clone());
        Ok(r)
    }
}

#[async_trait]
impl Converter for JsonSchemaConverter {
    async fn from_connect(&self, topic: &str, data: Option<&Data>) -> Result<Option<Bytes>, ConnectError> {
        let Some(data) = data else { return Ok(None) };
        let Some(schema) = &data.schema else {
            if matches!(data.value, schemas::Value::Null) {
                return Ok(None);
            }
            return Err(schemaless_error("JsonSchemaConverter", topic));
        };
        if matches!(data.value, schemas::Value::Null) && schema.optional {
            return Ok(None);
        }
        let w = match self.writers.get(schema, topic) {
            Some(w) => w,
            None => {
                let text = to_json_schema_with(schema, &self.mapping).to_string();
                let (id, latest) = resolve_writer(
                    &self.config,
                    topic,
                    schema.name.as_deref(),
                    &SchemaText::new(SchemaType::Json, text),
                )
                .await?;
                // A schema derived here writes optional fields as `oneOf [null, T]`: every null
                // is valid. Another schema (the subject's latest) may only allow absence.
                let omit = match latest.as_deref().map(|l| l.parsed.as_ref()) {
                    Some(ParsedSchema::Json(parsed)) => nulls::omit_nulls(parsed.value(), schema),
                    _ => None,
                };
                let w = Arc::new(JsonSchemaWriter { id, omit });
                self.writers.put(schema, topic, w.clone());
                w
            }
        };
        let mut out = Vec::with_capacity(64);
        wire::write_header(&mut out, w.id);
        schemas::json::write_json_omitting(
            &mut out,
            Some(schema),
            &data.value,
            &self.mapping.values,
            w.omit.as_ref(),
        )
        .map_err(|e| ConnectError::data(format!("topic {topic}: {}", e.message)))?;
        Ok(Some(Bytes::from(out)))
    }

    async fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<Option<Data>, ConnectError> {
        let Some(bytes) = bytes else { return Ok(None) };
        let (id, rest) = wire::read_header(topic, bytes)?;
        let reader = self.reader(topic, id).await?;
        decode_json(&reader, topic, rest).map(Some)
    }
}

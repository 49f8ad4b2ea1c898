//! JSON in, Confluent wire bytes out: what the REST Proxy's produce call needs.
//!
//! [`JsonWireSerializer::serialize`] takes a registered schema id and a value in the REST
//! Proxy's JSON form for that schema's language, checks the value against the schema, and
//! answers the exact bytes a Confluent serializer would write:
//! - AVRO: Avro's JSON encoding (a union as `{"type": value}`, e.g. `{"string": "x"}`; a bare
//!   value is also taken when one branch fits; bytes as a string of code points 0-255);
//! - PROTOBUF: the Protobuf JSON mapping of the schema's first message (`lowerCamelCase` or
//!   original field names; 64-bit integers as numbers or strings); the message-index path is
//!   `[0]`;
//! - JSON: plain JSON, validated against the JSON Schema; the bytes are the JSON text.
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
use crate::registry::{RegisteredSchema, SchemaRegistryClient};
use crate::wire;

enum Compiled {
    Avro(Plan),
    Protobuf(prost_reflect::MessageDescriptor),
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
        let c = Arc::new(compile(&schema)?);
        self.compiled.put(schema_id, c.clone());
        Ok(c)
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
            Compiled::Protobuf(desc) => {
                let message = prost_reflect::DynamicMessage::deserialize(
                    desc.clone(),
                    value.clone().into_deserializer(),
                )
                .map_err(|e| ConnectError::data(format!("message {}: {e}", desc.full_name())))?;
                wire::write_message_indexes(&mut out, &[0]);
                message
                    .encode(&mut out)
                    .map_err(|e| ConnectError::data(format!("message {}: {e}", desc.full_name())))?;
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

fn compile(schema: &RegisteredSchema) -> Result<Compiled, ConnectError> {
    Ok(match (schema.schema_type, schema.parsed.as_ref()) {
        (SchemaType::Avro, _) => Compiled::Avro(compile_registered(schema)?),
        (SchemaType::Protobuf, ParsedSchema::Protobuf(p)) => {
            Compiled::Protobuf(p.first_message().ok_or_else(|| {
                ConnectError::schema(format!(
                    "schema id {}: the Protobuf schema has no message",
                    schema.id
                ))
            })?)
        }
        (SchemaType::Json, ParsedSchema::Json(j)) => {
            Compiled::Json(Box::new(jsonschema::validator_for(j.value()).map_err(|e| {
                ConnectError::schema(format!("schema id {}: {e}", schema.id))
            })?))
        }
        (t, _) => {
            return Err(ConnectError::schema(format!(
                "schema id {}: a {t} schema that did not parse as {t}",
                schema.id
            )));
        }
    })
}

//! `ByteArrayConverter`: the bytes pass through untouched, with an optional bytes schema.

use async_trait::async_trait;
use bytes::Bytes;
use schemas::{ConnectError, Data, Schema, SchemaKind, Value};
use std::sync::{Arc, LazyLock};

use crate::Converter;

static OPTIONAL_BYTES: LazyLock<Arc<Schema>> =
    LazyLock::new(|| Arc::new(Schema::new(SchemaKind::Bytes).optional()));

#[derive(Debug, Clone, Copy, Default)]
pub struct ByteArrayConverter;

#[async_trait]
impl Converter for ByteArrayConverter {
    async fn from_connect(&self, topic: &str, data: Option<&Data>) -> Result<Option<Bytes>, ConnectError> {
        let Some(data) = data else { return Ok(None) };
        if let Some(schema) = &data.schema
            && schema.kind != SchemaKind::Bytes
        {
            return Err(ConnectError::data(format!(
                "ByteArrayConverter on topic {topic}: invalid schema type {}, expected bytes",
                schema.kind.connect_name()
            )));
        }
        match &data.value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            other => Err(ConnectError::data(format!(
                "ByteArrayConverter on topic {topic}: expected bytes, got {}",
                other.type_name()
            ))),
        }
    }

    async fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<Option<Data>, ConnectError> {
        Ok(bytes.map(|b| {
            Data::new(
                Some(OPTIONAL_BYTES.clone()),
                Value::Bytes(Bytes::copy_from_slice(b)),
            )
        }))
    }
}

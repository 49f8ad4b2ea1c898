//! `StringConverter`: text in `converter.encoding` (UTF-8 by default), optional string schema.
//!
//! Encodings: UTF-8, US-ASCII and ISO-8859-1 (the ones Kafka users set in practice); any other
//! name is a config error naming the key. Bytes that are not valid text in the encoding are a
//! data error naming the topic, never silently replaced (Java would substitute U+FFFD).

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use bytes::Bytes;
use schemas::{ConnectError, Data, Schema, SchemaKind, Value};

use crate::Converter;

static OPTIONAL_STRING: LazyLock<Arc<Schema>> =
    LazyLock::new(|| Arc::new(Schema::new(SchemaKind::String).optional()));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Ascii,
    Latin1,
}

impl Encoding {
    fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_uppercase().replace('_', "-").as_str() {
            "UTF-8" | "UTF8" => Some(Encoding::Utf8),
            "US-ASCII" | "ASCII" => Some(Encoding::Ascii),
            "ISO-8859-1" | "ISO8859-1" | "LATIN1" | "LATIN-1" => Some(Encoding::Latin1),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StringConverter {
    /// Used by `from_connect` (Kafka's `serializer.encoding`, falling back to `converter.encoding`).
    encode_as: Encoding,
    /// Used by `to_connect` (Kafka's `deserializer.encoding`, falling back to `converter.encoding`).
    decode_as: Encoding,
}

impl StringConverter {
    pub fn new(props: &BTreeMap<String, String>) -> Result<Self, ConnectError> {
        let pick = |specific: &str| -> Result<Encoding, ConnectError> {
            let (key, name) = match props.get(specific) {
                Some(v) => (specific, v.as_str()),
                None => match props.get("converter.encoding") {
                    Some(v) => ("converter.encoding", v.as_str()),
                    None => return Ok(Encoding::Utf8),
                },
            };
            Encoding::parse(name).ok_or_else(|| {
                ConnectError::config(
                    key,
                    format!("unsupported encoding \"{name}\"; supported: UTF-8, US-ASCII, ISO-8859-1"),
                )
            })
        };
        Ok(StringConverter {
            encode_as: pick("serializer.encoding")?,
            decode_as: pick("deserializer.encoding")?,
        })
    }

    /// Text of a value, as Kafka's converter calls `toString()`; structured values are written
    /// as JSON (readable and parseable, unlike Java's `Struct{..}`), bytes as base64.
    fn text(data: &Data) -> Result<Option<String>, ConnectError> {
        Ok(Some(match &data.value {
            Value::Null => return Ok(None),
            Value::String(s) => s.clone(),
            Value::Boolean(b) => b.to_string(),
            Value::Int8(n) => n.to_string(),
            Value::Int16(n) => n.to_string(),
            Value::Int32(n) => n.to_string(),
            Value::Int64(n) => n.to_string(),
            Value::Float32(n) => n.to_string(),
            Value::Float64(n) => n.to_string(),
            _ => schemas::json::to_json_string(data)?,
        }))
    }
}

impl Default for StringConverter {
    fn default() -> Self {
        StringConverter {
            encode_as: Encoding::Utf8,
            decode_as: Encoding::Utf8,
        }
    }
}

#[async_trait]
impl Converter for StringConverter {
    async fn from_connect(&self, topic: &str, data: Option<&Data>) -> Result<Option<Bytes>, ConnectError> {
        let Some(data) = data else { return Ok(None) };
        let Some(text) = Self::text(data)? else {
            return Ok(None);
        };
        match self.encode_as {
            Encoding::Utf8 => Ok(Some(Bytes::from(text.into_bytes()))),
            Encoding::Ascii | Encoding::Latin1 => {
                let limit = if self.encode_as == Encoding::Ascii {
                    0x7f
                } else {
                    0xff
                };
                text.chars()
                    .map(|c| u8::try_from(u32::from(c)).ok().filter(|b| u32::from(*b) <= limit))
                    .collect::<Option<Vec<u8>>>()
                    .map(|v| Some(Bytes::from(v)))
                    .ok_or_else(|| {
                        ConnectError::data(format!(
                            "StringConverter on topic {topic}: the value has characters outside {:?}",
                            self.encode_as
                        ))
                    })
            }
        }
    }

    async fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<Option<Data>, ConnectError> {
        let Some(bytes) = bytes else { return Ok(None) };
        let text = match self.decode_as {
            Encoding::Utf8 => std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| {
                ConnectError::data(format!(
                    "StringConverter on topic {topic}: the bytes are not valid UTF-8 (byte {})",
                    e.valid_up_to()
                ))
            })?,
            Encoding::Ascii => {
                if let Some(pos) = bytes.iter().position(|b| *b > 0x7f) {
                    return Err(ConnectError::data(format!(
                        "StringConverter on topic {topic}: the bytes are not US-ASCII (byte {pos})"
                    )));
                }
                bytes.iter().map(|b| char::from(*b)).collect()
            }
            Encoding::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
        };
        Ok(Some(Data::new(
            Some(OPTIONAL_STRING.clone()),
            Value::String(text),
        )))
    }
}

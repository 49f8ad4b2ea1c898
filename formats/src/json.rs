//! `JsonConverter`, as Kafka Connect's: `schemas.enable` (default true) wraps each value in the
//! `{"schema": .., "payload": ..}` envelope; without it plain JSON is read schemaless.
//! The Connect <-> JSON mapping itself lives in `schemas::json`, shared with the file connectors.
//!
//! Both directions cache schemas (Kafka's `schemas.cache.size`): the rendered envelope schema per
//! `Arc<Schema>`, and the parsed schema per envelope schema text, so a stream of records with one
//! schema parses and renders that schema once.
//!
//! Empty bytes are read as a tombstone (no value), like a null: there is no JSON in them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use schemas::json::{self as sjson, DecimalFormat, JsonOptions};
use schemas::{ConnectError, Data, Schema};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::Converter;

const ENVELOPE_REQUIRED: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

pub struct JsonConverter {
    schemas_enable: bool,
    options: JsonOptions,
    cache_size: usize,
    /// Rendered envelope schemas. The `Arc` is kept so pointer equality stays meaningful.
    rendered: Mutex<Vec<(Arc<Schema>, Arc<str>)>>,
    /// Parsed schemas by their envelope text (None: `"schema": null`).
    parsed: Mutex<HashMap<Box<str>, Option<Arc<Schema>>>>,
}

impl fmt::Debug for JsonConverter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonConverter")
            .field("schemas_enable", &self.schemas_enable)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn bool_prop(props: &BTreeMap<String, String>, key: &str, default: bool) -> Result<bool, ConnectError> {
    match props.get(key).map(|v| v.trim()) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ConnectError::config(
            key,
            format!("Invalid value {v} for configuration {key}: Expected value to be either true or false"),
        )),
    }
}

impl JsonConverter {
    /// Sub-keys: `schemas.enable`, `decimal.format`, `replace.null.with.default`,
    /// `schemas.cache.size`. Errors name the sub-key.
    pub fn new(props: &BTreeMap<String, String>, _is_key: bool) -> Result<Self, ConnectError> {
        let decimal_format = match props.get("decimal.format") {
            None => DecimalFormat::Base64,
            Some(v) => DecimalFormat::parse(v).ok_or_else(|| {
                ConnectError::config(
                    "decimal.format",
                    format!("Invalid value {v} for configuration decimal.format: String must be one of: BASE64, NUMERIC"),
                )
            })?,
        };
        let cache_size = match props.get("schemas.cache.size") {
            None => 1000,
            Some(v) => v.trim().parse::<usize>().map_err(|_| {
                ConnectError::config(
                    "schemas.cache.size",
                    format!(
                        "Invalid value {v} for configuration schemas.cache.size: Not a number of type INT"
                    ),
                )
            })?,
        };
        Ok(JsonConverter {
            schemas_enable: bool_prop(props, "schemas.enable", true)?,
            options: JsonOptions {
                decimal_format,
                replace_null_with_default: bool_prop(props, "replace.null.with.default", true)?,
                dialect: schemas::json::JsonDialect::Kafka,
            },
            cache_size: cache_size.max(1),
            rendered: Mutex::new(Vec::new()),
            parsed: Mutex::new(HashMap::new()),
        })
    }

    fn rendered_schema(&self, schema: &Arc<Schema>) -> Result<Arc<str>, ConnectError> {
        // A poisoned lock only means another thread panicked mid-update of a cache; start afresh.
        {
            let cache = self.rendered.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, text)) = cache.iter().find(|(s, _)| Arc::ptr_eq(s, schema)) {
                return Ok(text.clone());
            }
            if let Some((_, text)) = cache.iter().find(|(s, _)| **s == **schema) {
                return Ok(text.clone());
            }
        }
        let text: Arc<str> = sjson::schema_to_json(schema, &self.options)?.to_string().into();
        let mut cache = self.rendered.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= self.cache_size.min(64) {
            cache.remove(0);
        }
        cache.push((schema.clone(), text.clone()));
        Ok(text)
    }

    fn parsed_schema(&self, raw: &RawValue) -> Result<Option<Arc<Schema>>, ConnectError> {
        let text = raw.get();
        if let Some(hit) = self.parsed.lock().unwrap_or_else(|p| p.into_inner()).get(text) {
            return Ok(hit.clone());
        }
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ConnectError::data(sjson::describe_json_error(&e)))?;
        let schema = sjson::schema_from_json(&json, &self.options)?;
        let mut cache = self.parsed.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= self.cache_size {
            cache.clear();
        }
        cache.insert(text.into(), schema.clone());
        Ok(schema)
    }

    fn decode(&self, bytes: &[u8]) -> Result<Data, ConnectError> {
        if !self.schemas_enable {
            let json: serde_json::Value = serde_json::from_slice(bytes)
                .map_err(|e| ConnectError::data(sjson::describe_json_error(&e)))?;
            return Ok(Data::schemaless(sjson::schemaless_from_json(&json)));
        }
        let envelope: Envelope<'_> = match serde_json::from_slice(bytes) {
            Ok(e) => e,
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                // Kafka parses before it checks the shape: report bad JSON as bad JSON.
                if let Err(syntax) = serde_json::from_slice::<IgnoredAny>(bytes) {
                    return Err(ConnectError::data(sjson::describe_json_error(&syntax)));
                }
                return Err(ConnectError::data(ENVELOPE_REQUIRED));
            }
            Err(e) => return Err(ConnectError::data(sjson::describe_json_error(&e))),
        };
        let (Some(schema), Some(payload), false) = (envelope.schema, envelope.payload, envelope.extra) else {
            return Err(ConnectError::data(ENVELOPE_REQUIRED));
        };
        let schema = self.parsed_schema(schema)?;
        let value = sjson::from_json_bytes(schema.as_ref(), payload.get().as_bytes(), &self.options)?;
        Ok(Data::new(schema, value))
    }
}

/// The envelope's two halves, kept as raw text; `extra` is set when any other key is present.
struct Envelope<'a> {
    schema: Option<&'a RawValue>,
    payload: Option<&'a RawValue>,
    extra: bool,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum EnvelopeKey {
    Schema,
    Payload,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Envelope<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with \"schema\" and \"payload\"")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Envelope {
                    schema: None,
                    payload: None,
                    extra: false,
                };
                while let Some(key) = map.next_key::<EnvelopeKey>()? {
                    match key {
                        EnvelopeKey::Schema if out.schema.is_none() => out.schema = Some(map.next_value()?),
                        EnvelopeKey::Payload if out.payload.is_none() => {
                            out.payload = Some(map.next_value()?)
                        }
                        _ => {
                            out.extra = true;
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

#[async_trait]
impl Converter for JsonConverter {
    async fn from_connect(&self, topic: &str, data: Option<&Data>) -> Result<Option<Bytes>, ConnectError> {
        let Some(data) = data else { return Ok(None) };
        if data.schema.is_none() && matches!(data.value, schemas::Value::Null) {
            return Ok(None);
        }
        let fail = |e: ConnectError| ConnectError {
            message: format!(
                "Converting Kafka Connect data to byte[] failed for topic {topic}: {}",
                e.message
            ),
            kind: schemas::ErrorKind::Data,
            ..e
        };
        let mut out = Vec::with_capacity(256);
        if self.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            match &data.schema {
                Some(schema) => out.extend_from_slice(self.rendered_schema(schema).map_err(fail)?.as_bytes()),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
        }
        sjson::write_json(&mut out, data.schema.as_deref(), &data.value, &self.options).map_err(fail)?;
        if self.schemas_enable {
            out.push(b'}');
        }
        Ok(Some(Bytes::from(out)))
    }

    async fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<Option<Data>, ConnectError> {
        let Some(bytes) = bytes else { return Ok(None) };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        self.decode(bytes).map(Some).map_err(|e| ConnectError {
            message: format!(
                "Converting byte[] to Kafka Connect data failed for topic {topic}: {}",
                e.message
            ),
            kind: schemas::ErrorKind::Data,
            ..e
        })
    }
}

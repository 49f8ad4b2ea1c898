//! The Confluent REST Proxy v2 produce call: `POST /topics/{topic}`.
//!
//! The content type names the embedded format: `application/vnd.kafka.{json,binary,avro,
//! protobuf,jsonschema}.v2+json` (plain `application/json` and `application/vnd.kafka.v2+json`
//! are json, as the proxy treats them). json: a record's key and value are written as their
//! JSON text; binary: base64 text, written decoded; avro, protobuf, jsonschema: the proxy's JSON
//! form of the value for its schema (given by id, or inline and registered under
//! `{topic}-key` / `{topic}-value`), written as Confluent wire bytes by the converters'
//! `JsonWireSerializer`.
//!
//! Errors follow the proxy's codes where it has one: 40402 partition not found, 42201 / 42202
//! key / value schema missing, 42203 a record that does not convert (the message names the
//! record's index), 42205 an invalid schema. Where the proxy answers 200 with a per-record
//! `error_code` for a failed write, Weir refuses the whole request (503 / 500) instead: an
//! answer of 200 always means every record is written.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value as J, json};

use formats::JsonWireSerializer;
use formats::registry::{RegistryClientError, RegistryErrorKind, SchemaText};
use schemas::registry::SchemaType;

use super::http::{IngestError, read_body};
use crate::http::AppState;
use crate::log::{LogError, LogRecord};
use crate::runtime::Shared;

/// The embedded formats of the v2 API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddedFormat {
    Json,
    Binary,
    Avro,
    Protobuf,
    JsonSchema,
}

impl EmbeddedFormat {
    /// The registry's language of a schema format; None for json and binary.
    fn schema_type(self) -> Option<SchemaType> {
        match self {
            EmbeddedFormat::Avro => Some(SchemaType::Avro),
            EmbeddedFormat::Protobuf => Some(SchemaType::Protobuf),
            EmbeddedFormat::JsonSchema => Some(SchemaType::Json),
            EmbeddedFormat::Json | EmbeddedFormat::Binary => None,
        }
    }

    /// From the request's Content-Type; None for one the proxy does not take.
    pub fn from_content_type(content_type: Option<&str>) -> Option<EmbeddedFormat> {
        let essence = content_type
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())?;
        Some(match essence.as_str() {
            "application/json" | "application/vnd.kafka.v2+json" | "application/vnd.kafka.json.v2+json" => {
                EmbeddedFormat::Json
            }
            "application/vnd.kafka.binary.v2+json" => EmbeddedFormat::Binary,
            "application/vnd.kafka.avro.v2+json" => EmbeddedFormat::Avro,
            "application/vnd.kafka.protobuf.v2+json" => EmbeddedFormat::Protobuf,
            "application/vnd.kafka.jsonschema.v2+json" => EmbeddedFormat::JsonSchema,
            _ => return None,
        })
    }
}

#[derive(Debug, Deserialize)]
struct ProduceRequest {
    #[serde(default)]
    key_schema: Option<String>,
    #[serde(default)]
    key_schema_id: Option<i32>,
    #[serde(default)]
    value_schema: Option<String>,
    #[serde(default)]
    value_schema_id: Option<i32>,
    records: Vec<ProduceRecord>,
}

#[derive(Debug, Deserialize)]
struct ProduceRecord {
    #[serde(default)]
    key: Option<J>,
    #[serde(default)]
    value: Option<J>,
    #[serde(default)]
    partition: Option<i32>,
}

fn unprocessable(code: u32, message: impl Into<String>) -> IngestError {
    IngestError::new(StatusCode::UNPROCESSABLE_ENTITY, message).with_code(code)
}

pub async fn produce(
    State(state): State<AppState>,
    Path(topic): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, IngestError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let format = EmbeddedFormat::from_content_type(content_type).ok_or_else(|| {
        IngestError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "HTTP 415 Unsupported Media Type: {}; use application/vnd.kafka.{{json,binary,avro,protobuf,jsonschema}}.v2+json",
                content_type.unwrap_or("no Content-Type")
            ),
        )
    })?;
    let shared = state.runtime.shared().clone();
    let body = read_body(&headers, body, shared.worker.http_max_body_bytes).await?;
    let request: ProduceRequest = serde_json::from_slice(&body).map_err(|e| {
        IngestError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "malformed produce request: {}",
                schemas::json::describe_json_error(&e)
            ),
        )
    })?;
    let ids = match format.schema_type() {
        Some(schema_type) => Some(schema_ids(&shared, &topic, schema_type, &request).await?),
        None => None,
    };
    let serializer = match ids {
        Some(_) => Some(shared.ingest.serializer(&shared.converters)?),
        None => None,
    };
    let mut records = Vec::with_capacity(request.records.len());
    for (index, r) in request.records.into_iter().enumerate() {
        let (key, value) = match (&serializer, ids) {
            (Some(serializer), Some((key_id, value_id))) => (
                encode(serializer, key_id, r.key.as_ref())
                    .await
                    .map_err(|e| unprocessable(42203, format!("record {index}: key: {e}")))?,
                encode(serializer, value_id, r.value.as_ref())
                    .await
                    .map_err(|e| unprocessable(42203, format!("record {index}: value: {e}")))?,
            ),
            _ => (
                embedded_bytes(format, r.key.as_ref())
                    .map_err(|e| unprocessable(42203, format!("record {index}: key: {e}")))?,
                embedded_bytes(format, r.value.as_ref())
                    .map_err(|e| unprocessable(42203, format!("record {index}: value: {e}")))?,
            ),
        };
        records.push(LogRecord {
            partition: r.partition,
            key,
            value,
            ..LogRecord::default()
        });
    }
    check_partitions(&shared.log, &topic, &records, shared.worker.default_partitions).await?;
    let appended = shared.log.append(&topic, records).await.map_err(|e| match e {
        LogError::UnknownPartition { .. } => {
            IngestError::new(StatusCode::NOT_FOUND, "Partition not found.").with_code(40402)
        }
        LogError::InvalidTopic(_) => unprocessable(42200, e.to_string()),
        other => IngestError::from_log(other),
    })?;
    let offsets: Vec<J> = appended
        .iter()
        .map(|a| json!({"partition": a.partition, "offset": a.offset, "error_code": null, "error": null}))
        .collect();
    let (key_schema_id, value_schema_id) = ids.unwrap_or_default();
    let answer =
        json!({"key_schema_id": key_schema_id, "value_schema_id": value_schema_id, "offsets": offsets});
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/vnd.kafka.v2+json")],
        axum::Json(answer),
    )
        .into_response())
}

/// A record's key or value as the bytes written: JSON text (json) or base64-decoded (binary).
/// A JSON null or an absent field is no key / a null value.
fn embedded_bytes(format: EmbeddedFormat, v: Option<&J>) -> Result<Option<Bytes>, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    match format {
        EmbeddedFormat::Binary => {
            let text = v
                .as_str()
                .ok_or_else(|| "binary data must be a base64 string".to_owned())?;
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(|b| Some(Bytes::from(b)))
                .map_err(|e| format!("invalid base64: {e}"))
        }
        _ => serde_json::to_vec(v)
            .map(|b| Some(Bytes::from(b)))
            .map_err(|e| e.to_string()),
    }
}

/// Per-record partitions must exist: the proxy answers 404 / 40402 before writing anything.
/// A topic that does not exist yet is created with the worker's defaults by the append.
async fn check_partitions(
    log: &std::sync::Arc<dyn crate::log::Log>,
    topic: &str,
    records: &[LogRecord],
    default_partitions: i32,
) -> Result<(), IngestError> {
    if records.iter().all(|r| r.partition.is_none()) {
        return Ok(());
    }
    let partitions = log
        .topics()
        .await
        .map_err(IngestError::from_log)?
        .get(topic)
        .copied()
        .unwrap_or(default_partitions);
    match records
        .iter()
        .enumerate()
        .find(|(_, r)| r.partition.is_some_and(|p| p < 0 || p >= partitions))
    {
        Some((index, r)) => Err(IngestError::new(
            StatusCode::NOT_FOUND,
            format!(
                "Partition not found: record {index} asks for partition {} of topic {topic}, which has {partitions}",
                r.partition.unwrap_or_default()
            ),
        )
        .with_code(40402)),
        None => Ok(()),
    }
}

/// A key or value in the proxy's JSON form for its schema, as Confluent wire bytes. A null or
/// absent one is no key / a null value (no schema needed).
async fn encode(
    serializer: &JsonWireSerializer,
    id: Option<i32>,
    v: Option<&J>,
) -> Result<Option<Bytes>, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let id = id.ok_or_else(|| "no schema for it".to_owned())?;
    serializer.serialize(id, v).await.map(Some).map_err(|e| e.message)
}

/// The key and value schema ids of a request: given by id (it must exist), or registered from
/// the inline schema under `{topic}-key` / `{topic}-value` (the subject's compatibility level
/// decides). A request with keys (values) but no key (value) schema is the proxy's 42201 (42202).
async fn schema_ids(
    shared: &Shared,
    topic: &str,
    schema_type: SchemaType,
    request: &ProduceRequest,
) -> Result<(Option<i32>, Option<i32>), IngestError> {
    let registry = shared.converters.registry.clone().ok_or_else(|| {
        IngestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "this worker has no schema registry for the schema formats",
        )
    })?;
    let has = |f: fn(&ProduceRecord) -> &Option<J>| {
        request
            .records
            .iter()
            .any(|r| f(r).as_ref().is_some_and(|v| !v.is_null()))
    };
    let mut ids = [None, None];
    for (slot, (is_key, text, id)) in ids.iter_mut().zip([
        (true, &request.key_schema, request.key_schema_id),
        (false, &request.value_schema, request.value_schema_id),
    ]) {
        let what = if is_key { "key" } else { "value" };
        *slot = match (text, id) {
            (_, Some(id)) => {
                registry.schema_by_id(id).await.map_err(registry_error)?;
                Some(id)
            }
            (Some(text), None) => {
                let subject = format!("{topic}-{what}");
                let schema = SchemaText::new(schema_type, text.clone());
                Some(
                    registry
                        .register(&subject, &schema, false)
                        .await
                        .map_err(registry_error)?,
                )
            }
            (None, None) => {
                let needed = if is_key {
                    has(|r| &r.key)
                } else {
                    has(|r| &r.value)
                };
                if needed {
                    let (code, message) = if is_key {
                        (42201, "Request includes keys but does not include key schema")
                    } else {
                        (42202, "Request includes values but does not include value schema")
                    };
                    return Err(unprocessable(code, message));
                }
                None
            }
        };
    }
    Ok((ids[0], ids[1]))
}

/// A registry refusal as the proxy answers it.
fn registry_error(e: RegistryClientError) -> IngestError {
    match e.kind {
        RegistryErrorKind::NotFound => {
            IngestError::new(StatusCode::NOT_FOUND, e.message).with_code(e.code.unwrap_or(40403))
        }
        RegistryErrorKind::Incompatible => {
            IngestError::new(StatusCode::CONFLICT, e.message).with_code(e.code.unwrap_or(409))
        }
        RegistryErrorKind::Invalid => unprocessable(42205, format!("Invalid schema: {}", e.message)),
        RegistryErrorKind::Unavailable => IngestError::new(StatusCode::SERVICE_UNAVAILABLE, e.message),
    }
}

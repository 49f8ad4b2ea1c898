//! `POST /topics/{topic}` and `POST /topics/{topic}/partitions/{partition}`.
//!
//! The body is `{"key_schema"?, "key_schema_id"?, "value_schema"?, "value_schema_id"?,
//! "records": [{"key"?, "value"?, "partition"?}]}` (to a partition, the path names the
//! partition of the records without their own `partition`, as in the current proxy). Answers:
//! 200 `{"key_schema_id", "value_schema_id", "offsets": [{"partition", "offset", "error_code":
//! null, "error": null}]}` once every record is written; 400 a body that is not JSON or not of
//! that shape; 404 / 40402 a partition the topic lacks; 415 a content type the proxy refuses;
//! 422 / 422 no records or a negative partition; 422 / 42201, 42202 keys or values without a
//! schema; 422 / 42203 a record that does not convert (`record N: value: ...`); 422 / 42205 an
//! invalid schema (also one that registered but cannot be used, without blaming a record); 408
//! / 40801 a schema the registry refuses or an unknown schema id; 503 (with `Retry-After`) when
//! the registry or the log is unavailable, 500 when the log did not write.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use schemas::{ConnectError, ErrorKind};
use serde_json::{Map, Value as J, json};

use formats::JsonWireSerializer;

use super::schema::{SchemaIds, schema_ids};
use super::{EmbeddedFormat, ProxyError, answer};
use crate::http::AppState;
use crate::ingest::http::{IngestError, read_body};
use crate::log::{Log, LogError, LogRecord};

/// A parsed produce request.
#[derive(Debug, Default)]
pub(super) struct ProduceRequest {
    pub key_schema: Option<String>,
    pub key_schema_id: Option<i32>,
    pub value_schema: Option<String>,
    pub value_schema_id: Option<i32>,
    pub records: Vec<ProduceRecord>,
}

#[derive(Debug, Default)]
pub(super) struct ProduceRecord {
    /// None: no key (absent or JSON null).
    pub key: Option<J>,
    /// None: a null value (absent or JSON null).
    pub value: Option<J>,
    pub partition: Option<i32>,
}

impl ProduceRequest {
    pub fn has_keys(&self) -> bool {
        self.records.iter().any(|r| r.key.is_some())
    }

    pub fn has_values(&self) -> bool {
        self.records.iter().any(|r| r.value.is_some())
    }
}

pub(super) async fn to_topic(
    State(state): State<AppState>,
    Path(topic): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ProxyError> {
    produce(state, topic, None, headers, body).await
}

pub(super) async fn to_partition(
    State(state): State<AppState>,
    Path((topic, partition)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ProxyError> {
    // The proxy's path parameter is an int: anything else matches no route.
    let partition = partition.parse::<i32>().map_err(|_| {
        ProxyError::new(
            StatusCode::NOT_FOUND,
            404,
            format!("HTTP 404 Not Found: partition {partition:?} is not a number"),
        )
    })?;
    produce(state, topic, Some(partition), headers, body).await
}

async fn produce(
    state: AppState,
    topic: String,
    to_partition: Option<i32>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ProxyError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let format = EmbeddedFormat::from_content_type(content_type).ok_or_else(|| {
        ProxyError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            415,
            format!(
                "HTTP 415 Unsupported Media Type: {}; use application/vnd.kafka.{{binary,json,avro,protobuf,jsonschema}}.v2+json",
                content_type.unwrap_or("no Content-Type")
            ),
        )
    })?;
    let shared = state.runtime.shared().clone();
    let body = read_body(&headers, body, shared.worker.http_max_body_bytes).await?;
    let request = parse_request(&body)?;

    let ids = match format {
        EmbeddedFormat::Json | EmbeddedFormat::Binary => SchemaIds::default(),
        _ => schema_ids(&shared, &topic, format, &request).await?,
    };
    let serializer = if ids.key.is_some() || ids.value.is_some() {
        Some(shared.ingest.serializer(&shared.converters)?)
    } else {
        None
    };
    let mut records = Vec::with_capacity(request.records.len());
    for (index, r) in request.records.into_iter().enumerate() {
        let key = convert(format, serializer.as_deref(), ids.key, r.key)
            .await
            .map_err(|e| e.at(index, "key"))?;
        let value = convert(format, serializer.as_deref(), ids.value, r.value)
            .await
            .map_err(|e| e.at(index, "value"))?;
        records.push(LogRecord {
            // As the current proxy (`record.getPartition().orElse(partition)`): a record's own
            // partition wins over the path's.
            partition: r.partition.or(to_partition),
            key,
            value,
            ..LogRecord::default()
        });
    }
    check_partitions(&shared.log, &topic, &records, shared.worker.default_partitions).await?;
    let appended = shared.log.append(&topic, records).await.map_err(|e| match e {
        LogError::UnknownPartition { .. } => partition_not_found(e.to_string()),
        LogError::InvalidTopic(_) => ProxyError::new(StatusCode::UNPROCESSABLE_ENTITY, 422, e.to_string()),
        other => ProxyError(IngestError::from_log(other)),
    })?;
    let offsets: Vec<J> = appended
        .iter()
        .map(|a| json!({"partition": a.partition, "offset": a.offset, "error_code": null, "error": null}))
        .collect();
    Ok(answer(
        json!({"offsets": offsets, "key_schema_id": ids.key, "value_schema_id": ids.value}),
    ))
}

fn bad_request(message: impl Into<String>) -> ProxyError {
    ProxyError::new(StatusCode::BAD_REQUEST, 400, message)
}

fn partition_not_found(message: String) -> ProxyError {
    ProxyError::new(
        StatusCode::NOT_FOUND,
        40402,
        format!("Partition not found. {message}"),
    )
}

/// The body as a produce request. Like the proxy: a body that is not JSON, or JSON of another
/// shape, is 400; no records (or none at all) is 422, as is a negative partition. A schema
/// given as a JSON object rather than a string of JSON is taken as that schema; a schema id or
/// a partition given as a string of digits or a whole number written as a float (`7.0`) as that
/// integer, as the proxy's Jackson reads them.
pub(super) fn parse_request(body: &[u8]) -> Result<ProduceRequest, ProxyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ProxyError::unprocessable(
            "the request body is empty; a produce request has records",
        ));
    }
    let doc: J = serde_json::from_slice(body).map_err(|e| {
        bad_request(format!(
            "malformed produce request: {}",
            schemas::json::describe_json_error(&e)
        ))
    })?;
    let obj = match doc {
        J::Object(obj) => obj,
        J::Null => {
            return Err(ProxyError::unprocessable(
                "the request body is null; a produce request has records",
            ));
        }
        other => {
            return Err(bad_request(format!(
                "a produce request is a JSON object with records, not {}",
                kind(&other)
            )));
        }
    };
    let records = match obj.get("records") {
        None | Some(J::Null) => Vec::new(),
        Some(J::Array(records)) => records
            .iter()
            .enumerate()
            .map(|(i, r)| parse_record(i, r))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(bad_request(format!(
                "records must be an array, not {}",
                kind(other)
            )));
        }
    };
    if records.is_empty() {
        return Err(ProxyError::unprocessable("records must not be empty"));
    }
    Ok(ProduceRequest {
        key_schema: schema_text(&obj, "key_schema")?,
        key_schema_id: schema_id(&obj, "key_schema_id")?,
        value_schema: schema_text(&obj, "value_schema")?,
        value_schema_id: schema_id(&obj, "value_schema_id")?,
        records,
    })
}

fn parse_record(index: usize, r: &J) -> Result<ProduceRecord, ProxyError> {
    let J::Object(r) = r else {
        return Err(bad_request(format!(
            "records[{index}] must be an object with key, value (and partition), not {}",
            kind(r)
        )));
    };
    let field = |name: &str| r.get(name).filter(|v| !v.is_null()).cloned();
    let partition = match r.get("partition") {
        None | Some(J::Null) => None,
        Some(p) => {
            let p = integer(p).ok_or_else(|| {
                bad_request(format!(
                    "records[{index}].partition must be an integer, not {}",
                    not_integer(p)
                ))
            })?;
            if p < 0 {
                return Err(ProxyError::unprocessable(format!(
                    "records[{index}].partition must be greater than or equal to 0"
                )));
            }
            Some(
                i32::try_from(p)
                    .map_err(|_| partition_not_found(format!("records[{index}] asks for partition {p}")))?,
            )
        }
    };
    Ok(ProduceRecord {
        key: field("key"),
        value: field("value"),
        partition,
    })
}

fn schema_text(obj: &Map<String, J>, name: &str) -> Result<Option<String>, ProxyError> {
    match obj.get(name) {
        None | Some(J::Null) => Ok(None),
        Some(J::String(s)) => Ok(Some(s.clone())),
        Some(v @ (J::Object(_) | J::Array(_))) => Ok(Some(v.to_string())),
        Some(other) => Err(bad_request(format!(
            "{name} must be a string holding the schema, not {}",
            kind(other)
        ))),
    }
}

fn schema_id(obj: &Map<String, J>, name: &str) -> Result<Option<i32>, ProxyError> {
    let Some(v) = obj.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    integer(v)
        .and_then(|id| i32::try_from(id).ok())
        .map(Some)
        .ok_or_else(|| {
            bad_request(format!(
                "{name} must be an integer schema id, not {}",
                not_integer(v)
            ))
        })
}

/// An integer as the proxy's Jackson reads one for an int: a JSON integer, a number with no
/// fraction (`1.0`, `1e2`), or a string of digits (`"1"`, surrounding spaces ignored). A
/// fraction (`1.5`) is None: Jackson would drop it, which changes what the client asked for.
fn integer(v: &J) -> Option<i64> {
    match v {
        // `1.0` and `1e0` as Jackson takes them; `1.0000000000000001` is not a whole number.
        J::Number(n) => n
            .as_i64()
            .or_else(|| schemas::json::scalars::integral_literal(&n.to_string())),
        J::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

/// What a value [`integer`] refused is, for the message.
fn not_integer(v: &J) -> String {
    match v {
        J::Number(n) => format!("{n}"),
        J::String(s) => format!("the string {s:?}"),
        other => kind(other).to_owned(),
    }
}

fn kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "an array",
        J::Object(_) => "an object",
    }
}

/// Why a key or value did not convert, by whose fault: the record's data (422 / 42203 naming
/// the record), the schema (422 / 42205: it cannot be used, whichever record met it first), the
/// registry (503, retriable: it did not answer), or Weir (500).
#[derive(Debug)]
pub(super) enum ConvertError {
    Record(String),
    Schema(String),
    Unavailable(String),
    Internal(String),
}

impl ConvertError {
    fn conversion(message: impl Into<String>) -> ConvertError {
        ConvertError::Record(message.into())
    }

    /// A serializer's error, by its kind.
    pub(super) fn from_serializer(e: ConnectError) -> ConvertError {
        match e.kind {
            ErrorKind::Data => {
                ConvertError::Record(format!("Conversion of JSON to Object failed: {}", e.message))
            }
            ErrorKind::Schema => ConvertError::Schema(e.message),
            ErrorKind::Connection => ConvertError::Unavailable(e.message),
            _ if e.retriable => ConvertError::Unavailable(e.message),
            ErrorKind::Config | ErrorKind::Io | ErrorKind::Internal => ConvertError::Internal(e.message),
        }
    }

    /// The answer; `what` is `key` or `value`, `index` the record's position in the request.
    pub(super) fn at(self, index: usize, what: &str) -> ProxyError {
        match self {
            ConvertError::Record(message) => ProxyError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                42203,
                format!("record {index}: {what}: {message}"),
            ),
            ConvertError::Schema(message) => ProxyError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                42205,
                format!("Invalid schema: the {what} schema: {message}"),
            ),
            ConvertError::Unavailable(message) => ProxyError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                503,
                format!("the schema registry is unavailable: the {what} schema: {message}"),
            ),
            ConvertError::Internal(message) => ProxyError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                500,
                format!("the {what} schema: {message}"),
            ),
        }
    }
}

/// Base64 as the proxy's decoders read it: the standard alphabet, padding optional. (ASCII
/// whitespace, line breaks included, is taken out before decoding.)
const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// A record's key or value as the bytes written. None (absent or JSON null) is no key / a null
/// value, whatever the format. json: the JSON text; binary: base64-decoded; a schema format:
/// Confluent wire bytes for the schema id.
async fn convert(
    format: EmbeddedFormat,
    serializer: Option<&JsonWireSerializer>,
    id: Option<i32>,
    v: Option<J>,
) -> Result<Option<Bytes>, ConvertError> {
    let Some(v) = v else {
        return Ok(None);
    };
    match format {
        EmbeddedFormat::Binary => {
            let text = v.as_str().ok_or_else(|| {
                ConvertError::conversion(format!(
                    "binary data must be a base64 string, not {} (this is the binary embedded format; JSON data needs Content-Type application/vnd.kafka.json.v2+json)",
                    kind(&v)
                ))
            })?;
            let decoded = if text.bytes().any(|b| b.is_ascii_whitespace()) {
                let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
                LENIENT_BASE64.decode(compact)
            } else {
                LENIENT_BASE64.decode(text)
            };
            decoded
                .map(|b| Some(Bytes::from(b)))
                .map_err(|e| ConvertError::conversion(format!("invalid base64: {e}")))
        }
        EmbeddedFormat::Json => serde_json::to_vec(&v)
            .map(|b| Some(Bytes::from(b)))
            .map_err(|e| ConvertError::conversion(e.to_string())),
        EmbeddedFormat::Avro | EmbeddedFormat::Protobuf | EmbeddedFormat::JsonSchema => {
            // schema_ids refused a key (value) without a schema with 42201 (42202) already.
            let (Some(serializer), Some(id)) = (serializer, id) else {
                return Err(ConvertError::conversion("no schema for it"));
            };
            serializer
                .serialize(id, &v)
                .await
                .map(Some)
                .map_err(ConvertError::from_serializer)
        }
    }
}

/// Per-record partitions must exist: the proxy answers 404 / 40402 before writing anything.
/// A topic that does not exist yet is created with the worker's defaults by the append.
async fn check_partitions(
    log: &std::sync::Arc<dyn Log>,
    topic: &str,
    records: &[LogRecord],
    default_partitions: i32,
) -> Result<(), ProxyError> {
    if records.iter().all(|r| r.partition.is_none()) {
        return Ok(());
    }
    let partitions = log
        .topics()
        .await
        .map_err(|e| ProxyError(IngestError::from_log(e)))?
        .get(topic)
        .copied()
        .unwrap_or(default_partitions);
    match records
        .iter()
        .enumerate()
        .find_map(|(index, r)| r.partition.filter(|p| *p >= partitions).map(|p| (index, p)))
    {
        Some((index, p)) => Err(partition_not_found(format!(
            "record {index} asks for partition {p} of topic {topic}, which has {partitions}"
        ))),
        None => Ok(()),
    }
}

//! The Confluent REST Proxy v2 calls a producer makes: `POST /topics/{topic}`,
//! `POST /topics/{topic}/partitions/{partition}`, and the read-only topic calls made right
//! before producing (`GET /topics`, `GET /topics/{topic}`, `GET /topics/{topic}/partitions`,
//! `GET /topics/{topic}/partitions/{partition}` and its `/offsets`). docs/ingest.md lists every decision and every
//! place where Weir differs from the proxy.
//!
//! - [`produce`]: the request body, the embedded formats (json: JSON text; binary: base64;
//!   avro, protobuf, jsonschema: the proxy's JSON form for the schema, written as Confluent wire
//!   bytes by the converters' `JsonWireSerializer`), partitions, the append and the answer.
//! - [`schema`]: `key_schema` / `value_schema` (looked up, else registered under
//!   `{topic}-key` / `{topic}-value`) and `key_schema_id` / `value_schema_id`.
//! - [`topics`]: the topic and partition metadata calls.
//!
//! The content type names the embedded format; as the proxy documents, one that names none
//! (`application/vnd.kafka.v2+json`, `application/vnd.kafka+json`, `application/json`,
//! `application/octet-stream`, or no Content-Type at all) is binary. Every answer, errors
//! included, is `application/vnd.kafka.v2+json`; errors are `{"error_code", "message"}` with the
//! proxy's codes. Every record is converted before anything is written: one bad record writes
//! nothing, and a 200 always means every record was written.

mod produce;
mod schema;
mod topics;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::http::IngestError;
use crate::http::AppState;

/// The content type of every answer.
pub const V2_JSON: &str = "application/vnd.kafka.v2+json";

/// The REST Proxy's routes on the worker's listener.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/topics", get(topics::list))
        .route("/topics/{topic}", get(topics::topic).post(produce::to_topic))
        .route("/topics/{topic}/partitions", get(topics::partitions))
        .route(
            "/topics/{topic}/partitions/{partition}",
            get(topics::partition).post(produce::to_partition),
        )
        .route(
            "/topics/{topic}/partitions/{partition}/offsets",
            get(topics::offsets),
        )
}

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
    /// From the request's Content-Type: `application/vnd.kafka[.FORMAT][.v2]+json`, and the
    /// generic types the proxy takes as binary. None for a type the proxy refuses (415).
    pub fn from_content_type(content_type: Option<&str>) -> Option<EmbeddedFormat> {
        let Some(essence) = content_type
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
        else {
            // No Content-Type: the proxy reads the body as application/octet-stream.
            return Some(EmbeddedFormat::Binary);
        };
        if matches!(essence.as_str(), "application/json" | "application/octet-stream") {
            return Some(EmbeddedFormat::Binary);
        }
        let rest = essence
            .strip_prefix("application/vnd.kafka")?
            .strip_suffix("+json")?;
        let rest = rest.strip_suffix(".v2").unwrap_or(rest);
        Some(match rest {
            "" => EmbeddedFormat::Binary,
            ".binary" => EmbeddedFormat::Binary,
            ".json" => EmbeddedFormat::Json,
            ".avro" => EmbeddedFormat::Avro,
            ".protobuf" => EmbeddedFormat::Protobuf,
            ".jsonschema" => EmbeddedFormat::JsonSchema,
            _ => return None,
        })
    }

    /// The name in the proxy's content types.
    pub fn name(self) -> &'static str {
        match self {
            EmbeddedFormat::Json => "json",
            EmbeddedFormat::Binary => "binary",
            EmbeddedFormat::Avro => "avro",
            EmbeddedFormat::Protobuf => "protobuf",
            EmbeddedFormat::JsonSchema => "jsonschema",
        }
    }
}

/// An answer of the proxy's routes that is not a 200: the ingestion error shape
/// (`{"error_code", "message"}`, `Retry-After` where waiting helps), as
/// `application/vnd.kafka.v2+json`.
#[derive(Debug)]
pub struct ProxyError(pub IngestError);

impl ProxyError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> ProxyError {
        ProxyError(IngestError::new(status, message).with_code(code))
    }

    /// 404 / 40401, the proxy's "Topic not found."
    pub fn topic_not_found(topic: &str) -> ProxyError {
        ProxyError::new(
            StatusCode::NOT_FOUND,
            40401,
            format!("Topic not found. There is no topic {topic}"),
        )
    }

    /// 422 with the status as the code: the proxy's answer to a request that breaks a
    /// constraint (no records, a negative partition).
    pub fn unprocessable(message: impl Into<String>) -> ProxyError {
        ProxyError::new(StatusCode::UNPROCESSABLE_ENTITY, 422, message)
    }
}

impl From<IngestError> for ProxyError {
    fn from(e: IngestError) -> ProxyError {
        ProxyError(e)
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(V2_JSON));
        response
    }
}

/// A 200 with a JSON body, as `application/vnd.kafka.v2+json`.
pub fn answer(body: serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, V2_JSON)],
        axum::Json(body),
    )
        .into_response()
}

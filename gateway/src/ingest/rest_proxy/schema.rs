//! The key and value schemas of a produce request in a schema format (avro, protobuf,
//! jsonschema).
//!
//! - `key_schema_id` / `value_schema_id`: that registered schema (it must exist, and be of the
//!   content type's language).
//! - `key_schema` / `value_schema`: the schema's text; its id under `{topic}-key` /
//!   `{topic}-value` (the proxy's default TopicNameStrategy) when the subject has it already,
//!   else it is registered there and the subject's compatibility level decides.
//! - neither: keys (values) that are not null are the proxy's 42201 (42202).
//!
//! Registry refusals are answered with the proxy's codes: an invalid schema 422 / 42205; an
//! unknown id or a schema the subject refuses 408 / 40801 ("schema registration or lookup
//! failed"), the registry's own message and code in the message.

use axum::http::StatusCode;

use formats::registry::{RegistryClientError, RegistryErrorKind, SchemaRegistryClient, SchemaText};
use schemas::registry::SchemaType;

use super::produce::ProduceRequest;
use super::{EmbeddedFormat, ProxyError};
use crate::runtime::Shared;

/// The schema ids the records are written with (None: no schema, only null keys / values).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct SchemaIds {
    pub key: Option<i32>,
    pub value: Option<i32>,
}

pub(super) async fn schema_ids(
    shared: &Shared,
    topic: &str,
    format: EmbeddedFormat,
    request: &ProduceRequest,
) -> Result<SchemaIds, ProxyError> {
    let schema_type = match format {
        EmbeddedFormat::Avro => SchemaType::Avro,
        EmbeddedFormat::Protobuf => SchemaType::Protobuf,
        EmbeddedFormat::JsonSchema => SchemaType::Json,
        EmbeddedFormat::Json | EmbeddedFormat::Binary => return Ok(SchemaIds::default()),
    };
    let registry = shared.converters.registry.clone().ok_or_else(|| {
        ProxyError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "this worker has no schema registry for the schema formats",
        )
    })?;
    let wanted = Wanted {
        registry: registry.as_ref(),
        topic,
        format,
        schema_type,
    };
    Ok(SchemaIds {
        key: wanted
            .resolve(
                true,
                request.key_schema.as_deref(),
                request.key_schema_id,
                request.has_keys(),
            )
            .await?,
        value: wanted
            .resolve(
                false,
                request.value_schema.as_deref(),
                request.value_schema_id,
                request.has_values(),
            )
            .await?,
    })
}

struct Wanted<'a> {
    registry: &'a dyn SchemaRegistryClient,
    topic: &'a str,
    format: EmbeddedFormat,
    schema_type: SchemaType,
}

impl Wanted<'_> {
    async fn resolve(
        &self,
        is_key: bool,
        text: Option<&str>,
        id: Option<i32>,
        needed: bool,
    ) -> Result<Option<i32>, ProxyError> {
        let what = if is_key { "key" } else { "value" };
        if let Some(id) = id {
            let schema = self
                .registry
                .schema_by_id(id)
                .await
                .map_err(|e| registry_error(&format!("{what}_schema_id {id}"), e))?;
            if schema.schema_type != self.schema_type {
                return Err(ProxyError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    42205,
                    format!(
                        "Invalid schema: {what}_schema_id {id} is a {} schema; this request's content type is application/vnd.kafka.{}.v2+json, which takes {} schemas",
                        schema.schema_type,
                        self.format.name(),
                        self.schema_type
                    ),
                ));
            }
            return Ok(Some(id));
        }
        if let Some(text) = text {
            let subject = format!("{}-{what}", self.topic);
            let schema = SchemaText::new(self.schema_type, text.to_owned());
            let at = format!("{what}_schema (subject {subject})");
            return match self.registry.lookup(&subject, &schema, false).await {
                Ok(found) => Ok(Some(found.schema.id)),
                Err(e) if e.kind == RegistryErrorKind::NotFound => self
                    .registry
                    .register(&subject, &schema, false)
                    .await
                    .map(Some)
                    .map_err(|e| registry_error(&at, e)),
                Err(e) => Err(registry_error(&at, e)),
            };
        }
        if !needed {
            return Ok(None);
        }
        let (code, message) = if is_key {
            (
                42201,
                "Request includes keys but does not include key schema (key_schema or key_schema_id)",
            )
        } else {
            (
                42202,
                "Request includes values but does not include value schema (value_schema or value_schema_id)",
            )
        };
        Err(ProxyError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message))
    }
}

/// A registry refusal as the proxy answers it; `at` names the request field.
fn registry_error(at: &str, e: RegistryClientError) -> ProxyError {
    let registry_code = e
        .code
        .map(|c| format!(" (registry error_code {c})"))
        .unwrap_or_default();
    match e.kind {
        RegistryErrorKind::Invalid => ProxyError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42205,
            format!("Invalid schema: {at}: {}{registry_code}", e.message),
        ),
        RegistryErrorKind::NotFound | RegistryErrorKind::Incompatible => ProxyError::new(
            StatusCode::REQUEST_TIMEOUT,
            40801,
            format!(
                "Schema registration or lookup failed: {at}: {}{registry_code}",
                e.message
            ),
        ),
        RegistryErrorKind::Unavailable => ProxyError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            503,
            format!("the schema registry is unavailable: {at}: {}", e.message),
        ),
    }
}

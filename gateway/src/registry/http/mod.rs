//! Confluent Schema Registry's REST API over [`Registry`]: routes, the error shape, the body
//! extractor and content-type negotiation. Handlers are thin; the rules live in the service.
//!
//! What must stay true: every answer, errors and extractor rejections included, is
//! `{"error_code": N, "message": "..."}` with the status Confluent gives that code; bodies over
//! [`MAX_BODY_BYTES`] get 413; no input makes a handler panic.

mod schemas;
mod settings;
mod subjects;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use ::schemas::registry::service::{ErrorCode, RegistryError};

use super::Registry;

/// The largest request body the registry reads (Confluent's own default limit is in this range;
/// schemas larger than this are not schemas people write by hand).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

pub(crate) const V1_JSON: &str = "application/vnd.schemaregistry.v1+json";
const GENERIC_JSON: &str = "application/vnd.schemaregistry+json";
const PLAIN_JSON: &str = "application/json";

type AppState = Arc<Registry>;

/// The registry's routes, to be merged at the root of the worker's router.
pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/subjects", get(subjects::list))
        .route(
            "/subjects/{subject}",
            post(subjects::lookup).delete(subjects::delete_subject),
        )
        .route(
            "/subjects/{subject}/versions",
            get(subjects::versions).post(subjects::register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(subjects::version).delete(subjects::delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(subjects::version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(subjects::referenced_by),
        )
        .route("/schemas", get(schemas::list))
        .route("/schemas/types", get(schemas::types))
        .route("/schemas/ids/{id}", get(schemas::by_id))
        .route("/schemas/ids/{id}/schema", get(schemas::raw_by_id))
        .route("/schemas/ids/{id}/subjects", get(schemas::subjects))
        .route("/schemas/ids/{id}/versions", get(schemas::versions))
        .route("/schemas/guids/{guid}", get(schemas::by_guid))
        .route("/schemas/guids/{guid}/ids", get(schemas::guid_ids))
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(settings::check_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(settings::check_version),
        )
        .route(
            "/config",
            get(settings::get_global_config)
                .put(settings::put_global_config)
                .delete(settings::delete_global_config),
        )
        .route(
            "/config/{subject}",
            get(settings::get_config)
                .put(settings::put_config)
                .delete(settings::delete_config),
        )
        .route(
            "/mode",
            get(settings::get_global_mode)
                .put(settings::put_global_mode)
                .delete(settings::delete_global_mode),
        )
        .route(
            "/mode/{subject}",
            get(settings::get_mode)
                .put(settings::put_mode)
                .delete(settings::delete_mode),
        )
        .route("/contexts", get(settings::contexts))
        .route("/contexts/{context}", delete(settings::delete_context))
        .route(
            "/associations/resources/{namespace}/{topic}",
            get(settings::associations),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(negotiate))
        .with_state(registry)
}

/// Answers in the media type the client asked for among the three Confluent serves
/// (the v1 type when it names none of them).
async fn negotiate(request: Request, next: Next) -> Response {
    let wanted = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(|accept| {
            accept
                .split(',')
                .map(|part| part.split(';').next().unwrap_or_default().trim())
                .find(|m| [V1_JSON, GENERIC_JSON, PLAIN_JSON].contains(m))
                .map(str::to_string)
        });
    let mut response = next.run(request).await;
    let media = wanted.as_deref().unwrap_or(V1_JSON);
    if let Ok(value) = HeaderValue::from_str(media) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// The registry's error answer.
#[derive(Debug)]
pub struct ApiError(pub RegistryError);

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        ApiError(e)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: u32,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::warn!(error = %self.0, "schema registry request failed");
        }
        let body = ErrorBody {
            error_code: self.0.code.code(),
            message: &self.0.message,
        };
        (status, json_bytes(&body)).into_response()
    }
}

pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

fn json_bytes<T: Serialize>(value: &T) -> Bytes {
    // Serializing our own plain structs cannot fail; an empty object is the safe fallback.
    serde_json::to_vec(value)
        .map(Bytes::from)
        .unwrap_or_else(|_| Bytes::from_static(b"{}"))
}

/// A 200 answer with a JSON body.
pub(crate) fn reply<T: Serialize>(value: &T) -> Response {
    (StatusCode::OK, json_bytes(value)).into_response()
}

/// A JSON body in any of the accepted content types; rejections in the registry's shape.
pub(crate) struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(RegistryError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("Request body is larger than the limit of {MAX_BODY_BYTES} bytes"),
                ))
            } else {
                ApiError(RegistryError::bad_request(rejection.body_text()))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError(RegistryError::new(
                ErrorCode::UnprocessableEntity,
                "Request body is empty: a JSON object was expected",
            )));
        }
        serde_json::from_slice(&bytes).map(Body).map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                Category::Syntax | Category::Eof | Category::Io => {
                    ApiError(RegistryError::bad_request(format!("Invalid JSON body: {e}")))
                }
                Category::Data => ApiError(RegistryError::new(
                    ErrorCode::UnprocessableEntity,
                    format!("Unexpected request body: {e}"),
                )),
            }
        })
    }
}

/// Query parameters, leniently: a flag is true for `true` (any case) and `1`.
pub(crate) struct Params(pub HashMap<String, String>);

impl Params {
    pub fn flag(&self, name: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
    pub fn number(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                ApiError(RegistryError::bad_request(format!(
                    "Query parameter {name}={v:?} is not a number"
                )))
            }),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(map) =
            axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError(RegistryError::bad_request(e.body_text())))?;
        Ok(Params(map))
    }
}

/// `/{subject}/versions/{version}` paths: the subject and the version already parsed (42202
/// when it is not one), so the handlers of those paths do not each parse it.
pub(crate) struct VersionPath {
    pub subject: String,
    pub spec: ::schemas::registry::service::VersionSpec,
}

impl<S> axum::extract::FromRequestParts<S> for VersionPath
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let PathParams((subject, version)) =
            PathParams::<(String, String)>::from_request_parts(parts, state).await?;
        let spec = ::schemas::registry::service::VersionSpec::parse(&version).map_err(ApiError)?;
        Ok(VersionPath { subject, spec })
    }
}

/// Path parameters, with rejections (a bad percent-encoding) in the registry's error shape.
pub(crate) struct PathParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for PathParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|e| ApiError(RegistryError::bad_request(e.body_text())))
    }
}

//! The HTTP API: one axum router assembled from one `router()` per resource.
//!
//! - [`connectors`]: Kafka Connect's `/connectors` resource.
//! - [`plugins`]: the `/connector-plugins` resource.
//! - [`root`]: `GET /`, `/health`, `/metrics`.
//! - `crate::ingest::http`: `POST /ingest/{connector}` and `POST /topics/{topic}`.
//! - the schema registry's router (`crate::registry::http::router`) is merged in [`app`].
//!
//! Every error, including a rejected body or an unknown route, is `{"error_code", "message"}`
//! with the matching status ([`ApiError`]); bodies are read with [`ApiJson`] so malformed JSON
//! gets that shape too, with 400.

pub mod connectors;
pub mod plugins;
pub mod root;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::registry::Registry;
use crate::runtime::{Runtime, RuntimeError};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub runtime: Runtime,
}

/// The whole API on one router: Kafka Connect's resources, health and metrics, and (when
/// given) the schema registry, which brings its own state, body limit and content types.
pub fn app(runtime: Runtime, registry: Option<Arc<Registry>>) -> Router {
    let max_body = runtime.shared().worker.http_max_body_bytes;
    let state = AppState { runtime };
    let connect = Router::new()
        .merge(root::router())
        .merge(connectors::router())
        .merge(plugins::router())
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state.clone());
    // Pushes read their body themselves, up to the connector's own http.max.body.bytes.
    let ingest = crate::ingest::http::router()
        .layer(DefaultBodyLimit::disable())
        .with_state(state.clone());
    let connect = connect.merge(ingest);
    let app = match registry {
        Some(registry) => connect.merge(crate::registry::http::router(registry)),
        None => connect,
    };
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "HTTP 405 Method Not Allowed")
}

/// The one error shape: `{"error_code": <status>, "message": ".."}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), message = %self.message, "request failed");
        }
        let body = json!({"error_code": self.status.as_u16(), "message": self.message});
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> ApiError {
        let status = match &e {
            RuntimeError::NotFound(_) | RuntimeError::TaskNotFound { .. } => StatusCode::NOT_FOUND,
            RuntimeError::Conflict(_) => StatusCode::CONFLICT,
            RuntimeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RuntimeError::Store(_) | RuntimeError::Log(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

/// A JSON body. Unlike `axum::Json` it does not insist on a content type (curl's `--data`
/// sends form encoding by default, and Kafka Connect users rely on that working), and every
/// rejection is an [`ApiError`].
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            ApiError::new(
                status,
                format!("could not read the request body: {}", e.body_text()),
            )
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "the request body is empty; a JSON document is expected",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON in the request body: {e}")))
    }
}

#[cfg(test)]
mod tests;

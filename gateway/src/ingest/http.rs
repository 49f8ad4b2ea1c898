//! `POST /ingest/{connector}` on the worker's listener, and the REST Proxy's routes
//! (`super::rest_proxy`).
//!
//! Answers of a push (docs/ingest.md has the table):
//! 200 `{"accepted": N}` once written (with errors.tolerance=all also `"rejected"` and
//! `"errors"`); 400 `{"error_code": 400, "message", "errors": [{"index", "message"}]}` when
//! records are refused and nothing was written; 404 unknown connector; 400 a connector that is
//! not an HttpSource; 409 a PAUSED or STOPPED one; 413 a body over `http.max.body.bytes`;
//! 429 too many pushes in flight and 503 the log (or the connector's task) unavailable, both
//! with `Retry-After`.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use serde_json::json;
use sources::http::body::Framing;

use super::endpoint::{PushError, RecordError};
use crate::http::AppState;
use crate::log::LogError;
use crate::plugins::{self, HTTP_SOURCE};
use crate::state::TargetState;

/// Seconds a client is asked to wait after a 429 or 503.
const RETRY_AFTER_SECONDS: u64 = 1;

/// How long a request body may take to arrive.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Refused records listed in an answer at most (the count and the dead-letter queue have them
/// all): a push of a million bad records must not answer with a million messages.
const MAX_LISTED_ERRORS: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ingest/{connector}", post(ingest))
        .merge(super::rest_proxy::router())
}

/// An ingestion answer that is not a 200: the API's error shape, plus `errors` for refused
/// records and `Retry-After` where waiting helps.
#[derive(Debug)]
pub struct IngestError {
    pub status: StatusCode,
    /// Confluent-style code: the status, or a five-digit REST Proxy code.
    pub error_code: u32,
    pub message: String,
    pub errors: Option<Vec<RecordError>>,
    pub retry_after: bool,
}

impl IngestError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> IngestError {
        IngestError {
            status,
            error_code: u32::from(status.as_u16()),
            message: message.into(),
            errors: None,
            retry_after: matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            ),
        }
    }

    pub fn with_code(mut self, code: u32) -> IngestError {
        self.error_code = code;
        self
    }

    pub fn from_log(e: LogError) -> IngestError {
        match e {
            LogError::Unavailable(_) => IngestError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            LogError::RecordTooLarge { .. } => IngestError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            other => IngestError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), message = %self.message, "push not written");
        }
        let mut body = json!({"error_code": self.error_code, "message": self.message});
        if let Some(errors) = self.errors {
            body["errors"] = json!(errors);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}

impl From<PushError> for IngestError {
    fn from(e: PushError) -> IngestError {
        let message = e.to_string();
        match e {
            PushError::Body(_) => {
                let mut err = IngestError::new(StatusCode::BAD_REQUEST, message);
                err.errors = Some(Vec::new());
                err
            }
            PushError::Refused { mut errors, .. } => {
                let mut err = IngestError::new(StatusCode::BAD_REQUEST, message);
                errors.truncate(MAX_LISTED_ERRORS);
                err.errors = Some(errors);
                err
            }
            PushError::Busy(_) => IngestError::new(StatusCode::TOO_MANY_REQUESTS, message),
            PushError::Closed(_) => IngestError::new(StatusCode::CONFLICT, message),
            PushError::Log(e) => IngestError::from_log(e),
            PushError::Unavailable(_) => IngestError::new(StatusCode::SERVICE_UNAVAILABLE, message),
            PushError::Internal(_) => IngestError::new(StatusCode::INTERNAL_SERVER_ERROR, message),
            PushError::SchemaRefused(_) => IngestError::new(StatusCode::UNPROCESSABLE_ENTITY, message),
        }
    }
}

async fn ingest(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, IngestError> {
    let Some(endpoint) = state.runtime.shared().ingest.get(&connector) else {
        return Err(not_open(&state, &connector));
    };
    let permit = endpoint.admit()?;
    let body = read_body(&headers, body, endpoint.max_body_bytes()).await?;
    let framing = Framing::from_content_type(headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()));
    // The push runs on a task of its own: a client that disconnects mid-push must not cancel
    // it between the dead-letter append and the topic append (the permit goes with it, so the
    // endpoint's close still waits for it).
    let handle = tokio::spawn(async move {
        let _permit = permit;
        endpoint.push(&body, framing).await
    });
    let pushed = handle.await.map_err(|e| {
        IngestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the push failed unexpectedly: {e}"),
        )
    })??;
    let answer = if pushed.tolerate_errors {
        let listed = &pushed.rejected[..pushed.rejected.len().min(MAX_LISTED_ERRORS)];
        json!({"accepted": pushed.accepted, "rejected": pushed.rejected.len(), "errors": listed})
    } else {
        json!({"accepted": pushed.accepted})
    };
    Ok((StatusCode::OK, axum::Json(answer)).into_response())
}

/// Why a connector has no open endpoint, as the answer.
fn not_open(state: &AppState, connector: &str) -> IngestError {
    let runtime = &state.runtime;
    let found = runtime.connectors.lock().get(connector).map(|e| {
        let class = e.config.get("connector.class").cloned().unwrap_or_default();
        let is_http = plugins::find(&class).is_some_and(|p| p.alias == HTTP_SOURCE);
        // The task's status, or the connector's when it has no task (it failed to start).
        let task_state = e
            .tasks
            .first()
            .map(|t| t.status.lock().clone())
            .or_else(|| Some(e.status.clone()).filter(|s| s.trace.is_some()));
        (class, is_http, e.target, task_state)
    });
    match found {
        None => IngestError::new(StatusCode::NOT_FOUND, format!("Connector {connector} not found")),
        Some((class, false, _, _)) => IngestError::new(
            StatusCode::BAD_REQUEST,
            format!("connector {connector} is a {class}; only HttpSource connectors accept pushes"),
        ),
        Some((_, true, TargetState::Paused | TargetState::Stopped, _)) => {
            let target = runtime.target(connector).map(|t| t.as_str()).unwrap_or("PAUSED");
            IngestError::new(
                StatusCode::CONFLICT,
                format!("connector {connector} is {target}; resume it to push records"),
            )
        }
        Some((_, true, TargetState::Running, task)) => {
            let why = match task {
                Some(s) if s.state.as_str() == "FAILED" => {
                    format!("its task FAILED: {}", s.trace.unwrap_or_default())
                }
                Some(s) => format!("its task is {}", s.state.as_str()),
                None => "it has no task".to_owned(),
            };
            IngestError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("connector {connector} is not accepting pushes: {why}"),
            )
        }
    }
}

/// The body, refused with 413 beyond `limit` (from Content-Length before reading anything,
/// else while reading).
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, IngestError> {
    let too_large = || {
        IngestError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than http.max.body.bytes ({limit} bytes)"),
        )
    };
    if let Some(encoding) = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
    {
        return Err(IngestError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Encoding {encoding} is not supported: send the body uncompressed"),
        ));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut buf = BytesMut::with_capacity(declared.unwrap_or(8192).min(limit));
    let mut stream = body.into_data_stream();
    // A client that trickles its body would hold an in-flight slot of its connector for as
    // long as it likes: the whole body must arrive within BODY_READ_TIMEOUT.
    let deadline = tokio::time::Instant::now() + BODY_READ_TIMEOUT;
    loop {
        let chunk = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(_) => {
                return Err(IngestError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the request body did not arrive within {} s; nothing was written",
                        BODY_READ_TIMEOUT.as_secs()
                    ),
                ));
            }
        };
        let chunk = chunk.map_err(|e| {
            IngestError::new(
                StatusCode::BAD_REQUEST,
                format!("could not read the request body: {e}"),
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

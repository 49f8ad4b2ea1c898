//! `GET /` (version), `GET /health` and `GET /metrics` (Prometheus text).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(version))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
}

async fn version() -> Response {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("WEIR_GIT_COMMIT").unwrap_or("unknown"),
        "kafka_cluster_id": "weir-embedded",
    }))
    .into_response()
}

async fn health() -> Response {
    Json(json!({
        "status": "healthy",
        "message": "Worker has completed startup and is ready to handle requests.",
    }))
    .into_response()
}

async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.runtime.shared().metrics.render(),
    )
        .into_response()
}

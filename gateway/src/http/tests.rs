//! Router tests: the real app over a real state store and embedded log in a temp dir, driven
//! with `oneshot` (no socket).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::app;
use crate::config::WorkerConfig;
use crate::log::Log;
use crate::log::embedded::{EmbeddedLog, EmbeddedLogConfig};
use crate::metrics::Metrics;
use crate::runtime::status::StatusWriter;
use crate::runtime::{Runtime, Shared};
use crate::state::StateStore;

async fn runtime(dir: &std::path::Path) -> Runtime {
    let worker = WorkerConfig::from_properties(Default::default()).unwrap();
    let store = StateStore::open(dir).await.unwrap();
    let log = EmbeddedLog::open(EmbeddedLogConfig::new(dir.join("log")))
        .await
        .unwrap();
    Runtime::new(Shared {
        store: store.clone(),
        log: log as Arc<dyn Log>,
        worker: Arc::new(worker),
        worker_id: "test:0".into(),
        metrics: Arc::new(Metrics::new()),
        statuses: StatusWriter::spawn(store, "test:0".into()),
        ingest: Default::default(),
        converters: formats::ConverterContext::default(),
    })
}

async fn call(rt: &Runtime, method: Method, path: &str, body: Option<&str>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.map(|b| Body::from(b.to_owned())).unwrap_or_else(Body::empty))
        .unwrap();
    let resp = app(rt.clone(), None).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, value)
}

#[tokio::test]
async fn create_conflict_get_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let body = json!({"name": "src", "config": {"connector.class": "FileStreamSource",
        "file": dir.path().join("in.txt").display().to_string(), "topic": "t"}})
    .to_string();
    let (status, created) = call(&rt, Method::POST, "/connectors", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["config"]["name"], "src");
    assert_eq!(created["type"], "source");
    let (status, err) = call(&rt, Method::POST, "/connectors", Some(&body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        err,
        json!({"error_code": 409, "message": "Connector src already exists"})
    );
    let (status, list) = call(&rt, Method::GET, "/connectors", None).await;
    assert_eq!((status, list), (StatusCode::OK, json!(["src"])));
    let (status, _) = call(&rt, Method::DELETE, "/connectors/src", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, err) = call(&rt, Method::GET, "/connectors/src/status", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["message"], "Connector src not found");
}

#[tokio::test]
async fn rejected_bodies_use_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let (status, err) = call(&rt, Method::POST, "/connectors", Some("{\"name\": ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error_code"], 400);
    assert!(
        err["message"].as_str().unwrap().contains("malformed JSON"),
        "{err}"
    );
    let (status, err) = call(&rt, Method::POST, "/connectors", None).await;
    assert_eq!(
        (status, err["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!(400))
    );
    let body =
        json!({"name": "k", "config": {"connector.class": "FileStreamSink", "file": "/tmp/o"}}).to_string();
    let (status, err) = call(&rt, Method::POST, "/connectors", Some(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(err["message"].as_str().unwrap().contains("topics"), "{err}");
    let (status, err) = call(&rt, Method::GET, "/no/such/route", None).await;
    assert_eq!(
        (status, err["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(404))
    );
    let (status, err) = call(&rt, Method::DELETE, "/connector-plugins", None).await;
    assert_eq!(
        (status, err["error_code"].clone()),
        (StatusCode::METHOD_NOT_ALLOWED, json!(405))
    );
}

#[tokio::test]
async fn stopped_connectors_have_no_tasks_and_accept_offset_changes() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let body =
        json!({"name": "src", "initial_state": "STOPPED", "config": {"connector.class": "FileStreamSource",
        "file": "/tmp/in.txt", "topic": "t"}})
        .to_string();
    let (status, created) = call(&rt, Method::POST, "/connectors", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["tasks"], json!([]));
    let (_, status_body) = call(&rt, Method::GET, "/connectors/src/status", None).await;
    assert_eq!(status_body["connector"]["state"], "STOPPED");
    let patch = json!({"offsets": [{"partition": {"filename": "/tmp/in.txt"}, "offset": {"position": 7}}]})
        .to_string();
    let (status, answer) = call(&rt, Method::PATCH, "/connectors/src/offsets", Some(&patch)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, offsets) = call(&rt, Method::GET, "/connectors/src/offsets", None).await;
    assert_eq!(offsets["offsets"][0]["offset"]["position"], 7);
    let (status, _) = call(&rt, Method::DELETE, "/connectors/src/offsets", None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, offsets) = call(&rt, Method::GET, "/connectors/src/offsets", None).await;
    assert_eq!(offsets, json!({"offsets": []}));
}

#[tokio::test]
async fn validate_answers_config_infos() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let (status, report) = call(
        &rt,
        Method::PUT,
        "/connector-plugins/FileStreamSource/config/validate",
        Some(r#"{"file": "/tmp/x"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["name"],
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    );
    assert_eq!(report["error_count"], 1, "{report}");
    let (status, err) = call(&rt, Method::GET, "/connector-plugins/Nope/config", None).await;
    assert_eq!(
        (status, err["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(404))
    );
}

//! The push path in process: the real router, runtime, state store and embedded log in a temp
//! dir, driven with `oneshot`. What needs the log's own view (dead-letter headers) or a state
//! that is hard to reach over a socket (a full in-flight bound, a closed log) is tested here;
//! the rest end to end in `tests/tests/http_ingest.rs`.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::log::ConsumedRecord;
use crate::runtime::Runtime;
use crate::runtime::tests::{read_all, runtime_with};

async fn http_source(rt: &Runtime, extra: &[(&str, &str)]) {
    let mut config: BTreeMap<String, String> = [
        ("connector.class", "HttpSource"),
        ("topic", "t"),
        ("value.schema.infer", "true"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    config.insert("name".into(), "in".into());
    rt.create("in", config, None).await.unwrap();
    for _ in 0..100 {
        if rt.shared().ingest.get("in").is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the endpoint did not open");
}

/// Status, Retry-After and the JSON body of one push.
async fn push(rt: &Runtime, body: &str, content_type: &str) -> (StatusCode, Option<String>, Value) {
    let req = Request::builder()
        .method("POST")
        .uri("/ingest/in")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .unwrap();
    let resp = crate::http::app(rt.clone(), None).oneshot(req).await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, retry, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn dead_letters_keep_the_pushed_bytes_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, log) = runtime_with(dir.path(), &[]).await;
    http_source(
        &rt,
        &[
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", "dlq"),
        ],
    )
    .await;
    let (status, _, body) = push(
        &rt,
        "{\"n\": 1}\n{\"n\": \"one\"}\n{oops\n",
        "application/x-ndjson",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["accepted"].clone(), body["rejected"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(read_all(&log, "t", 1).await.len(), 1);
    let dead = read_all(&log, "dlq", 2).await;
    assert_eq!(dead.len(), 2);
    let header = |r: &ConsumedRecord, k: &str| {
        r.headers
            .iter()
            .find(|(name, _)| name == &format!("__connect.errors.{k}"))
            .and_then(|(_, v)| v.clone())
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default()
    };
    assert_eq!(dead[0].value.as_deref(), Some(&b"{\"n\": \"one\"}"[..]));
    assert_eq!(header(&dead[0], "topic"), "t");
    assert_eq!(header(&dead[0], "connector.name"), "in");
    assert_eq!(header(&dead[0], "task.id"), "0");
    assert_eq!(header(&dead[0], "stage"), "VALUE_CONVERTER");
    assert_eq!(
        header(&dead[0], "exception.class.name"),
        "org.apache.kafka.connect.errors.DataException"
    );
    assert!(header(&dead[0], "exception.message").contains("field n"));
    assert_eq!(
        header(&dead[0], "class.name"),
        "org.apache.kafka.connect.json.JsonConverter"
    );
    assert_eq!(dead[1].value.as_deref(), Some(&b"{oops"[..]));
    assert_eq!(header(&dead[1], "stage"), "TASK_POLL");
    assert_eq!(header(&dead[1], "class.name"), "HttpSource");
}

#[tokio::test]
async fn dead_letters_carry_no_headers_when_context_headers_are_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, log) = runtime_with(dir.path(), &[]).await;
    http_source(
        &rt,
        &[
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", "dlq"),
            ("errors.deadletterqueue.context.headers.enable", "false"),
        ],
    )
    .await;
    let (status, _, body) = push(&rt, "{\"n\": 1}\n{\"n\": \"one\"}\n", "application/x-ndjson").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let dead = read_all(&log, "dlq", 1).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].value.as_deref(), Some(&b"{\"n\": \"one\"}"[..]));
    assert!(dead[0].headers.is_empty(), "{:?}", dead[0].headers);
}

#[tokio::test]
async fn a_refused_push_lists_at_most_a_thousand_records_and_counts_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, log) = runtime_with(dir.path(), &[]).await;
    http_source(&rt, &[]).await;
    let body = format!("[{{\"n\": 1}}, {}]", vec!["2"; 5000].join(","));
    let (status, _, answer) = push(&rt, &body, "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["errors"].as_array().unwrap().len(), 1000);
    assert_eq!(answer["errors"][0]["index"], 1);
    assert!(
        answer["message"].as_str().unwrap().starts_with("5000 of 5001"),
        "{}",
        answer["message"]
    );
    assert!(read_all(&log, "t", 0).await.is_empty());
}

#[tokio::test]
async fn a_full_connector_answers_429_and_a_closed_log_503_both_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, log) = runtime_with(dir.path(), &[]).await;
    http_source(&rt, &[("http.max.inflight.requests", "1")]).await;
    let endpoint = rt.shared().ingest.get("in").unwrap();
    let held = endpoint.admit().unwrap();
    let (status, retry, body) = push(&rt, "[{\"n\": 1}]", "application/json").await;
    assert_eq!(
        (status, retry.as_deref()),
        (StatusCode::TOO_MANY_REQUESTS, Some("1")),
        "{body}"
    );
    assert_eq!(body["error_code"], 429);
    drop(held);

    log.close().await;
    let (status, retry, body) = push(&rt, "[{\"n\": 1}]", "application/json").await;
    assert_eq!(
        (status, retry.as_deref()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("1")),
        "{body}"
    );
    assert_eq!(body["error_code"], 503);
}

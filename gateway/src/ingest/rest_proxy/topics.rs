//! The v2 topic metadata calls: `GET /topics` (the names), `GET /topics/{topic}` (`{"name",
//! "configs", "partitions"}`), `GET /topics/{topic}/partitions` and
//! `GET /topics/{topic}/partitions/{partition}` (`{"partition", "leader", "replicas":
//! [{"broker", "leader", "in_sync"}]}`). An unknown topic is 404 / 40401, an unknown partition
//! 404 / 40402. `GET /topics/{topic}/partitions/{partition}/offsets` answers
//! `{"beginning_offset", "end_offset"}`. On the embedded log one broker, id 0, leads every partition; on Kafka the
//! cluster's metadata answers. `configs` is empty: Weir does not read topic configs.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value as J, json};

use super::{ProxyError, answer};
use crate::http::AppState;
use crate::ingest::http::IngestError;
use crate::log::PartitionInfo;

fn log_error(e: crate::log::LogError) -> ProxyError {
    ProxyError(IngestError::from_log(e))
}

pub(super) async fn list(State(state): State<AppState>) -> Result<Response, ProxyError> {
    let topics = state.runtime.shared().log.topics().await.map_err(log_error)?;
    Ok(answer(json!(topics.keys().collect::<Vec<_>>())))
}

async fn partitions_of(state: &AppState, topic: &str) -> Result<Vec<PartitionInfo>, ProxyError> {
    state
        .runtime
        .shared()
        .log
        .partitions(topic)
        .await
        .map_err(log_error)?
        .ok_or_else(|| ProxyError::topic_not_found(topic))
}

fn partition_json(p: &PartitionInfo) -> J {
    let replicas: Vec<J> = p
        .replicas
        .iter()
        .map(|b| json!({"broker": b, "leader": *b == p.leader, "in_sync": p.in_sync.contains(b)}))
        .collect();
    json!({"partition": p.partition, "leader": p.leader, "replicas": replicas})
}

pub(super) async fn topic(
    State(state): State<AppState>,
    Path(topic): Path<String>,
) -> Result<Response, ProxyError> {
    let partitions = partitions_of(&state, &topic).await?;
    Ok(answer(json!({
        "name": topic,
        "configs": {},
        "partitions": partitions.iter().map(partition_json).collect::<Vec<_>>(),
    })))
}

pub(super) async fn partitions(
    State(state): State<AppState>,
    Path(topic): Path<String>,
) -> Result<Response, ProxyError> {
    let partitions = partitions_of(&state, &topic).await?;
    Ok(answer(json!(
        partitions.iter().map(partition_json).collect::<Vec<_>>()
    )))
}

/// The partition the path names, or the proxy's 404 / 40401 (topic) or 40402 (partition).
async fn find_partition(state: &AppState, topic: &str, partition: &str) -> Result<PartitionInfo, ProxyError> {
    let partitions = partitions_of(state, topic).await?;
    partition
        .parse::<i32>()
        .ok()
        .and_then(|n| partitions.iter().find(|p| p.partition == n))
        .cloned()
        .ok_or_else(|| {
            ProxyError::new(
                StatusCode::NOT_FOUND,
                40402,
                format!(
                    "Partition not found. Topic {topic} has no partition {partition} (it has {})",
                    partitions.len()
                ),
            )
        })
}

pub(super) async fn partition(
    State(state): State<AppState>,
    Path((topic, partition)): Path<(String, String)>,
) -> Result<Response, ProxyError> {
    let p = find_partition(&state, &topic, &partition).await?;
    Ok(answer(partition_json(&p)))
}

/// `GET /topics/{topic}/partitions/{partition}/offsets`: `{"beginning_offset", "end_offset"}`
/// (the earliest retained offset and the next offset to be written).
pub(super) async fn offsets(
    State(state): State<AppState>,
    Path((topic, partition)): Path<(String, String)>,
) -> Result<Response, ProxyError> {
    let p = find_partition(&state, &topic, &partition).await?;
    let (beginning, end) = state
        .runtime
        .shared()
        .log
        .partition_offsets(&topic, p.partition)
        .await
        .map_err(log_error)?;
    Ok(answer(json!({"beginning_offset": beginning, "end_offset": end})))
}

//! The offsets API (Kafka's KIP-875): read any time, alter or reset only when STOPPED.
//!
//! Source offsets live in the state store (`{"partition": {..}, "offset": {..}}` as the source
//! wrote them). Sink offsets are the committed offsets of consumer group `connect-{name}` in
//! the log, shown as `{"kafka_topic", "kafka_partition"}` / `{"kafka_offset"}`.

use std::collections::BTreeMap;

use schemas::TopicPartition;
use serde_json::{Map, Value as Json, json};

use super::{Runtime, RuntimeError, RuntimeResult};
use crate::plugins::ConnectorType;
use crate::state::TargetState;

type JsonMap = Map<String, Json>;

fn bad(message: impl Into<String>) -> RuntimeError {
    RuntimeError::BadRequest(message.into())
}

impl Runtime {
    fn kind(&self, name: &str) -> RuntimeResult<ConnectorType> {
        self.connectors
            .lock()
            .get(name)
            .map(|e| e.kind)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))
    }

    fn ensure_stopped(&self, name: &str) -> RuntimeResult<()> {
        if self.target(name)? != TargetState::Stopped
            || self
                .connectors
                .lock()
                .get(name)
                .is_some_and(|e| !e.tasks.is_empty())
        {
            return Err(bad(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done \
                 for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(())
    }

    /// `GET /connectors/{name}/offsets`.
    pub async fn offsets(&self, name: &str) -> RuntimeResult<Json> {
        let offsets: Vec<Json> = match self.kind(name)? {
            ConnectorType::Source => self
                .shared
                .store
                .source_offsets(name)
                .await?
                .into_iter()
                .map(|p| json!({"partition": p.partition, "offset": p.offset}))
                .collect(),
            ConnectorType::Sink => self
                .shared
                .log
                .committed(&format!("connect-{name}"))
                .await?
                .into_iter()
                .map(|(tp, offset)| {
                    json!({
                        "partition": {"kafka_topic": tp.topic, "kafka_partition": tp.partition},
                        "offset": {"kafka_offset": offset},
                    })
                })
                .collect(),
        };
        Ok(json!({ "offsets": offsets }))
    }

    /// `PATCH /connectors/{name}/offsets`.
    pub async fn alter_offsets(&self, name: &str, body: &Json) -> RuntimeResult<Json> {
        let _guard = self.lifecycle.lock().await;
        let kind = self.kind(name)?;
        self.ensure_stopped(name)?;
        let entries = body.get("offsets").and_then(Json::as_array).ok_or_else(|| {
            bad("The request body must have an \"offsets\" array of {\"partition\", \"offset\"} entries")
        })?;
        match kind {
            ConnectorType::Source => {
                let mut changes: Vec<(JsonMap, Option<JsonMap>)> = Vec::new();
                for (i, entry) in entries.iter().enumerate() {
                    let partition = entry
                        .get("partition")
                        .and_then(Json::as_object)
                        .ok_or_else(|| bad(format!("offsets[{i}].partition must be a JSON object")))?;
                    let offset = match entry.get("offset") {
                        None | Some(Json::Null) => None,
                        Some(Json::Object(o)) => Some(o.clone()),
                        Some(_) => {
                            return Err(bad(format!("offsets[{i}].offset must be a JSON object or null")));
                        }
                    };
                    changes.push((partition.clone(), offset));
                }
                self.shared.store.alter_source_offsets(name, &changes).await?;
            }
            ConnectorType::Sink => {
                let mut changes: BTreeMap<TopicPartition, Option<i64>> = BTreeMap::new();
                for (i, entry) in entries.iter().enumerate() {
                    let (tp, offset) = sink_offset(i, entry)?;
                    changes.insert(tp, offset);
                }
                self.shared
                    .log
                    .set_committed(&format!("connect-{name}"), changes)
                    .await?;
            }
        }
        Ok(json!({"message": "The offsets for this connector have been altered successfully"}))
    }

    /// `DELETE /connectors/{name}/offsets`.
    pub async fn reset_offsets(&self, name: &str) -> RuntimeResult<Json> {
        let _guard = self.lifecycle.lock().await;
        let kind = self.kind(name)?;
        self.ensure_stopped(name)?;
        match kind {
            ConnectorType::Source => self.shared.store.delete_source_offsets(name).await?,
            ConnectorType::Sink => self.shared.log.delete_group(&format!("connect-{name}")).await?,
        }
        Ok(json!({"message": "The offsets for this connector have been reset successfully"}))
    }
}

fn sink_offset(i: usize, entry: &Json) -> RuntimeResult<(TopicPartition, Option<i64>)> {
    let partition = entry
        .get("partition")
        .and_then(Json::as_object)
        .ok_or_else(|| bad(format!("offsets[{i}].partition must be a JSON object")))?;
    let topic = partition
        .get("kafka_topic")
        .and_then(Json::as_str)
        .ok_or_else(|| bad(format!("offsets[{i}].partition.kafka_topic must be a string")))?;
    let part = partition
        .get("kafka_partition")
        .and_then(Json::as_i64)
        .and_then(|p| i32::try_from(p).ok())
        .filter(|p| *p >= 0)
        .ok_or_else(|| {
            bad(format!(
                "offsets[{i}].partition.kafka_partition must be a partition number"
            ))
        })?;
    let offset = match entry.get("offset") {
        None | Some(Json::Null) => None,
        Some(Json::Object(o)) => Some(
            o.get("kafka_offset")
                .and_then(Json::as_i64)
                .filter(|o| *o >= 0)
                .ok_or_else(|| {
                    bad(format!(
                        "offsets[{i}].offset.kafka_offset must be a non-negative number"
                    ))
                })?,
        ),
        Some(_) => return Err(bad(format!("offsets[{i}].offset must be a JSON object or null"))),
    };
    Ok((
        TopicPartition {
            topic: topic.to_owned(),
            partition: part,
        },
        offset,
    ))
}

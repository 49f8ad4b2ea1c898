//! The read side of the runtime, as Kafka Connect's JSON: `ConnectorInfo`, `ConnectorStateInfo`,
//! `TaskInfo`, active topics. Reads take the connector map's lock briefly and never wait.

use serde_json::{Map, Value as Json, json};

use super::status::Status;
use super::{Runtime, RuntimeError, RuntimeResult};

impl Runtime {
    /// `ConnectorInfo`: name, config, tasks, type.
    pub fn info(&self, name: &str) -> RuntimeResult<Json> {
        let map = self.connectors.lock();
        let entry = map
            .get(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        let tasks: Vec<Json> = entry
            .tasks
            .iter()
            .map(|t| json!({"connector": name, "task": t.id}))
            .collect();
        Ok(json!({
            "name": name,
            "config": entry.config,
            "tasks": tasks,
            "type": entry.kind.as_str(),
        }))
    }

    /// `ConnectorStateInfo`: the connector's and its tasks' states.
    pub fn status(&self, name: &str) -> RuntimeResult<Json> {
        let map = self.connectors.lock();
        let entry = map
            .get(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        let worker_id = self.worker_id();
        let tasks: Vec<Json> = entry
            .tasks
            .iter()
            .map(|t| {
                let mut task = Map::new();
                task.insert("id".to_owned(), json!(t.id));
                task.extend(state_json(&t.status.lock(), worker_id));
                Json::Object(task)
            })
            .collect();
        // Kafka's field order: name, connector, tasks, type.
        Ok(json!({
            "name": name,
            "connector": Json::Object(state_json(&entry.status, worker_id)),
            "tasks": tasks,
            "type": entry.kind.as_str(),
        }))
    }

    /// `GET /connectors/{name}/tasks/{id}/status`.
    pub fn task_status(&self, name: &str, id: u32) -> RuntimeResult<Json> {
        let map = self.connectors.lock();
        let entry = map
            .get(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        let slot = entry
            .tasks
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| RuntimeError::TaskNotFound {
                connector: name.to_owned(),
                task: id,
            })?;
        let mut out = Map::new();
        out.insert("id".to_owned(), json!(id));
        out.extend(state_json(&slot.status.lock(), self.worker_id()));
        Ok(Json::Object(out))
    }

    /// `GET /connectors/{name}/tasks`: each task's id and config.
    pub fn tasks(&self, name: &str) -> RuntimeResult<Json> {
        let map = self.connectors.lock();
        let entry = map
            .get(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        let class = entry.config.get("connector.class").cloned().unwrap_or_default();
        Ok(Json::Array(
            entry
                .tasks
                .iter()
                .map(|t| {
                    let mut config = entry.config.clone();
                    config.insert("task.class".to_owned(), format!("{class}Task"));
                    json!({"id": {"connector": name, "task": t.id}, "config": config})
                })
                .collect(),
        ))
    }

    /// `GET /connectors?expand=...`: a map from name to the requested views.
    pub fn expanded(&self, status: bool, info: bool) -> RuntimeResult<Json> {
        let mut out = Map::new();
        for name in self.names() {
            let mut views = Map::new();
            if status {
                match self.status(&name) {
                    Ok(s) => views.insert("status".to_owned(), s),
                    Err(RuntimeError::NotFound(_)) => continue,
                    Err(e) => return Err(e),
                };
            }
            if info {
                match self.info(&name) {
                    Ok(i) => views.insert("info".to_owned(), i),
                    Err(RuntimeError::NotFound(_)) => continue,
                    Err(e) => return Err(e),
                };
            }
            out.insert(name, Json::Object(views));
        }
        Ok(Json::Object(out))
    }

    /// `GET /connectors/{name}/topics`.
    pub async fn topics(&self, name: &str) -> RuntimeResult<Json> {
        if !self.exists(name) {
            return Err(RuntimeError::NotFound(name.to_owned()));
        }
        let topics = self.shared.store.topics(name).await?;
        Ok(json!({ name: {"topics": topics} }))
    }

    /// `PUT /connectors/{name}/topics/reset`.
    pub async fn reset_topics(&self, name: &str) -> RuntimeResult<()> {
        let topics = self
            .connectors
            .lock()
            .get(name)
            .map(|e| e.topics.clone())
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        topics.lock().clear();
        self.shared.store.reset_topics(name).await?;
        Ok(())
    }
}

fn state_json(status: &Status, worker_id: &str) -> Map<String, Json> {
    let mut out = Map::new();
    out.insert("state".to_owned(), json!(status.state.as_str()));
    out.insert("worker_id".to_owned(), json!(worker_id));
    if let Some(trace) = &status.trace {
        out.insert("trace".to_owned(), json!(trace));
    }
    out
}

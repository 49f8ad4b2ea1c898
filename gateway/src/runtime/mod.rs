//! The connector runtime: every connector's config, target state and status, and its tasks.
//!
//! - [`validate`]: common keys + the plugin's keys, Kafka's `ConfigInfos`.
//! - [`lifecycle`]: create, update, delete, pause, resume, stop, restart, shutdown.
//! - [`views`]: the read side (info, status, tasks, topics) as Kafka Connect's JSON.
//! - [`offsets`]: the offsets API of a STOPPED connector.
//! - [`task`], [`source_task`], [`sink_task`]: the task loops.
//! - [`status`]: states and the status writer.
//!
//! Ownership: the connector map sits behind a std mutex that is never held across an await;
//! lifecycle changes are serialised by one async mutex, so two requests on the same connector
//! cannot interleave their stop and start. A task owns its source or sink; the runtime only
//! holds its control channel, status cell and join handle.

pub mod lifecycle;
pub mod offsets;
pub mod sink_task;
pub mod source_task;
pub mod status;
pub mod task;
pub mod validate;
pub mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::plugins::ConnectorType;
use crate::state::{StateError, TargetState};
pub use status::{State, Status, StatusCell};
pub use task::{Control, Shared};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("Connector {0} not found")]
    NotFound(String),
    #[error("Connector {0} already exists")]
    Conflict(String),
    #[error("Unknown task: {connector}-{task}")]
    TaskNotFound { connector: String, task: u32 },
    /// A bad request: the message names the key or what is wrong.
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StateError),
    #[error("log: {0}")]
    Log(#[from] crate::log::LogError),
}

pub type RuntimeResult<T> = Result<T, RuntimeError>;

/// A running (or paused) task as the runtime sees it.
pub(crate) struct TaskSlot {
    pub id: u32,
    pub status: StatusCell,
    pub control: watch::Sender<Control>,
    pub join: JoinHandle<()>,
}

pub(crate) struct ConnectorEntry {
    /// As submitted (config provider references unresolved).
    pub config: BTreeMap<String, String>,
    pub target: TargetState,
    pub kind: ConnectorType,
    pub status: Status,
    pub tasks: Vec<TaskSlot>,
    pub topics: task::TopicSet,
}

/// The runtime. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) shared: Arc<Shared>,
    pub(crate) connectors: Arc<Mutex<BTreeMap<String, ConnectorEntry>>>,
    pub(crate) lifecycle: Arc<tokio::sync::Mutex<()>>,
}

impl Runtime {
    pub fn new(shared: Shared) -> Runtime {
        Runtime {
            shared: Arc::new(shared),
            connectors: Arc::new(Mutex::new(BTreeMap::new())),
            lifecycle: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn worker_id(&self) -> &str {
        &self.shared.worker_id
    }

    /// Names of all connectors, sorted.
    pub fn names(&self) -> Vec<String> {
        self.connectors.lock().keys().cloned().collect()
    }

    pub fn exists(&self, name: &str) -> bool {
        self.connectors.lock().contains_key(name)
    }

    pub(crate) fn set_connector_status(&self, name: &str, status: Status) {
        if let Some(entry) = self.connectors.lock().get_mut(name) {
            entry.status = status.clone();
        } else {
            return;
        }
        self.shared.statuses.put(name, None, &status);
    }
}

#[cfg(test)]
pub(crate) mod tests;

//! Connector and task states (Kafka Connect's), and the one writer that records them in the
//! state store.
//!
//! Status rows are written by a single background task fed through a channel, so rows land in
//! the order the changes happened (a task's last word cannot overwrite a later delete), and the
//! hot paths never wait on SQLite for a status.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::state::StateStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Stopped,
    Failed,
    Restarting,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Stopped => "STOPPED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    /// The error of a FAILED connector or task.
    pub trace: Option<String>,
}

impl Status {
    pub fn new(state: State) -> Status {
        Status { state, trace: None }
    }
    pub fn failed(trace: impl Into<String>) -> Status {
        Status {
            state: State::Failed,
            trace: Some(trace.into()),
        }
    }
}

/// A status shared between a running task (which sets it) and the REST API (which reads it).
pub type StatusCell = Arc<Mutex<Status>>;

pub enum StatusWrite {
    Put {
        connector: String,
        task: Option<u32>,
        status: Status,
    },
    /// Drops task rows at or above this count (tasks that no longer exist).
    TrimTasks { connector: String, tasks: u32 },
    /// Answers once every earlier write is done.
    Flush(oneshot::Sender<()>),
}

/// Sends status writes to the writer task.
#[derive(Clone)]
pub struct StatusWriter {
    tx: mpsc::UnboundedSender<StatusWrite>,
}

impl StatusWriter {
    /// Starts the writer task over `store`; rows carry `worker_id`.
    pub fn spawn(store: StateStore, worker_id: String) -> StatusWriter {
        let (tx, mut rx) = mpsc::unbounded_channel::<StatusWrite>();
        tokio::spawn(async move {
            while let Some(write) = rx.recv().await {
                let result = match write {
                    StatusWrite::Put {
                        connector,
                        task,
                        status,
                    } => {
                        store
                            .put_status(
                                &connector,
                                task,
                                status.state.as_str(),
                                status.trace.as_deref(),
                                &worker_id,
                            )
                            .await
                    }
                    StatusWrite::TrimTasks { connector, tasks } => {
                        store.trim_task_statuses(&connector, tasks).await
                    }
                    StatusWrite::Flush(done) => {
                        let _ = done.send(());
                        Ok(())
                    }
                };
                if let Err(e) = result {
                    tracing::warn!(error = %e, "could not record a status in the state store");
                }
            }
        });
        StatusWriter { tx }
    }

    pub fn put(&self, connector: &str, task: Option<u32>, status: &Status) {
        // The writer only stops when the runtime is gone; a lost status row then is harmless.
        let _ = self.tx.send(StatusWrite::Put {
            connector: connector.to_owned(),
            task,
            status: status.clone(),
        });
    }

    pub fn trim_tasks(&self, connector: &str, tasks: u32) {
        let _ = self.tx.send(StatusWrite::TrimTasks {
            connector: connector.to_owned(),
            tasks,
        });
    }

    /// Waits until every write sent so far is in the store.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(StatusWrite::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

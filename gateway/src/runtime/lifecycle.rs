//! Connector lifecycle: create, update, delete, pause, resume, stop, restart and shutdown.
//!
//! Every change takes the lifecycle lock, persists the new config or target state first, then
//! brings the tasks in line with it, so what is stored is what a restart of the worker brings
//! back. Stopping tasks waits for them: a stopped source has stored its positions and a stopped
//! sink has flushed and committed before the call returns.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;

use super::status::{State, Status};
use super::task::{Control, TaskContext, spawn_supervised};
use super::validate::{Validation, validate};
use super::{ConnectorEntry, Runtime, RuntimeError, RuntimeResult, TaskSlot, sink_task, source_task};
use crate::config::providers::resolve_all;
use crate::config::worker::connector_converter;
use crate::log::Subscription;
use crate::plugins::{self, ConnectorType, Factory};
use crate::state::TargetState;

/// How long a task may take to finish its batch, flush and commit when asked to stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// What a connector's tasks need, computed from its config at start.
struct Prepared {
    config: BTreeMap<String, String>,
    factory: Factory,
    tasks: u32,
    key_converter: Arc<dyn formats::Converter>,
    value_converter: Arc<dyn formats::Converter>,
    tolerate_errors: bool,
    subscription: Option<Subscription>,
    dead_letter_topic: Option<String>,
}

fn state_of(target: TargetState) -> State {
    match target {
        TargetState::Running => State::Running,
        TargetState::Paused => State::Paused,
        TargetState::Stopped => State::Stopped,
    }
}

/// The first problem of a validation as (key, message), if any.
pub fn first_problem(v: &Validation) -> Option<(String, String)> {
    v.entries
        .iter()
        .find_map(|e| e.errors.first().map(|m| (e.key.name.to_owned(), m.clone())))
}

/// Validates a config for create/update; the error lists every problem, as Kafka's does.
pub fn check_config(config: &BTreeMap<String, String>) -> RuntimeResult<ConnectorType> {
    let v = validate(config);
    let messages = v.messages();
    match (v.plugin, messages.is_empty()) {
        (Some(plugin), true) => Ok(plugin.connector_type()),
        _ => {
            let class = config
                .get("connector.class")
                .map(String::as_str)
                .unwrap_or("{type}");
            Err(RuntimeError::BadRequest(format!(
                "Connector configuration is invalid and contains the following {} error(s):\n{}\n\
                 You can also find the above list of errors at the endpoint \
                 `/connector-plugins/{class}/config/validate`",
                messages.len(),
                messages.join("\n")
            )))
        }
    }
}

impl Runtime {
    /// Brings back the stored connectors, each in its stored target state.
    pub async fn load(&self) -> RuntimeResult<()> {
        let _guard = self.lifecycle.lock().await;
        for stored in self.shared.store.connectors().await? {
            let kind = stored
                .config
                .get("connector.class")
                .and_then(|c| plugins::find(c))
                .map_or(ConnectorType::Source, |p| p.connector_type());
            let topics = self.shared.store.topics(&stored.name).await?;
            self.connectors.lock().insert(
                stored.name.clone(),
                ConnectorEntry {
                    config: stored.config,
                    target: stored.target,
                    kind,
                    status: Status::new(State::Unassigned),
                    tasks: Vec::new(),
                    topics: Arc::new(Mutex::new(topics.into_iter().collect())),
                },
            );
            self.start_connector(&stored.name);
        }
        self.shared.metrics.set_connectors(self.connectors.lock().len());
        Ok(())
    }

    /// `POST /connectors`. `config` holds `name`.
    /// `initial`: Kafka's `initial_state` (RUNNING when absent).
    pub async fn create(
        &self,
        name: &str,
        config: BTreeMap<String, String>,
        initial: Option<TargetState>,
    ) -> RuntimeResult<()> {
        let _guard = self.lifecycle.lock().await;
        if self.exists(name) {
            return Err(RuntimeError::Conflict(name.to_owned()));
        }
        self.install(name, config, initial).await
    }

    /// `PUT /connectors/{name}/config`: creates (true) or replaces (false) the config.
    pub async fn put_config(&self, name: &str, config: BTreeMap<String, String>) -> RuntimeResult<bool> {
        let _guard = self.lifecycle.lock().await;
        let created = !self.exists(name);
        self.install(name, config, None).await?;
        Ok(created)
    }

    /// `PATCH /connectors/{name}/config`: merges; a None value removes the key.
    pub async fn patch_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> RuntimeResult<()> {
        let _guard = self.lifecycle.lock().await;
        let mut config = self.config(name)?;
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        config.insert("name".to_owned(), name.to_owned());
        self.install(name, config, None).await
    }

    /// Validates, stores and (re)starts a connector. Caller holds the lifecycle lock.
    async fn install(
        &self,
        name: &str,
        mut config: BTreeMap<String, String>,
        initial: Option<TargetState>,
    ) -> RuntimeResult<()> {
        if name.trim().is_empty() {
            return Err(RuntimeError::BadRequest(
                "Connector name cannot be empty".to_owned(),
            ));
        }
        if let Some(in_config) = config.get("name")
            && in_config != name
        {
            return Err(RuntimeError::BadRequest(format!(
                "Connector name configuration ({in_config}) doesn't match connector name in the URL ({name})"
            )));
        }
        config.insert("name".to_owned(), name.to_owned());
        let kind = check_config(&config)?;
        let existing = self
            .connectors
            .lock()
            .get(name)
            .map(|e| (e.target, e.config.clone()));
        let target = existing
            .as_ref()
            .map_or(initial.unwrap_or(TargetState::Running), |(t, _)| *t);
        if existing.as_ref().is_some_and(|(_, c)| *c == config) {
            return Ok(());
        }
        self.shared.store.put_connector(name, &config, target).await?;
        if existing.is_some() {
            self.stop_tasks(name).await;
            if let Some(entry) = self.connectors.lock().get_mut(name) {
                entry.config = config;
                entry.kind = kind;
            }
        } else {
            self.connectors.lock().insert(
                name.to_owned(),
                ConnectorEntry {
                    config,
                    target,
                    kind,
                    status: Status::new(State::Unassigned),
                    tasks: Vec::new(),
                    topics: Arc::new(Mutex::new(Default::default())),
                },
            );
            self.shared
                .statuses
                .put(name, None, &Status::new(State::Unassigned));
            self.shared.metrics.set_connectors(self.connectors.lock().len());
        }
        self.start_connector(name);
        Ok(())
    }

    pub(crate) fn config(&self, name: &str) -> RuntimeResult<BTreeMap<String, String>> {
        self.connectors
            .lock()
            .get(name)
            .map(|e| e.config.clone())
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))
    }

    pub(crate) fn target(&self, name: &str) -> RuntimeResult<TargetState> {
        self.connectors
            .lock()
            .get(name)
            .map(|e| e.target)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))
    }

    /// `DELETE /connectors/{name}`.
    pub async fn delete(&self, name: &str) -> RuntimeResult<()> {
        let _guard = self.lifecycle.lock().await;
        self.config(name)?;
        self.stop_tasks(name).await;
        let tasks_max = self
            .connectors
            .lock()
            .remove(name)
            .map_or(0, |e| tasks_of(&e.config));
        self.shared.statuses.flush().await;
        self.shared.store.delete_connector(name).await?;
        self.shared.metrics.remove_connector(name, tasks_max);
        self.shared.metrics.set_connectors(self.connectors.lock().len());
        tracing::info!(connector = name, "connector deleted");
        Ok(())
    }

    /// `PUT /connectors/{name}/pause|resume|stop`.
    pub async fn set_target(&self, name: &str, target: TargetState) -> RuntimeResult<()> {
        let _guard = self.lifecycle.lock().await;
        let previous = self.target(name)?;
        self.shared.store.set_target(name, target).await?;
        let has_tasks = {
            let mut map = self.connectors.lock();
            let Some(entry) = map.get_mut(name) else {
                return Err(RuntimeError::NotFound(name.to_owned()));
            };
            entry.target = target;
            !entry.tasks.is_empty()
        };
        tracing::info!(
            connector = name,
            from = previous.as_str(),
            to = target.as_str(),
            "target state changed"
        );
        match target {
            TargetState::Stopped => {
                self.stop_tasks(name).await;
                self.start_connector(name);
            }
            TargetState::Running | TargetState::Paused if has_tasks => {
                let control = if target == TargetState::Paused {
                    Control::Pause
                } else {
                    Control::Run
                };
                if let Some(entry) = self.connectors.lock().get(name) {
                    for slot in &entry.tasks {
                        slot.control.send_replace(control);
                    }
                }
                if self
                    .connectors
                    .lock()
                    .get(name)
                    .is_some_and(|e| e.status.state != State::Failed)
                {
                    self.set_connector_status(name, Status::new(state_of(target)));
                }
            }
            _ => self.start_connector(name),
        }
        Ok(())
    }

    /// `POST /connectors/{name}/restart`: marks what restarts as RESTARTING and restarts it in
    /// the background (the answer shows the RESTARTING states, as Kafka's does).
    pub async fn restart(&self, name: &str, include_tasks: bool, only_failed: bool) -> RuntimeResult<()> {
        let (restart_connector, task_ids, all_tasks) = {
            let mut map = self.connectors.lock();
            let entry = map
                .get_mut(name)
                .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
            let restart_connector = !only_failed || entry.status.state == State::Failed;
            let mut ids = Vec::new();
            if include_tasks {
                for slot in &entry.tasks {
                    let mut status = slot.status.lock();
                    if !only_failed || status.state == State::Failed {
                        *status = Status::new(State::Restarting);
                        ids.push(slot.id);
                    }
                }
            }
            if restart_connector {
                entry.status = Status::new(State::Restarting);
            }
            let all = !entry.tasks.is_empty() && ids.len() == entry.tasks.len();
            (restart_connector, ids, all)
        };
        let runtime = self.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let _guard = runtime.lifecycle.lock().await;
            let failed_connector = runtime
                .connectors
                .lock()
                .get(&name)
                .is_some_and(|e| e.tasks.is_empty());
            if restart_connector && (all_tasks || failed_connector) {
                runtime.stop_tasks(&name).await;
                runtime.start_connector(&name);
                return;
            }
            for id in task_ids {
                runtime.restart_task_locked(&name, id).await;
            }
            if restart_connector && let Ok(target) = runtime.target(&name) {
                runtime.set_connector_status(&name, Status::new(state_of(target)));
            }
        });
        Ok(())
    }

    /// `POST /connectors/{name}/tasks/{id}/restart`.
    pub async fn restart_task(&self, name: &str, id: u32) -> RuntimeResult<()> {
        let _guard = self.lifecycle.lock().await;
        let known = {
            let map = self.connectors.lock();
            let entry = map
                .get(name)
                .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
            entry.tasks.iter().any(|t| t.id == id)
        };
        if !known {
            return Err(RuntimeError::TaskNotFound {
                connector: name.to_owned(),
                task: id,
            });
        }
        self.restart_task_locked(name, id).await;
        Ok(())
    }

    async fn restart_task_locked(&self, name: &str, id: u32) {
        let slot = {
            let mut map = self.connectors.lock();
            let Some(entry) = map.get_mut(name) else { return };
            let Some(at) = entry.tasks.iter().position(|t| t.id == id) else {
                return;
            };
            entry.tasks.remove(at)
        };
        stop_slots(vec![slot]).await;
        let Some((config, target, topics)) = self
            .connectors
            .lock()
            .get(name)
            .map(|e| (e.config.clone(), e.target, e.topics.clone()))
        else {
            return;
        };
        match self.prepare(&config) {
            Ok(prepared) => {
                let slot = self.spawn_task(name, id, &prepared, target, topics);
                if let Some(entry) = self.connectors.lock().get_mut(name) {
                    entry.tasks.push(slot);
                    entry.tasks.sort_by_key(|t| t.id);
                }
            }
            Err(trace) => self.set_connector_status(name, Status::failed(trace)),
        }
    }

    /// Starts a connector's tasks per its target state. Caller holds the lifecycle lock and has
    /// stopped any previous tasks.
    fn start_connector(&self, name: &str) {
        let Some((config, target, topics)) = self
            .connectors
            .lock()
            .get(name)
            .map(|e| (e.config.clone(), e.target, e.topics.clone()))
        else {
            return;
        };
        if target == TargetState::Stopped {
            self.set_connector_status(name, Status::new(State::Stopped));
            self.shared.statuses.trim_tasks(name, 0);
            return;
        }
        let prepared = match self.prepare(&config) {
            Ok(p) => p,
            Err(trace) => {
                tracing::error!(connector = name, error = %trace, "connector failed to start");
                self.set_connector_status(name, Status::failed(trace));
                self.shared.statuses.trim_tasks(name, 0);
                return;
            }
        };
        let slots: Vec<TaskSlot> = (0..prepared.tasks)
            .map(|id| self.spawn_task(name, id, &prepared, target, topics.clone()))
            .collect();
        if let Some(entry) = self.connectors.lock().get_mut(name) {
            entry.tasks = slots;
        }
        self.shared.statuses.trim_tasks(name, prepared.tasks);
        self.set_connector_status(name, Status::new(state_of(target)));
        tracing::info!(connector = name, tasks = prepared.tasks, "connector started");
    }

    fn prepare(&self, config: &BTreeMap<String, String>) -> Result<Prepared, String> {
        let resolved = resolve_all(config).map_err(|e| e.to_string())?;
        let class = resolved
            .get("connector.class")
            .map(String::as_str)
            .unwrap_or_default();
        let plugin = plugins::find(class).ok_or_else(|| plugins::unknown_class_message(class))?;
        let worker = &self.shared.worker;
        let infers = plugin.alias == plugins::HTTP_SOURCE
            && resolved
                .get("value.schema.infer")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let converter = |key: &str, is_key: bool| {
            let mut setting = connector_converter(&resolved, worker, key, is_key);
            if infers && !is_key {
                inferred_protobuf_keeps_nulls(&mut setting);
            }
            formats::build_converter(&setting.class, &setting.props, is_key, &self.shared.converters)
                .map_err(|e| e.message)
        };
        let key_converter = converter("key.converter", true)?;
        let value_converter = converter("value.converter", false)?;
        let subscription = match plugin.connector_type() {
            ConnectorType::Source => None,
            ConnectorType::Sink => {
                let topics = resolved
                    .get("topics")
                    .map(|t| schemas::config::split_list(t))
                    .unwrap_or_default();
                Some(
                    match resolved.get("topics.regex").filter(|r| !r.trim().is_empty()) {
                        Some(regex) if topics.is_empty() => Subscription::Pattern(regex.trim().to_owned()),
                        _ => Subscription::Topics(topics),
                    },
                )
            }
        };
        let dead_letter_topic = match plugin.connector_type() {
            ConnectorType::Sink => resolved
                .get("errors.deadletterqueue.topic.name")
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            ConnectorType::Source => None,
        };
        Ok(Prepared {
            tasks: tasks_of(&resolved).min(plugin.max_tasks).max(1),
            dead_letter_topic,
            factory: plugin.factory,
            key_converter,
            value_converter,
            tolerate_errors: resolved
                .get("errors.tolerance")
                .is_some_and(|t| t.trim() == "all"),
            subscription,
            config: resolved,
        })
    }

    fn spawn_task(
        &self,
        name: &str,
        id: u32,
        prepared: &Prepared,
        target: TargetState,
        topics: super::task::TopicSet,
    ) -> TaskSlot {
        let initial = if target == TargetState::Paused {
            Control::Pause
        } else {
            Control::Run
        };
        let (control, rx) = watch::channel(initial);
        let status = Arc::new(Mutex::new(Status::new(State::Unassigned)));
        self.shared
            .statuses
            .put(name, Some(id), &Status::new(State::Unassigned));
        let ctx = TaskContext {
            connector: name.to_owned(),
            task: id,
            shared: self.shared.clone(),
            status: status.clone(),
            control: rx,
            config: prepared.config.clone(),
            factory: prepared.factory,
            key_converter: prepared.key_converter.clone(),
            value_converter: prepared.value_converter.clone(),
            metrics: self.shared.metrics.task(name, id),
            topics,
            tolerate_errors: prepared.tolerate_errors,
            subscription: prepared.subscription.clone(),
            dead_letter_topic: prepared.dead_letter_topic.clone(),
        };
        let join = match prepared.factory {
            Factory::Source(_) => spawn_supervised(ctx, |ctx| Box::pin(source_task::run(ctx))),
            Factory::Push(_) => spawn_supervised(ctx, |ctx| Box::pin(crate::ingest::task::run(ctx))),
            Factory::Sink(_) => spawn_supervised(ctx, |ctx| Box::pin(sink_task::run(ctx))),
        };
        TaskSlot {
            id,
            status,
            control,
            join,
        }
    }

    /// Stops a connector's tasks and waits for them. Caller holds the lifecycle lock.
    pub(crate) async fn stop_tasks(&self, name: &str) {
        let slots = match self.connectors.lock().get_mut(name) {
            Some(entry) => std::mem::take(&mut entry.tasks),
            None => return,
        };
        stop_slots(slots).await;
    }

    /// Graceful shutdown: sources stop first (their positions stored), then sinks (flushed and
    /// committed). Target states stay as they are; statuses become UNASSIGNED, as in Kafka.
    pub async fn shutdown(&self) {
        let _guard = self.lifecycle.lock().await;
        for kind in [ConnectorType::Source, ConnectorType::Sink] {
            let slots: Vec<TaskSlot> = self
                .connectors
                .lock()
                .values_mut()
                .filter(|e| e.kind == kind)
                .flat_map(|e| std::mem::take(&mut e.tasks))
                .collect();
            stop_slots(slots).await;
        }
        let names = self.names();
        for name in names {
            self.set_connector_status(&name, Status::new(State::Unassigned));
            let tasks = self
                .connectors
                .lock()
                .get(&name)
                .map_or(0, |e| tasks_of(&e.config));
            for task in 0..tasks {
                self.shared
                    .statuses
                    .put(&name, Some(task), &Status::new(State::Unassigned));
            }
        }
        self.shared.statuses.flush().await;
    }
}

fn tasks_of(config: &BTreeMap<String, String>) -> u32 {
    config
        .get("tasks.max")
        .and_then(|t| t.trim().parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

/// Asks every task to stop, then waits for all of them (each at most [`STOP_TIMEOUT`]).
async fn stop_slots(slots: Vec<TaskSlot>) {
    for slot in &slots {
        slot.control.send_replace(Control::Stop);
    }
    let waits = slots.into_iter().map(|slot| async move {
        let abort = slot.join.abort_handle();
        if tokio::time::timeout(STOP_TIMEOUT, slot.join).await.is_err() {
            tracing::error!(task = slot.id, "task did not stop in time; aborting it");
            abort.abort();
        }
    });
    futures::future::join_all(waits).await;
}

/// An HttpSource that infers its schema makes every field optional: a record leaving a field
/// out (or null) means "no value". Written as a plain proto3 field (ProtobufConverter's default,
/// as Confluent's), that null would read back as 0, "" or false: data changed without a word.
/// So unless the connector says otherwise, an inferred schema's Protobuf fields are written
/// `optional` (`optional.for.nullables=true`), and a null reads back as null.
fn inferred_protobuf_keeps_nulls(setting: &mut crate::config::worker::ConverterSetting) {
    let class = setting.class.trim();
    let protobuf = formats::converter_classes()
        .iter()
        .any(|(short, full)| *short == "ProtobufConverter" && (class == *short || class == *full));
    if protobuf && !setting.props.contains_key("optional.for.nullables") {
        setting
            .props
            .insert("optional.for.nullables".into(), "true".into());
    }
}

//! One standalone worker: check the files, open the state store and the log, bind the
//! listeners, bring the connectors back, serve, and shut down in order on SIGTERM / SIGINT.
//!
//! Shutdown order (what must stay true): stop accepting requests -> stop source tasks (their
//! positions stored) -> stop sink tasks (flushed and committed) -> close the log -> close the
//! state store. Only then does the process exit 0.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, ConnectorFile, WorkerConfig, load_connector_file};
use crate::log::Log;
use crate::log::embedded::{EmbeddedLog, EmbeddedLogConfig};
use crate::log::kafka::{KafkaConfig, KafkaLog};
use crate::metrics::Metrics;
use crate::registry::Registry;
use crate::runtime::lifecycle::first_problem;
use crate::runtime::status::StatusWriter;
use crate::runtime::validate::validate;
use crate::runtime::{Runtime, Shared};
use crate::state::StateStore;

/// Everything read from disk before the worker starts.
pub struct Plan {
    pub worker: WorkerConfig,
    pub connectors: Vec<(PathBuf, ConnectorFile)>,
}

/// Reads and checks the worker file and the connector files. The error is one line naming the
/// file, the key and the problem.
pub fn plan(worker_file: &Path, connector_files: &[PathBuf]) -> Result<Plan, ConfigError> {
    let worker = WorkerConfig::load(worker_file)?;
    for (setting, key, is_key) in [
        (&worker.key_converter, "key.converter", true),
        (&worker.value_converter, "value.converter", false),
    ] {
        formats::build_converter(
            &setting.class,
            &setting.props,
            is_key,
            &crate::registry::converter_context(None),
        )
        .map_err(|e| {
            ConfigError::key(key, format!("{}: {}", setting.class, e.message)).in_file(worker_file)
        })?;
    }
    let mut connectors: Vec<(PathBuf, ConnectorFile)> = Vec::new();
    for file in connector_files {
        let connector = load_connector_file(file)?;
        if let Some((other, _)) = connectors.iter().find(|(_, c)| c.name == connector.name) {
            return Err(ConfigError::key(
                "name",
                format!(
                    "connector {} is also defined in {}",
                    connector.name,
                    other.display()
                ),
            )
            .in_file(file));
        }
        if let Some((key, problem)) = first_problem(&validate(&connector.config)) {
            return Err(ConfigError::key(&key, problem).in_file(file));
        }
        connectors.push((file.clone(), connector));
    }
    Ok(Plan { worker, connectors })
}

/// Runs the worker until a signal, then shuts down in order.
pub async fn run(plan: Plan) -> anyhow::Result<()> {
    let worker = Arc::new(plan.worker);
    for warning in &worker.warnings {
        tracing::warn!("{warning}");
    }
    std::fs::create_dir_all(&worker.data_dir)
        .with_context(|| format!("data.dir: cannot create {}", worker.data_dir.display()))?;
    let store = StateStore::open(&worker.data_dir).await?;
    let log: Arc<dyn Log> = match KafkaConfig::from_worker(&worker) {
        Some(kafka) => KafkaLog::connect(kafka)
            .await
            .context("bootstrap.servers: the Kafka log cannot start")?,
        None => EmbeddedLog::open(EmbeddedLogConfig {
            dir: worker.data_dir.join("log"),
            default_partitions: worker.default_partitions,
            retention_ms: worker.log_retention_ms,
            retention_bytes: worker.log_retention_bytes,
            retention_check_interval: worker.log_retention_check_interval,
        })
        .await
        .with_context(|| {
            format!(
                "opening the embedded log in {}",
                worker.data_dir.join("log").display()
            )
        })?,
    };

    let mut listeners = Vec::new();
    for l in &worker.listeners {
        let listener = TcpListener::bind((l.host.as_str(), l.port))
            .await
            .with_context(|| format!("listeners: cannot listen on http://{}:{}", l.host, l.port))?;
        listeners.push(listener);
    }
    let addrs: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.to_string()))
        .collect::<Result<_, _>>()?;
    let worker_id = addrs.first().cloned().unwrap_or_default();

    // The registry opens before the runtime: connectors brought back by `load` build their
    // converters with it.
    let registry = match worker.state_storage_url.as_deref() {
        Some(url) if url.starts_with("postgres") => Registry::postgres(url).await,
        _ => Registry::sqlite(store.pool().clone()).await,
    }
    .map_err(|e| anyhow::anyhow!("state.storage.url: the schema registry cannot open its store: {e}"))?;
    let registry = Arc::new(registry);

    let runtime = Runtime::new(Shared {
        store: store.clone(),
        log: log.clone(),
        worker: worker.clone(),
        worker_id: worker_id.clone(),
        metrics: Arc::new(Metrics::new()),
        statuses: StatusWriter::spawn(store.clone(), worker_id),
        ingest: Default::default(),
        converters: crate::registry::converter_context(Some(registry.clone())),
    });
    runtime.load().await?;
    for (file, connector) in plan.connectors {
        runtime
            .put_config(&connector.name, connector.config)
            .await
            .with_context(|| format!("{}: connector {}", file.display(), connector.name))?;
    }

    let app = crate::http::app(runtime.clone(), Some(registry));
    let shutdown = CancellationToken::new();
    let mut servers = Vec::new();
    for (listener, addr) in listeners.into_iter().zip(&addrs) {
        let token = shutdown.clone();
        let app = app.clone();
        servers.push(tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await
        }));
        tracing::info!("listening on http://{addr}");
    }

    wait_for_signal().await;
    tracing::info!("shutting down: stopping sources, flushing sinks, committing offsets");
    shutdown.cancel();
    for server in servers {
        // In-flight requests get a moment; long-polling clients do not hold the exit.
        let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    }
    runtime.shutdown().await;
    log.close().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the worker");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

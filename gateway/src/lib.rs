//! The gateway: runtime, log, state stores, HTTP API and the `weir` binary.
//!
//! - [`config`]: the worker file, connector files, config providers.
//! - [`state`]: the SQLite state store (connector configs, target states, source offsets, statuses).
//! - [`log`]: the `Log` trait and its implementations (embedded; Kafka later).
//! - [`plugins`]: the table of connector classes and aliases.
//! - [`runtime`]: connectors, tasks, their states and the task loops.
//! - [`http`]: the REST API (Kafka Connect's, plus health and metrics).
//! - [`ingest`]: HTTP ingestion: `HttpSource` pushes and the REST Proxy v2 produce call.
//! - [`metrics`]: Prometheus metrics per connector and task.
//! - [`registry`]: the embedded schema registry (in-process API, HTTP API, SQLite/Postgres stores).
//! - [`worker`]: start-up and ordered shutdown of one standalone worker.
//!
//! The rule a newcomer must know: a source position or a sink offset is stored only after what
//! it covers is durable (acknowledged by the log, flushed by the sink).

pub mod config;
pub mod http;
pub mod ingest;
pub mod log;
pub mod metrics;
pub mod plugins;
pub mod registry;
pub mod runtime;
pub mod state;
pub mod worker;

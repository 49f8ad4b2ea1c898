//! The gateway: runtime, log, state stores, HTTP API and the `weir` binary.
//!
//! - [`config`]: the worker file, connector files, config providers.
//! - [`state`]: the SQLite state store (connector configs, target states, source offsets, statuses).
//! - [`log`]: the `Log` trait and its implementations (embedded; Kafka later).

pub mod config;
pub mod log;
pub mod state;

//! The gateway: runtime, log, state stores, HTTP API and the `weir` binary.
//!
//! - [`log`]: the `Log` trait and its implementations (embedded; Kafka later).
//! - [`registry`]: the embedded schema registry (in-process API, HTTP API, SQLite/Postgres stores).

pub mod log;
pub mod registry;

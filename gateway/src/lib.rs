//! The gateway: runtime, log, state stores, HTTP API and the `weir` binary.
//!
//! - [`log`]: the `Log` trait and its implementations (embedded; Kafka later).

pub mod log;

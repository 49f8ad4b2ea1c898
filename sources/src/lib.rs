//! Source connectors: they read an outside system and hand the runtime batches of records with
//! the positions reached after each batch.
//!
//! - [`file`]: `FileStreamSource`, Kafka's file source plus structured formats (jsonl, json, csv).
//! - [`http`]: `HttpSource`: records pushed over HTTP; here the parsing, inference and checks,
//!   in the gateway the endpoint.
//!
//! The rule: a source never decides what is durable. It reports positions with each batch; the
//! runtime stores them once the log has acknowledged the batch and, on restart, hands them back
//! to [`Source::start`].

use async_trait::async_trait;
use schemas::{ConnectError, Polled, SourcePosition};

pub mod file;
pub mod http;

pub use file::FileStreamSource;

#[async_trait]
pub trait Source: Send {
    /// `stored`: the positions the runtime has stored for this connector (all source partitions).
    async fn start(&mut self, stored: Vec<SourcePosition>) -> Result<(), ConnectError>;
    /// Must not block longer than ~100 ms; `Idle` when nothing new.
    async fn poll(&mut self) -> Result<Polled, ConnectError>;
    /// The runtime has stored these positions (the log acknowledged everything before them).
    async fn commit(&mut self, _positions: &[SourcePosition]) -> Result<(), ConnectError> {
        Ok(())
    }
    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

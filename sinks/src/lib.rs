//! Sink connectors: they write records read from the log to an outside system.
//!
//! - [`file`]: `FileStreamSink`, one line per record.
//!
//! The rule: [`Sink::flush`] reports only what is durable in the target; the runtime commits
//! exactly those offsets, so a crash replays at most what was written after the last flush.

use async_trait::async_trait;
use schemas::{Committable, ConnectError, SinkRecord};

pub mod file;

pub use file::FileStreamSink;

#[async_trait]
pub trait Sink: Send {
    async fn start(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
    /// May buffer.
    async fn write(&mut self, batch: Vec<SinkRecord>) -> Result<(), ConnectError>;
    /// Makes everything written so far durable and answers, per topic-partition, the next
    /// offset to consume (last durable offset + 1).
    async fn flush(&mut self) -> Result<Committable, ConnectError>;
    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

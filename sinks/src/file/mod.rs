//! `FileStreamSink`: appends one line per record to a file, as Kafka's file sink does.
//!
//! A line is: a string value as it is; a null value or a tombstone `null` (what Kafka prints);
//! bytes as base64 (a line cannot carry raw bytes); anything else (numbers, booleans, structs,
//! maps, arrays, logical types) as one line of JSON, decimals as JSON numbers.
//!
//! What must stay true: [`Sink::flush`] answers only offsets whose lines are written *and*
//! synced (`sync_data`), so the runtime never commits a record a crash could lose. Lines are
//! gathered in one buffer and written in large writes, not one write per record.

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use schemas::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use schemas::data::DECIMAL;
use schemas::json::{DecimalFormat, JsonOptions};
use schemas::{Committable, ConnectError, Data, SinkRecord, TopicPartition, Value};
use tokio::io::AsyncWriteExt;

use crate::Sink;

/// Buffered bytes past which `write` hands them to the file (still unsynced).
const WRITE_THRESHOLD: usize = 1024 * 1024;

const LINE_JSON: JsonOptions = JsonOptions {
    decimal_format: DecimalFormat::Numeric,
    replace_null_with_default: true,
    dialect: schemas::json::JsonDialect::Kafka,
};

pub struct FileStreamSink {
    file: String,
    out: Option<tokio::fs::File>,
    buf: Vec<u8>,
    /// Next offset per partition for records in `buf` or written since the last sync.
    pending: Committable,
}

/// An io::Error as users read it: "Permission denied", without Rust's "(os error 13)".
fn io_error(file: &str, err: std::io::Error) -> ConnectError {
    let full = err.to_string();
    let text = full.find(" (os error ").map_or(full.as_str(), |i| &full[..i]);
    ConnectError::new(schemas::ErrorKind::Io, format!("file {file}: {text}"))
}

impl FileStreamSink {
    /// `topics` / `topics.regex` are the runtime's (the subscription); the sink needs `file`.
    pub fn config_def() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                "file",
                ConfigType::String,
                Importance::High,
                "Destination filename.",
            )
            .required(),
        )
    }

    pub fn new(config: &BTreeMap<String, String>) -> Result<Self, ConnectError> {
        let def = Self::config_def();
        def.ensure_valid(config)?;
        Ok(FileStreamSink {
            file: def.get_string(config, "file")?,
            out: None,
            buf: Vec::with_capacity(WRITE_THRESHOLD + 64 * 1024),
            pending: Committable::new(),
        })
    }

    /// Appends `record`'s line to the buffer.
    fn render(&mut self, record: &SinkRecord) -> Result<(), ConnectError> {
        let start = self.buf.len();
        let result = match &record.record.value {
            None => {
                self.buf.extend_from_slice(b"null");
                Ok(())
            }
            Some(data) => render_value(&mut self.buf, data),
        };
        if let Err(e) = result {
            self.buf.truncate(start);
            return Err(ConnectError::data(format!(
                "record {}-{}@{}: {}",
                record.record.topic, record.partition, record.offset, e.message
            )));
        }
        self.buf.push(b'\n');
        Ok(())
    }

    async fn write_out(&mut self) -> Result<(), ConnectError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let Some(out) = self.out.as_mut() else {
            return Err(ConnectError::internal("FileStreamSink written before start"));
        };
        out.write_all(&self.buf)
            .await
            .map_err(|e| io_error(&self.file, e))?;
        self.buf.clear();
        Ok(())
    }
}

fn render_value(buf: &mut Vec<u8>, data: &Data) -> Result<(), ConnectError> {
    let is_decimal = data
        .schema
        .as_ref()
        .is_some_and(|s| s.name.as_deref() == Some(DECIMAL));
    match &data.value {
        Value::Null => buf.extend_from_slice(b"null"),
        Value::String(s) => buf.extend_from_slice(s.as_bytes()),
        Value::Bytes(b) if !is_decimal => {
            let at = buf.len();
            buf.resize(at + base64::encoded_len(b.len(), true).unwrap_or(0), 0);
            let n = STANDARD
                .encode_slice(b, &mut buf[at..])
                .map_err(|e| ConnectError::internal(format!("base64: {e}")))?;
            buf.truncate(at + n);
        }
        value => schemas::json::write_json(buf, data.schema.as_deref(), value, &LINE_JSON)?,
    }
    Ok(())
}

#[async_trait]
impl Sink for FileStreamSink {
    async fn start(&mut self) -> Result<(), ConnectError> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .await
            .map_err(|e| io_error(&self.file, e))?;
        self.out = Some(file);
        tracing::info!(file = %self.file, "file sink started");
        Ok(())
    }

    async fn write(&mut self, batch: Vec<SinkRecord>) -> Result<(), ConnectError> {
        for record in &batch {
            self.render(record)?;
            let tp = TopicPartition {
                topic: record.record.topic.clone(),
                partition: record.partition,
            };
            let next = record.offset + 1;
            let slot = self.pending.entry(tp).or_insert(next);
            *slot = (*slot).max(next);
        }
        if self.buf.len() >= WRITE_THRESHOLD {
            self.write_out().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<Committable, ConnectError> {
        self.write_out().await?;
        if let Some(out) = self.out.as_mut() {
            out.flush().await.map_err(|e| io_error(&self.file, e))?;
            if !self.pending.is_empty() {
                out.sync_data().await.map_err(|e| io_error(&self.file, e))?;
            }
        }
        Ok(std::mem::take(&mut self.pending))
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        // Unflushed lines are dropped on purpose: their offsets were never committed, so they
        // are delivered again; writing them here would duplicate them on the next start.
        self.buf.clear();
        self.pending.clear();
        self.out = None;
        Ok(())
    }
}

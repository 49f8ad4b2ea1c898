//! `FileStreamSource`: reads a file and keeps tailing it, as Kafka's file source does, plus
//! structured formats (see [`format`]).
//!
//! Offsets are Kafka's: source partition `{"filename": <file>}`, offset `{"position": <byte>}`.
//! What must stay true:
//! - `position` is always the byte just after the last consumed item (plus separators), so a
//!   restart from it starts on an item boundary: nothing repeated, nothing skipped.
//! - A batch reports the position after its last record; the runtime stores it only once the
//!   log has acknowledged the batch.
//! - A malformed item is reported once, as a data error naming the file and line, in a poll of
//!   its own (good records before it go out first). If the runtime polls again, the bad item
//!   is skipped; if it fails the task, the stored position is still before the bad item.
//! - Reads are bounded per poll (bytes and time), so `poll` returns quickly however big the file.

use std::collections::BTreeMap;
use std::io::SeekFrom;
use std::path::Path;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use schemas::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use schemas::{ConnectError, Polled, Record, SourceBatch, SourcePosition};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::Source;

pub mod format;

pub use format::FileFormat;
use format::{Parser, Step};

/// Bytes asked of the file per read.
const READ_CHUNK: usize = 256 * 1024;
/// A poll stops reading after this many bytes or this long, whichever comes first.
const MAX_READ_PER_POLL: usize = 8 * 1024 * 1024;
const MAX_POLL_TIME: Duration = Duration::from_millis(50);
/// Largest single item (line, object, row); beyond it the file is refused rather than buffered.
const MAX_ITEM_BYTES: usize = 64 * 1024 * 1024;

pub struct FileStreamSource {
    file: String,
    topic: String,
    batch_size: usize,
    format: FileFormat,
    reader: Option<FileReader>,
    partition: serde_json::Map<String, serde_json::Value>,
}

/// An open file and the unread bytes already taken from it.
struct FileReader {
    file: tokio::fs::File,
    parser: Parser,
    buf: Vec<u8>,
    /// Index in `buf` of the first unconsumed byte.
    start: usize,
    /// File offset of `buf[start]`: the position reported to the runtime.
    position: u64,
    /// 1-based line number of `buf[start]`, for error messages.
    line: u64,
}

/// An io::Error as users read it: "No such file or directory", without Rust's "(os error 2)".
fn io_text(err: &std::io::Error) -> String {
    let full = err.to_string();
    match full.find(" (os error ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

fn io_error(file: &str, err: std::io::Error) -> ConnectError {
    ConnectError::new(schemas::ErrorKind::Io, format!("file {file}: {}", io_text(&err)))
}

impl FileStreamSource {
    pub fn config_def() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("file", ConfigType::String, Importance::High, "Source filename.").required())
            .define(
                ConfigKey::new("topic", ConfigType::String, Importance::High, "The topic to publish data to.")
                    .required(),
            )
            .define(
                ConfigKey::new(
                    "batch.size",
                    ConfigType::Int,
                    Importance::Low,
                    "The maximum number of records the source task can read from the file each time it is polled.",
                )
                .with_default("2000"),
            )
            .define(
                ConfigKey::new(
                    "file.format",
                    ConfigType::String,
                    Importance::Medium,
                    "How the file is read: lines (one string record per line, Kafka's behaviour), jsonl (one JSON object per line), json (a JSON array of objects or concatenated objects), csv (a header row, then one struct of string fields per row).",
                )
                .with_default("lines")
                .recommended(FileFormat::NAMES),
            )
    }

    pub fn new(config: &BTreeMap<String, String>) -> Result<Self, ConnectError> {
        let def = Self::config_def();
        def.ensure_valid(config)?;
        let batch_size = def.get_int(config, "batch.size")?;
        if batch_size < 1 {
            return Err(ConnectError::config(
                "batch.size",
                format!("Invalid value {batch_size} for configuration batch.size: Value must be at least 1"),
            ));
        }
        let format_name = def.get_string(config, "file.format")?;
        let format = FileFormat::parse(&format_name).ok_or_else(|| {
            ConnectError::config(
                "file.format",
                format!(
                    "unknown format {format_name:?}; one of: {}",
                    FileFormat::NAMES.join(", ")
                ),
            )
        })?;
        let file = def.get_string(config, "file")?;
        let mut partition = serde_json::Map::new();
        partition.insert("filename".into(), serde_json::Value::from(file.as_str()));
        Ok(FileStreamSource {
            file,
            topic: def.get_string(config, "topic")?,
            batch_size: batch_size as usize,
            format,
            reader: None,
            partition,
        })
    }

    /// The source partition this connector's offsets are stored under.
    pub fn source_partition(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.partition
    }

    fn position_of(&self, position: u64) -> SourcePosition {
        let mut offset = serde_json::Map::new();
        offset.insert("position".into(), serde_json::Value::from(position));
        SourcePosition {
            partition: self.partition.clone(),
            offset,
        }
    }

    fn stored_position(&self, stored: &[SourcePosition]) -> Result<u64, ConnectError> {
        let Some(p) = stored.iter().find(|p| p.partition == self.partition) else {
            return Ok(0);
        };
        match p.offset.get("position") {
            None => Ok(0),
            Some(v) => v.as_u64().ok_or_else(|| {
                ConnectError::data(format!(
                    "stored offset for file {}: position {v} is not a byte position",
                    self.file
                ))
            }),
        }
    }
}

/// Counts lines before `upto` and, for CSV, reads the header from the start of the file.
async fn scan_prefix(path: &str, upto: u64, parser: &mut Parser) -> Result<u64, ConnectError> {
    let mut file = tokio::fs::File::open(path).await.map_err(|e| io_error(path, e))?;
    let mut buf = vec![0u8; READ_CHUNK];
    let mut head: Vec<u8> = Vec::new();
    let mut lines = 1u64;
    let mut done = 0u64;
    while done < upto {
        let want = usize::try_from(upto - done).unwrap_or(usize::MAX).min(buf.len());
        let n = file.read(&mut buf[..want]).await.map_err(|e| io_error(path, e))?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        if parser.needs_header() && head.len() < MAX_ITEM_BYTES {
            head.extend_from_slice(&buf[..n]);
        }
        done += n as u64;
    }
    if parser.needs_header() {
        format::csv_header_from(parser, &head)
            .map_err(|e| ConnectError::data(format!("file {path}, line 1: {e}")))?;
    }
    Ok(lines)
}

impl FileReader {
    fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, len: usize) {
        let consumed = &self.buf[self.start..self.start + len];
        self.line += memchr::memchr_iter(b'\n', consumed).count() as u64;
        self.start += len;
        self.position += len as u64;
    }

    /// Reads more bytes; 0 at the end of the file (for now: it is tailed).
    async fn fill(&mut self, path: &str) -> Result<usize, ConnectError> {
        if self.start > 0
            && (self.start >= self.buf.len() / 2 || self.buf.capacity() - self.buf.len() < READ_CHUNK)
        {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        let n = self.file.read(&mut self.buf[old..]).await;
        let n = match n {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(old);
                return Err(io_error(path, e));
            }
        };
        self.buf.truncate(old + n);
        if n == 0 && self.check_truncated(path).await? {
            return Box::pin(self.fill(path)).await;
        }
        Ok(n)
    }

    /// A file shorter than what we read was truncated (or replaced): start it over, like `tail -F`.
    async fn check_truncated(&mut self, path: &str) -> Result<bool, ConnectError> {
        let len = self.file.metadata().await.map_err(|e| io_error(path, e))?.len();
        let read_to = self.position + self.unread().len() as u64;
        if len < read_to {
            tracing::warn!(
                file = path,
                size = len,
                position = read_to,
                "file shrank; reading it again from the start"
            );
            self.file
                .seek(SeekFrom::Start(0))
                .await
                .map_err(|e| io_error(path, e))?;
            self.buf.clear();
            self.start = 0;
            self.position = 0;
            self.line = 1;
            self.parser.reset();
            return Ok(true);
        }
        Ok(false)
    }
}

#[async_trait]
impl Source for FileStreamSource {
    async fn start(&mut self, stored: Vec<SourcePosition>) -> Result<(), ConnectError> {
        let mut position = self.stored_position(&stored)?;
        let path = self.file.as_str();
        if Path::new(path).is_dir() {
            return Err(ConnectError::new(
                schemas::ErrorKind::Io,
                format!("file {path}: Is a directory"),
            ));
        }
        let mut file = tokio::fs::File::open(path).await.map_err(|e| io_error(path, e))?;
        let len = file.metadata().await.map_err(|e| io_error(path, e))?.len();
        if position > len {
            tracing::warn!(
                file = path,
                size = len,
                position,
                "stored position is past the end of the file; reading it from the start"
            );
            position = 0;
        }
        let mut parser = Parser::new(self.format);
        let line = if position > 0 {
            scan_prefix(path, position, &mut parser).await?
        } else {
            1
        };
        file.seek(SeekFrom::Start(position))
            .await
            .map_err(|e| io_error(path, e))?;
        tracing::info!(file = path, position, format = ?self.format, "file source started");
        self.reader = Some(FileReader {
            file,
            parser,
            buf: Vec::with_capacity(READ_CHUNK * 2),
            start: 0,
            position,
            line,
        });
        Ok(())
    }

    async fn poll(&mut self) -> Result<Polled, ConnectError> {
        let Some(reader) = self.reader.as_mut() else {
            return Err(ConnectError::internal("FileStreamSource polled before start"));
        };
        let began = Instant::now();
        let mut read = 0usize;
        let mut records: Vec<Record> = Vec::with_capacity(self.batch_size.min(4096));
        let timestamp = now_ms();
        'fill: loop {
            while records.len() < self.batch_size {
                match reader.parser.next(&reader.buf[reader.start..]) {
                    Step::Item { len, data } => {
                        reader.consume(len);
                        let mut record = Record::new(self.topic.clone(), None, Some(data));
                        record.timestamp = Some(timestamp);
                        records.push(record);
                    }
                    Step::Skip { len } => reader.consume(len),
                    Step::NeedMore => break,
                    Step::Bad {
                        len,
                        lines_in,
                        message,
                    } => {
                        if !records.is_empty() {
                            break 'fill;
                        }
                        let line = reader.line + lines_in as u64;
                        reader.consume(len);
                        return Err(ConnectError::data(format!(
                            "file {}, line {line}: {message}",
                            self.file
                        )));
                    }
                }
            }
            if records.len() >= self.batch_size
                || read >= MAX_READ_PER_POLL
                || began.elapsed() >= MAX_POLL_TIME
            {
                break;
            }
            if reader.unread().len() >= MAX_ITEM_BYTES {
                return Err(ConnectError::data(format!(
                    "file {}, line {}: an item longer than {MAX_ITEM_BYTES} bytes",
                    self.file, reader.line
                )));
            }
            let n = reader.fill(&self.file).await?;
            if n == 0 {
                break;
            }
            read += n;
        }
        if records.is_empty() {
            return Ok(Polled::Idle);
        }
        let position = reader.position;
        Ok(Polled::Batch(SourceBatch {
            records,
            positions: vec![self.position_of(position)],
        }))
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.reader = None;
        Ok(())
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

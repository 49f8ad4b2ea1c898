//! The file source's `file.format`s: how the next record is cut from the unread bytes.
//!
//! Each parser looks at the bytes after the last consumed one and answers one [`Step`]. The rule
//! that keeps tailing and resuming correct: a parser answers `Item` or `Skip` only for bytes that
//! are complete (a line with its newline, a whole JSON object, a CSV row with its terminator);
//! anything cut short answers `NeedMore`, so a half-written last line is never emitted, and a
//! position (the end of consumed bytes) is always a place where parsing can start again.
//!
//! - `lines`: one string record per line (`\n` or `\r\n`), Kafka's behaviour; bytes that are not
//!   UTF-8 are replaced (U+FFFD), as Kafka's reader does.
//! - `jsonl`: one JSON object per line; blank lines are skipped.
//! - `json`: JSON objects, either in one top-level array or concatenated; separators (`[`, `]`,
//!   `,`, whitespace) between objects are skipped, which is also what makes resuming in the
//!   middle of an array work.
//! - `csv`: the first row is the header (field names); every later row is a struct of optional
//!   strings. Values are not typed: CSV carries no types, and guessing per row would make the
//!   schema change from row to row and mangle values such as zip code `01234`.

use std::sync::Arc;

use memchr::memchr;
use schemas::json::infer::{self, value_for};
use schemas::{Data, Schema, SchemaKind, Value};
use serde_json::Value as J;

/// What the parser found at the start of the unread bytes.
#[derive(Debug)]
pub(crate) enum Step {
    /// A record made of the first `len` bytes.
    Item { len: usize, data: Data },
    /// `len` bytes that hold no record (a blank line, separators, the CSV header).
    Skip { len: usize },
    /// The next item is not complete yet.
    NeedMore,
    /// A malformed item of `len` bytes, starting `lines_in` lines into the unread bytes.
    Bad {
        len: usize,
        lines_in: usize,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Lines,
    Jsonl,
    Json,
    Csv,
}

impl FileFormat {
    pub const NAMES: &'static [&'static str] = &["lines", "jsonl", "json", "csv"];

    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "lines" => Some(FileFormat::Lines),
            "jsonl" | "ndjson" => Some(FileFormat::Jsonl),
            "json" => Some(FileFormat::Json),
            "csv" => Some(FileFormat::Csv),
            _ => None,
        }
    }
}

/// Kafka's FileStreamSource value schema: a required string.
static LINE_SCHEMA: std::sync::LazyLock<Arc<Schema>> =
    std::sync::LazyLock::new(|| Arc::new(Schema::new(SchemaKind::String)));

pub(crate) struct Parser {
    format: FileFormat,
    /// The last inferred JSON schema, reused while documents keep fitting it.
    json_schema: Option<Arc<Schema>>,
    csv: CsvState,
}

impl Parser {
    pub(crate) fn new(format: FileFormat) -> Self {
        Parser {
            format,
            json_schema: None,
            csv: CsvState::new(),
        }
    }

    /// Forget what was learned from the file (its CSV header): it starts over from byte 0.
    pub(crate) fn reset(&mut self) {
        self.csv.header = None;
        self.json_schema = None;
    }

    pub(crate) fn needs_header(&self) -> bool {
        self.format == FileFormat::Csv && self.csv.header.is_none()
    }

    pub(crate) fn next(&mut self, buf: &[u8]) -> Step {
        match self.format {
            FileFormat::Lines => next_line(buf),
            FileFormat::Jsonl => self.next_jsonl(buf),
            FileFormat::Json => self.next_json(buf),
            FileFormat::Csv => self.csv.next(buf),
        }
    }

    fn object_data(&mut self, json: &J) -> Result<Data, String> {
        if !json.is_object() {
            return Err(format!(
                "expected a JSON object, got {}",
                schemas::json::json_type_name(json).to_ascii_lowercase()
            ));
        }
        let schema = match &self.json_schema {
            Some(s) if infer::fits(s, json) => s.clone(),
            _ => {
                let s = infer::infer_schema(json);
                self.json_schema = Some(s.clone());
                s
            }
        };
        let value = value_for(&schema, json).map_err(|e| e.message)?;
        Ok(Data::new(Some(schema), value))
    }

    fn next_jsonl(&mut self, buf: &[u8]) -> Step {
        let Some(nl) = memchr(b'\n', buf) else {
            return Step::NeedMore;
        };
        let line = &buf[..nl];
        let len = nl + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            return Step::Skip { len };
        }
        let json: J = match serde_json::from_slice(line) {
            Ok(j) => j,
            Err(e) => {
                return Step::Bad {
                    len,
                    lines_in: 0,
                    message: format!("invalid JSON at column {}: {}", e.column(), json_error_text(&e)),
                };
            }
        };
        match self.object_data(&json) {
            Ok(data) => Step::Item { len, data },
            Err(message) => Step::Bad {
                len,
                lines_in: 0,
                message,
            },
        }
    }

    fn next_json(&mut self, buf: &[u8]) -> Step {
        let separators = buf
            .iter()
            .take_while(|b| b.is_ascii_whitespace() || matches!(b, b'[' | b']' | b','))
            .count();
        if separators > 0 {
            return Step::Skip { len: separators };
        }
        let Some(&first) = buf.first() else {
            return Step::NeedMore;
        };
        if first != b'{' {
            let len = memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
            return Step::Bad {
                len,
                lines_in: 0,
                message: format!("expected a JSON object, found {:?}", char::from(first)),
            };
        }
        let mut stream = serde_json::Deserializer::from_slice(buf).into_iter::<J>();
        match stream.next() {
            None => Step::NeedMore,
            Some(Err(e)) if e.is_eof() => Step::NeedMore,
            Some(Err(e)) => {
                // Resynchronise after the bad line: the rest of a broken object cannot be trusted.
                let lines_in = e.line().saturating_sub(1);
                let line_start = nth_line_start(buf, lines_in);
                let len = memchr(b'\n', &buf[line_start..]).map_or(buf.len(), |i| line_start + i + 1);
                Step::Bad {
                    len,
                    lines_in,
                    message: format!("invalid JSON at column {}: {}", e.column(), json_error_text(&e)),
                }
            }
            Some(Ok(json)) => {
                let len = stream.byte_offset();
                match self.object_data(&json) {
                    Ok(data) => Step::Item { len, data },
                    Err(message) => Step::Bad {
                        len,
                        lines_in: 0,
                        message,
                    },
                }
            }
        }
    }
}

fn nth_line_start(buf: &[u8], n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    memchr::memchr_iter(b'\n', buf)
        .nth(n - 1)
        .map_or(buf.len(), |i| i + 1)
}

/// serde_json's message without its " at line L column C" suffix (we say where ourselves).
fn json_error_text(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

fn next_line(buf: &[u8]) -> Step {
    let Some(nl) = memchr(b'\n', buf) else {
        return Step::NeedMore;
    };
    let end = if nl > 0 && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    let text = match std::str::from_utf8(&buf[..end]) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(&buf[..end]).into_owned(),
    };
    Step::Item {
        len: nl + 1,
        data: Data::new(Some(LINE_SCHEMA.clone()), Value::String(text)),
    }
}

/// CSV via csv-core: it parses incrementally and tells "record complete" from "input ran out",
/// which the `csv` crate's reader cannot over a growing file. Buffers are reused across rows.
struct CsvState {
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    header: Option<Arc<Schema>>,
}

impl CsvState {
    fn new() -> Self {
        CsvState {
            reader: csv_core::Reader::new(),
            out: vec![0; 4096],
            ends: vec![0; 64],
            header: None,
        }
    }

    /// One complete row: (bytes consumed, field count). None when the row is not complete.
    fn row(&mut self, buf: &[u8]) -> Option<(usize, usize)> {
        self.reader.reset();
        let (mut nin, mut nout, mut nend) = (0, 0, 0);
        loop {
            if nin >= buf.len() {
                // An empty input means "end of data" to csv-core; the file may still grow.
                return None;
            }
            let (res, i, o, e) =
                self.reader
                    .read_record(&buf[nin..], &mut self.out[nout..], &mut self.ends[nend..]);
            nin += i;
            nout += o;
            nend += e;
            match res {
                csv_core::ReadRecordResult::Record => return Some((nin, nend)),
                csv_core::ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                csv_core::ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => return None,
            }
        }
    }

    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.out[start..self.ends[i]]
    }

    fn next(&mut self, buf: &[u8]) -> Step {
        let Some((len, count)) = self.row(buf) else {
            return Step::NeedMore;
        };
        let Some(header) = self.header.clone() else {
            return match self.header_schema(count) {
                Ok(schema) => {
                    self.header = Some(schema);
                    Step::Skip { len }
                }
                Err(message) => Step::Bad {
                    len,
                    lines_in: 0,
                    message,
                },
            };
        };
        if count != header.fields.len() {
            return Step::Bad {
                len,
                lines_in: 0,
                message: format!("row has {count} fields, the header has {}", header.fields.len()),
            };
        }
        let mut values = Vec::with_capacity(count);
        for i in 0..count {
            match std::str::from_utf8(self.field(i)) {
                Ok(s) => values.push(Value::String(s.to_owned())),
                Err(_) => {
                    return Step::Bad {
                        len,
                        lines_in: 0,
                        message: format!("field {} is not valid UTF-8", header.fields[i].name),
                    };
                }
            }
        }
        Step::Item {
            len,
            data: Data::new(Some(header), Value::Struct(values)),
        }
    }

    fn header_schema(&self, count: usize) -> Result<Arc<Schema>, String> {
        let mut names: Vec<String> = Vec::with_capacity(count);
        for i in 0..count {
            let raw = std::str::from_utf8(self.field(i))
                .map_err(|_| format!("header column {} is not valid UTF-8", i + 1))?;
            let name = match raw.trim() {
                "" => format!("column{}", i + 1),
                n => n.to_owned(),
            };
            if names.contains(&name) {
                return Err(format!("header names column {name:?} twice"));
            }
            names.push(name);
        }
        let optional_string = Arc::new(Schema::new(SchemaKind::String).optional());
        Ok(Arc::new(
            Schema::structure(names.into_iter().map(|n| (n, optional_string.clone()))).optional(),
        ))
    }
}

/// Reads the CSV header from the first bytes of a file (used when resuming past it).
pub(crate) fn csv_header_from(parser: &mut Parser, prefix: &[u8]) -> Result<(), String> {
    let mut at = 0;
    while parser.needs_header() {
        match parser.csv.next(&prefix[at..]) {
            Step::Skip { len } => at += len,
            Step::Bad { message, .. } => return Err(message),
            Step::NeedMore | Step::Item { .. } => {
                return Err("the header row could not be read from the start of the file".into());
            }
        }
    }
    Ok(())
}

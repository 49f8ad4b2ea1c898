//! One running `HttpSource`'s push path: body -> records -> schema -> Connect data -> value
//! converter -> one append (plus one to the dead-letter queue) -> the answer.
//!
//! Order matters for the all-or-nothing rule: every record is parsed, checked against the
//! schema and encoded before anything is appended, so a refused push (errors.tolerance=none)
//! writes nothing. The inferred schema only moves forward once a push using it was written.
//!
//! Concurrency: pushes to one connector run side by side (bounded by
//! `http.max.inflight.requests`; beyond it the answer is 429). The inferred schema sits behind
//! a std mutex held only to read or swap the `Arc`, never across an await. A push that widens
//! the inferred schema registers, writes and moves the schema on under `widening`, an async
//! lock, after checking its records again against the schema it finds there: two pushes that
//! each bring a new field never register versions built on the same base (which would lose one
//! field, or give two fields one Protobuf number). Pushes that fit the current schema never
//! take it.
//!
//! Errors by kind: a record's own problem (ErrorKind::Data) refuses that record; a schema the
//! registry refuses refuses the records that need it (the others are written under the schema
//! as it was, with errors.tolerance=all); a registry or log that cannot be reached refuses the
//! whole push with 503 (retriable: nothing goes to the dead-letter queue for it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::Bytes;
use formats::Converter;
use parking_lot::Mutex;
use schemas::{ConnectError, Data, ErrorKind, Schema, Value};
use sources::http::body::{self, Framing};
use sources::http::{HttpSourceConfig, SchemaSource, batch};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::check;
use super::schema::FixedSchema;
use crate::log::{Log, LogError, LogRecord};
use crate::metrics::TaskMetrics;
use crate::runtime::task::{Origin, TopicSet, push_error_headers};
use crate::state::StateStore;

/// One refused record: its index in the push and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordError {
    pub index: usize,
    pub message: String,
}

/// A push that was written (possibly with refused records, under errors.tolerance=all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub accepted: usize,
    /// Refused records (sent to the dead-letter queue when one is configured).
    pub rejected: Vec<RecordError>,
    pub tolerate_errors: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The body is not JSON records at all.
    #[error("{0}")]
    Body(String),
    /// Records were refused and errors.tolerance=none: nothing was written.
    #[error("{count} of {total} records were refused; nothing was written", count = .errors.len())]
    Refused { total: usize, errors: Vec<RecordError> },
    /// http.max.inflight.requests pushes are already being handled.
    #[error("connector {0} is handling as many pushes as http.max.inflight.requests allows; retry shortly")]
    Busy(String),
    /// The connector was paused or stopped while the push arrived.
    #[error("connector {0} is not running")]
    Closed(String),
    /// The log refused or could not take the records.
    #[error("{0}")]
    Log(#[from] LogError),
    /// The schema registry (or another service a converter needs) cannot be reached: nothing
    /// was written, a retry may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// The schema registry refused the records' schema (not one of them, nor retriable): the
    /// subject's compatibility level or mode, or a key schema under `key.field`.
    #[error("the schema registry refused the records' schema; nothing was written: {0}")]
    SchemaRefused(String),
    /// A converter failed for a reason that is neither the record's nor retriable.
    #[error("{0}")]
    Internal(String),
}

pub struct HttpEndpoint {
    connector: String,
    task: u32,
    config: HttpSourceConfig,
    log: Arc<dyn Log>,
    value_converter: Arc<dyn Converter>,
    metrics: TaskMetrics,
    inflight: Arc<Semaphore>,
    /// False while the task is paused or stopping: pushes are turned away.
    open: AtomicBool,
    /// With value.schema.infer: the schema so far (None before the first written push, unless
    /// resumed from the subject's latest version).
    inferred: Mutex<Option<Arc<Schema>>>,
    /// With value.schema or value.schema.subject: the schema and the converter writing it.
    fixed: Option<FixedSchema>,
    key_converter: Arc<dyn Converter>,
    /// The worker's `http.max.body.bytes` when the connector does not set its own.
    default_max_body: usize,
    topics: TopicSet,
    store: StateStore,
    /// Held by a push that widens the inferred schema, from its final check to its write.
    widening: tokio::sync::Mutex<()>,
    /// `connector.class` and the value converter's class, for dead letters' `class.name`.
    connector_class: String,
    value_converter_class: String,
}

/// What the task hands over to build an endpoint.
pub struct EndpointParts {
    pub connector: String,
    pub task: u32,
    pub config: HttpSourceConfig,
    pub log: Arc<dyn Log>,
    pub value_converter: Arc<dyn Converter>,
    pub key_converter: Arc<dyn Converter>,
    pub metrics: TaskMetrics,
    pub fixed: Option<FixedSchema>,
    /// With value.schema.infer: the schema to widen from (the subject's latest version).
    pub inferred: Option<Arc<Schema>>,
    pub default_max_body: usize,
    pub topics: TopicSet,
    pub store: StateStore,
    pub connector_class: String,
    pub value_converter_class: String,
}

impl HttpEndpoint {
    pub fn new(parts: EndpointParts) -> HttpEndpoint {
        HttpEndpoint {
            inflight: Arc::new(Semaphore::new(parts.config.max_inflight_requests)),
            open: AtomicBool::new(false),
            connector: parts.connector,
            task: parts.task,
            config: parts.config,
            log: parts.log,
            value_converter: parts.value_converter,
            metrics: parts.metrics,
            inferred: Mutex::new(parts.inferred),
            fixed: parts.fixed,
            key_converter: parts.key_converter,
            default_max_body: parts.default_max_body,
            topics: parts.topics,
            store: parts.store,
            widening: tokio::sync::Mutex::new(()),
            connector_class: parts.connector_class,
            value_converter_class: parts.value_converter_class,
        }
    }

    pub fn connector(&self) -> &str {
        &self.connector
    }

    pub fn max_body_bytes(&self) -> usize {
        self.config.max_body_bytes.unwrap_or(self.default_max_body)
    }

    /// Takes one in-flight slot, or Busy. Taken before the body is read, so a connector under
    /// load does not buffer bodies it will not handle.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, PushError> {
        let permit = self
            .inflight
            .clone()
            .try_acquire_owned()
            .map_err(|_| PushError::Busy(self.connector.clone()))?;
        // Checked after taking the slot: `close` clears the flag before waiting for the slots,
        // so a push either sees the flag cleared or is waited for.
        if !self.open.load(Ordering::SeqCst) {
            return Err(PushError::Closed(self.connector.clone()));
        }
        Ok(permit)
    }

    /// Lets pushes in (the task is RUNNING).
    pub(crate) fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
    }

    /// Turns new pushes away and waits until the ones in flight have been answered: the task
    /// calls this when paused or stopped, after removing the endpoint from the map.
    pub(crate) async fn close(&self) {
        self.open.store(false, Ordering::SeqCst);
        let all = u32::try_from(self.config.max_inflight_requests).unwrap_or(u32::MAX);
        // Acquiring every slot means no push holds one; they are given back at once.
        let _all = self.inflight.acquire_many(all).await;
    }

    /// Handles one push. The caller holds a permit from [`HttpEndpoint::admit`].
    pub async fn push(&self, body: &[u8], framing: Framing) -> Result<Pushed, PushError> {
        let started = Instant::now();
        if let Some(pushed) = self.push_direct(body, framing, started).await? {
            return Ok(pushed);
        }
        let mut base = self.inferred.lock().clone();
        let (mut checked, mut raw) = self.check(base.as_ref(), body, framing).await?;
        // A push that widens the inferred schema goes on under the widening lock, checked again
        // against the schema as it is once the lock is held (another push may have moved it).
        let _widening = if self.config.schema == SchemaSource::Infer && widens(&checked, base.as_ref()) {
            let guard = self.widening.lock().await;
            let now = self.inferred.lock().clone();
            if !same(now.as_ref(), base.as_ref()) {
                base = now;
                (checked, raw) = self.check(base.as_ref(), body, framing).await?;
            }
            Some(guard)
        } else {
            None
        };
        let total = checked.values.len();
        self.metrics.read.inc_by(total as u64);
        if !self.config.tolerate_errors && checked.has_refusals() {
            let errors = refusals(&checked);
            return Err(self.refused(total, errors));
        }
        let converter = self
            .fixed
            .as_ref()
            .map_or(&self.value_converter, |f| f.converter());
        let mut schema = checked.schema.clone();
        // Which records fitted the checked (maybe widened) schema: if the registry refuses it,
        // only those that then fail under the schema as it was are refused for the widening.
        let fitted: Vec<bool> = checked.values.iter().map(Result::is_ok).collect();
        let (mut records, mut errors) = match self
            .encode_all(converter, schema.as_ref(), checked.values)
            .await?
        {
            Encoded::Done(records, errors) => (records, errors),
            Encoded::SchemaRefused(refusal) => {
                // A widened schema the registry refused: the records that fit the schema as it
                // was are written under it, the ones that need the new fields are refused with
                // the registry's reason. A refusal of a schema the records did not bring (a
                // fixed one, the schema as it was) is not their doing: the push is refused as a
                // whole (never dead-lettered).
                let widened = schema.as_ref().is_some_and(|s| !same(Some(s), base.as_ref()));
                match (&base, widened) {
                    (Some(b), true) => {
                        let raw_now = match &raw {
                            Some(raw) => raw.clone(),
                            None => body::split(body, framing).map_err(|e| PushError::Body(e.0))?,
                        };
                        let parsed = batch::parse(&raw_now);
                        let values = batch::to_values(b, &parsed)
                            .into_iter()
                            .zip(&fitted)
                            .map(|(v, fitted)| match v {
                                Err(m) if *fitted => Err(format!(
                                    "{m}; the schema widened to take it was refused: {refusal}"
                                )),
                                other => other,
                            })
                            .collect();
                        raw = Some(raw_now);
                        schema = Some(b.clone());
                        match self.encode_all(converter, schema.as_ref(), values).await? {
                            Encoded::Done(records, errors) => (records, errors),
                            Encoded::SchemaRefused(m) => return Err(PushError::SchemaRefused(m)),
                        }
                    }
                    // No schema before this push: the records alone define the one refused,
                    // so they are what is refused (by index, to the dead-letter queue with
                    // errors.tolerance=all).
                    (None, _) => (Vec::new(), all_refused(total, &refusal)),
                    _ => return Err(PushError::SchemaRefused(refusal)),
                }
            }
        };
        if !errors.is_empty() && !self.config.tolerate_errors {
            return Err(self.refused(total, errors));
        }
        let accepted = records.len();
        // Dead letters first: once the records are in their topic, a failure to write the dead
        // letters could only be answered with an error that makes the client push them again.
        if !errors.is_empty() {
            // The records as pushed: cut now if the one-pass read did not need to.
            let raw = match raw {
                Some(raw) => raw,
                None => body::split(body, framing).map_err(|e| PushError::Body(e.0))?,
            };
            self.dead_letter(&raw, &errors).await?;
        }
        if accepted > 0 {
            let appended = self
                .log
                .append(&self.config.topic, std::mem::take(&mut records))
                .await;
            if let Err(e) = appended {
                return Err(self.dead_letters_written(e, errors.len()));
            }
            self.note_topic(&self.config.topic).await;
            // Written with this schema: it becomes the base of the next inference, unless a
            // concurrent push already moved it on.
            if let (SchemaSource::Infer, Some(schema)) = (&self.config.schema, schema) {
                let mut current = self.inferred.lock();
                if same(current.as_ref(), base.as_ref()) {
                    *current = Some(schema);
                }
            }
        }
        self.metrics.written.inc_by(accepted as u64);
        self.metrics.errors.inc_by(errors.len() as u64);
        self.metrics
            .batch_seconds
            .observe(started.elapsed().as_secs_f64());
        errors.shrink_to_fit();
        Ok(Pushed {
            accepted,
            rejected: errors,
            tolerate_errors: self.config.tolerate_errors,
        })
    }

    /// A topic append that failed after the push's dead letters were written: the answer says
    /// so (a retry writes them again).
    fn dead_letters_written(&self, e: LogError, dead: usize) -> PushError {
        match (&self.config.dead_letter_topic, dead) {
            (Some(topic), 1..) => {
                let note = format!(
                    "; the push's {dead} refused records were already written to the dead-letter topic {topic} (a retry writes them again)"
                );
                PushError::Log(match e {
                    LogError::Unavailable(m) => LogError::Unavailable(m + &note),
                    LogError::Storage(m) => LogError::Storage(m + &note),
                    other => LogError::Storage(format!("{other}{note}")),
                })
            }
            _ => PushError::Log(e),
        }
    }

    /// Every checked record through the converters. A record's own problem is its error; the
    /// first error of another kind decides for the whole push (no converter call per record
    /// for a registry that refuses the schema or cannot be reached).
    async fn encode_all(
        &self,
        converter: &Arc<dyn Converter>,
        schema: Option<&Arc<Schema>>,
        values: Vec<Result<Value, String>>,
    ) -> Result<Encoded, PushError> {
        let key = match (&self.config.key_field, schema) {
            (Some(name), Some(schema)) => schema.field(name).map(|f| (f.index, f.schema.clone())),
            _ => None,
        };
        let max = self.log.max_record_bytes();
        let mut records: Vec<LogRecord> = Vec::with_capacity(values.len());
        let mut errors: Vec<RecordError> = Vec::new();
        for (index, value) in values.into_iter().enumerate() {
            let value = match (value, schema) {
                (Ok(value), Some(_)) => value,
                (Ok(_), None) => {
                    errors.push(RecordError {
                        index,
                        message: "no schema".to_owned(),
                    });
                    continue;
                }
                (Err(message), _) => {
                    errors.push(RecordError { index, message });
                    continue;
                }
            };
            let Some(schema) = schema else { continue };
            match self.encode(converter, schema, key.as_ref(), value).await {
                Ok(record) => match crate::log::too_large(&record, max) {
                    None => records.push(record),
                    Some((size, max)) => errors.push(RecordError {
                        index,
                        message: crate::log::too_large_message("the record", size, max),
                    }),
                },
                Err(e) => match e.kind {
                    ErrorKind::Data => errors.push(RecordError {
                        index,
                        message: e.message,
                    }),
                    ErrorKind::Schema => return Ok(Encoded::SchemaRefused(e.message)),
                    ErrorKind::Connection => return Err(PushError::Unavailable(e.message)),
                    ErrorKind::Config | ErrorKind::Io | ErrorKind::Internal => {
                        return Err(PushError::Internal(e.message));
                    }
                },
            }
        }
        Ok(Encoded::Done(records, errors))
    }

    /// The common case in one pass: a JSON array whose records all fit the current schema,
    /// written straight to the value converter's bytes (no Connect values) when the converter
    /// can (AvroConverter), in one buffer that every record's value is a slice of. None: the
    /// push takes the general path (which gives the same bytes, and names every refusal).
    /// The schema does not change, so the inferred one stays as it is.
    async fn push_direct(
        &self,
        body: &[u8],
        framing: Framing,
        started: Instant,
    ) -> Result<Option<Pushed>, PushError> {
        if framing != Framing::Json || self.config.key_field.is_some() {
            return Ok(None);
        }
        let (schema, converter) = match &self.fixed {
            Some(fixed) => {
                let loaded = fixed.current().await;
                if loaded.validator.is_some() {
                    return Ok(None);
                }
                (loaded.schema.clone(), fixed.converter())
            }
            None => match self.inferred.lock().clone() {
                Some(schema) => (schema, &self.value_converter),
                None => return Ok(None),
            },
        };
        // A converter that cannot (or a registration that fails): the general path decides.
        let Ok(Some(writer)) = converter.json_writer(&self.config.topic, &schema).await else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(body.len());
        let mut ends = Vec::with_capacity(body.len() / 64 + 1);
        if !writer.write_array(body, &mut out, &mut ends) {
            return Ok(None);
        }
        // Slices of the buffer, in order (a writer that broke this would be a bug: no panic).
        if !(ends.windows(2).all(|w| w[0] <= w[1]) && ends.last().is_none_or(|&e| e <= out.len())) {
            return Ok(None);
        }
        // A record larger than the log takes: the general path refuses it by name.
        if let Some(max) = self.log.max_record_bytes() {
            let mut start = 0;
            for &end in &ends {
                if crate::log::value_too_large(end - start, max) {
                    return Ok(None);
                }
                start = end;
            }
        }
        let out = Bytes::from(out);
        let mut start = 0;
        let records: Vec<LogRecord> = ends
            .iter()
            .map(|&end| {
                let value = out.slice(start..end);
                start = end;
                LogRecord {
                    value: Some(value),
                    ..LogRecord::default()
                }
            })
            .collect();
        let accepted = records.len();
        self.metrics.read.inc_by(accepted as u64);
        if accepted > 0 {
            self.log.append(&self.config.topic, records).await?;
            self.note_topic(&self.config.topic).await;
        }
        self.metrics.written.inc_by(accepted as u64);
        self.metrics
            .batch_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(Some(Pushed {
            accepted,
            rejected: Vec::new(),
            tolerate_errors: self.config.tolerate_errors,
        }))
    }

    /// The push's records under the connector's schema, and the body cut into records (None
    /// when a JSON array was read in one pass). With `value.schema.subject`, records the cached
    /// version refuses make the endpoint read the subject's latest version at once, and check
    /// them again under it when it is newer.
    async fn check<'b>(
        &self,
        base: Option<&Arc<Schema>>,
        body: &'b [u8],
        framing: Framing,
    ) -> Result<(check::Checked, Option<Vec<&'b [u8]>>), PushError> {
        let loaded = match &self.fixed {
            Some(fixed) => Some(fixed.current().await),
            None => None,
        };
        // The common case: a JSON array whose records all fit the current schema.
        let one_pass = match &loaded {
            Some(l) if l.validator.is_none() => Some(&l.schema),
            Some(_) => None,
            None => base,
        };
        if framing == Framing::Json
            && let Some(schema) = one_pass
            && let Some(values) = batch::fast_array(schema, body)
        {
            let checked = check::Checked {
                schema: Some(schema.clone()),
                values: values.into_iter().map(Ok).collect(),
            };
            return Ok((checked, None));
        }
        let raw = body::split(body, framing).map_err(|e| PushError::Body(e.0))?;
        let checked = match (&self.fixed, loaded) {
            (Some(fixed), Some(loaded)) => {
                let checked = check::fixed(&loaded, &raw);
                if checked.has_refusals()
                    && let Some(newer) = fixed.reread().await
                {
                    check::fixed(&newer, &raw)
                } else {
                    checked
                }
            }
            _ => check::inferred(base, &raw),
        };
        Ok((checked, Some(raw)))
    }

    /// One record's log form: its value through the value converter, and with `key.field` the
    /// field's value through the key converter (a null field: no key).
    async fn encode(
        &self,
        converter: &Arc<dyn Converter>,
        schema: &Arc<Schema>,
        key: Option<&(usize, Arc<Schema>)>,
        value: Value,
    ) -> Result<LogRecord, ConnectError> {
        let key = match (key, &value) {
            (Some((index, key_schema)), Value::Struct(fields)) => match fields.get(*index) {
                None | Some(Value::Null) => None,
                Some(k) => {
                    let data = Data::new(Some(key_schema.clone()), k.clone());
                    self.key_converter
                        .from_connect(&self.config.topic, Some(&data))
                        .await
                        .map_err(|mut e| {
                            e.message = format!(
                                "key.field {}: {}",
                                self.config.key_field.as_deref().unwrap_or_default(),
                                e.message
                            );
                            e
                        })?
                }
            },
            _ => None,
        };
        let data = Data::new(Some(schema.clone()), value);
        let value = converter.from_connect(&self.config.topic, Some(&data)).await?;
        Ok(LogRecord {
            key,
            value,
            ..LogRecord::default()
        })
    }

    fn refused(&self, total: usize, errors: Vec<RecordError>) -> PushError {
        self.metrics.errors.inc_by(errors.len() as u64);
        tracing::info!(
            connector = %self.connector,
            refused = errors.len(),
            total,
            first = %errors.first().map(|e| e.message.as_str()).unwrap_or_default(),
            "push refused; nothing written"
        );
        PushError::Refused { total, errors }
    }

    /// Refused records to the dead-letter queue (when configured), as they were pushed, with
    /// Kafka Connect's `__connect.errors.*` headers; else they are only logged.
    async fn dead_letter(&self, raw: &[&[u8]], errors: &[RecordError]) -> Result<(), PushError> {
        for e in errors.iter().take(3) {
            tracing::warn!(connector = %self.connector, index = e.index, error = %e.message, "record refused (errors.tolerance=all)");
        }
        let Some(topic) = self.config.dead_letter_topic.as_deref() else {
            return Ok(());
        };
        let origin = Origin {
            topic: &self.config.topic,
            partition: None,
            offset: None,
        };
        let max = self.log.max_record_bytes();
        let records: Vec<LogRecord> = errors
            .iter()
            .map(|e| {
                let value = raw.get(e.index).map(|r| Bytes::copy_from_slice(r));
                // A pushed record too large for the log (the reason it was refused, say) cannot
                // be a dead letter as it is: it goes without its value, and the message says so,
                // rather than failing the whole push on every retry.
                let dropped = value
                    .as_ref()
                    .filter(|v| {
                        // The headers: names, connector, classes (~1 KiB) and the message twice at most.
                        let headers = 1024 + 2 * e.message.len();
                        max.is_some_and(|m| crate::log::value_too_large(v.len() + headers, m))
                    })
                    .map(|v| v.len());
                let value = if dropped.is_some() { None } else { value };
                let message = match dropped {
                    Some(size) => format!(
                        "{} (the pushed record, {size} bytes, is too large for the dead-letter topic: its value is left out)",
                        e.message
                    ),
                    None => e.message.clone(),
                };
                let mut headers = Vec::with_capacity(8);
                let stage = if e.message.starts_with("invalid JSON") {
                    "TASK_POLL"
                } else {
                    "VALUE_CONVERTER"
                };
                if self.config.dead_letter_headers {
                    let class = if stage == "TASK_POLL" {
                        &self.connector_class
                    } else {
                        &self.value_converter_class
                    };
                    let error = ConnectError::new(ErrorKind::Data, message);
                    push_error_headers(
                        &mut headers,
                        (&self.connector, self.task),
                        &origin,
                        (stage, class),
                        &error,
                    );
                }
                LogRecord {
                    value,
                    headers,
                    ..LogRecord::default()
                }
            })
            .collect();
        self.log.append(topic, records).await?;
        self.note_topic(topic).await;
        Ok(())
    }

    async fn note_topic(&self, topic: &str) {
        let new = self.topics.lock().insert(topic.to_owned());
        if new && let Err(e) = self.store.add_topic(&self.connector, topic).await {
            tracing::warn!(topic, error = %e, "could not record the connector's topic");
        }
    }
}

/// What encoding a push's records came to.
enum Encoded {
    /// The records written, and the refused ones.
    Done(Vec<LogRecord>, Vec<RecordError>),
    /// The registry refused the schema (the registry's message): no record can be written
    /// under it.
    SchemaRefused(String),
}

/// Whether the check widened the inferred schema (a new `Arc` than the base).
fn widens(checked: &check::Checked, base: Option<&Arc<Schema>>) -> bool {
    checked.schema.as_ref().is_some_and(|s| !same(Some(s), base))
}

fn same(a: Option<&Arc<Schema>>, b: Option<&Arc<Schema>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn refusals(checked: &check::Checked) -> Vec<RecordError> {
    checked
        .values
        .iter()
        .enumerate()
        .filter_map(|(index, v)| {
            v.as_ref().err().map(|m| RecordError {
                index,
                message: m.clone(),
            })
        })
        .collect()
}

fn all_refused(total: usize, message: &str) -> Vec<RecordError> {
    (0..total)
        .map(|index| RecordError {
            index,
            message: message.to_owned(),
        })
        .collect()
}

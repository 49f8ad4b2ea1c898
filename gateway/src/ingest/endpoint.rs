//! One running `HttpSource`'s push path: body -> records -> schema -> Connect data -> value
//! converter -> one append (plus one to the dead-letter queue) -> the answer.
//!
//! Order matters for the all-or-nothing rule: every record is parsed, checked against the
//! schema and encoded before anything is appended, so a refused push (errors.tolerance=none)
//! writes nothing. The inferred schema only moves forward once a push using it was written.
//!
//! Concurrency: pushes to one connector run side by side (bounded by
//! `http.max.inflight.requests`; beyond it the answer is 429). The inferred schema sits behind
//! a std mutex held only to read or swap the `Arc`, never across an await.

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
        let base = self.inferred.lock().clone();
        let (checked, raw) = self.check(base.as_ref(), body, framing).await?;
        let total = checked.values.len();
        self.metrics.read.inc_by(total as u64);
        let mut errors: Vec<RecordError> = Vec::new();
        if !self.config.tolerate_errors && checked.has_refusals() {
            errors.extend(checked.values.iter().enumerate().filter_map(|(index, v)| {
                v.as_ref().err().map(|m| RecordError {
                    index,
                    message: m.clone(),
                })
            }));
            return Err(self.refused(total, errors));
        }
        let mut records: Vec<LogRecord> = Vec::with_capacity(total);
        let converter = self
            .fixed
            .as_ref()
            .map_or(&self.value_converter, |f| f.converter());
        let schema = checked.schema;
        let key = match (&self.config.key_field, &schema) {
            (Some(name), Some(schema)) => schema.field(name).map(|f| (f.index, f.schema.clone())),
            _ => None,
        };
        for (index, value) in checked.values.into_iter().enumerate() {
            let record = match (value, &schema) {
                (Ok(value), Some(schema)) => self.encode(converter, schema, key.as_ref(), value).await,
                (Ok(_), None) => Err("no schema".to_owned()),
                (Err(m), _) => Err(m),
            };
            match record {
                Ok(record) => records.push(record),
                Err(message) => errors.push(RecordError { index, message }),
            }
        }
        if !errors.is_empty() && !self.config.tolerate_errors {
            return Err(self.refused(total, errors));
        }
        let accepted = records.len();
        if accepted > 0 {
            self.log.append(&self.config.topic, records).await?;
            self.note_topic(&self.config.topic).await;
            // Written with this schema: it becomes the base of the next inference, unless a
            // concurrent push already moved it on.
            if let (SchemaSource::Infer, Some(schema)) = (&self.config.schema, schema) {
                let mut current = self.inferred.lock();
                let unchanged = match (&*current, &base) {
                    (Some(c), Some(b)) => Arc::ptr_eq(c, b),
                    (None, None) => true,
                    _ => false,
                };
                if unchanged {
                    *current = Some(schema);
                }
            }
        }
        if !errors.is_empty() {
            // The records as pushed: cut now if the one-pass read did not need to.
            let raw = match raw {
                Some(raw) => raw,
                None => body::split(body, framing).map_err(|e| PushError::Body(e.0))?,
            };
            self.dead_letter(&raw, &errors).await?;
        }
        self.metrics.written.inc_by(accepted as u64);
        self.metrics.errors.inc_by(errors.len() as u64);
        self.metrics
            .batch_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(Pushed {
            accepted,
            rejected: errors,
            tolerate_errors: self.config.tolerate_errors,
        })
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
    ) -> Result<LogRecord, String> {
        let key = match (key, &value) {
            (Some((index, key_schema)), Value::Struct(fields)) => match fields.get(*index) {
                None | Some(Value::Null) => None,
                Some(k) => {
                    let data = Data::new(Some(key_schema.clone()), k.clone());
                    self.key_converter
                        .from_connect(&self.config.topic, Some(&data))
                        .await
                        .map_err(|e| {
                            format!(
                                "key.field {}: {}",
                                self.config.key_field.as_deref().unwrap_or_default(),
                                e.message
                            )
                        })?
                }
            },
            _ => None,
        };
        let data = Data::new(Some(schema.clone()), value);
        let value = converter
            .from_connect(&self.config.topic, Some(&data))
            .await
            .map_err(|e| e.message)?;
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
        let records: Vec<LogRecord> = errors
            .iter()
            .map(|e| {
                let mut headers = Vec::with_capacity(8);
                let stage = if e.message.starts_with("invalid JSON") {
                    "TASK_POLL"
                } else {
                    "VALUE_CONVERTER"
                };
                let error = ConnectError::new(ErrorKind::Data, e.message.clone());
                push_error_headers(&mut headers, (&self.connector, self.task), &origin, stage, &error);
                LogRecord {
                    value: raw.get(e.index).map(|r| Bytes::copy_from_slice(r)),
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

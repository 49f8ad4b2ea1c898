//! The source task loop: poll -> encode with the converters -> append to the log -> keep the
//! batch's positions -> store them (at most every `offset.flush.interval.ms`, and at stop) ->
//! tell the source they are committed.
//!
//! What must stay true: a position is stored only after every record before it was
//! acknowledged by the log, so a restart never skips a record (at-least-once), and a graceful
//! stop stores the last positions, so a restart repeats nothing.

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use schemas::{ConnectError, ErrorKind, Polled, SourceBatch, SourcePosition};
use sources::Source;
use tracing::Instrument;

use super::status::{State, Status};
use super::task::{Control, TaskContext, backoff, log_error};
use crate::log::LogRecord;
use crate::plugins::Factory;
use crate::state::canonical_json;

pub async fn run(mut ctx: TaskContext) {
    let span = tracing::info_span!("task", connector = %ctx.connector, task = ctx.task);
    async move {
        tracing::info!("source task starting");
        match run_loop(&mut ctx).await {
            Ok(()) => tracing::info!("source task stopped"),
            Err(e) => {
                tracing::error!(error = %e, "source task failed");
                ctx.set_status(Status::failed(e.message));
            }
        }
    }
    .instrument(span)
    .await
}

/// Positions waiting to be stored, one per source partition (the latest wins).
type Pending = BTreeMap<String, SourcePosition>;

async fn run_loop(ctx: &mut TaskContext) -> Result<(), ConnectError> {
    let Factory::Source(factory) = ctx.factory else {
        return Err(ConnectError::internal(
            "a sink plugin was started as a source task",
        ));
    };
    let mut source = factory(&ctx.config)?;
    let stored = ctx
        .shared
        .store
        .source_offsets(&ctx.connector)
        .await
        .map_err(|e| ConnectError::internal(format!("reading stored source offsets: {e}")))?;
    source.start(stored).await?;

    let interval = ctx.shared.worker.offset_flush_interval;
    let mut pending = Pending::new();
    let mut last_flush = Instant::now();
    let mut attempt = 0u32;
    let mut done = false;
    let result = loop {
        match ctx.wanted() {
            Control::Stop => break Ok(()),
            Control::Pause => {
                if let Err(e) = flush(ctx, source.as_mut(), &mut pending).await {
                    break Err(e);
                }
                ctx.set_state(State::Paused);
                ctx.wait_change(Control::Pause).await;
                continue;
            }
            Control::Run => ctx.set_state(State::Running),
        }
        if done {
            ctx.idle(interval).await;
        } else {
            match source.poll().await {
                Ok(Polled::Batch(batch)) => {
                    attempt = 0;
                    if let Err(e) = send(ctx, batch, &mut pending).await {
                        break Err(e);
                    }
                }
                Ok(Polled::Idle) => ctx.idle(std::time::Duration::from_millis(50)).await,
                Ok(Polled::Done) => done = true,
                Err(e) if e.retriable => {
                    tracing::warn!(error = %e, "source poll failed; retrying");
                    ctx.idle(backoff(attempt)).await;
                    attempt += 1;
                }
                // A bad record the source has already stepped over: skipped under
                // errors.tolerance=all (record_error says which), else the task fails.
                Err(e) if e.kind == ErrorKind::Data => {
                    if let Err(e) = ctx.record_error(e, || "a record read by the source".to_owned()) {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e),
            }
        }
        if !pending.is_empty() && last_flush.elapsed() >= interval {
            if let Err(e) = flush(ctx, source.as_mut(), &mut pending).await {
                break Err(e);
            }
            last_flush = Instant::now();
        }
    };
    // Whatever was acknowledged is stored even when the task fails, so a restart resumes there.
    // The state store can be briefly busy; a few retries keep a graceful stop from repeating
    // records on the next start.
    let last: Vec<String> = pending.values().map(|p| canonical_json(&p.offset)).collect();
    let mut flushed = flush(ctx, source.as_mut(), &mut pending).await;
    for attempt in 0..5 {
        let Err(e) = &flushed else { break };
        tracing::warn!(error = %e, "storing the last source positions failed; retrying");
        tokio::time::sleep(backoff(attempt)).await;
        flushed = flush(ctx, source.as_mut(), &mut pending).await;
    }
    match &flushed {
        Ok(()) => tracing::info!(positions = ?last, "last source positions stored"),
        Err(e) => tracing::error!(error = %e, positions = ?last, "the last source positions were not stored"),
    }
    if let Err(e) = source.stop().await {
        tracing::warn!(error = %e, "source stop failed");
    }
    result.and(flushed)
}

/// Encodes and appends one batch; its positions join `pending` once the log acknowledged it.
async fn send(ctx: &TaskContext, batch: SourceBatch, pending: &mut Pending) -> Result<(), ConnectError> {
    let started = Instant::now();
    let polled = batch.records.len();
    ctx.metrics.read.inc_by(polled as u64);
    // Records grouped by topic, in order (a batch usually has one topic).
    let mut by_topic: Vec<(String, Vec<LogRecord>)> = Vec::new();
    for record in batch.records {
        let key = ctx
            .key_converter
            .from_connect(&record.topic, record.key.as_ref())
            .await;
        let value = ctx
            .value_converter
            .from_connect(&record.topic, record.value.as_ref())
            .await;
        let (key, value) = match (key, value) {
            (Ok(k), Ok(v)) => (k, v),
            (Err(e), _) | (_, Err(e)) => {
                ctx.record_error(e, || format!("a record for topic {}", record.topic))?;
                continue;
            }
        };
        let log_record = LogRecord {
            partition: record.partition,
            key,
            value,
            headers: record
                .headers
                .into_iter()
                .map(|h| (h.key, h.value))
                .collect::<Vec<(String, Option<Bytes>)>>(),
            timestamp: record.timestamp,
        };
        match by_topic.iter_mut().find(|(t, _)| *t == record.topic) {
            Some((_, records)) => records.push(log_record),
            None => by_topic.push((record.topic, vec![log_record])),
        }
    }
    let mut appended = 0u64;
    for (topic, records) in by_topic {
        appended += records.len() as u64;
        append(ctx, &topic, records).await?;
        ctx.note_topic(&topic).await;
    }
    ctx.metrics.written.inc_by(appended);
    ctx.metrics.batch_seconds.observe(started.elapsed().as_secs_f64());
    for position in batch.positions {
        pending.insert(canonical_json(&position.partition), position);
    }
    Ok(())
}

/// Appends, retrying while the log says a retry can help and the task is not asked to stop.
async fn append(ctx: &TaskContext, topic: &str, records: Vec<LogRecord>) -> Result<(), ConnectError> {
    let mut attempt = 0u32;
    loop {
        match ctx.shared.log.append(topic, records.clone()).await {
            Ok(_) => return Ok(()),
            Err(e) if e.retriable() && attempt < 20 && *ctx.control.borrow() != Control::Stop => {
                tracing::warn!(topic, error = %e, "append failed; retrying");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => return Err(log_error(&format!("appending to topic {topic}"), e)),
        }
    }
}

/// Stores pending positions, then tells the source.
async fn flush(
    ctx: &TaskContext,
    source: &mut dyn Source,
    pending: &mut Pending,
) -> Result<(), ConnectError> {
    if pending.is_empty() {
        return Ok(());
    }
    let positions: Vec<SourcePosition> = pending.values().cloned().collect();
    ctx.shared
        .store
        .put_source_offsets(&ctx.connector, &positions)
        .await
        .map_err(|e| ConnectError::internal(format!("storing source offsets: {e}")))?;
    // Kept until stored, so a failed store is retried with the same (or newer) positions.
    pending.clear();
    tracing::debug!(positions = ?positions, "source positions stored");
    source.commit(&positions).await
}

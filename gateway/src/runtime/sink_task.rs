//! The sink task loop: consume from the log in group `connect-{connector}` -> decode with the
//! converters -> `Sink::write` -> periodically `flush` -> commit exactly what flush returned.
//!
//! What must stay true: the group's committed offsets never pass what the sink reported
//! durable, so a crash replays at most what was written after the last flush, and a graceful
//! stop flushes and commits everything written, so a restart repeats nothing.

use std::time::{Duration, Instant};

use schemas::{Committable, ConnectError, Header, Record, SinkRecord, TopicPartition};
use sinks::Sink;
use tracing::Instrument;

use super::status::{State, Status};
use super::task::{Control, Origin, TaskContext, backoff, log_error, push_error_headers};
use crate::config::worker::connector_converter;
use crate::log::{ConsumedRecord, LogConsumer, LogRecord};
use crate::plugins::Factory;

/// Records per poll: large enough to amortise a write, small enough to bound memory.
const MAX_POLL_RECORDS: usize = 2000;
const POLL_WAIT: Duration = Duration::from_millis(100);

pub async fn run(mut ctx: TaskContext) {
    let span = tracing::info_span!("task", connector = %ctx.connector, task = ctx.task);
    async move {
        tracing::info!("sink task starting");
        match run_loop(&mut ctx).await {
            Ok(()) => tracing::info!("sink task stopped"),
            Err(e) => {
                tracing::error!(error = %e, "sink task failed");
                ctx.set_status(Status::failed(e.message));
            }
        }
    }
    .instrument(span)
    .await
}

async fn run_loop(ctx: &mut TaskContext) -> Result<(), ConnectError> {
    let Factory::Sink(factory) = ctx.factory else {
        return Err(ConnectError::internal(
            "a source plugin was started as a sink task",
        ));
    };
    let Some(subscription) = ctx.subscription.clone() else {
        return Err(ConnectError::config(
            "topics",
            "a sink needs topics or topics.regex",
        ));
    };
    let mut sink = factory(&ctx.config)?;
    sink.start().await?;
    let group = format!("connect-{}", ctx.connector);
    let mut consumer = ctx
        .shared
        .log
        .consumer(&group, subscription)
        .await
        .map_err(|e| log_error(&format!("joining consumer group {group}"), e))?;

    let interval = ctx.shared.worker.offset_flush_interval;
    let mut dirty = false;
    let mut skipped = Committable::new();
    let mut last_flush = Instant::now();
    let mut attempt = 0u32;
    let result = loop {
        match ctx.wanted() {
            Control::Stop => break Ok(()),
            Control::Pause => {
                if dirty {
                    if let Err(e) = flush(sink.as_mut(), consumer.as_mut(), &mut skipped).await {
                        break Err(e);
                    }
                    dirty = false;
                }
                ctx.set_state(State::Paused);
                ctx.wait_change(Control::Pause).await;
                continue;
            }
            Control::Run => ctx.set_state(State::Running),
        }
        match consumer.poll(MAX_POLL_RECORDS, POLL_WAIT).await {
            Ok(records) if records.is_empty() => {}
            Ok(records) => {
                attempt = 0;
                match deliver(ctx, sink.as_mut(), records, &mut skipped).await {
                    Ok(()) => dirty = true,
                    Err(e) => break Err(e),
                }
            }
            Err(e) if e.retriable() => {
                tracing::warn!(error = %e, "consuming failed; retrying");
                ctx.idle(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => break Err(log_error("consuming", e)),
        }
        if dirty && last_flush.elapsed() >= interval {
            if let Err(e) = flush(sink.as_mut(), consumer.as_mut(), &mut skipped).await {
                break Err(e);
            }
            dirty = false;
            last_flush = Instant::now();
        }
    };
    // Even a failing task commits what the sink says is durable: it is in the target.
    let flushed = if result.is_ok() || dirty {
        flush(sink.as_mut(), consumer.as_mut(), &mut skipped).await
    } else {
        Ok(())
    };
    if let Err(e) = sink.stop().await {
        tracing::warn!(error = %e, "sink stop failed");
    }
    // Leave the group now, so the offsets API of a stopped connector finds it empty.
    consumer.close().await;
    result.and(flushed)
}

/// Decodes and writes one polled batch (skipped records go to `skipped` and, when configured,
/// to the dead-letter queue).
async fn deliver(
    ctx: &TaskContext,
    sink: &mut dyn Sink,
    records: Vec<ConsumedRecord>,
    skipped: &mut Committable,
) -> Result<(), ConnectError> {
    let started = Instant::now();
    ctx.metrics.read.inc_by(records.len() as u64);
    let mut batch = Vec::with_capacity(records.len());
    let mut dead = Vec::new();
    let mut last_topic: Option<String> = None;
    for r in records {
        if last_topic.as_deref() != Some(r.topic.as_str()) {
            ctx.note_topic(&r.topic).await;
            last_topic = Some(r.topic.clone());
        }
        let key = ctx.key_converter.to_connect(&r.topic, r.key.as_deref()).await;
        let value = ctx.value_converter.to_connect(&r.topic, r.value.as_deref()).await;
        let (key, value) = match (key, value) {
            (Ok(k), Ok(v)) => (k, v),
            (Err(e), _) => {
                skip(ctx, &r, "KEY_CONVERTER", e, skipped, &mut dead)?;
                continue;
            }
            (_, Err(e)) => {
                skip(ctx, &r, "VALUE_CONVERTER", e, skipped, &mut dead)?;
                continue;
            }
        };
        batch.push(SinkRecord {
            record: Record {
                topic: r.topic,
                partition: Some(r.partition),
                key,
                value,
                headers: r
                    .headers
                    .into_iter()
                    .map(|(key, value)| Header { key, value })
                    .collect(),
                timestamp: Some(r.timestamp),
            },
            partition: r.partition,
            offset: r.offset,
        });
    }
    if let Some(topic) = ctx.dead_letter_topic.as_deref().filter(|_| !dead.is_empty()) {
        ctx.shared
            .log
            .append(topic, dead)
            .await
            .map_err(|e| log_error(&format!("writing to the dead-letter queue {topic}"), e))?;
    }
    if batch.is_empty() {
        return Ok(());
    }
    let n = batch.len() as u64;
    sink.write(batch).await?;
    ctx.metrics.written.inc_by(n);
    ctx.metrics.batch_seconds.observe(started.elapsed().as_secs_f64());
    Ok(())
}

/// A record that failed to convert: fails the task, or (errors.tolerance=all) is skipped,
/// remembered for the commit and queued for the dead-letter topic.
fn skip(
    ctx: &TaskContext,
    r: &ConsumedRecord,
    stage: &str,
    error: ConnectError,
    skipped: &mut Committable,
    dead: &mut Vec<LogRecord>,
) -> Result<(), ConnectError> {
    let at = || format!("topic {} partition {} offset {}", r.topic, r.partition, r.offset);
    ctx.record_error(error.clone(), at)?;
    if ctx.dead_letter_topic.is_some() {
        dead.push(dead_letter(ctx, r, stage, &error));
    }
    let tp = TopicPartition {
        topic: r.topic.clone(),
        partition: r.partition,
    };
    let next = skipped.entry(tp).or_insert(r.offset + 1);
    *next = (*next).max(r.offset + 1);
    Ok(())
}

/// Flushes the sink and commits exactly the offsets it reported durable, moved past records
/// that were skipped (errors.tolerance=all): flush made every earlier write durable, so
/// nothing before a skipped record is left uncommitted-but-lost.
async fn flush(
    sink: &mut dyn Sink,
    consumer: &mut dyn LogConsumer,
    skipped: &mut Committable,
) -> Result<(), ConnectError> {
    let mut committable = sink.flush().await?;
    for (tp, next) in std::mem::take(skipped) {
        let entry = committable.entry(tp).or_insert(next);
        *entry = (*entry).max(next);
    }
    if committable.is_empty() {
        return Ok(());
    }
    consumer
        .commit(&committable)
        .await
        .map_err(|e| log_error("committing consumer offsets", e))
}

/// A skipped record for the dead-letter queue: its original bytes plus Kafka Connect's
/// `__connect.errors.*` headers saying where it came from and why it failed.
fn dead_letter(ctx: &TaskContext, r: &ConsumedRecord, stage: &str, error: &ConnectError) -> LogRecord {
    let mut headers = r.headers.clone();
    let origin = Origin {
        topic: &r.topic,
        partition: Some(r.partition),
        offset: Some(r.offset),
    };
    let class = match stage {
        "KEY_CONVERTER" => connector_converter(&ctx.config, &ctx.shared.worker, "key.converter", true).class,
        "VALUE_CONVERTER" => {
            connector_converter(&ctx.config, &ctx.shared.worker, "value.converter", false).class
        }
        _ => ctx.config.get("connector.class").cloned().unwrap_or_default(),
    };
    push_error_headers(
        &mut headers,
        (&ctx.connector, ctx.task),
        &origin,
        (stage, &class),
        error,
    );
    LogRecord {
        partition: None,
        key: r.key.clone(),
        value: r.value.clone(),
        headers,
        timestamp: Some(r.timestamp),
    }
}

//! The sink task loop: consume from the log in group `connect-{connector}` -> decode with the
//! converters -> `Sink::write` -> periodically `flush` -> commit exactly what flush returned.
//!
//! What must stay true: the group's committed offsets never pass what the sink reported
//! durable, so a crash replays at most what was written after the last flush, and a graceful
//! stop flushes and commits everything written, so a restart repeats nothing.

use std::time::{Duration, Instant};

use schemas::{ConnectError, Header, Record, SinkRecord};
use sinks::Sink;
use tracing::Instrument;

use super::status::{State, Status};
use super::task::{Control, TaskContext, backoff, log_error};
use crate::log::{ConsumedRecord, LogConsumer};
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
    let mut last_flush = Instant::now();
    let mut attempt = 0u32;
    let result = loop {
        match ctx.wanted() {
            Control::Stop => break Ok(()),
            Control::Pause => {
                if dirty {
                    if let Err(e) = flush(sink.as_mut(), consumer.as_mut()).await {
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
                match deliver(ctx, sink.as_mut(), records).await {
                    Ok(wrote) => dirty |= wrote,
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
            if let Err(e) = flush(sink.as_mut(), consumer.as_mut()).await {
                break Err(e);
            }
            dirty = false;
            last_flush = Instant::now();
        }
    };
    // Even a failing task commits what the sink says is durable: it is in the target.
    let flushed = if result.is_ok() || dirty {
        flush(sink.as_mut(), consumer.as_mut()).await
    } else {
        Ok(())
    };
    if let Err(e) = sink.stop().await {
        tracing::warn!(error = %e, "sink stop failed");
    }
    result.and(flushed)
}

/// Decodes and writes one polled batch; false when every record was skipped.
async fn deliver(
    ctx: &TaskContext,
    sink: &mut dyn Sink,
    records: Vec<ConsumedRecord>,
) -> Result<bool, ConnectError> {
    let started = Instant::now();
    ctx.metrics.read.inc_by(records.len() as u64);
    let mut batch = Vec::with_capacity(records.len());
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
            (Err(e), _) | (_, Err(e)) => {
                let at = format!("topic {} partition {} offset {}", r.topic, r.partition, r.offset);
                ctx.record_error(e, || at)?;
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
    if batch.is_empty() {
        return Ok(false);
    }
    let n = batch.len() as u64;
    sink.write(batch).await?;
    ctx.metrics.written.inc_by(n);
    ctx.metrics.batch_seconds.observe(started.elapsed().as_secs_f64());
    Ok(true)
}

/// Flushes the sink and commits exactly the offsets it reported durable.
async fn flush(sink: &mut dyn Sink, consumer: &mut dyn LogConsumer) -> Result<(), ConnectError> {
    let committable = sink.flush().await?;
    if committable.is_empty() {
        return Ok(());
    }
    consumer
        .commit(&committable)
        .await
        .map_err(|e| log_error("committing consumer offsets", e))
}

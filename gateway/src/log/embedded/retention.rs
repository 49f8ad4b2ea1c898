//! Retention: deletes whole batches past `log.retention.ms` or `log.retention.bytes`.
//!
//! What must stay true: only a prefix of a partition's batches is deleted (offsets stay dense
//! from the earliest retained one), and never the newest batch — it carries the partition's next
//! offset across restarts. Time: a batch goes when its newest record is older than
//! `retention_ms` (Kafka judges a segment by its largest timestamp the same way). Size: the
//! oldest batches go while the partition holds more than `retention_bytes`. Deletion runs under
//! the writer lock, one partition at a time, so appends wait at most one partition's delete.
//! Consumers positioned before the new earliest offset move to it on their next poll.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use tokio_util::sync::CancellationToken;

use super::{Inner, TopicState, closed_error, now_ms, store};
use crate::log::LogResult;

/// What one retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub batches_deleted: u64,
    pub records_deleted: i64,
}

/// The background task: one pass every `retention_check_interval` until cancelled or the log
/// is dropped (it holds only a weak reference).
pub(crate) async fn run(inner: Weak<Inner>, cancel: CancellationToken) {
    loop {
        let interval = match inner.upgrade() {
            Some(i) => i.config.retention_check_interval,
            None => return,
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        let Some(inner) = inner.upgrade() else { return };
        match enforce(&inner).await {
            Ok(r) if r.batches_deleted > 0 => tracing::info!(
                batches = r.batches_deleted,
                records = r.records_deleted,
                "embedded log retention deleted old batches"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "embedded log retention pass failed"),
        }
    }
}

/// One retention pass over every partition.
pub(crate) async fn enforce(inner: &Inner) -> LogResult<RetentionReport> {
    let mut report = RetentionReport::default();
    let (retention_ms, retention_bytes) = (inner.config.retention_ms, inner.config.retention_bytes);
    if retention_ms < 0 && retention_bytes < 0 {
        return Ok(report);
    }
    let mut topics: Vec<Arc<TopicState>> = inner.topics.read().values().cloned().collect();
    topics.sort_by_key(|t| t.id);
    let now = now_ms();
    for topic in topics {
        for (p, state) in topic.partitions.iter().enumerate() {
            let mut writer = inner.writer.lock().await;
            let conn = writer.as_mut().ok_or_else(closed_error)?;
            let extents = store::batch_extents(conn, topic.id, p as i32).await?;
            let Some((_newest, older)) = extents.split_last() else {
                continue;
            };
            let mut remaining: i64 = extents.iter().map(|(_, size, _)| size).sum();
            let mut upto = None;
            let mut batches = 0;
            for (last_offset, size, max_timestamp) in older {
                let expired = retention_ms >= 0 && now.saturating_sub(*max_timestamp) > retention_ms;
                let too_big = retention_bytes >= 0 && remaining > retention_bytes;
                if !(expired || too_big) {
                    break;
                }
                remaining -= size;
                upto = Some(*last_offset);
                batches += 1;
            }
            let Some(upto) = upto else { continue };
            store::delete_batches_upto(conn, topic.id, p as i32, upto).await?;
            let old_start = state.start.swap(upto + 1, Ordering::AcqRel);
            report.batches_deleted += batches;
            report.records_deleted += upto + 1 - old_start;
            tracing::debug!(
                topic = %topic.name, partition = p, new_start = upto + 1, batches,
                "retention deleted batches"
            );
        }
    }
    if report.batches_deleted > 0 {
        let mut writer = inner.writer.lock().await;
        let conn = writer.as_mut().ok_or_else(closed_error)?;
        store::reclaim(conn).await?;
    }
    Ok(report)
}

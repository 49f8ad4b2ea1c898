//! The embedded log against a real temporary directory: the shared behaviour suite
//! (`log_suite`, also run against Kafka by `kafka_log.rs`), plus what only the embedded log
//! does: one writer per directory, retention, reads that span partitions in one poll, two
//! consumers of one group.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gateway::log::embedded::{EmbeddedLog, EmbeddedLogConfig};
use gateway::log::{Log, LogError, LogRecord, Subscription};
use schemas::TopicPartition;

#[macro_use]
mod log_suite;

struct Embedded {
    dir: tempfile::TempDir,
}

#[async_trait::async_trait(?Send)]
impl log_suite::Harness for Embedded {
    async fn open(&self) -> Arc<dyn Log> {
        EmbeddedLog::open(config(self.dir.path())).await.unwrap()
    }
}

async fn embedded() -> Embedded {
    Embedded {
        dir: tempfile::tempdir().unwrap(),
    }
}

behaviour_suite!(embedded);

fn config(dir: &std::path::Path) -> EmbeddedLogConfig {
    EmbeddedLogConfig::new(dir.join("log"))
}

fn value(v: &str) -> LogRecord {
    LogRecord {
        value: Some(Bytes::from(v.to_owned())),
        ..LogRecord::default()
    }
}

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition {
        topic: topic.to_owned(),
        partition,
    }
}

const LONG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_second_open_of_the_same_directory_is_refused_until_close() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    let err = EmbeddedLog::open(config(dir.path())).await.unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");
    log.close().await;
    let err = log.append("t", vec![value("v")]).await.unwrap_err();
    assert!(err.retriable(), "{err}");
    let again = EmbeddedLog::open(config(dir.path())).await.unwrap();
    again.close().await;
}

fn sized(i: usize, len: usize) -> LogRecord {
    LogRecord {
        value: Some(Bytes::from(format!("{i:08}").repeat(len / 8))),
        ..LogRecord::default()
    }
}

fn disk_usage(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("log dir")
        .map(|e| e.and_then(|e| e.metadata()).map_or(0, |m| m.len()))
        .sum()
}

#[tokio::test]
async fn retention_by_bytes_deletes_oldest_batches_and_moves_consumers_forward() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    // Each batch below holds 10 records of ~10 KB: about 100 KB. Keep at most ~350 KB.
    cfg.retention_bytes = 350_000;
    let log = EmbeddedLog::open(cfg.clone()).await.unwrap();
    for b in 0..40 {
        let batch = (0..10).map(|i| sized(b * 10 + i, 10_000)).collect();
        log.append("big", batch).await.unwrap();
    }
    let mut behind = log
        .consumer("behind", Subscription::Topics(vec!["big".into()]))
        .await
        .unwrap();
    assert_eq!(behind.poll(5, LONG).await.unwrap()[0].offset, 0);
    behind.commit(&BTreeMap::from([(tp("big", 0), 5)])).await.unwrap();
    let before = disk_usage(&cfg.dir);

    let report = log.enforce_retention().await.unwrap();
    assert_eq!(report.batches_deleted, 37);
    assert_eq!(report.records_deleted, 370);
    assert_eq!(log.offsets("big", 0).unwrap(), (370, 400));
    let after = disk_usage(&cfg.dir);
    assert!(
        after < before / 2,
        "space is handed back: {before} bytes before, {after} after"
    );

    // The consumer was at offset 5, now gone: it continues at the earliest retained offset.
    let got = behind.poll(1000, LONG).await.unwrap();
    assert_eq!(got.first().map(|r| r.offset), Some(370));
    assert_eq!(got.len(), 30);
    assert_eq!(got[0].value, sized(370, 10_000).value);
    // So does a group that resumes from a commit retention overtook.
    let mut resumed = log
        .consumer("behind", Subscription::Topics(vec!["big".into()]))
        .await
        .unwrap();
    assert_eq!(resumed.poll(1, LONG).await.unwrap()[0].offset, 370);
    // Offsets continue after retention and after reopen.
    log.close().await;
    let log = EmbeddedLog::open(cfg).await.unwrap();
    assert_eq!(log.offsets("big", 0).unwrap(), (370, 400));
    let appended = log.append("big", vec![value("next")]).await.unwrap();
    assert_eq!(appended[0].offset, 400);
    log.close().await;
}

#[tokio::test]
async fn retention_never_deletes_the_newest_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.retention_bytes = 0;
    cfg.retention_ms = 0;
    let log = EmbeddedLog::open(cfg.clone()).await.unwrap();
    log.append("t", vec![value("a"), value("b")]).await.unwrap();
    log.append("t", vec![value("c")]).await.unwrap();
    log.enforce_retention().await.unwrap();
    log.enforce_retention().await.unwrap();
    assert_eq!(log.offsets("t", 0).unwrap(), (2, 3));
    log.close().await;
    let log = EmbeddedLog::open(cfg).await.unwrap();
    assert_eq!(log.append("t", vec![value("d")]).await.unwrap()[0].offset, 3);
    log.close().await;
}

#[tokio::test]
async fn retention_by_time_runs_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.retention_check_interval = Duration::from_millis(50);
    let log = EmbeddedLog::open(cfg).await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let at = |ts: i64, v: &str| LogRecord {
        timestamp: Some(ts),
        ..value(v)
    };
    let eight_days = 8 * 24 * 3600 * 1000;
    log.append(
        "t",
        vec![at(now - eight_days - 5, "old1"), at(now - eight_days, "old2")],
    )
    .await
    .unwrap();
    // A batch is judged by its newest record: one recent record keeps the whole batch.
    log.append("t", vec![at(now - eight_days, "old3"), at(now, "new1")])
        .await
        .unwrap();
    log.append("t", vec![at(now - eight_days, "old-but-newest")])
        .await
        .unwrap();
    let mut consumer = log
        .consumer("g", Subscription::Topics(vec!["t".into()]))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + LONG;
    while log.offsets("t", 0).unwrap().0 == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(log.offsets("t", 0).unwrap(), (2, 5));
    let got = consumer.poll(100, LONG).await.unwrap();
    let values: Vec<&[u8]> = got.iter().filter_map(|r| r.value.as_deref()).collect();
    assert_eq!(values, vec![&b"old3"[..], b"new1", b"old-but-newest"]);
    log.close().await;
}

#[tokio::test]
async fn one_poll_reads_on_into_the_next_partition_and_seeks_mid_batch() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    log.create_topic("s", 2).await.unwrap();
    for p in 0..2 {
        let batch = (0..100)
            .map(|i| LogRecord {
                partition: Some(p),
                ..value(&format!("{p}-{i}"))
            })
            .collect();
        log.append("s", batch).await.unwrap();
    }
    let mut consumer = log
        .consumer("g", Subscription::Topics(vec!["s".into()]))
        .await
        .unwrap();
    let got = consumer.poll(150, LONG).await.unwrap();
    assert_eq!(got.len(), 150);
    let from_p1 = got.iter().filter(|r| r.partition == 1).count();
    assert!(
        from_p1 == 50 || from_p1 == 100,
        "one poll reads on into the next partition"
    );
    consumer.seek(&tp("s", 1), 42).await.unwrap();
    consumer.seek(&tp("s", 0), 99).await.unwrap();
    let mut rest = Vec::new();
    loop {
        let got = consumer.poll(1000, Duration::from_millis(50)).await.unwrap();
        if got.is_empty() {
            break;
        }
        rest.extend(got.into_iter().map(|r| (r.partition, r.offset, r.value.unwrap())));
    }
    rest.sort();
    let mut want: Vec<(i32, i64, Bytes)> = vec![(0, 99, Bytes::from("0-99"))];
    want.extend((42..100).map(|i| (1, i, Bytes::from(format!("1-{i}")))));
    assert_eq!(rest, want);
    let err = consumer.seek(&tp("s", 2), 0).await.unwrap_err();
    assert!(
        matches!(err, LogError::UnknownPartition { partition: 2, .. }),
        "{err}"
    );
    let err = consumer.seek(&tp("nope", 0), 0).await.unwrap_err();
    assert!(matches!(err, LogError::UnknownTopic(_)), "{err}");
    log.close().await;
}

#[tokio::test]
async fn two_consumers_of_one_group_leave_consistent_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    log.append("t", (0..20).map(|i| value(&i.to_string())).collect())
        .await
        .unwrap();
    let mut a = log
        .consumer("same", Subscription::Topics(vec!["t".into()]))
        .await
        .unwrap();
    let mut b = log
        .consumer("same", Subscription::Topics(vec!["t".into()]))
        .await
        .unwrap();
    let (ra, rb) = tokio::join!(a.poll(20, LONG), b.poll(20, LONG));
    assert_eq!((ra.unwrap().len(), rb.unwrap().len()), (20, 20));
    let (to20, to12) = (
        BTreeMap::from([(tp("t", 0), 20)]),
        BTreeMap::from([(tp("t", 0), 12)]),
    );
    let (ca, cb) = tokio::join!(a.commit(&to20), b.commit(&to12));
    ca.unwrap();
    cb.unwrap();
    let committed = log.committed("same").await.unwrap();
    let offset = committed[&tp("t", 0)];
    assert!(
        offset == 20 || offset == 12,
        "one of the commits wins whole: {offset}"
    );
    assert_eq!(committed.len(), 1);
    log.close().await;
}

#[tokio::test]
async fn a_batch_of_a_few_huge_records_and_many_tiny_ones_is_appended() {
    // The buffer was once sized from the first records' average times the batch's length:
    // here that asked for terabytes and aborted the process.
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    let mut records = vec![value(&"x".repeat(15_000_000))];
    records.extend((0..400_000).map(|_| value("")));
    let appended = log.append("mixed", records).await.unwrap();
    assert_eq!(appended.len(), 400_001);
    assert_eq!(log.partition_offsets("mixed", 0).await.unwrap(), (0, 400_001));
}

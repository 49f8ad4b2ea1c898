//! The embedded log against a real temporary directory: what a connector or a user of the log
//! would notice (records come back as written, offsets survive restarts, groups resume, polls
//! wake, retention bounds the disk, acknowledged appends survive kill -9).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gateway::log::embedded::{EmbeddedLog, EmbeddedLogConfig};
use gateway::log::{Log, LogError, LogRecord, Subscription};
use schemas::TopicPartition;

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
async fn records_round_trip_with_keys_tombstones_headers_and_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    log.create_topic("orders", 3).await.unwrap();
    let records = vec![
        LogRecord {
            partition: Some(2),
            key: Some(Bytes::from_static(b"k1")),
            value: Some(Bytes::from_static(b"{\"id\":1}")),
            headers: vec![
                ("trace".to_owned(), Some(Bytes::from_static(b"abc"))),
                ("empty".to_owned(), Some(Bytes::new())),
                ("null".to_owned(), None),
            ],
            timestamp: Some(1_600_000_000_123),
        },
        LogRecord {
            partition: Some(2),
            key: Some(Bytes::from_static(b"k1")),
            value: None, // tombstone
            headers: vec![],
            timestamp: None,
        },
        LogRecord {
            partition: Some(2),
            key: None,
            value: Some(Bytes::new()),
            headers: vec![],
            timestamp: Some(-5),
        },
    ];
    let before = chrono::Utc::now().timestamp_millis();
    let appended = log.append("orders", records.clone()).await.unwrap();
    assert_eq!(
        appended
            .iter()
            .map(|a| (a.partition, a.offset))
            .collect::<Vec<_>>(),
        vec![(2, 0), (2, 1), (2, 2)]
    );
    let mut consumer = log
        .consumer("g", Subscription::Topics(vec!["orders".into()]))
        .await
        .unwrap();
    let got = consumer.poll(100, LONG).await.unwrap();
    assert_eq!(got.len(), 3);
    for (i, (got, want)) in got.iter().zip(&records).enumerate() {
        assert_eq!(got.topic, "orders");
        assert_eq!((got.partition, got.offset), (2, i as i64));
        assert_eq!(got.key, want.key);
        assert_eq!(got.value, want.value);
        assert_eq!(got.headers, want.headers);
    }
    assert_eq!(got[0].timestamp, 1_600_000_000_123);
    assert!(
        got[1].timestamp >= before,
        "a missing timestamp becomes the append time"
    );
    assert_eq!(got[2].timestamp, -5);
    assert_eq!(
        log.topics().await.unwrap(),
        BTreeMap::from([("orders".to_owned(), 3)])
    );
    log.close().await;
}

#[tokio::test]
async fn keys_land_where_kafka_puts_them_and_keyless_batches_stick_together() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    log.create_topic("keyed", 4).await.unwrap();
    // Kafka: toPositive(murmur2("21")) % 4 with murmur2("21") = -973932308 -> partition 0;
    // murmur2("foobar") = -790332482 -> 1357151166 % 4 = 2.
    let keyed = |k: &'static [u8]| LogRecord {
        key: Some(Bytes::from_static(k)),
        value: Some(Bytes::from_static(b"v")),
        ..LogRecord::default()
    };
    let appended = log
        .append("keyed", vec![keyed(b"21"), keyed(b"foobar")])
        .await
        .unwrap();
    assert_eq!(appended[0].partition, (-973_932_308i32 & 0x7fff_ffff) % 4);
    assert_eq!(appended[1].partition, (-790_332_482i32 & 0x7fff_ffff) % 4);
    let keyless = log
        .append("keyed", (0..50).map(|i| value(&i.to_string())).collect())
        .await
        .unwrap();
    let first = keyless[0].partition;
    assert!(
        keyless.iter().all(|a| a.partition == first),
        "one batch, one partition"
    );
    let err = log
        .append(
            "keyed",
            vec![LogRecord {
                partition: Some(4),
                ..value("x")
            }],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, LogError::UnknownPartition { partition: 4, .. }),
        "{err}"
    );
    log.close().await;
}

#[tokio::test]
async fn offsets_are_dense_across_batches_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = 0i64;
    for round in 0..3 {
        let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
        for batch in 0..4 {
            let n = 1 + batch * 7;
            let appended = log
                .append(
                    "dense",
                    (0..n).map(|i| value(&format!("{round}-{batch}-{i}"))).collect(),
                )
                .await
                .unwrap();
            let offsets: Vec<i64> = appended.iter().map(|a| a.offset).collect();
            assert_eq!(offsets, (expected..expected + n as i64).collect::<Vec<_>>());
            expected += n as i64;
        }
        log.close().await;
    }
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    assert_eq!(log.offsets("dense", 0).unwrap(), (0, expected));
    let mut consumer = log
        .consumer("reader", Subscription::Topics(vec!["dense".into()]))
        .await
        .unwrap();
    let mut offsets = Vec::new();
    // Small polls end inside batches: reads must resume mid-batch.
    loop {
        let got = consumer.poll(5, Duration::from_millis(50)).await.unwrap();
        if got.is_empty() {
            break;
        }
        offsets.extend(got.iter().map(|r| r.offset));
    }
    assert_eq!(offsets, (0..expected).collect::<Vec<_>>());
    log.close().await;
}

#[tokio::test]
async fn a_group_resumes_from_its_commit_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
        log.append("t", (0..10).map(|i| value(&i.to_string())).collect())
            .await
            .unwrap();
        let mut consumer = log
            .consumer("sink", Subscription::Topics(vec!["t".into()]))
            .await
            .unwrap();
        let got = consumer.poll(4, LONG).await.unwrap();
        assert_eq!(got.len(), 4);
        consumer.commit(&BTreeMap::from([(tp("t", 0), 4)])).await.unwrap();
        // Read further without committing: these come again after the restart.
        assert_eq!(consumer.poll(3, LONG).await.unwrap().len(), 3);
        log.close().await;
    }
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    assert_eq!(
        log.committed("sink").await.unwrap(),
        BTreeMap::from([(tp("t", 0), 4)])
    );
    let mut consumer = log
        .consumer("sink", Subscription::Topics(vec!["t".into()]))
        .await
        .unwrap();
    let got = consumer.poll(100, LONG).await.unwrap();
    assert_eq!(
        got.iter().map(|r| r.value.clone().unwrap()).collect::<Vec<_>>(),
        (4..10).map(|i| Bytes::from(i.to_string())).collect::<Vec<_>>()
    );
    // Another group starts from the earliest offset.
    let mut other = log
        .consumer("other", Subscription::Topics(vec!["t".into()]))
        .await
        .unwrap();
    assert_eq!(other.poll(100, LONG).await.unwrap().len(), 10);
    // The offsets API of a stopped connector: overwrite, delete one, delete the group.
    log.set_committed(
        "sink",
        BTreeMap::from([(tp("t", 0), Some(8)), (tp("u", 1), Some(3))]),
    )
    .await
    .unwrap();
    assert_eq!(
        log.committed("sink").await.unwrap(),
        BTreeMap::from([(tp("t", 0), 8), (tp("u", 1), 3)])
    );
    log.set_committed("sink", BTreeMap::from([(tp("u", 1), None)]))
        .await
        .unwrap();
    assert_eq!(
        log.committed("sink").await.unwrap(),
        BTreeMap::from([(tp("t", 0), 8)])
    );
    let mut resumed = log
        .consumer("sink", Subscription::Topics(vec!["t".into()]))
        .await
        .unwrap();
    assert_eq!(resumed.poll(100, LONG).await.unwrap()[0].offset, 8);
    log.delete_group("sink").await.unwrap();
    assert!(log.committed("sink").await.unwrap().is_empty());
    let err = log
        .set_committed("sink", BTreeMap::from([(tp("t", 0), Some(-1))]))
        .await
        .unwrap_err();
    assert!(matches!(err, LogError::InvalidArgument(_)), "{err}");
    log.close().await;
}

#[tokio::test]
async fn poll_wakes_when_an_append_lands() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    log.create_topic("wake", 2).await.unwrap();
    let mut consumer = log
        .consumer("g", Subscription::Topics(vec!["wake".into()]))
        .await
        .unwrap();
    assert!(
        consumer
            .poll(10, Duration::from_millis(20))
            .await
            .unwrap()
            .is_empty()
    );
    let poller = tokio::spawn(async move { consumer.poll(10, Duration::from_secs(60)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !poller.is_finished(),
        "poll returned before anything was appended"
    );
    let writer = Arc::clone(&log);
    writer.append("wake", vec![value("hello")]).await.unwrap();
    // Without a wake-up the poll would run into its 60 s timeout and return nothing.
    let got = poller.await.unwrap().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value.as_deref(), Some(&b"hello"[..]));
    log.close().await;
}

#[tokio::test]
async fn pattern_subscriptions_pick_up_new_topics() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    log.append("metrics.cpu", vec![value("1")]).await.unwrap();
    log.append("other", vec![value("x")]).await.unwrap();
    let mut consumer = log
        .consumer("p", Subscription::Pattern("metrics\\..*".into()))
        .await
        .unwrap();
    let got = consumer.poll(10, LONG).await.unwrap();
    assert_eq!(
        got.iter().map(|r| r.topic.as_str()).collect::<Vec<_>>(),
        vec!["metrics.cpu"]
    );
    let poller = tokio::spawn(async move {
        let got = consumer.poll(10, Duration::from_secs(60)).await;
        (consumer, got)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    log.append("metrics.mem", vec![value("2")]).await.unwrap();
    let (mut consumer, got) = poller.await.unwrap();
    let got = got.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].topic, "metrics.mem");
    // A topic that does not match the whole pattern stays out.
    log.append("xmetrics.disk", vec![value("3")]).await.unwrap();
    assert!(
        consumer
            .poll(10, Duration::from_millis(100))
            .await
            .unwrap()
            .is_empty()
    );
    let Err(err) = log.consumer("p", Subscription::Pattern("(".into())).await else {
        panic!("a broken pattern was accepted");
    };
    assert!(matches!(err, LogError::InvalidArgument(_)), "{err}");
    log.close().await;
}

#[tokio::test]
async fn invalid_topic_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(config(dir.path())).await.unwrap();
    for bad in ["", "..", "with space", "a/b", &"x".repeat(250)] {
        let err = log.append(bad, vec![value("v")]).await.unwrap_err();
        assert!(
            matches!(&err, LogError::InvalidTopic(n) if n == bad),
            "{bad}: {err}"
        );
        assert!(log.create_topic(bad, 1).await.is_err());
    }
    let Err(err) = log
        .consumer("g", Subscription::Topics(vec!["bad name".into()]))
        .await
    else {
        panic!("a bad topic name was accepted");
    };
    assert!(matches!(err, LogError::InvalidTopic(_)), "{err}");
    assert!(log.topics().await.unwrap().is_empty());
    log.close().await;
}

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
async fn seek_rereads_from_the_middle_of_a_batch_and_polls_spread_over_partitions() {
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

//! One behaviour suite for every [`Log`] implementation: what a connector or a user of the log
//! would notice (records come back as written, offsets are dense and survive reopening, groups
//! resume from their commits, polls wake, patterns pick up new topics, seeks reread).
//!
//! `embedded_log.rs` runs it against the embedded log, `kafka_log.rs` against a real tansu
//! broker. A [`Harness`] opens the log again on the same data (embedded: the same directory;
//! Kafka: a new client of the same broker). Cases close every consumer of a group before the
//! offsets of that group are changed, as the runtime does (a sink connector is STOPPED first).

#![allow(dead_code)] // each test binary uses the parts it needs
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use gateway::log::{ConsumedRecord, Log, LogConsumer, LogError, LogRecord, Subscription};
use schemas::TopicPartition;

/// Not `Send`: opening the embedded log holds a SQLite connection across awaits.
#[async_trait(?Send)]
pub trait Harness {
    /// Opens the log; the data of earlier opens (closed first) is there.
    async fn open(&self) -> Arc<dyn Log>;
}

/// Runs every case of the suite as a test, each with a fresh harness from `$make().await`.
#[macro_export]
macro_rules! behaviour_suite {
    ($make:path) => {
        mod behaviour {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn records_round_trip_with_keys_tombstones_headers_and_timestamps() {
                $crate::log_suite::records_round_trip(&$make().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn keys_land_where_kafka_puts_them_and_keyless_batches_stick_together() {
                $crate::log_suite::keys_and_sticky_batches(&$make().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn offsets_are_dense_across_batches_and_reopen() {
                $crate::log_suite::dense_offsets(&$make().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_group_resumes_from_its_commit_after_reopen() {
                $crate::log_suite::group_resumes(&$make().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn poll_wakes_when_an_append_lands() {
                $crate::log_suite::poll_wakes(&$make().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn pattern_subscriptions_pick_up_new_topics() {
                $crate::log_suite::patterns(&$make().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn invalid_topic_names_are_refused() {
                $crate::log_suite::invalid_names(&$make().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn seek_rereads_from_the_middle_of_a_batch() {
                $crate::log_suite::seek_rereads(&$make().await).await;
            }
        }
    };
}

pub const LONG: Duration = Duration::from_secs(30);

pub fn value(v: &str) -> LogRecord {
    LogRecord {
        value: Some(Bytes::from(v.to_owned())),
        ..LogRecord::default()
    }
}

pub fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition {
        topic: topic.to_owned(),
        partition,
    }
}

fn topics(names: &[&str]) -> Subscription {
    Subscription::Topics(names.iter().map(|n| (*n).to_owned()).collect())
}

/// Polls until `n` records came (each poll asks for at most what is missing), or panics after
/// [`LONG`]. A poll returns what is there, so one poll may bring fewer.
pub async fn poll_n(consumer: &mut dyn LogConsumer, n: usize) -> Vec<ConsumedRecord> {
    let deadline = tokio::time::Instant::now() + LONG;
    let mut out = Vec::new();
    while out.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} records came within {LONG:?}",
            out.len()
        );
        let got = consumer.poll(n - out.len(), LONG).await.expect("poll");
        assert!(got.len() <= n - out.len(), "a poll returned more than asked");
        out.extend(got);
    }
    out
}

/// Asserts that nothing more comes within a short wait.
pub async fn assert_drained(consumer: &mut dyn LogConsumer) {
    let got = consumer
        .poll(1000, Duration::from_millis(500))
        .await
        .expect("poll");
    assert!(
        got.is_empty(),
        "expected nothing more, got {:?}",
        got.iter()
            .map(|r| (&r.topic, r.partition, r.offset))
            .collect::<Vec<_>>()
    );
}

pub async fn records_round_trip(h: &dyn Harness) {
    let log = h.open().await;
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
            timestamp: Some(1_500_000_000_000),
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
    let mut consumer = log.consumer("g", topics(&["orders"])).await.unwrap();
    let got = poll_n(consumer.as_mut(), 3).await;
    for (i, (got, want)) in got.iter().zip(&records).enumerate() {
        assert_eq!(got.topic, "orders");
        assert_eq!((got.partition, got.offset), (2, i as i64));
        assert_eq!(got.key, want.key, "record {i}");
        assert_eq!(got.value, want.value, "record {i}");
        assert_eq!(got.headers, want.headers, "record {i}");
    }
    assert_eq!(got[0].timestamp, 1_600_000_000_123);
    assert!(
        got[1].timestamp >= before,
        "a missing timestamp becomes the append time"
    );
    assert_eq!(got[2].timestamp, 1_500_000_000_000);
    assert_drained(consumer.as_mut()).await;
    assert_eq!(
        log.topics().await.unwrap(),
        BTreeMap::from([("orders".to_owned(), 3)])
    );
    consumer.close().await;
    log.close().await;
}

pub async fn keys_and_sticky_batches(h: &dyn Harness) {
    let log = h.open().await;
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
    let offsets: Vec<i64> = keyless.iter().map(|a| a.offset).collect();
    let base = offsets[0];
    assert_eq!(offsets, (base..base + 50).collect::<Vec<_>>(), "in order, dense");
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

pub async fn dense_offsets(h: &dyn Harness) {
    let mut expected = 0i64;
    for round in 0..3 {
        let log = h.open().await;
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
    let log = h.open().await;
    let mut consumer = log.consumer("reader", topics(&["dense"])).await.unwrap();
    // Small polls end inside batches: reads must resume mid-batch.
    let mut offsets = Vec::new();
    while offsets.len() < expected as usize {
        let got = consumer.poll(5, LONG).await.unwrap();
        assert!(
            !got.is_empty() && got.len() <= 5,
            "a poll of at most 5 got {}",
            got.len()
        );
        offsets.extend(got.iter().map(|r| r.offset));
    }
    assert_eq!(offsets, (0..expected).collect::<Vec<_>>());
    assert_drained(consumer.as_mut()).await;
    consumer.close().await;
    log.close().await;
}

pub async fn group_resumes(h: &dyn Harness) {
    {
        let log = h.open().await;
        log.append("t", (0..10).map(|i| value(&i.to_string())).collect())
            .await
            .unwrap();
        let mut consumer = log.consumer("sink", topics(&["t"])).await.unwrap();
        assert_eq!(poll_n(consumer.as_mut(), 4).await.len(), 4);
        consumer.commit(&BTreeMap::from([(tp("t", 0), 4)])).await.unwrap();
        // Read further without committing: these come again after the restart.
        assert_eq!(poll_n(consumer.as_mut(), 3).await.len(), 3);
        consumer.close().await;
        log.close().await;
    }
    let log = h.open().await;
    log.create_topic("u", 2).await.unwrap();
    assert_eq!(
        log.committed("sink").await.unwrap(),
        BTreeMap::from([(tp("t", 0), 4)])
    );
    let mut consumer = log.consumer("sink", topics(&["t"])).await.unwrap();
    let got = poll_n(consumer.as_mut(), 6).await;
    assert_eq!(
        got.iter().map(|r| r.value.clone().unwrap()).collect::<Vec<_>>(),
        (4..10).map(|i| Bytes::from(i.to_string())).collect::<Vec<_>>()
    );
    consumer.close().await;
    // Another group starts from the earliest offset.
    let mut other = log.consumer("other", topics(&["t"])).await.unwrap();
    assert_eq!(poll_n(other.as_mut(), 10).await.len(), 10);
    assert_drained(other.as_mut()).await;
    other.close().await;
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
    let mut resumed = log.consumer("sink", topics(&["t"])).await.unwrap();
    assert_eq!(poll_n(resumed.as_mut(), 1).await[0].offset, 8);
    resumed.close().await;
    log.delete_group("sink").await.unwrap();
    assert!(log.committed("sink").await.unwrap().is_empty());
    log.delete_group("never-existed").await.unwrap();
    let err = log
        .set_committed("sink", BTreeMap::from([(tp("t", 0), Some(-1))]))
        .await
        .unwrap_err();
    assert!(matches!(err, LogError::InvalidArgument(_)), "{err}");
    log.close().await;
}

pub async fn poll_wakes(h: &dyn Harness) {
    let log = h.open().await;
    log.create_topic("wake", 2).await.unwrap();
    let mut consumer = log.consumer("g", topics(&["wake"])).await.unwrap();
    assert!(
        consumer
            .poll(10, Duration::from_millis(20))
            .await
            .unwrap()
            .is_empty()
    );
    let poller = tokio::spawn(async move {
        let got = consumer.poll(10, Duration::from_secs(60)).await;
        (consumer, got)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !poller.is_finished(),
        "poll returned before anything was appended"
    );
    log.append("wake", vec![value("hello")]).await.unwrap();
    // Without a wake-up the poll would run into its 60 s timeout and return nothing.
    let (mut consumer, got) = poller.await.unwrap();
    let got = got.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value.as_deref(), Some(&b"hello"[..]));
    consumer.close().await;
    log.close().await;
}

pub async fn patterns(h: &dyn Harness) {
    let log = h.open().await;
    log.append("metrics.cpu", vec![value("1")]).await.unwrap();
    log.append("other", vec![value("x")]).await.unwrap();
    let mut consumer = log
        .consumer("p", Subscription::Pattern("metrics\\..*".into()))
        .await
        .unwrap();
    let got = poll_n(consumer.as_mut(), 1).await;
    assert_eq!(got[0].topic, "metrics.cpu");
    let poller = tokio::spawn(async move {
        let got = consumer.poll(10, Duration::from_secs(60)).await;
        (consumer, got)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    log.append("metrics.mem", vec![value("2")]).await.unwrap();
    let (mut consumer, got) = poller.await.unwrap();
    let got = got.unwrap();
    assert_eq!(
        got.iter().map(|r| r.topic.as_str()).collect::<Vec<_>>(),
        vec!["metrics.mem"],
        "the new topic's record, and metrics.cpu's not again"
    );
    // A topic that does not match the whole pattern stays out.
    log.append("xmetrics.disk", vec![value("3")]).await.unwrap();
    assert!(
        consumer
            .poll(10, Duration::from_millis(1500))
            .await
            .unwrap()
            .is_empty()
    );
    consumer.close().await;
    let Err(err) = log.consumer("p", Subscription::Pattern("(".into())).await else {
        panic!("a broken pattern was accepted");
    };
    assert!(matches!(err, LogError::InvalidArgument(_)), "{err}");
    log.close().await;
}

pub async fn invalid_names(h: &dyn Harness) {
    let log = h.open().await;
    for bad in ["", "..", "with space", "a/b", &"x".repeat(250)] {
        let err = log.append(bad, vec![value("v")]).await.unwrap_err();
        assert!(
            matches!(&err, LogError::InvalidTopic(n) if n == bad),
            "{bad}: {err}"
        );
        assert!(log.create_topic(bad, 1).await.is_err());
    }
    let Err(err) = log.consumer("g", topics(&["bad name"])).await else {
        panic!("a bad topic name was accepted");
    };
    assert!(matches!(err, LogError::InvalidTopic(_)), "{err}");
    let err = log.create_topic("zero", 0).await.unwrap_err();
    assert!(matches!(err, LogError::InvalidArgument(_)), "{err}");
    assert!(log.topics().await.unwrap().is_empty());
    log.close().await;
}

pub async fn seek_rereads(h: &dyn Harness) {
    let log = h.open().await;
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
    let mut consumer = log.consumer("g", topics(&["s"])).await.unwrap();
    assert_eq!(poll_n(consumer.as_mut(), 150).await.len(), 150);
    consumer.seek(&tp("s", 1), 42).await.unwrap();
    consumer.seek(&tp("s", 0), 99).await.unwrap();
    let mut rest: Vec<(i32, i64, Bytes)> = poll_n(consumer.as_mut(), 59)
        .await
        .into_iter()
        .map(|r| (r.partition, r.offset, r.value.unwrap()))
        .collect();
    assert_drained(consumer.as_mut()).await;
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
    let err = consumer.seek(&tp("s", 0), -1).await.unwrap_err();
    assert!(matches!(err, LogError::InvalidArgument(_)), "{err}");
    consumer.close().await;
    log.close().await;
}

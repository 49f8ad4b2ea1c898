//! Throughput of the embedded log: append and read of 200-byte records in batches of 1,000
//! (issue 2's target: at least 200,000 records/s each way). Run with `bench/log.sh`.
//! Criterion reports records/s ("elem/s"); MB/s = records/s x 200 B.

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gateway::log::embedded::{EmbeddedLog, EmbeddedLogConfig};
use gateway::log::{Log, LogRecord, Subscription};
use schemas::TopicPartition;

const BATCH: usize = 1_000;
const RECORD_BYTES: usize = 200;

fn batch(keyed: bool) -> Vec<LogRecord> {
    (0..BATCH)
        .map(|i| {
            let mut value = format!("{{\"id\":{i},\"name\":\"customer-{i}\",\"note\":\"");
            value.extend(std::iter::repeat_n('x', RECORD_BYTES - value.len() - 2));
            value.push_str("\"}");
            LogRecord {
                key: keyed.then(|| Bytes::from(format!("customer-{i}"))),
                value: Some(Bytes::from(value)),
                ..LogRecord::default()
            }
        })
        .collect()
}

fn embedded_log(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = EmbeddedLogConfig::new(dir.path().join("log"));
    config.default_partitions = 1;
    let log = rt.block_on(EmbeddedLog::open(config)).expect("open log");
    rt.block_on(log.create_topic("keyed", 3)).expect("create topic");

    let mut group = c.benchmark_group("embedded_log");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));

    let plain = batch(false);
    // Read first, on a fresh database: 200,000 records (40 MB) stay in the WAL, as they do when
    // a sink tails what a source just appended. Then the same after a checkpoint moved them
    // into the database file. The consumer re-reads from the start whenever it reaches the end.
    for _ in 0..200 {
        rt.block_on(log.append("read", plain.clone())).expect("prefill");
    }
    let mut consumer = rt
        .block_on(log.consumer("bench", Subscription::Topics(vec!["read".into()])))
        .expect("consumer");
    let start = TopicPartition {
        topic: "read".into(),
        partition: 0,
    };
    let mut read = |b: &mut criterion::Bencher<'_>| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let began = Instant::now();
                for _ in 0..iters {
                    let mut got = consumer.poll(BATCH, Duration::ZERO).await.expect("poll");
                    if got.is_empty() {
                        consumer.seek(&start, 0).await.expect("seek");
                        got = consumer.poll(BATCH, Duration::ZERO).await.expect("poll");
                    }
                    assert_eq!(got.len(), BATCH);
                    std::hint::black_box(got);
                }
                began.elapsed()
            })
        })
    };
    group.bench_function("read_1000x200B_tail_in_wal", &mut read);
    rt.block_on(checkpoint(&dir.path().join("log").join("log.db")));
    group.bench_function("read_1000x200B_checkpointed", &mut read);

    group.bench_function("append_1000x200B", |b| {
        b.to_async(&rt)
            .iter(|| async { log.append("append", plain.clone()).await.expect("append") })
    });
    let keyed = batch(true);
    group.bench_function("append_1000x200B_keyed_3_partitions", |b| {
        b.to_async(&rt)
            .iter(|| async { log.append("keyed", keyed.clone()).await.expect("append") })
    });
    group.finish();
    rt.block_on(log.close());
}

/// Copies the WAL into the database file, through a connection of the bench's own.
async fn checkpoint(db: &std::path::Path) {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(db);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("open log.db");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
    conn.close().await.expect("close");
}

criterion_group!(benches, embedded_log);
criterion_main!(benches);

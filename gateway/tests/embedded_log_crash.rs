//! Durability of the embedded log against kill -9: a child process (this test binary, re-run
//! with an environment variable) appends batches and reports each acknowledgement; the parent
//! kills it with SIGKILL right after one and checks, after reopening, that every acknowledged
//! record is there and offsets are dense.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use gateway::log::embedded::{EmbeddedLog, EmbeddedLogConfig};
use gateway::log::{Log, LogRecord, Subscription};

/// Set in the child process of `acknowledged_appends_survive_kill_9`: the log directory.
const CRASH_CHILD_ENV: &str = "WEIR_EMBEDDED_LOG_CRASH_CHILD";

/// Not a test on its own: the child of `acknowledged_appends_survive_kill_9`. It appends
/// batches forever and prints each acknowledged one, until its parent kills it.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CRASH_CHILD_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let mut cfg = EmbeddedLogConfig::new(dir);
        cfg.default_partitions = 3;
        let log = EmbeddedLog::open(cfg).await.unwrap();
        for batch in 0u64.. {
            let records = (0..100)
                .map(|i| LogRecord {
                    key: Some(Bytes::from(format!("key-{}", i % 7))),
                    value: Some(Bytes::from(format!("{batch}:{i}"))),
                    ..LogRecord::default()
                })
                .collect();
            log.append("crash", records).await.unwrap();
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "ACK {batch}").unwrap();
            out.flush().unwrap();
        }
    });
}

#[test]
fn acknowledged_appends_survive_kill_9() {
    use std::io::BufRead;
    if std::env::var(CRASH_CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CRASH_CHILD_ENV, &log_dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("ACK ") {
            let n: u64 = n.trim().parse().unwrap();
            acked = Some(n);
            if n >= 40 {
                // SIGKILL right after an acknowledgement, while the child keeps appending.
                child.kill().unwrap();
                break;
            }
        }
    }
    child.wait().unwrap();
    let acked = acked.expect("the child acknowledged no append");
    assert!(acked >= 40);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let log = EmbeddedLog::open(EmbeddedLogConfig::new(&log_dir)).await.unwrap();
        let mut consumer = log
            .consumer("check", Subscription::Topics(vec!["crash".into()]))
            .await
            .unwrap();
        let mut seen = std::collections::HashSet::new();
        let mut per_partition: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
        loop {
            let got = consumer.poll(10_000, Duration::from_millis(200)).await.unwrap();
            if got.is_empty() {
                break;
            }
            for r in got {
                per_partition.entry(r.partition).or_default().push(r.offset);
                seen.insert(String::from_utf8(r.value.unwrap().to_vec()).unwrap());
            }
        }
        for batch in 0..=acked {
            for i in 0..100 {
                assert!(
                    seen.contains(&format!("{batch}:{i}")),
                    "acknowledged record {batch}:{i} lost"
                );
            }
        }
        // Whatever else survived is whole batches: nothing half-written.
        assert_eq!(seen.len() % 100, 0, "{} records survived", seen.len());
        for (p, offsets) in per_partition {
            assert_eq!(
                offsets,
                (0..offsets.len() as i64).collect::<Vec<_>>(),
                "partition {p}"
            );
        }
        // The log takes appends again where it stopped.
        let next = log
            .append(
                "crash",
                vec![LogRecord {
                    value: Some(Bytes::from_static(b"after")),
                    ..LogRecord::default()
                }],
            )
            .await
            .unwrap();
        assert_eq!(
            next[0].offset,
            log.offsets("crash", next[0].partition).unwrap().1 - 1
        );
        log.close().await;
    });
}

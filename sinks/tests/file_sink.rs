//! FileStreamSink on real files: what each kind of value looks like as a line, and that flush
//! reports exactly the offsets whose lines are on disk.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use schemas::data::DECIMAL;
use schemas::{Data, ErrorKind, Record, Schema, SchemaKind, SinkRecord, TopicPartition, Value};
use sinks::{FileStreamSink, Sink};

fn sink_for(path: &Path) -> FileStreamSink {
    let config: BTreeMap<String, String> = [("file".to_string(), path.to_str().unwrap().to_string())].into();
    FileStreamSink::new(&config).unwrap()
}

fn rec(topic: &str, partition: i32, offset: i64, value: Option<Data>) -> SinkRecord {
    SinkRecord {
        record: Record::new(topic, None, value),
        partition,
        offset,
    }
}

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition {
        topic: topic.into(),
        partition,
    }
}

#[tokio::test]
async fn writes_one_line_per_record_and_commits_only_what_is_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    std::fs::write(&path, "existing\n").unwrap();
    let mut sink = sink_for(&path);
    sink.start().await.unwrap();

    let customer = Arc::new(Schema::structure([
        (
            "customer_id".to_string(),
            Arc::new(Schema::new(SchemaKind::Int64)),
        ),
        (
            "name".to_string(),
            Arc::new(Schema::new(SchemaKind::String).optional()),
        ),
    ]));
    let mut decimal = Schema::new(SchemaKind::Bytes).named(DECIMAL);
    decimal.parameters.insert("scale".into(), "2".into());
    let batch = vec![
        rec(
            "a",
            0,
            10,
            Some(Data::new(
                Some(Arc::new(Schema::new(SchemaKind::String))),
                Value::String("plain line".into()),
            )),
        ),
        rec(
            "a",
            0,
            11,
            Some(Data::new(
                Some(customer.clone()),
                Value::Struct(vec![Value::Int64(1), Value::String("Alice".into())]),
            )),
        ),
        rec("a", 1, 5, None),
        rec("b", 0, 0, Some(Data::schemaless(Value::Int64(42)))),
        rec(
            "b",
            0,
            1,
            Some(Data::schemaless(Value::Bytes(Bytes::from_static(b"\x00\xff")))),
        ),
        rec(
            "b",
            0,
            2,
            Some(Data::new(
                Some(Arc::new(decimal)),
                Value::Bytes(Bytes::from_static(&[0x00, 0x9c])),
            )),
        ),
        rec(
            "b",
            0,
            3,
            Some(Data::schemaless(Value::Map(vec![(
                Value::String("k".into()),
                Value::Array(vec![Value::Boolean(true)]),
            )]))),
        ),
    ];
    sink.write(batch).await.unwrap();
    // Nothing is reported durable before a flush, and the lines are not promised on disk.
    let committed = sink.flush().await.unwrap();
    assert_eq!(
        committed,
        BTreeMap::from([(tp("a", 0), 12), (tp("a", 1), 6), (tp("b", 0), 4)])
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "existing\nplain line\n{\"customer_id\":1,\"name\":\"Alice\"}\nnull\n42\nAP8=\n1.56\n{\"k\":[true]}\n"
    );
    // A flush with nothing new commits nothing more.
    assert!(sink.flush().await.unwrap().is_empty());

    sink.write(vec![rec(
        "a",
        0,
        12,
        Some(Data::schemaless(Value::String("later".into()))),
    )])
    .await
    .unwrap();
    sink.stop().await.unwrap();
    // Stopped without a flush: the line was not committed, and not written either (it will be
    // delivered again), so the file holds no line the runtime will send twice.
    assert!(!std::fs::read_to_string(&path).unwrap().contains("later"));
}

#[tokio::test]
async fn many_records_are_written_in_large_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    let mut sink = sink_for(&path);
    sink.start().await.unwrap();
    for chunk in 0..20 {
        let batch = (0..5000)
            .map(|i| {
                let n = chunk * 5000 + i;
                rec(
                    "t",
                    0,
                    n,
                    Some(Data::schemaless(Value::String(format!("line number {n:08}")))),
                )
            })
            .collect();
        sink.write(batch).await.unwrap();
    }
    assert_eq!(
        sink.flush().await.unwrap(),
        BTreeMap::from([(tp("t", 0), 100_000)])
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 100_000);
    assert_eq!(lines[99_999], "line number 00099999");
}

#[tokio::test]
async fn errors_name_the_file_or_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("out.txt");
    let mut sink = sink_for(&path);
    let err = sink.start().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
    assert_eq!(
        err.message,
        format!("file {}: No such file or directory", path.display())
    );

    let path = dir.path().join("out.txt");
    let mut sink = sink_for(&path);
    sink.start().await.unwrap();
    let schema = Arc::new(Schema::structure([(
        "age".to_string(),
        Arc::new(Schema::new(SchemaKind::Int32)),
    )]));
    let bad = rec(
        "orders",
        2,
        7,
        Some(Data::new(
            Some(schema),
            Value::Struct(vec![Value::String("x".into())]),
        )),
    );
    let err = sink
        .write(vec![
            rec("orders", 2, 6, Some(Data::schemaless(Value::Int32(1)))),
            bad,
        ])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert!(
        err.message
            .starts_with("record orders-2@7: field age: expected int32"),
        "{err}"
    );
    // The good record before it is still flushed and committed; the bad one is not.
    assert_eq!(
        sink.flush().await.unwrap(),
        BTreeMap::from([(tp("orders", 2), 7)])
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "1\n");

    let err = FileStreamSink::new(&BTreeMap::new()).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Config);
    assert!(
        err.message.starts_with("file: Missing required configuration"),
        "{err}"
    );
}

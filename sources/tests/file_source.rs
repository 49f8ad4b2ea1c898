//! FileStreamSource on real temporary files: tailing, partial lines, resume from a stored
//! position, every `file.format`, and the errors a user sees.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use schemas::{ErrorKind, Polled, Record, SchemaKind, SourcePosition, Value};
use sources::{FileStreamSource, Source};

fn config(file: &Path, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut c: BTreeMap<String, String> = [("file", file.to_str().unwrap()), ("topic", "t")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in extra {
        c.insert(k.to_string(), v.to_string());
    }
    c
}

fn append(path: &Path, text: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text).unwrap();
}

/// Polls until Idle; returns the records and the last reported position.
async fn drain(source: &mut FileStreamSource) -> (Vec<Record>, Option<SourcePosition>) {
    let mut records = Vec::new();
    let mut last = None;
    loop {
        match source.poll().await.unwrap() {
            Polled::Batch(b) => {
                assert_eq!(b.positions.len(), 1);
                records.extend(b.records);
                last = b.positions.into_iter().next();
            }
            Polled::Idle => return (records, last),
            Polled::Done => panic!("a file source never finishes"),
        }
    }
}

fn texts(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| match &r.value.as_ref().unwrap().value {
            Value::String(s) => s.clone(),
            other => panic!("not a string: {other:?}"),
        })
        .collect()
}

fn position(p: &SourcePosition) -> u64 {
    p.offset["position"].as_u64().unwrap()
}

#[tokio::test]
async fn reads_lines_tails_and_waits_for_the_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, b"alpha\r\nbeta\n\ngam");
    let mut source = FileStreamSource::new(&config(&path, &[])).unwrap();
    source.start(vec![]).await.unwrap();
    let (records, pos) = drain(&mut source).await;
    assert_eq!(texts(&records), vec!["alpha", "beta", ""]);
    let pos = pos.unwrap();
    assert_eq!(pos.partition["filename"], path.to_str().unwrap());
    assert_eq!(position(&pos), 13);
    let r = &records[0];
    assert_eq!((r.topic.as_str(), r.key.is_none()), ("t", true));
    let schema = r.value.as_ref().unwrap().schema.clone().unwrap();
    assert_eq!((schema.kind, schema.optional), (SchemaKind::String, false));
    assert!(r.timestamp.is_some());

    // The half-written line appears only once its newline arrives.
    append(&path, b"ma");
    assert!(matches!(source.poll().await.unwrap(), Polled::Idle));
    append(&path, b"\ndelta\n");
    let (records, pos) = drain(&mut source).await;
    assert_eq!(texts(&records), vec!["gamma", "delta"]);
    assert_eq!(position(&pos.unwrap()), std::fs::metadata(&path).unwrap().len());
}

#[tokio::test]
async fn batch_size_bounds_each_poll_and_restart_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    let all: Vec<String> = (0..25).map(|i| format!("line-{i}")).collect();
    append(&path, (all.join("\n") + "\n").as_bytes());
    let mut source = FileStreamSource::new(&config(&path, &[("batch.size", "10")])).unwrap();
    source.start(vec![]).await.unwrap();
    let Polled::Batch(first) = source.poll().await.unwrap() else {
        panic!("expected a batch")
    };
    assert_eq!(first.records.len(), 10);
    let stored = first.positions.clone();
    // "line-0\n" .. "line-9\n" is 70 bytes.
    assert_eq!(position(&stored[0]), 70);
    source.stop().await.unwrap();

    // A new task from the stored position continues exactly after the batch.
    let mut source = FileStreamSource::new(&config(&path, &[("batch.size", "10")])).unwrap();
    source.start(stored).await.unwrap();
    let (rest, _) = drain(&mut source).await;
    let mut seen = texts(&first.records);
    seen.extend(texts(&rest));
    assert_eq!(seen, all);
}

#[tokio::test]
async fn jsonl_gives_structs_and_names_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jsonl");
    append(&path, b"{\"id\": 1, \"name\": \"a\"}\n\n{\"id\": 2, \"name\": null}\n{\"id\": 3, oops}\n{\"id\": 4, \"name\": \"d\"}\n");
    let mut source = FileStreamSource::new(&config(&path, &[("file.format", "jsonl")])).unwrap();
    source.start(vec![]).await.unwrap();
    let Polled::Batch(batch) = source.poll().await.unwrap() else {
        panic!("expected a batch")
    };
    // The good records before the bad line go out first, with the position before the bad line.
    assert_eq!(batch.records.len(), 2);
    let data = batch.records[0].value.clone().unwrap();
    let schema = data.schema.clone().unwrap();
    assert_eq!(schema.kind, SchemaKind::Struct);
    assert_eq!(
        schema.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        vec!["id", "name"]
    );
    assert_eq!(
        data.value,
        Value::Struct(vec![Value::Int64(1), Value::String("a".into())])
    );
    // Same shape (a null fits): the same schema object is reused.
    let second = batch.records[1].value.clone().unwrap();
    assert!(std::sync::Arc::ptr_eq(second.schema.as_ref().unwrap(), &schema));
    assert_eq!(position(&batch.positions[0]), 48);

    let err = source.poll().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert_eq!(
        err.message,
        format!(
            "file {}, line 4: invalid JSON at column 11: key must be a string",
            path.display()
        )
    );
    // Polled again (errors.tolerance=all), the bad line is skipped.
    let (rest, pos) = drain(&mut source).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(position(&pos.unwrap()), std::fs::metadata(&path).unwrap().len());

    // Not an object: also a data error naming the line, counted across a restart.
    append(&path, b"[1, 2]\n");
    let mut source = FileStreamSource::new(&config(&path, &[("file.format", "jsonl")])).unwrap();
    let size_before = std::fs::metadata(&path).unwrap().len() - 7;
    let mut stored = batch.positions.clone();
    stored[0].offset.insert("position".into(), size_before.into());
    source.start(stored).await.unwrap();
    let err = source.poll().await.unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "file {}, line 6: expected a JSON object, got array",
            path.display()
        )
    );
}

const CUSTOMERS: &str = include_str!("data/customers.json");

fn customer_names(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            let data = r.value.as_ref().unwrap();
            let schema = data.schema.as_ref().unwrap();
            let i = schema.field("name").unwrap().index;
            let Value::Struct(v) = &data.value else { panic!() };
            let Value::String(name) = &v[i] else { panic!() };
            name.clone()
        })
        .collect()
}

#[tokio::test]
async fn json_reads_an_array_of_objects_and_resumes_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.json");
    append(&path, CUSTOMERS.as_bytes());
    let mut source =
        FileStreamSource::new(&config(&path, &[("file.format", "json"), ("batch.size", "2")])).unwrap();
    source.start(vec![]).await.unwrap();
    let Polled::Batch(first) = source.poll().await.unwrap() else {
        panic!("expected a batch")
    };
    assert_eq!(customer_names(&first.records), vec!["Alice Smith", "Bob Johnson"]);
    let data = first.records[0].value.clone().unwrap();
    let schema = data.schema.unwrap();
    let kinds: Vec<_> = schema
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.schema.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("customer_id", SchemaKind::Int64),
            ("name", SchemaKind::String),
            ("phone", SchemaKind::String),
            ("spending", SchemaKind::Int64)
        ]
    );
    // The position is just after Bob's object, inside the array.
    let after_bob = CUSTOMERS.find("500}").unwrap() as u64 + 4;
    assert!(position(&first.positions[0]) >= after_bob);
    assert!(position(&first.positions[0]) < CUSTOMERS.find("{\"customer_id\": 3").unwrap() as u64);

    let mut source = FileStreamSource::new(&config(&path, &[("file.format", "json")])).unwrap();
    source.start(first.positions).await.unwrap();
    let (rest, pos) = drain(&mut source).await;
    assert_eq!(customer_names(&rest), vec!["Charlie Brown"]);
    assert_eq!(position(&pos.unwrap()), CUSTOMERS.len() as u64);
}

#[tokio::test]
async fn json_reads_concatenated_objects_as_they_are_appended() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stream.json");
    append(
        &path,
        b"{\"customer_id\": 1, \"name\": \"Alice Smith\"}\n{\"customer_id\": 2,\n \"name\": \"Bob",
    );
    let mut source = FileStreamSource::new(&config(&path, &[("file.format", "json")])).unwrap();
    source.start(vec![]).await.unwrap();
    let (records, _) = drain(&mut source).await;
    assert_eq!(customer_names(&records), vec!["Alice Smith"]);
    append(&path, b" Johnson\"}{\"customer_id\": 3, \"name\": \"Charlie Brown\"}\n{\"customer_id\": 4,\n \"name\": nope}\n");
    let Polled::Batch(batch) = source.poll().await.unwrap() else {
        panic!("expected a batch")
    };
    assert_eq!(
        customer_names(&batch.records),
        vec!["Bob Johnson", "Charlie Brown"]
    );
    let err = source.poll().await.unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "file {}, line 5: invalid JSON at column 11: expected ident",
            path.display()
        )
    );
}

#[tokio::test]
async fn csv_uses_the_header_and_keeps_values_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    append(
        &path,
        b"customer_id,name,zip\r\n1,\"Smith, Alice\",01234\n2,\"multi\nline\",\n3,short\n4,Dan,9",
    );
    let mut source = FileStreamSource::new(&config(&path, &[("file.format", "csv")])).unwrap();
    source.start(vec![]).await.unwrap();
    let Polled::Batch(batch) = source.poll().await.unwrap() else {
        panic!("expected a batch")
    };
    let values: Vec<Value> = batch
        .records
        .iter()
        .map(|r| r.value.clone().unwrap().value)
        .collect();
    let s = |t: &str| Value::String(t.into());
    assert_eq!(
        values,
        vec![
            Value::Struct(vec![s("1"), s("Smith, Alice"), s("01234")]),
            Value::Struct(vec![s("2"), s("multi\nline"), s("")])
        ]
    );
    let schema = batch.records[0].value.clone().unwrap().schema.unwrap();
    assert!(
        schema
            .fields
            .iter()
            .all(|f| f.schema.kind == SchemaKind::String && f.schema.optional)
    );
    let err = source.poll().await.unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "file {}, line 5: row has 2 fields, the header has 3",
            path.display()
        )
    );
    // The last row has no line end yet: not emitted until it does.
    assert!(matches!(source.poll().await.unwrap(), Polled::Idle));
    append(&path, b"0\n");
    let (records, pos) = drain(&mut source).await;
    assert_eq!(
        records[0].value.clone().unwrap().value,
        Value::Struct(vec![s("4"), s("Dan"), s("90")])
    );

    // Resuming past the header reads the header again from the start of the file.
    let mut source = FileStreamSource::new(&config(&path, &[("file.format", "csv")])).unwrap();
    let mut stored = pos.unwrap();
    let before_dan = std::fs::metadata(&path).unwrap().len() - 9;
    stored.offset.insert("position".into(), before_dan.into());
    source.start(vec![stored]).await.unwrap();
    let (records, _) = drain(&mut source).await;
    let data = records[0].value.clone().unwrap();
    assert_eq!(data.schema.unwrap().fields[2].name, "zip");
    assert_eq!(data.value, Value::Struct(vec![s("4"), s("Dan"), s("90")]));
}

#[tokio::test]
async fn a_truncated_file_is_read_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, b"one\ntwo\n");
    let mut source = FileStreamSource::new(&config(&path, &[])).unwrap();
    source.start(vec![]).await.unwrap();
    assert_eq!(texts(&drain(&mut source).await.0), vec!["one", "two"]);
    std::fs::write(&path, b"new\n").unwrap();
    let (records, pos) = drain(&mut source).await;
    assert_eq!(texts(&records), vec!["new"]);
    assert_eq!(position(&pos.unwrap()), 4);
}

#[tokio::test]
async fn missing_files_and_directories_fail_start_with_a_readable_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt");
    let mut source = FileStreamSource::new(&config(&missing, &[])).unwrap();
    let err = source.start(vec![]).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
    assert_eq!(
        err.message,
        format!("file {}: No such file or directory", missing.display())
    );

    let mut source = FileStreamSource::new(&config(dir.path(), &[])).unwrap();
    let err = source.start(vec![]).await.unwrap_err();
    assert_eq!(
        err.message,
        format!("file {}: Is a directory", dir.path().display())
    );
}

#[test]
fn config_errors_name_the_key() {
    let def = FileStreamSource::config_def();
    let errors = def.validate(&BTreeMap::new());
    assert_eq!(
        errors["topic"],
        vec!["Missing required configuration \"topic\" which has no default value."]
    );
    assert_eq!(errors["file"].len(), 1);
    assert!(errors["batch.size"].is_empty() && errors["file.format"].is_empty());

    let path = Path::new("/tmp/x");
    let err = FileStreamSource::new(&config(path, &[("file.format", "xml")]))
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::Config);
    assert!(
        err.message.starts_with("file.format: ") && err.message.contains("lines, jsonl, json, csv"),
        "{err}"
    );
    let err = FileStreamSource::new(&config(path, &[("batch.size", "0")]))
        .err()
        .unwrap();
    assert!(err.message.starts_with("batch.size: "), "{err}");
    let mut no_topic = config(path, &[]);
    no_topic.remove("topic");
    let err = FileStreamSource::new(&no_topic).err().unwrap();
    assert!(
        err.message.starts_with("topic: Missing required configuration"),
        "{err}"
    );
}

//! Starting the worker: the smallest worker.properties, connector files on the command line,
//! and the one-line errors for bad files.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use tests::{Weir, WeirConfig, json, run_to_exit, temp_dir};

#[test]
fn a_worker_file_with_only_listeners_starts_and_creates_the_default_data_dir() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("worker.properties"),
        "listeners=http://127.0.0.1:0\n",
    )
    .unwrap();
    let started = Instant::now();
    let weir = Weir::spawn(dir.path(), &["standalone".into(), "worker.properties".into()]);
    let ready_after = started.elapsed();
    assert!(
        weir.url.starts_with("http://127.0.0.1:"),
        "listening url: {}",
        weir.url
    );
    assert!(
        !weir.url.ends_with(":0"),
        "the real port is logged, not 0: {}",
        weir.url
    );
    assert!(
        dir.path().join("weir-data").is_dir(),
        "data.dir defaults to ./weir-data and is created"
    );
    let (status, body) = weir.get("/");
    assert_eq!(status, 200, "{body}");
    assert!(body["version"].is_string(), "GET / tells the version: {body}");
    let (status, _) = weir.get("/connectors");
    assert_eq!(status, 200);
    // Readiness is reported, not asserted as a timing (benchmarks measure speed).
    eprintln!("weir was ready after {ready_after:?}");
}

#[test]
fn connector_files_named_on_the_command_line_are_created_at_start() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "one\ntwo\n").unwrap();
    let output = dir.path().join("out.txt");
    let json_file = dir.path().join("source.json");
    std::fs::write(
        &json_file,
        json!({"name": "cli-source", "config": {"connector.class": "FileStreamSource",
            "file": input.display().to_string(), "topic": "cli-topic"}})
        .to_string(),
    )
    .unwrap();
    let props_file = dir.path().join("sink.properties");
    std::fs::write(
        &props_file,
        format!(
            "# a Kafka Connect style sink file\nname=cli-sink\nconnector.class=org.apache.kafka.connect.file.FileStreamSinkConnector\ntopics=cli-topic\nfile={}\n",
            output.display()
        ),
    )
    .unwrap();
    let mut config = WeirConfig::new(dir.path());
    config.connector_files = vec![json_file, props_file];
    let weir = Weir::start(&config);
    let (status, list) = weir.get("/connectors");
    assert_eq!(status, 200);
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["cli-sink", "cli-source"]);
    let lines = tests::wait_lines(&output, 2, Duration::from_secs(20));
    assert_eq!(lines, vec!["one", "two"]);
}

#[test]
fn a_bad_worker_file_stops_with_one_line_naming_file_key_and_problem() {
    let dir = temp_dir();
    let props = dir.path().join("bad-worker.properties");
    std::fs::write(
        &props,
        "listeners=http://127.0.0.1:0\noffset.flush.interval.ms=soon\n",
    )
    .unwrap();
    let out = run_to_exit(
        dir.path(),
        &["standalone", props.to_str().unwrap()],
        Duration::from_secs(20),
    );
    assert!(!out.status.success(), "a bad worker file must exit non-zero");
    let error_lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("offset.flush.interval.ms"))
        .collect();
    assert_eq!(
        error_lines.len(),
        1,
        "one line names the key; stderr:\n{}",
        out.stderr
    );
    assert!(
        error_lines[0].contains("bad-worker.properties"),
        "the line names the file: {}",
        error_lines[0]
    );
}

#[test]
fn a_missing_worker_file_is_named() {
    let dir = temp_dir();
    let out = run_to_exit(
        dir.path(),
        &["standalone", "nowhere.properties"],
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("nowhere.properties"),
        "stderr:\n{}",
        out.stderr
    );
}

#[test]
fn a_bad_connector_file_stops_with_one_line_naming_file_and_key() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("worker.properties"),
        "listeners=http://127.0.0.1:0\n",
    )
    .unwrap();
    let connector = dir.path().join("broken-source.json");
    std::fs::write(
        &connector,
        r#"{"name": "broken", "config": {"file": "/tmp/x", "topic": "t"}}"#,
    )
    .unwrap();
    let out = run_to_exit(
        dir.path(),
        &["standalone", "worker.properties", connector.to_str().unwrap()],
        Duration::from_secs(20),
    );
    assert!(!out.status.success(), "a bad connector file must exit non-zero");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("broken-source.json"))
        .unwrap_or_else(|| panic!("no line names the file; stderr:\n{}", out.stderr));
    assert!(
        line.contains("connector.class"),
        "the line names the missing key: {line}"
    );

    let malformed = dir.path().join("malformed.json");
    std::fs::write(&malformed, r#"{"name": "m", "config": {"#).unwrap();
    let out = run_to_exit(
        dir.path(),
        &["standalone", "worker.properties", malformed.to_str().unwrap()],
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    assert!(out.stderr.contains("malformed.json"), "stderr:\n{}", out.stderr);
}

#[test]
fn version_and_help_answer() {
    let dir = temp_dir();
    let out = run_to_exit(dir.path(), &["--version"], Duration::from_secs(20));
    assert!(out.status.success());
    assert!(out.stdout.contains("weir"), "{}", out.stdout);
    let out = run_to_exit(dir.path(), &["--help"], Duration::from_secs(20));
    assert!(out.status.success());
    assert!(out.stdout.contains("standalone"), "{}", out.stdout);
}

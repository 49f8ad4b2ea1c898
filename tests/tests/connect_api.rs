//! Kafka Connect's REST API over a real worker: shapes, status codes and states.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::time::Duration;

use tests::{Value, Weir, WeirConfig, json, temp_dir, wait_lines};

fn source_config(input: &Path, topic: &str) -> Value {
    json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic})
}

fn sink_config(output: &Path, topic: &str) -> Value {
    json!({"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic})
}

fn assert_error(status: u16, body: &Value, expected_status: u16, mentions: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error_code"], expected_status, "error body shape: {body}");
    let message = body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {body}"));
    assert!(
        message.contains(mentions),
        "message {message:?} should mention {mentions:?}"
    );
}

#[test]
fn connector_lifecycle_create_list_status_pause_resume_stop_restart_delete() {
    let dir = temp_dir();
    let input = dir.path().join("input.txt");
    std::fs::write(&input, "a\n").unwrap();
    let weir = Weir::start(&WeirConfig::new(dir.path()));

    let created = weir.create("file-source", source_config(&input, "lifecycle"));
    assert_eq!(created["name"], "file-source");
    assert_eq!(created["config"]["topic"], "lifecycle");
    assert_eq!(
        created["config"]["name"], "file-source",
        "Kafka Connect echoes the name into config"
    );
    assert_eq!(created["type"], "source");

    let (status, body) = weir.post(
        "/connectors",
        &json!({"name": "file-source", "config": source_config(&input, "lifecycle")}),
    );
    assert_error(status, &body, 409, "file-source");

    let (status, list) = weir.get("/connectors");
    assert_eq!(status, 200);
    assert_eq!(list, json!(["file-source"]));

    let running = weir.wait_state("file-source", "RUNNING");
    assert_eq!(running["name"], "file-source");
    assert_eq!(running["type"], "source");
    assert_eq!(running["tasks"][0]["id"], 0);
    assert!(running["connector"]["worker_id"].is_string(), "{running}");

    let (status, expanded) = weir.get("/connectors?expand=status");
    assert_eq!(status, 200);
    assert_eq!(
        expanded["file-source"]["status"]["connector"]["state"], "RUNNING",
        "{expanded}"
    );
    let (status, expanded) = weir.get("/connectors?expand=info");
    assert_eq!(status, 200);
    assert_eq!(
        expanded["file-source"]["info"]["config"]["topic"], "lifecycle",
        "{expanded}"
    );

    let (status, info) = weir.get("/connectors/file-source");
    assert_eq!(status, 200);
    assert_eq!(info["tasks"], json!([{"connector": "file-source", "task": 0}]));

    let (status, tasks) = weir.get("/connectors/file-source/tasks");
    assert_eq!(status, 200);
    assert_eq!(
        tasks[0]["id"],
        json!({"connector": "file-source", "task": 0}),
        "{tasks}"
    );
    let (status, task) = weir.get("/connectors/file-source/tasks/0/status");
    assert_eq!(status, 200);
    assert_eq!(task["id"], 0);
    assert_eq!(task["state"], "RUNNING");

    let (status, _) = weir.call("PUT", "/connectors/file-source/pause", None);
    assert_eq!(status, 202);
    weir.wait_state("file-source", "PAUSED");
    let (status, _) = weir.call("PUT", "/connectors/file-source/resume", None);
    assert_eq!(status, 202);
    weir.wait_state("file-source", "RUNNING");

    let (status, _) = weir.call("PUT", "/connectors/file-source/stop", None);
    assert_eq!(status, 202);
    weir.wait_state("file-source", "STOPPED");
    let (_, info) = weir.get("/connectors/file-source");
    assert_eq!(
        info["tasks"],
        json!([]),
        "a STOPPED connector has no tasks, as in Kafka Connect"
    );
    let (status, _) = weir.call("PUT", "/connectors/file-source/resume", None);
    assert_eq!(status, 202);
    weir.wait_state("file-source", "RUNNING");

    let (status, body) = weir.call(
        "POST",
        "/connectors/file-source/restart?includeTasks=true&onlyFailed=false",
        None,
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body["name"], "file-source",
        "restart with includeTasks answers the status: {body}"
    );
    weir.wait_state("file-source", "RUNNING");
    let (status, _) = weir.call(
        "POST",
        "/connectors/file-source/restart?includeTasks=true&onlyFailed=true",
        None,
    );
    assert_eq!(status, 202);
    let (status, _) = weir.call("POST", "/connectors/file-source/tasks/0/restart", None);
    assert!(status == 204 || status == 202, "task restart: {status}");
    weir.wait_state("file-source", "RUNNING");

    let (status, topics) = weir.get("/connectors/file-source/topics");
    assert_eq!(status, 200);
    assert_eq!(topics, json!({"file-source": {"topics": ["lifecycle"]}}));
    let (status, _) = weir.call("PUT", "/connectors/file-source/topics/reset", None);
    assert!((200..300).contains(&status), "topics reset: {status}");
    let (_, topics) = weir.get("/connectors/file-source/topics");
    assert_eq!(
        topics,
        json!({"file-source": {"topics": []}}),
        "reset empties the active topics"
    );

    let (status, _) = weir.delete("/connectors/file-source");
    assert_eq!(status, 204);
    let (status, body) = weir.get("/connectors/file-source");
    assert_error(status, &body, 404, "file-source");
    let (_, list) = weir.get("/connectors");
    assert_eq!(list, json!([]));
}

#[test]
fn unknown_connectors_answer_404_everywhere() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    for (method, path) in [
        ("GET", "/connectors/ghost"),
        ("GET", "/connectors/ghost/config"),
        ("GET", "/connectors/ghost/status"),
        ("GET", "/connectors/ghost/tasks"),
        ("GET", "/connectors/ghost/topics"),
        ("GET", "/connectors/ghost/offsets"),
        ("PUT", "/connectors/ghost/pause"),
        ("PUT", "/connectors/ghost/resume"),
        ("PUT", "/connectors/ghost/stop"),
        ("POST", "/connectors/ghost/restart"),
        ("DELETE", "/connectors/ghost"),
    ] {
        let (status, body) = weir.call(method, path, None);
        assert_error(status, &body, 404, "ghost");
    }
}

#[test]
fn bad_configs_get_400_naming_the_key() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    let (status, body) = weir.post(
        "/connectors",
        &json!({"name": "x", "config": {"file": "/tmp/in.txt", "topic": "t"}}),
    );
    assert_error(status, &body, 400, "connector.class");

    let (status, body) = weir.post(
        "/connectors",
        &json!({"name": "x", "config": {"connector.class": "com.example.Nope", "topic": "t"}}),
    );
    assert_error(status, &body, 400, "com.example.Nope");

    let (status, body) = weir.post(
        "/connectors",
        &json!({"name": "x", "config": {"connector.class": "FileStreamSource", "file": "/tmp/in.txt"}}),
    );
    assert_error(status, &body, 400, "topic");

    let (status, body) = weir.post(
        "/connectors",
        &json!({"name": "x", "config": {"connector.class": "FileStreamSink", "topics": "t"}}),
    );
    assert_error(status, &body, 400, "file");

    let (status, body) = weir.call("POST", "/connectors", Some(r#"{"name": "x", "config": {"#));
    assert_eq!(status, 400, "malformed JSON: {body}");
    assert_eq!(body["error_code"], 400, "{body}");

    let (_, list) = weir.get("/connectors");
    assert_eq!(list, json!([]), "nothing was created by a refused request");
}

#[test]
fn config_get_put_patch() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    let weir = Weir::start(&WeirConfig::new(dir.path()));

    // PUT creates (201) then updates (200).
    let (status, body) = weir.put("/connectors/via-put/config", &source_config(&input, "first"));
    assert_eq!(status, 201, "{body}");
    let (status, body) = weir.put("/connectors/via-put/config", &source_config(&input, "second"));
    assert_eq!(status, 200, "{body}");
    let (status, config) = weir.get("/connectors/via-put/config");
    assert_eq!(status, 200);
    assert_eq!(config["topic"], "second");
    assert_eq!(config["connector.class"], "FileStreamSource");

    let (status, body) = weir.patch("/connectors/via-put/config", &json!({"batch.size": "10"}));
    assert_eq!(status, 200, "{body}");
    let (_, config) = weir.get("/connectors/via-put/config");
    assert_eq!(config["batch.size"], "10");
    assert_eq!(config["topic"], "second", "PATCH keeps the other keys");
    weir.wait_state("via-put", "RUNNING");
}

#[test]
fn plugins_and_validate_use_kafka_connects_shapes() {
    let dir = temp_dir();
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    let (status, plugins) = weir.get("/connector-plugins");
    assert_eq!(status, 200);
    let classes: Vec<&str> = plugins
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["class"].as_str())
        .collect();
    assert!(
        classes.contains(&"org.apache.kafka.connect.file.FileStreamSourceConnector"),
        "{plugins}"
    );
    assert!(
        classes.contains(&"org.apache.kafka.connect.file.FileStreamSinkConnector"),
        "{plugins}"
    );

    let (status, keys) = weir.get("/connector-plugins/FileStreamSource/config");
    assert_eq!(status, 200);
    assert!(
        keys.as_array().unwrap().iter().any(|k| k["name"] == "file"),
        "{keys}"
    );

    let (status, report) = weir.put(
        "/connector-plugins/FileStreamSource/config/validate",
        &json!({"connector.class": "FileStreamSource", "file": "/tmp/x"}),
    );
    assert_eq!(status, 200, "{report}");
    assert!(report["error_count"].as_u64().unwrap() >= 1, "{report}");
    let topic = report["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "topic")
        .unwrap_or_else(|| panic!("no topic entry: {report}"));
    assert!(
        !topic["value"]["errors"].as_array().unwrap().is_empty(),
        "{topic}"
    );
    assert!(topic["definition"].is_object(), "{topic}");

    let (status, report) = weir.put(
        "/connector-plugins/org.apache.kafka.connect.file.FileStreamSourceConnector/config/validate",
        &json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "file": "/tmp/x", "topic": "t"}),
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["error_count"], 0, "{report}");

    let (status, body) = weir.get("/connector-plugins/Nope/config");
    assert!(status == 404 || status == 400, "{status} {body}");
    assert_eq!(body["error_code"], status);
}

#[test]
fn offsets_can_be_read_altered_and_reset_only_when_stopped() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "first\nsecond\nthird\n").unwrap();
    let output = dir.path().join("out.txt");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create("src", source_config(&input, "offsets"));
    weir.create("sink", sink_config(&output, "offsets"));
    wait_lines(&output, 3, Duration::from_secs(20));

    let (status, body) = weir.patch(
        "/connectors/src/offsets",
        &json!({"offsets": [{"partition": {"filename": input.display().to_string()}, "offset": {"position": 0}}]}),
    );
    assert_eq!(
        status, 400,
        "altering offsets of a running connector is refused: {body}"
    );
    assert_eq!(body["error_code"], 400);

    let (status, _) = weir.call("PUT", "/connectors/src/stop", None);
    assert_eq!(status, 202);
    weir.wait_state("src", "STOPPED");
    let expected_end = std::fs::metadata(&input).unwrap().len();
    let mut offsets = Value::Null;
    assert!(
        tests::wait_until(Duration::from_secs(10), || {
            offsets = weir.get("/connectors/src/offsets").1;
            offsets["offsets"][0]["offset"]["position"] == expected_end
        }),
        "source offset is the byte position after the last line: {offsets}"
    );
    assert_eq!(
        offsets["offsets"][0]["partition"]["filename"],
        input.display().to_string()
    );

    // Rewind to after "first\n": the source re-reads "second" and "third".
    let (status, body) = weir.patch(
        "/connectors/src/offsets",
        &json!({"offsets": [{"partition": {"filename": input.display().to_string()}, "offset": {"position": 6}}]}),
    );
    assert_eq!(status, 200, "{body}");
    let (_, offsets) = weir.get("/connectors/src/offsets");
    assert_eq!(offsets["offsets"][0]["offset"]["position"], 6, "{offsets}");
    let (status, _) = weir.call("PUT", "/connectors/src/resume", None);
    assert_eq!(status, 202);
    let lines = wait_lines(&output, 5, Duration::from_secs(20));
    assert_eq!(lines, vec!["first", "second", "third", "second", "third"]);

    // Sink offsets: Kafka's kafka_topic / kafka_partition / kafka_offset shape.
    let (status, _) = weir.call("PUT", "/connectors/sink/stop", None);
    assert_eq!(status, 202);
    weir.wait_state("sink", "STOPPED");
    let (status, offsets) = weir.get("/connectors/sink/offsets");
    assert_eq!(status, 200);
    let entry = &offsets["offsets"][0];
    assert_eq!(entry["partition"]["kafka_topic"], "offsets", "{offsets}");
    assert_eq!(entry["partition"]["kafka_partition"], 0, "{offsets}");
    assert_eq!(entry["offset"]["kafka_offset"], 5, "{offsets}");

    // Reset: the sink re-reads the topic from the start.
    let (status, body) = weir.delete("/connectors/sink/offsets");
    assert_eq!(status, 200, "{body}");
    let (_, offsets) = weir.get("/connectors/sink/offsets");
    assert_eq!(offsets["offsets"], json!([]), "{offsets}");
    let (status, _) = weir.call("PUT", "/connectors/sink/resume", None);
    assert_eq!(status, 202);
    let lines = wait_lines(&output, 10, Duration::from_secs(20));
    assert_eq!(lines.len(), 10);
}

#[test]
fn a_failing_connector_is_failed_with_a_trace_and_the_others_keep_running() {
    let dir = temp_dir();
    let good_input = dir.path().join("good.txt");
    std::fs::write(&good_input, "fine\n").unwrap();
    let good_output = dir.path().join("good-out.txt");
    let missing = dir.path().join("does-not-exist.txt");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create("broken", source_config(&missing, "broken"));
    weir.create("good-src", source_config(&good_input, "good"));
    weir.create("good-sink", sink_config(&good_output, "good"));

    let mut status = Value::Null;
    let failed = tests::wait_until(Duration::from_secs(20), || {
        status = weir.get("/connectors/broken/status").1;
        status["tasks"][0]["state"] == "FAILED" || status["connector"]["state"] == "FAILED"
    });
    assert!(failed, "the connector reading a missing file fails: {status}");
    let trace = if status["tasks"][0]["state"] == "FAILED" {
        status["tasks"][0]["trace"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    } else {
        status["connector"]["trace"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        trace.contains("does-not-exist.txt"),
        "the trace names the file: {trace}"
    );

    assert_eq!(wait_lines(&good_output, 1, Duration::from_secs(20)), vec!["fine"]);
    weir.wait_state("good-src", "RUNNING");
    let (code, _) = weir.get("/health");
    assert_eq!(code, 200, "the worker stays healthy");
}

#[test]
fn metrics_count_records_per_connector() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "1\n2\n3\n").unwrap();
    let output = dir.path().join("out.txt");
    let weir = Weir::start(&WeirConfig::new(dir.path()));
    weir.create("m-src", source_config(&input, "m"));
    weir.create("m-sink", sink_config(&output, "m"));
    wait_lines(&output, 3, Duration::from_secs(20));
    let mut text = String::new();
    let counted = tests::wait_until(Duration::from_secs(10), || {
        text = weir.get_text("/metrics").1;
        metric_sum(&text, "m-src") >= 3.0 && metric_sum(&text, "m-sink") >= 3.0
    });
    assert!(
        counted,
        "metrics should count 3 records for each connector:\n{text}"
    );
    assert!(text.contains("# TYPE"), "Prometheus text format:\n{text}");
}

/// Sum of the record counters (`*records*total` series) labelled with `connector`.
fn metric_sum(text: &str, connector: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains("records") && l.contains(&format!("\"{connector}\"")))
        .filter(|l| l.split('{').next().is_some_and(|name| name.ends_with("_total")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

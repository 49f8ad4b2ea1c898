//! The file connectors on Kafka: a real `weir` with `bootstrap.servers` pointing at a real tansu
//! broker (one per test). file -> Kafka -> file, status, pause / resume, the offsets API of a
//! stopped sink, restarts after SIGTERM (nothing twice) and kill -9 (nothing lost), and a clear
//! exit when the cluster cannot be reached.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::time::Duration;

use tests::restarts::{
    file_pipeline, kill9_restart_loses_nothing, numbered, sigterm_restart_repeats_nothing, write_numbered,
};
use tests::{Kafka, Weir, WeirConfig, json, read_lines, run_to_exit, temp_dir, wait_lines};

fn config(dir: &Path, kafka: &Kafka) -> WeirConfig {
    let mut config = WeirConfig::new(dir);
    config.worker = format!(
        "bootstrap.servers={}\noffset.flush.interval.ms=200\n",
        kafka.bootstrap()
    );
    config
}

#[test]
fn a_file_is_copied_through_kafka_with_status_pause_and_sink_offsets() {
    let kafka = Kafka::start();
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    write_numbered(&input, 0, 5_000);
    let weir = Weir::start(&config(dir.path(), &kafka));
    file_pipeline(&weir, &input, &output);
    assert_eq!(
        wait_lines(&output, 5_000, Duration::from_secs(60)),
        numbered(0, 5_000)
    );
    weir.wait_state("src", "RUNNING");
    weir.wait_state("sink", "RUNNING");
    let (_, topics) = weir.get("/connectors/src/topics");
    assert_eq!(topics["src"]["topics"], json!(["numbers"]), "{topics}");

    // Paused: nothing more is written; resumed: the rest comes.
    assert_eq!(weir.put("/connectors/sink/pause", &json!({})).0, 202);
    weir.wait_state("sink", "PAUSED");
    write_numbered(&input, 5_000, 5_100);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(read_lines(&output).len(), 5_000, "a paused sink writes nothing");
    assert_eq!(weir.put("/connectors/sink/resume", &json!({})).0, 202);
    assert_eq!(
        wait_lines(&output, 5_100, Duration::from_secs(60)),
        numbered(0, 5_100)
    );

    // The offsets of a stopped sink live in its Kafka consumer group.
    assert_eq!(weir.put("/connectors/sink/stop", &json!({})).0, 202);
    weir.wait_state("sink", "STOPPED");
    let (status, offsets) = weir.get("/connectors/sink/offsets");
    assert_eq!(status, 200, "{offsets}");
    assert_eq!(
        offsets["offsets"],
        json!([{"partition": {"kafka_topic": "numbers", "kafka_partition": 0},
                "offset": {"kafka_offset": 5_100}}]),
        "{offsets}"
    );
    // Moved back by 40: those 40 lines are written again after the resume.
    let (status, body) = weir.patch(
        "/connectors/sink/offsets",
        &json!({"offsets": [{"partition": {"kafka_topic": "numbers", "kafka_partition": 0},
                             "offset": {"kafka_offset": 5_060}}]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        weir.get("/connectors/sink/offsets").1["offsets"][0]["offset"]["kafka_offset"],
        5_060
    );
    assert_eq!(weir.put("/connectors/sink/resume", &json!({})).0, 202);
    weir.wait_state("sink", "RUNNING");
    let lines = wait_lines(&output, 5_140, Duration::from_secs(60));
    assert_eq!(lines[5_100..], numbered(5_060, 5_100)[..]);

    // Reset: the group's offsets are gone and a resumed sink copies the topic from the start.
    assert_eq!(weir.put("/connectors/sink/stop", &json!({})).0, 202);
    weir.wait_state("sink", "STOPPED");
    let (status, body) = weir.delete("/connectors/sink/offsets");
    assert_eq!(status, 200, "{body}");
    assert_eq!(weir.get("/connectors/sink/offsets").1["offsets"], json!([]));
    assert_eq!(weir.put("/connectors/sink/resume", &json!({})).0, 202);
    let lines = wait_lines(&output, 5_140 + 5_100, Duration::from_secs(60));
    assert_eq!(lines[5_140..], numbered(0, 5_100)[..]);
    let status = weir.terminate();
    assert!(status.success(), "SIGTERM exits 0, got {status:?}");
}

#[test]
fn sigterm_mid_copy_then_restart_gives_every_line_exactly_once_in_order() {
    let kafka = Kafka::start();
    sigterm_restart_repeats_nothing(60_000, |dir| config(dir, &kafka));
}

#[test]
fn kill_9_mid_copy_then_restart_loses_nothing() {
    let kafka = Kafka::start();
    let dir = temp_dir();
    // Static group membership (Kafka's KIP-345, passed through as consumer.*): the restarted
    // sink takes the killed member's place at once. Without it a restart waits for the dead
    // member's session to time out, and tansu 0.6.0 never times it out.
    let mut config = config(dir.path(), &kafka);
    config
        .worker
        .push_str("consumer.group.instance.id=weir-kill9-test\n");
    kill9_restart_loses_nothing(100_000, &config, Duration::from_secs(180));
}

#[test]
fn an_unreachable_cluster_stops_the_worker_with_a_line_naming_bootstrap_servers() {
    let dir = temp_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    std::fs::write(
        dir.path().join("worker.properties"),
        format!("listeners=http://127.0.0.1:0\nbootstrap.servers=127.0.0.1:{port}\n"),
    )
    .unwrap();
    let exited = run_to_exit(
        dir.path(),
        &["standalone", "worker.properties"],
        Duration::from_secs(60),
    );
    assert!(!exited.status.success());
    assert!(
        exited.stderr.contains(&format!(
            "cannot reach the Kafka cluster at bootstrap.servers=127.0.0.1:{port}"
        )),
        "{}",
        exited.stderr
    );
}

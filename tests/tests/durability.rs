//! Stopping and starting without losing anything: graceful restarts give no duplicates,
//! kill -9 loses nothing (duplicates only since the last commit).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use tests::{Weir, WeirConfig, json, read_lines, temp_dir, wait_lines, wait_until};

const LINES: usize = 200_000;

fn write_numbered(path: &Path, from: usize, to: usize) {
    let mut text = String::with_capacity((to - from) * 12);
    for i in from..to {
        text.push_str(&format!("line-{i:07}\n"));
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
}

fn pipeline(weir: &Weir, input: &Path, output: &Path) {
    weir.create(
        "src",
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
        "topic": "numbers", "batch.size": "500"}),
    );
    weir.create(
        "sink",
        json!({"connector.class": "FileStreamSink", "file": output.display().to_string(),
        "topics": "numbers"}),
    );
}

fn config(dir: &Path) -> WeirConfig {
    let mut config = WeirConfig::new(dir);
    config.worker = "offset.flush.interval.ms=200\n".into();
    config
}

#[test]
fn sigterm_mid_copy_then_restart_gives_every_line_exactly_once_in_order() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    write_numbered(&input, 0, LINES);
    let weir = Weir::start(&config(dir.path()));
    pipeline(&weir, &input, &output);
    // Stop while the copy is under way.
    assert!(wait_until(Duration::from_secs(60), || read_lines(&output).len() > 1_000));
    let status = weir.terminate();
    assert!(status.success(), "SIGTERM exits 0, got {status:?}");
    let copied_at_stop = read_lines(&output).len();

    // Restart on the same data.dir: the connectors come back from the state store.
    let weir = Weir::start(&config(dir.path()));
    write_numbered(&input, LINES, LINES + 10);
    let lines = wait_lines(&output, LINES + 10, Duration::from_secs(120));
    std::thread::sleep(Duration::from_millis(1500));
    let lines_after = read_lines(&output);
    assert_eq!(
        lines_after.len(),
        LINES + 10,
        "no duplicates after a graceful restart (had {copied_at_stop} at stop)"
    );
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line, &format!("line-{i:07}"), "line {i} in order");
    }
    weir.wait_state("src", "RUNNING");
}

#[test]
fn kill_9_mid_copy_then_restart_loses_nothing() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    write_numbered(&input, 0, LINES);
    let weir = Weir::start(&config(dir.path()));
    pipeline(&weir, &input, &output);
    assert!(wait_until(Duration::from_secs(60), || read_lines(&output).len() > 1_000));
    weir.kill9();
    let at_kill = read_lines(&output).len();

    let weir = Weir::start(&config(dir.path()));
    let expected: HashSet<String> = (0..LINES).map(|i| format!("line-{i:07}")).collect();
    let mut seen = HashSet::new();
    let complete = wait_until(Duration::from_secs(120), || {
        seen = read_lines(&output).into_iter().collect::<HashSet<_>>();
        expected.is_subset(&seen)
    });
    let missing = expected.difference(&seen).count();
    assert!(
        complete,
        "{missing} lines lost after kill -9 (output had {at_kill} lines at the kill)"
    );
    let total = read_lines(&output).len();
    eprintln!(
        "kill -9 at {at_kill} lines; duplicates after restart: {}",
        total - LINES
    );
    assert!(seen.len() == LINES, "no line that was never written appears");
    drop(weir);
}

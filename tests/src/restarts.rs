//! The restart scenarios every log must pass, shared by the embedded-log and Kafka test files:
//! a file -> topic -> file copy stopped mid-way by SIGTERM (a restart repeats nothing) or by
//! kill -9 (a restart loses nothing).

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use crate::{Weir, WeirConfig, json, read_lines, temp_dir, wait_lines, wait_until};

/// Appends `line-{i:07}` for `from..to` to `path` in one write.
pub fn write_numbered(path: &Path, from: usize, to: usize) {
    let mut text = String::with_capacity((to - from) * 13);
    for i in from..to {
        text.push_str(&format!("line-{i:07}\n"));
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the input file");
    std::io::Write::write_all(&mut file, text.as_bytes()).expect("write the input file");
}

/// The lines [`write_numbered`] writes, without newlines.
pub fn numbered(from: usize, to: usize) -> Vec<String> {
    (from..to).map(|i| format!("line-{i:07}")).collect()
}

/// `src` (FileStreamSource, batches of 500) -> topic `numbers` -> `sink` (FileStreamSink).
pub fn file_pipeline(weir: &Weir, input: &Path, output: &Path) {
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

/// Copies `lines` lines, stops the worker with SIGTERM mid-copy, restarts it on the same
/// state, appends 10 lines, and asserts the output holds every line exactly once, in order.
/// `config` builds the worker's configuration for a test directory.
pub fn sigterm_restart_repeats_nothing(lines: usize, config: impl Fn(&Path) -> WeirConfig) {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    write_numbered(&input, 0, lines);
    let weir = Weir::start(&config(dir.path()));
    file_pipeline(&weir, &input, &output);
    // Stop while the copy is under way.
    assert!(wait_until(Duration::from_secs(60), || read_lines(&output).len() > 1_000));
    let (status, first_logs) = weir.terminate_with_logs();
    assert!(
        status.success(),
        "SIGTERM exits 0, got {status:?}\nlogs:\n{first_logs}"
    );
    let copied_at_stop = read_lines(&output).len();

    // Restart on the same state: the connectors come back from the state store.
    let weir = Weir::start(&config(dir.path()));
    write_numbered(&input, lines, lines + 10);
    wait_lines(&output, lines + 10, Duration::from_secs(120));
    // Anything repeated would arrive right behind the last line.
    std::thread::sleep(Duration::from_millis(1500));
    let got = read_lines(&output);
    assert_eq!(
        got.len(),
        lines + 10,
        "no duplicates after a graceful restart (had {copied_at_stop} at stop)\n\
         first run's logs:\n{first_logs}\nsecond run's logs:\n{}",
        weir.logs()
    );
    assert!(got == numbered(0, lines + 10), "every line once, in order");
    weir.wait_state("src", "RUNNING");
}

/// Copies `lines` lines, kills the worker with SIGKILL mid-copy, restarts it, and asserts every
/// line arrives (duplicates since the last commit are allowed) and nothing else does.
pub fn kill9_restart_loses_nothing(lines: usize, config: &WeirConfig, deadline: Duration) {
    let input = config.dir.join("in.txt");
    let output = config.dir.join("out.txt");
    write_numbered(&input, 0, lines);
    let weir = Weir::start(config);
    file_pipeline(&weir, &input, &output);
    assert!(wait_until(Duration::from_secs(60), || read_lines(&output).len() > 1_000));
    weir.kill9();
    let at_kill = read_lines(&output).len();

    let weir = Weir::start(config);
    let expected: HashSet<String> = numbered(0, lines).into_iter().collect();
    let mut seen = HashSet::new();
    let complete = wait_until(deadline, || {
        seen = read_lines(&output).into_iter().collect::<HashSet<_>>();
        expected.is_subset(&seen)
    });
    let missing = expected.difference(&seen).count();
    assert!(
        complete,
        "{missing} lines lost after kill -9 (output had {at_kill} lines at the kill)\nweir logs:\n{}",
        weir.logs()
    );
    eprintln!(
        "kill -9 at {at_kill} lines; duplicates after restart: {}",
        read_lines(&output).len() - lines
    );
    assert_eq!(seen.len(), lines, "no line that was never written appears");
}

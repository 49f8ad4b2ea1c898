//! Stopping and starting without losing anything, on the embedded log: graceful restarts give
//! no duplicates, kill -9 loses nothing (duplicates only since the last commit). The scenarios
//! live in `tests::restarts`; `kafka_pipeline.rs` runs them on Kafka.

use std::path::Path;
use std::time::Duration;

use tests::restarts::{kill9_restart_loses_nothing, sigterm_restart_repeats_nothing};
use tests::{WeirConfig, temp_dir};

const LINES: usize = 200_000;

fn config(dir: &Path) -> WeirConfig {
    let mut config = WeirConfig::new(dir);
    config.worker = "offset.flush.interval.ms=200\n".into();
    config
}

#[test]
fn sigterm_mid_copy_then_restart_gives_every_line_exactly_once_in_order() {
    sigterm_restart_repeats_nothing(LINES, config);
}

#[test]
fn kill_9_mid_copy_then_restart_loses_nothing() {
    let dir = temp_dir();
    kill9_restart_loses_nothing(LINES, &config(dir.path()), Duration::from_secs(120));
}

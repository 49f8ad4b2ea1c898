//! A real Kafka-protocol broker for tests: the `tansu` broker, started on a free port with
//! in-memory storage and stopped when the handle drops.
//!
//! Shared source: `tests` exports it as `tests::Kafka`, and the gateway's own tests include this
//! file by path (they cannot depend on the `tests` crate, which depends on the gateway).
//! The binary comes from `WEIR_TANSU_BIN` (tests/run.sh sets it), else from
//! `scripts/tansu.sh path`, which builds it once into `~/.cache/weir` (about 10 minutes).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running tansu broker. Killed when dropped.
pub struct Kafka {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

/// Path of the tansu binary, installed on first use.
pub fn tansu_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("WEIR_TANSU_BIN") {
            return PathBuf::from(path);
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/tansu.sh");
        eprintln!(
            "WEIR_TANSU_BIN is unset: asking {} (may build tansu once)",
            script.display()
        );
        let out = Command::new("bash")
            .arg(&script)
            .arg("path")
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/tansu.sh path");
        assert!(out.status.success(), "scripts/tansu.sh path failed");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

impl Kafka {
    /// Starts a broker and waits until it accepts connections.
    pub fn start() -> Kafka {
        let bin = tansu_bin();
        let mut last_log = String::new();
        // The port is free when picked but another process may take it first: retry.
        for _ in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("weir-tansu-")
                .tempdir()
                .expect("temp dir");
            let port = free_port();
            let url = format!("tcp://127.0.0.1:{port}");
            let log = std::fs::File::create(dir.path().join("tansu.log")).expect("tansu log file");
            let mut child = Command::new(&bin)
                .args([
                    "broker",
                    "--listener-url",
                    &url,
                    "--advertised-listener-url",
                    &url,
                    "--storage-engine",
                    // Not memory://: tansu 0.6.0's memory engine skips records when a fetch
                    // starts inside a batch (see scripts/tansu.sh). Relative to current_dir.
                    "sqlite://tansu.db",
                ])
                .current_dir(dir.path())
                .env(
                    "RUST_LOG",
                    std::env::var("TANSU_LOG").unwrap_or_else(|_| "warn".into()),
                )
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return Kafka { child, port, dir };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(dir.path().join("tansu.log")).unwrap_or_default();
        }
        panic!("tansu did not start; its last log:\n{last_log}");
    }

    /// `bootstrap.servers` for this broker.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The broker's log so far (for assertion messages).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tansu.log")).unwrap_or_default()
    }
}

impl Drop for Kafka {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

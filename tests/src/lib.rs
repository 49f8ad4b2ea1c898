//! Helpers for end-to-end tests: start the real `weir` binary on port 0 with a temporary
//! `data.dir`, and talk to it over HTTP like a user's curl would.
//!
//! The binary is built once per test process with the same cargo and profile (a no-op when it
//! is up to date), so `cargo test` never runs a stale `weir`. `WEIR_BIN` overrides the path.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use serde_json::{Value, json};

pub mod ingest;
mod kafka;
pub mod restarts;
pub use kafka::{Kafka, tansu_bin};
pub mod tls;

/// Path of the `weir` binary, built on first use.
pub fn weir_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(path) = std::env::var("WEIR_BIN") {
            return PathBuf::from(path);
        }
        // target/<profile>/deps/<test-binary> -> target/<profile>/weir
        let exe = std::env::current_exe().expect("current test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile> dir")
            .to_path_buf();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "gateway", "--bin", "weir"]);
        if release {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build for weir");
        assert!(status.success(), "building weir failed");
        profile_dir.join("weir")
    })
    .clone()
}

/// A running worker. Killed (SIGKILL) when dropped, so a failing test leaves nothing behind.
pub struct Weir {
    child: Option<Child>,
    pub url: String,
    pub dir: PathBuf,
    logs: Arc<Mutex<String>>,
    http: reqwest::blocking::Client,
}

/// How to start a worker.
pub struct WeirConfig {
    /// The working directory; `data.dir` and files live under it.
    pub dir: PathBuf,
    /// Extra worker.properties lines.
    pub worker: String,
    /// Connector files to pass on the command line.
    pub connector_files: Vec<PathBuf>,
}

impl WeirConfig {
    pub fn new(dir: &Path) -> Self {
        WeirConfig {
            dir: dir.to_path_buf(),
            worker: String::new(),
            connector_files: Vec::new(),
        }
    }
}

/// The result of a run that is expected to exit by itself (e.g. a bad config).
pub struct Exited {
    pub status: ExitStatus,
    pub stderr: String,
    pub stdout: String,
}

/// Runs `weir` with arbitrary arguments to completion, with a deadline.
pub fn run_to_exit(dir: &Path, args: &[&str], deadline: Duration) -> Exited {
    let mut child = Command::new(weir_bin())
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn weir");
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().expect("wait weir") {
            let out = child.wait_with_output().expect("collect output");
            return Exited {
                status: out.status,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            };
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            panic!("weir {args:?} did not exit within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Weir {
    /// Starts a worker with `listeners=http://127.0.0.1:0` and `data.dir=DIR/data` plus
    /// `config.worker`, waits for `listening on http://..` and returns it.
    pub fn start(config: &WeirConfig) -> Weir {
        std::fs::create_dir_all(&config.dir).expect("create test dir");
        let props = config.dir.join("worker.properties");
        let mut text = String::from("listeners=http://127.0.0.1:0\n");
        if !config.worker.contains("data.dir") {
            text.push_str(&format!("data.dir={}\n", config.dir.join("data").display()));
        }
        text.push_str(&config.worker);
        text.push('\n');
        std::fs::write(&props, text).expect("write worker.properties");
        let mut args: Vec<String> = vec!["standalone".into(), props.display().to_string()];
        args.extend(config.connector_files.iter().map(|p| p.display().to_string()));
        Self::spawn(&config.dir, &args)
    }

    /// Spawns `weir ARGS` in `dir` and waits until it logs its listening address.
    pub fn spawn(dir: &Path, args: &[String]) -> Weir {
        let mut child = Command::new(weir_bin())
            .args(args)
            .current_dir(dir)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn weir");
        let logs = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        for stream in [
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(url) = listening_url(&line) {
                        let _ = tx.send(url);
                    }
                    let mut all = logs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "weir did not log 'listening on http://..' in 30 s; logs:\n{}",
                    logs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
                );
            }
        };
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Weir {
            child: Some(child),
            url,
            dir: dir.to_path_buf(),
            logs,
            http,
        }
    }

    pub fn logs(&self) -> String {
        self.logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends one HTTP request; returns the status and the body parsed as JSON (Null when empty,
    /// a JSON string when the body is not JSON).
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        self.call_with(method, path, body, "application/json")
    }

    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        content_type: &str,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(body) = body {
            req = req.header("Content-Type", content_type).body(body.to_string());
        }
        let resp = req
            .send()
            .unwrap_or_else(|e| panic!("request {path} failed: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().expect("read body");
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// Sends one request with a body and these headers; the status and the body as JSON.
    pub fn call_with_headers(
        &self,
        method: &str,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(method, format!("{}{}", self.url, path))
            .body(body.to_owned());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req
            .send()
            .unwrap_or_else(|e| panic!("request {path} failed: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().expect("read body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None)
    }
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call("POST", path, Some(&body.to_string()))
    }
    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call("PUT", path, Some(&body.to_string()))
    }
    pub fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call("PATCH", path, Some(&body.to_string()))
    }
    pub fn delete(&self, path: &str) -> (u16, Value) {
        self.call("DELETE", path, None)
    }

    /// Raw text of a GET (for /metrics).
    pub fn get_text(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{}", self.url, path))
            .send()
            .expect("request");
        (resp.status().as_u16(), resp.text().expect("body"))
    }

    /// Creates a connector and asserts 201.
    pub fn create(&self, name: &str, config: Value) -> Value {
        let (status, body) = self.post("/connectors", &json!({"name": name, "config": config}));
        assert_eq!(status, 201, "create {name}: {body}");
        body
    }

    /// The connector's state, or None when the status call fails.
    pub fn connector_state(&self, name: &str) -> Option<String> {
        let (status, body) = self.get(&format!("/connectors/{name}/status"));
        (status == 200).then(|| {
            body["connector"]["state"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    }

    /// Waits until the connector and all its tasks report `state` (and at least one task
    /// unless STOPPED). Panics with the last status seen.
    pub fn wait_state(&self, name: &str, state: &str) -> Value {
        let mut last = Value::Null;
        let ok = wait_until(Duration::from_secs(20), || {
            let (status, body) = self.get(&format!("/connectors/{name}/status"));
            last = body.clone();
            if status != 200 || body["connector"]["state"] != state {
                return false;
            }
            let tasks = body["tasks"].as_array().cloned().unwrap_or_default();
            if state == "STOPPED" {
                return tasks.iter().all(|t| t["state"] == state);
            }
            !tasks.is_empty() && tasks.iter().all(|t| t["state"] == state)
        });
        assert!(
            ok,
            "{name} did not reach {state}; last status: {last}\nlogs:\n{}",
            self.logs()
        );
        last
    }

    /// SIGTERM, then waits for the exit (at most 30 s).
    pub fn terminate(self) -> ExitStatus {
        self.terminate_with_logs().0
    }

    /// SIGTERM, waits for the exit (at most 30 s), and returns the exit status with everything
    /// the worker logged, shutdown included.
    pub fn terminate_with_logs(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                // The reader threads see the end of the pipes just after the exit.
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.logs());
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("weir did not exit within 30 s of SIGTERM; logs:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL (kill -9): no chance to flush anything.
    pub fn kill9(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Weir {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Extracts `http://HOST:PORT` from a log line containing `listening on http://HOST:PORT`.
pub fn listening_url(line: &str) -> Option<String> {
    let at = line.find("listening on http://")?;
    let rest = &line[at + "listening on ".len()..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == ',' || c == '}')
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches('/').to_string())
}

/// Polls `cond` every 50 ms until it holds or `deadline` passes.
pub fn wait_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Lines of a file ("" when it does not exist yet).
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Waits until `path` has at least `n` lines; returns them.
pub fn wait_lines(path: &Path, n: usize, deadline: Duration) -> Vec<String> {
    let mut lines = Vec::new();
    let ok = wait_until(deadline, || {
        lines = read_lines(path);
        lines.len() >= n
    });
    assert!(
        ok,
        "{} has {} lines, expected at least {n}",
        path.display(),
        lines.len()
    );
    lines
}

/// A fresh temporary directory for one test.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("weir-e2e-")
        .tempdir()
        .expect("temp dir")
}

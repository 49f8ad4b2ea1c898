//! Runs every Avro row of the shared conformance cases (`../shared/conformance/compat/avro.jsonl`,
//! taken from other registries' test suites) through Weir's Avro checker.
//!
//! BACKWARD rows ask `check(reader, writer)`; FULL rows ask both directions. The test prints every
//! row where Weir disagrees, requires agreement on at least 99% of the rows not marked
//! `divergent_from_confluent`, and requires each disagreeing row to be listed, with its reason, in
//! `docs/compatibility/avro.md`. Without `../shared` the test passes with a note: the project's
//! own tests must not depend on it.

use std::path::{Path, PathBuf};

use schemas::registry::avro;
use schemas::registry::language::CheckOptions;
use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cases_file() -> Option<PathBuf> {
    let root = workspace_root();
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("WEIR_SHARED_DIR") {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(root.join("../shared"));
    // A git worktree under a folder beside the shared directory.
    candidates.push(root.join("../../shared"));
    candidates
        .into_iter()
        .map(|dir| dir.join("conformance/compat/avro.jsonl"))
        .find(|p| p.is_file())
}

/// The verdict Weir gives for one row, or why it could not give one.
fn verdict(row: &Value) -> Result<(bool, Vec<String>), String> {
    let text = |key: &str| row[key].as_str().ok_or_else(|| format!("row has no {key}"));
    let reader = avro::parse(text("reader")?, &[]).map_err(|e| format!("reader: {e}"))?;
    let writer = avro::parse(text("writer")?, &[]).map_err(|e| format!("writer: {e}"))?;
    let options = CheckOptions::default();
    let mut messages = avro::check(&reader, &writer, &options);
    if row["level"].as_str() == Some("FULL") {
        messages.extend(avro::check(&writer, &reader, &options));
    }
    Ok((messages.is_empty(), messages))
}

#[test]
fn avro_conformance_cases() {
    let Some(path) = cases_file() else {
        println!("note: ../shared/conformance/compat/avro.jsonl not found; Avro conformance skipped");
        return;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let docs =
        std::fs::read_to_string(workspace_root().join("docs/compatibility/avro.md")).unwrap_or_default();

    let (mut counted, mut agreed) = (0usize, 0usize);
    let mut undocumented = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => panic!("{}:{}: {e}", path.display(), line_no + 1),
        };
        let id = row["id"].as_str().unwrap_or("?").to_string();
        let expected = row["compatible"].as_bool();
        let divergent = row["divergent_from_confluent"].as_bool().unwrap_or(false);
        let got = verdict(&row);
        let agrees = matches!((&got, expected), (Ok((v, _)), Some(e)) if *v == e);
        if !divergent {
            counted += 1;
            if agrees {
                agreed += 1;
            }
        }
        if !agrees {
            let detail = match &got {
                Ok((v, messages)) => format!("weir says compatible={v} {messages:?}"),
                Err(e) => format!("weir could not check: {e}"),
            };
            println!(
                "MISMATCH {id} (expected compatible={expected:?}, divergent_from_confluent={divergent}) {}: {detail}",
                row["name"].as_str().unwrap_or("")
            );
            if !docs.contains(&id) {
                undocumented.push(id);
            }
        }
    }
    println!(
        "avro conformance: {agreed}/{counted} rows agree (rows marked divergent_from_confluent not counted)"
    );
    assert!(counted > 0, "no rows in {}", path.display());
    assert!(
        agreed * 100 >= counted * 99,
        "only {agreed}/{counted} Avro conformance rows agree; at least 99% must"
    );
    assert!(
        undocumented.is_empty(),
        "rows where Weir disagrees must be listed in docs/compatibility/avro.md: {undocumented:?}"
    );
}

//! Runs every Protobuf row of ../shared/conformance/compat/protobuf.jsonl through the checker.
//!
//! A row says whether `reader` (the new schema) can read `writer` (the old one): BACKWARD is
//! check(reader, writer), FULL is both directions. Rows marked `divergent_from_confluent` are
//! reported but not counted. Rows where Weir follows Confluent against the source registry are
//! listed in KNOWN_DIVERGENCES (and in docs/compatibility/protobuf.md) with the reason; any other
//! mismatch fails the test. Without ../shared the test passes with a note.

use std::path::PathBuf;

use schemas::registry::language::CheckOptions;
use schemas::registry::protobuf;
use schemas::registry::{ResolvedReference, SchemaType};
use serde_json::Value;

/// Rows where Confluent's rules give the other verdict; see docs/compatibility/protobuf.md.
const KNOWN_DIVERGENCES: &[(&str, &str)] = &[(
    "pb-0156",
    "Karapace calls renumbering a field incompatible; Confluent reports FIELD_REMOVED plus \
     FIELD_ADDED, both compatible, so the change is accepted",
)];

fn conformance_file() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WEIR_SHARED_DIR") {
        return Some(PathBuf::from(dir).join("conformance/compat/protobuf.jsonl"));
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/conformance/compat/protobuf.jsonl"))
        .find(|path| path.is_file())
}

/// Imports of one side: `name -> text`; null marks a well-known Google file (built in).
fn references(row: &Value, key: &str) -> Vec<ResolvedReference> {
    let mut out = Vec::new();
    for key in [format!("{key}_dependencies"), format!("{key}_references")] {
        if let Some(map) = row.get(&key).and_then(Value::as_object) {
            for (name, text) in map {
                if let Some(text) = text.as_str() {
                    out.push(ResolvedReference {
                        name: name.clone(),
                        schema_type: SchemaType::Protobuf,
                        schema: text.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// Weir's verdict, or why it could not give one.
fn verdict(row: &Value) -> Result<bool, String> {
    let text = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let reader = protobuf::parse(&text("reader"), &references(row, "reader"))
        .map_err(|e| format!("reader does not parse: {e}"))?;
    let writer = protobuf::parse(&text("writer"), &references(row, "writer"))
        .map_err(|e| format!("writer does not parse: {e}"))?;
    let options = CheckOptions::default();
    let backward = protobuf::check(&reader, &writer, &options);
    let mut problems = backward;
    if row.get("level").and_then(Value::as_str) == Some("FULL") {
        problems.extend(protobuf::check(&writer, &reader, &options));
    }
    Ok(problems.is_empty())
}

#[test]
fn protobuf_conformance_rows() {
    let Some(path) = conformance_file() else {
        println!("note: ../shared/conformance/compat/protobuf.jsonl not found; conformance rows skipped");
        return;
    };
    let content = match std::fs::read_to_string(&path) {
        Ok(c) => c,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let (mut counted, mut agreed, mut known, mut divergent_rows) = (0usize, 0usize, 0usize, 0usize);
    let mut unexpected = Vec::new();
    for (line_no, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => panic!("line {}: not JSON: {e}", line_no + 1),
        };
        let id = row.get("id").and_then(Value::as_str).unwrap_or("?").to_string();
        let expected = row.get("compatible").and_then(Value::as_bool).unwrap_or(false);
        let divergent = row.get("divergent_from_confluent").and_then(Value::as_bool) == Some(true);
        let got = verdict(&row);
        let agrees = got.as_ref().is_ok_and(|g| *g == expected);
        if divergent {
            divergent_rows += 1;
            println!("divergent row {id}: expected {expected}, Weir {got:?} (not counted)");
            continue;
        }
        counted += 1;
        if agrees {
            agreed += 1;
            continue;
        }
        let name = row.get("name").and_then(Value::as_str).unwrap_or("");
        match KNOWN_DIVERGENCES.iter().find(|(k, _)| *k == id) {
            Some((_, reason)) => {
                known += 1;
                println!("known divergence {id} ({name}): expected {expected}, Weir {got:?}: {reason}");
            }
            None => {
                println!("MISMATCH {id} ({name}): expected {expected}, Weir {got:?}");
                unexpected.push(id);
            }
        }
    }
    let percent = |n: usize, d: usize| {
        if d == 0 {
            100.0
        } else {
            n as f64 * 100.0 / d as f64
        }
    };
    println!(
        "protobuf conformance: {agreed}/{counted} rows agree ({:.1}%); {known} documented Confluent divergences; {divergent_rows} rows marked divergent_from_confluent",
        percent(agreed, counted)
    );
    assert!(unexpected.is_empty(), "undocumented mismatches: {unexpected:?}");
    // Rows whose Confluent verdict differs from the source registry's count as Confluent's.
    let confluent_agreement = percent(agreed + known, counted);
    assert!(
        confluent_agreement >= 99.0,
        "agreement with Confluent {confluent_agreement:.1}% < 99%"
    );
}

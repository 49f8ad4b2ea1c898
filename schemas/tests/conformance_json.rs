//! JSON Schema compatibility against the shared conformance cases (cases taken from
//! Karapace's and Apicurio's test suites): every row is run, mismatches are printed, and Weir
//! must agree with at least 99% of the rows not marked `divergent_from_confluent`.
//!
//! The cases live outside the project (`../shared/conformance/compat/json.jsonl`, found by
//! walking up from this crate, or `WEIR_CONFORMANCE_DIR`); without them the test says so and
//! passes, the project's own rules being covered by the unit tests.

use std::path::PathBuf;

use schemas::registry::{ParsedSchema, SchemaType, language::CheckOptions};
use serde_json::Value;

fn cases_file() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("WEIR_CONFORMANCE_DIR") {
        return Some(PathBuf::from(dir).join("compat/json.jsonl")).filter(|p| p.is_file());
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/conformance/compat/json.jsonl"))
        .find(|candidate| candidate.is_file())
}

/// Weir's verdict for one row: Ok(compatible) or Err(why a schema did not parse).
fn verdict(row: &Value) -> Result<bool, String> {
    let text = |key: &str| {
        row.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let reader =
        ParsedSchema::parse(SchemaType::Json, &text("reader"), &[]).map_err(|e| format!("reader: {e}"))?;
    let writer =
        ParsedSchema::parse(SchemaType::Json, &text("writer"), &[]).map_err(|e| format!("writer: {e}"))?;
    let options = CheckOptions::default();
    let mut messages = ParsedSchema::check(&reader, &writer, &options);
    if row.get("level").and_then(Value::as_str) == Some("FULL") {
        messages.extend(ParsedSchema::check(&writer, &reader, &options));
    }
    Ok(messages.is_empty())
}

#[test]
fn json_schema_conformance() {
    let Some(path) = cases_file() else {
        println!("note: shared/conformance/compat/json.jsonl not found; conformance rows skipped");
        return;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let (mut rows, mut agree, mut divergent_rows, mut divergent_agree) = (0, 0, 0, 0);
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let row: Value = match serde_json::from_str(line) {
            Ok(row) => row,
            Err(e) => panic!("{} line {}: {e}", path.display(), number + 1),
        };
        let expected = row.get("compatible").and_then(Value::as_bool).unwrap_or(false);
        let divergent = row
            .get("divergent_from_confluent")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let id = row.get("id").and_then(Value::as_str).unwrap_or("?");
        let got = verdict(&row);
        let same = got.as_ref().is_ok_and(|g| *g == expected);
        if divergent {
            divergent_rows += 1;
            divergent_agree += usize::from(same);
            if !same {
                println!("divergent row {id}: expected compatible={expected} got {got:?}");
            }
            continue;
        }
        rows += 1;
        if same {
            agree += 1;
        } else {
            let name = row.get("name").and_then(Value::as_str).unwrap_or("");
            println!("MISMATCH {id} expected compatible={expected} got {got:?}: {name}");
        }
    }
    let share = if rows == 0 {
        1.0
    } else {
        agree as f64 / rows as f64
    };
    println!(
        "JSON Schema conformance: {agree}/{rows} rows agree ({:.2}%); divergent_from_confluent rows (not counted): {divergent_agree}/{divergent_rows} agree",
        share * 100.0
    );
    assert!(rows > 0, "no rows in {}", path.display());
    assert!(share >= 0.99, "agreement {:.2}% is below 99%", share * 100.0);
}

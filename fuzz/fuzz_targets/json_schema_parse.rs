//! The JSON Schema parser on any bytes: never panics; a parsed schema's canonical text parses
//! back to the same canonical text, its normalized text parses, and it reads itself (unless the
//! checker's bounds call it too complex).
#![no_main]

use libfuzzer_sys::fuzz_target;
use schemas::registry::json_schema;
use schemas::registry::language::CheckOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schema) = json_schema::parse(text, &[]) else {
        return;
    };
    let canonical = json_schema::canonical(&schema);
    let again = json_schema::parse(&canonical, &[]).expect("canonical text parses");
    assert_eq!(json_schema::canonical(&again), canonical);
    json_schema::parse(&json_schema::normalize(&schema), &[]).expect("normalized text parses");
    for lenient in [false, true] {
        let messages = json_schema::check(&schema, &schema, &CheckOptions { lenient });
        assert!(
            messages.iter().all(|m| m.contains("TOO_COMPLEX")),
            "a schema must read itself: {text} -> {messages:?}"
        );
    }
});

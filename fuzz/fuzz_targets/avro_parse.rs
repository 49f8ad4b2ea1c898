//! Any text given to the Avro parser yields a schema or an error, never a panic; a schema that
//! parses has a canonical text that parses again to the same text, and reads itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schemas::registry::avro;
use schemas::registry::language::CheckOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schema) = avro::parse(text, &[]) else {
        return;
    };
    let canonical = avro::canonical(&schema);
    let again = match avro::parse(&canonical, &[]) {
        Ok(s) => s,
        Err(e) => panic!("canonical text does not parse: {e}\ninput: {text}\ncanonical: {canonical}"),
    };
    assert_eq!(avro::canonical(&again), canonical, "canonical text is not stable");
    let normalized = avro::normalize(&schema);
    if let Err(e) = avro::parse(&normalized, &[]) {
        panic!("normalized text does not parse: {e}\ninput: {text}\nnormalized: {normalized}");
    }
    let messages = avro::check(&schema, &schema, &CheckOptions::default());
    assert!(messages.is_empty(), "a schema must read itself: {messages:?}\ninput: {text}");
});

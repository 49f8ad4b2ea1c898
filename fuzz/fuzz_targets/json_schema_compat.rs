//! The JSON Schema compatibility checker on any two schemas (the input split at its first NUL
//! byte: reader, then writer) answers both directions, STRICT and LENIENT, without panicking
//! or looping; LENIENT never rejects what STRICT accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schemas::registry::json_schema;
use schemas::registry::language::CheckOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (reader, writer) = text.split_once('\0').unwrap_or((text, text));
    let (Ok(reader), Ok(writer)) = (json_schema::parse(reader, &[]), json_schema::parse(writer, &[])) else {
        return;
    };
    for (r, w) in [(&reader, &writer), (&writer, &reader)] {
        let strict = json_schema::check(r, w, &CheckOptions { lenient: false });
        let lenient = json_schema::check(r, w, &CheckOptions { lenient: true });
        assert!(strict.len() >= lenient.len(), "LENIENT rejects more than STRICT");
    }
});

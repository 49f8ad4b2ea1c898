//! The Protobuf compatibility checker on any two schemas (the input split at its first NUL
//! byte: reader, then writer) answers in both directions without panicking or looping, and a
//! schema is always compatible with itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schemas::registry::language::CheckOptions;
use schemas::registry::protobuf;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (reader, writer) = text.split_once('\0').unwrap_or((text, text));
    let (Ok(reader), Ok(writer)) = (protobuf::parse(reader, &[]), protobuf::parse(writer, &[]))
    else {
        return;
    };
    let options = CheckOptions::default();
    let _ = protobuf::check(&reader, &writer, &options);
    let _ = protobuf::check(&writer, &reader, &options);
    let same = protobuf::check(&reader, &reader, &options);
    assert!(same.is_empty(), "a schema is incompatible with itself: {same:?}");
});

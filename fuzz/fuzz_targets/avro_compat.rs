//! The Avro compatibility checker on any two schemas (the input split at its first NUL byte:
//! reader, then writer) answers in both directions without panicking or looping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schemas::registry::avro;
use schemas::registry::language::CheckOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (reader, writer) = text.split_once('\0').unwrap_or((text, text));
    let (Ok(reader), Ok(writer)) = (avro::parse(reader, &[]), avro::parse(writer, &[])) else {
        return;
    };
    let options = CheckOptions::default();
    let _ = avro::check(&reader, &writer, &options);
    let _ = avro::check(&writer, &reader, &options);
});

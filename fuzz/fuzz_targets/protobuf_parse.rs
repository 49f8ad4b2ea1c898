//! The Protobuf parser on any bytes: as `.proto` text, and (the same bytes) as a binary
//! FileDescriptorProto sent in base64 the way confluent-kafka registers schemas. No panic; a
//! parsed schema's canonical text parses back to the same canonical text, its normalized text
//! parses, and its serialized (base64 descriptor) form parses to the same canonical text.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use schemas::registry::protobuf;

fn round_trip(schema: &protobuf::ProtobufSchema) {
    let canonical = protobuf::canonical(schema);
    let again = match protobuf::parse(&canonical, &[]) {
        Ok(s) => s,
        Err(e) => panic!("canonical text does not parse: {e}\n{canonical}"),
    };
    assert_eq!(protobuf::canonical(&again), canonical, "canonical text is not stable");
    let normalized = protobuf::normalize(schema);
    if let Err(e) = protobuf::parse(&normalized, &[]) {
        panic!("normalized text does not parse: {e}\n{normalized}");
    }
    let serialized = protobuf::serialized(schema);
    match protobuf::parse(&serialized, &[]) {
        Ok(s) => assert_eq!(protobuf::canonical(&s), canonical, "serialized form differs"),
        Err(e) => panic!("serialized form does not parse: {e}\n{canonical}"),
    }
    let _ = schema.message_index_paths();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(schema) = protobuf::parse(text, &[]) {
            round_trip(&schema);
        }
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    if let Ok(schema) = protobuf::parse(&encoded, &[]) {
        round_trip(&schema);
    }
});

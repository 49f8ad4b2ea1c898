//! Confluent framing on any bytes: the header and the Protobuf message-index path are read
//! without panicking, and whatever reads is written back to the same bytes (except the
//! index path [0], which is written as Confluent's single zero byte).
#![no_main]

use formats::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((id, rest)) = wire::read_header("t", data) else {
        return;
    };
    let mut out = Vec::new();
    wire::write_header(&mut out, id);
    assert_eq!(out[..], data[..5]);
    if let Ok((indexes, tail)) = wire::read_message_indexes("t", rest) {
        let mut again = Vec::new();
        wire::write_message_indexes(&mut again, &indexes);
        let (back, _) = wire::read_message_indexes("t", &again).expect("written indexes read back");
        assert_eq!(back, indexes);
        assert!(tail.len() <= rest.len());
    }
});

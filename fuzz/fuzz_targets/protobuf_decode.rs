//! The Protobuf decoder on any bytes: the message-index path, then the message, under a file
//! with several messages (nested ones, maps, repeated, enums, well-known types). Must hold: no
//! panic, whatever the path and the bytes.
#![no_main]

use std::sync::OnceLock;

use formats::protobuf::{ProtobufReader, decode_message, reader_for};
use formats::wire;
use libfuzzer_sys::fuzz_target;
use schemas::registry::protobuf::{self, ProtobufSchema};

const PROTO: &str = r#"syntax = "proto3";
package fz;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message First { string a = 1; }
message Order {
  int64 id = 1;
  optional string note = 2;
  repeated Item items = 3;
  map<string, int64> attrs = 4;
  Kind kind = 5;
  google.protobuf.Timestamp at = 6;
  google.protobuf.StringValue maybe = 7;
  uint64 big = 8;
  sint32 delta = 9;
  bytes raw = 10;
  double total = 11;
  float ratio = 12;
  bool paid = 13;
  map<int32, Item> by_id = 14;
  message Item { string sku = 1; fixed32 qty = 2; }
  enum Kind { A = 0; B = 1; }
}
"#;

fn schema() -> &'static ProtobufSchema {
    static SCHEMA: OnceLock<ProtobufSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| protobuf::parse(PROTO, &[]).expect("seed schema compiles"))
}

fn reader(path: &[usize]) -> Option<ProtobufReader> {
    reader_for(1, schema().message_by_index_path(path)?).ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok((path, message)) = wire::read_message_indexes("t", data) else {
        return;
    };
    let Some(reader) = reader(&path) else {
        return;
    };
    let _ = decode_message(&reader, "t", message);
});

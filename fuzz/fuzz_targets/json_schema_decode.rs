//! The JSON Schema converter's reader on any bytes, under a schema with every Connect type
//! Confluent's mapping produces. Must hold: no panic, whatever the bytes.
#![no_main]

use std::sync::{Arc, OnceLock};

use formats::json_schema::{JsonSchemaReader, decode_json, to_connect_schema};
use libfuzzer_sys::fuzz_target;

const SCHEMA: &str = r#"{"type":"object","title":"fz.Order","properties":{
  "id":{"type":"integer","connect.index":0,"connect.type":"int64"},
  "small":{"type":"integer","connect.index":1,"connect.type":"int8"},
  "note":{"oneOf":[{"type":"null"},{"type":"string"}],"connect.index":2},
  "ratio":{"type":"number","connect.index":3,"connect.type":"float32"},
  "raw":{"type":"string","connect.index":4,"connect.type":"bytes"},
  "price":{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.index":5,"connect.type":"bytes","connect.parameters":{"scale":"2"}},
  "tags":{"type":"array","items":{"type":"string"},"connect.index":6},
  "attrs":{"type":"object","additionalProperties":{"type":"integer"},"connect.type":"map","connect.index":7},
  "item":{"type":"object","properties":{"sku":{"type":"string"},"ok":{"type":"boolean"}},"connect.index":8}
},"required":["id","small","ratio","raw","price","tags","attrs"]}"#;

fn reader() -> &'static JsonSchemaReader {
    static READER: OnceLock<JsonSchemaReader> = OnceLock::new();
    READER.get_or_init(|| {
        let json: serde_json::Value = serde_json::from_str(SCHEMA).expect("seed schema is JSON");
        let schema = to_connect_schema(&json).expect("seed schema maps to Connect");
        JsonSchemaReader { id: 1, schema: Arc::new(schema) }
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = decode_json(reader(), "t", data);
});

//! The Avro datum decoder on any bytes, under schemas covering every Avro type Weir maps
//! (records, optional and general unions, enums, fixed, arrays, maps, map entries, logical
//! types, `connect.type`). The first byte picks the schema. Must hold: no panic; a decoded
//! value encodes again, and that encoding decodes and re-encodes to the same bytes.
#![no_main]

use std::sync::OnceLock;

use formats::avro::plan::Plan;
use formats::avro::{AvroReader, codec, connect, decode_datum};
use libfuzzer_sys::fuzz_target;

const SCHEMAS: &[&str] = &[
    r#"{"type":"record","name":"R","namespace":"n","fields":[
        {"name":"b","type":"boolean"},{"name":"i8","type":{"type":"int","connect.type":"int8"}},
        {"name":"i16","type":{"type":"int","connect.type":"int16"}},{"name":"i","type":"int"},
        {"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},
        {"name":"s","type":["null","string"],"default":null},{"name":"by","type":"bytes"},
        {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
        {"name":"day","type":{"type":"int","logicalType":"date"}},
        {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
        {"name":"fx","type":{"type":"fixed","name":"F","size":3}},
        {"name":"u","type":["null","int","string",{"type":"record","name":"Inner","fields":[{"name":"x","type":"long"}]}]},
        {"name":"a","type":{"type":"array","items":"Inner"}},
        {"name":"m","type":{"type":"map","values":["null","double"]}},
        {"name":"me","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}}
    ]}"#,
    r#"["null",{"type":"record","name":"Customer","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"tags","type":{"type":"array","items":"string"}}]}]"#,
    r#"{"type":"array","items":{"type":"map","values":{"type":"array","items":"bytes"}}}"#,
    r#""string""#,
];

fn readers() -> &'static Vec<AvroReader> {
    static READERS: OnceLock<Vec<AvroReader>> = OnceLock::new();
    READERS.get_or_init(|| {
        SCHEMAS
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let plan = Plan::compile(text, &[]).expect("seed schema compiles");
                let schema = connect::to_connect_schema(&plan).expect("seed schema maps to Connect");
                AvroReader { id: i as i32, plan, schema }
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, datum)) = data.split_first() else {
        return;
    };
    let readers = readers();
    let reader = &readers[pick as usize % readers.len()];
    let Ok(decoded) = decode_datum(reader, "t", datum) else {
        return;
    };
    let mut first = Vec::new();
    codec::encode(&reader.plan, &reader.plan.root, decoded.schema.as_deref(), &decoded.value, &mut first)
        .expect("a decoded value encodes");
    let again = decode_datum(reader, "t", &first).expect("an encoded value decodes");
    let mut second = Vec::new();
    codec::encode(&reader.plan, &reader.plan.root, again.schema.as_deref(), &again.value, &mut second)
        .expect("a decoded value encodes");
    assert_eq!(first, second);
});

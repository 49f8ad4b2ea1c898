//! JsonConverter throughput: encode (fromConnectData) and decode (toConnectData) of a
//! customer-shaped 10-field struct, with and without the schema envelope. Reported in records/s.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use formats::build_converter;
use schemas::{Data, Schema, SchemaKind, Value};

const BATCH: usize = 1000;

fn records() -> Vec<Data> {
    let s = |k| Arc::new(Schema::new(k));
    let opt = |k| Arc::new(Schema::new(k).optional());
    let schema = Arc::new(
        Schema::structure([
            ("customer_id".to_string(), s(SchemaKind::Int64)),
            ("name".to_string(), s(SchemaKind::String)),
            ("email".to_string(), opt(SchemaKind::String)),
            ("phone".to_string(), opt(SchemaKind::String)),
            ("spending".to_string(), s(SchemaKind::Float64)),
            ("visits".to_string(), s(SchemaKind::Int32)),
            ("vip".to_string(), s(SchemaKind::Boolean)),
            ("city".to_string(), opt(SchemaKind::String)),
            ("created".to_string(), s(SchemaKind::Int64)),
            ("tags".to_string(), Arc::new(Schema::array(s(SchemaKind::String)))),
        ])
        .named("customer"),
    );
    (0..BATCH as i64)
        .map(|i| {
            Data::new(
                Some(schema.clone()),
                Value::Struct(vec![
                    Value::Int64(i),
                    Value::String(format!("Customer {i}")),
                    Value::String(format!("c{i}@example.com")),
                    Value::Null,
                    Value::Float64(i as f64 * 1.25),
                    Value::Int32((i % 100) as i32),
                    Value::Boolean(i % 7 == 0),
                    Value::String("Springfield".into()),
                    Value::Int64(1_700_000_000_000 + i),
                    Value::Array(vec![Value::String("a".into()), Value::String("b".into())]),
                ]),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let data = records();
    for schemas_enable in ["true", "false"] {
        let props: BTreeMap<String, String> =
            [("schemas.enable".to_string(), schemas_enable.to_string())].into();
        let conv = build_converter(
            "JsonConverter",
            &props,
            false,
            &formats::ConverterContext::default(),
        )
        .expect("converter");
        let encoded: Vec<Bytes> = rt.block_on(async {
            let mut out = Vec::new();
            for d in &data {
                out.push(
                    conv.from_connect("t", Some(d))
                        .await
                        .expect("encode")
                        .expect("bytes"),
                );
            }
            out
        });
        let mut group = c.benchmark_group(format!("json_converter/schemas.enable={schemas_enable}"));
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function("encode", |b| {
            b.iter(|| {
                rt.block_on(async {
                    for d in &data {
                        std::hint::black_box(conv.from_connect("t", Some(d)).await.expect("encode"));
                    }
                })
            })
        });
        group.bench_function("decode", |b| {
            b.iter(|| {
                rt.block_on(async {
                    for bytes in &encoded {
                        std::hint::black_box(conv.to_connect("t", Some(bytes)).await.expect("decode"));
                    }
                })
            })
        });
        group.bench_function("encode+decode", |b| {
            b.iter(|| {
                rt.block_on(async {
                    for d in &data {
                        let bytes = conv.from_connect("t", Some(d)).await.expect("encode");
                        std::hint::black_box(conv.to_connect("t", bytes.as_deref()).await.expect("decode"));
                    }
                })
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! AvroConverter, ProtobufConverter and JsonSchemaConverter throughput on a 20-field record:
//! decode (toConnectData) + re-encode (fromConnectData) of Confluent wire bytes, through the
//! real registry rules (in-memory store). After the first record no registry call happens, so
//! this is the converters' hot path. Reported as records/s on one core (current-thread runtime).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use formats::registry::MemoryStore;
use formats::{ConverterContext, SchemaRegistryClient, build_converter};
use schemas::registry::service::RegistryService;
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
            ("country".to_string(), s(SchemaKind::String)),
            ("zip".to_string(), opt(SchemaKind::String)),
            ("age".to_string(), s(SchemaKind::Int32)),
            ("score".to_string(), s(SchemaKind::Float32)),
            ("orders".to_string(), s(SchemaKind::Int64)),
            ("last_order".to_string(), opt(SchemaKind::Int64)),
            ("segment".to_string(), s(SchemaKind::String)),
            ("newsletter".to_string(), s(SchemaKind::Boolean)),
            ("referrer".to_string(), opt(SchemaKind::String)),
            ("notes".to_string(), opt(SchemaKind::String)),
        ])
        .named("bench.Customer"),
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
                    Value::String("US".into()),
                    Value::String(format!("{:05}", i % 99_999)),
                    Value::Int32(20 + (i % 60) as i32),
                    Value::Float32(0.5),
                    Value::Int64(i % 40),
                    Value::Int64(1_700_000_000_000 - i),
                    Value::String("retail".into()),
                    Value::Boolean(i % 2 == 0),
                    Value::Null,
                    Value::String("likes long walks".into()),
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
    for class in ["AvroConverter", "ProtobufConverter", "JsonSchemaConverter"] {
        let registry: Arc<dyn SchemaRegistryClient> =
            Arc::new(RegistryService::new(Arc::new(MemoryStore::new())));
        let ctx = ConverterContext::with_registry(registry);
        // Re-encoding what was read registers the reader's schema under the same subject: the
        // Protobuf reader keeps the package only with enhanced.protobuf.schema.support (as
        // Confluent's), else the new schema's package change is refused as incompatible.
        let mut props = BTreeMap::new();
        if class == "ProtobufConverter" {
            props.insert("enhanced.protobuf.schema.support".to_string(), "true".to_string());
        }
        let conv = build_converter(class, &props, false, &ctx).expect("converter");
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
        let mut group = c.benchmark_group(class);
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function("decode+encode", |b| {
            b.iter(|| {
                rt.block_on(async {
                    for bytes in &encoded {
                        let d = conv.to_connect("t", Some(bytes)).await.expect("decode");
                        let out = conv.from_connect("t", d.as_ref()).await.expect("encode");
                        std::hint::black_box(out);
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
        group.bench_function("encode", |b| {
            b.iter(|| {
                rt.block_on(async {
                    for d in &data {
                        std::hint::black_box(conv.from_connect("t", Some(d)).await.expect("encode"));
                    }
                })
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);

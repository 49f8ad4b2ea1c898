//! Checking a 50-field Avro record against its latest version (issue target: under 1 ms), and
//! parsing such a record (what registering costs before the check).
//!
//! Run: `cargo bench -p schemas --bench avro_compat`.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use schemas::registry::avro;
use schemas::registry::language::CheckOptions;

/// A customer-like record with 50 fields of mixed kinds; `version` widens one field and adds one
/// optional field per step, the way a record evolves under BACKWARD.
fn record(version: usize) -> String {
    let mut fields = Vec::new();
    for i in 0..50 {
        let ty = match i % 10 {
            0 => r#""string""#.to_string(),
            1 => {
                if version > 1 && i == 1 {
                    r#""long""#.to_string()
                } else {
                    r#""int""#.to_string()
                }
            }
            2 => r#"["null","string"]"#.to_string(),
            3 => r#"{"type":"long","logicalType":"timestamp-millis"}"#.to_string(),
            4 => format!(r#"{{"type":"enum","name":"E{i}","symbols":["A","B","C"],"default":"A"}}"#),
            5 => r#"{"type":"array","items":"string"}"#.to_string(),
            6 => r#"{"type":"map","values":"double"}"#.to_string(),
            7 => format!(
                r#"{{"type":"record","name":"Sub{i}","fields":[{{"name":"x","type":"int"}},{{"name":"y","type":["null","string"],"default":null}}]}}"#
            ),
            8 => r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#.to_string(),
            _ => r#""boolean""#.to_string(),
        };
        fields.push(format!(r#"{{"name":"f{i}","type":{ty},"doc":"field {i}"}}"#));
    }
    for v in 1..version {
        fields.push(format!(
            r#"{{"name":"added{v}","type":["null","string"],"default":null}}"#
        ));
    }
    format!(
        r#"{{"type":"record","name":"Customer","namespace":"com.example","fields":[{}]}}"#,
        fields.join(",")
    )
}

fn bench(c: &mut Criterion) {
    let (old_text, new_text) = (record(1), record(2));
    let (old, new) = match (avro::parse(&old_text, &[]), avro::parse(&new_text, &[])) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => panic!("bench schemas must parse: {:?} {:?}", o.err(), n.err()),
    };
    let options = CheckOptions::default();
    assert!(
        avro::check(&new, &old, &options).is_empty(),
        "the evolution must be compatible"
    );

    c.bench_function("avro_check_50_fields_backward", |b| {
        b.iter(|| avro::check(black_box(&new), black_box(&old), &options))
    });
    c.bench_function("avro_check_50_fields_full", |b| {
        b.iter(|| {
            let mut m = avro::check(black_box(&new), black_box(&old), &options);
            m.extend(avro::check(black_box(&old), black_box(&new), &options));
            m
        })
    });
    c.bench_function("avro_parse_50_fields", |b| {
        b.iter(|| avro::parse(black_box(&new_text), &[]))
    });
    // The share of parsing that is apache_avro's own work.
    c.bench_function("apache_avro_parse_50_fields", |b| {
        b.iter(|| apache_avro::Schema::parse_str(black_box(&new_text)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Unit tests from the Avro specification's resolution rules and Confluent's canonical text.
//! They need nothing outside this crate.

use super::*;
use crate::registry::language::{ResolvedReference, SchemaType};

fn p(text: &str) -> AvroSchema {
    match parse(text, &[]) {
        Ok(s) => s,
        Err(e) => panic!("schema should parse: {e}\n{text}"),
    }
}

fn reads(reader: &str, writer: &str) -> Vec<String> {
    check(&p(reader), &p(writer), &CheckOptions::default())
}

fn compatible(reader: &str, writer: &str) -> bool {
    reads(reader, writer).is_empty()
}

fn record(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"R","namespace":"n","fields":[{fields}]}}"#)
}

// ---- parsing -------------------------------------------------------------------------------

#[test]
fn json_syntax_error_names_line_and_column() {
    let err = parse("{\"type\": \"record\",\n \"name\": }", &[]).unwrap_err();
    assert!(err.message.contains("line 2"), "{}", err.message);
    assert!(err.message.contains("column"), "{}", err.message);
}

#[test]
fn invalid_schemas_are_refused_with_the_parsers_words() {
    for bad in [
        r#"{"type":"recrod","name":"R","fields":[]}"#,
        r#"{"type":"record","name":"R"}"#,
        r#"{"type":"record","name":"1R","fields":[]}"#,
        r#"["int","int"]"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Unknown"}]}"#,
        r#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#,
        r#"{"type":"fixed","name":"F"}"#,
        r#"{"type":"fixed","name":"F","size":-1}"#,
        r#"{"type":"enum","name":"E","symbols":["A","A"]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
        r#"[{"type":"fixed","name":"F","size":1},"F"]"#,
        r#"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#,
        r#"["null",["int"]]"#,
        r#"["int",{"type":"int","logicalType":"date"}]"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"R","fields":[]}}]}"#,
        r#"{"type":"record","name":"R","namespace":"1x","fields":[]}"#,
        r#"{"type":"record","name":"R","aliases":["a-b"],"fields":[]}"#,
        "\"Unknown\"",
        "42",
    ] {
        let err = parse(bad, &[]);
        assert!(err.is_err(), "should be refused: {bad}");
        assert!(err.unwrap_err().message.starts_with("Invalid Avro schema"));
    }
}

#[test]
fn references_resolve_named_types_by_full_name() {
    let address = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"street","type":"string"}]}"#;
    let refs = [ResolvedReference {
        name: "com.acme.Address".into(),
        schema_type: SchemaType::Avro,
        schema: address.into(),
    }];
    let text = r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"work","type":"com.acme.Address"}]}"#;
    let schema = parse(text, &refs).expect("parses with its reference");
    // Referenced types stay references in the canonical text, as Confluent answers them.
    assert_eq!(
        canonical(&schema),
        r#"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"work","type":"Address"}]}"#
    );
    assert!(schema.is_referenced_name("com.acme.Address"));
    assert_eq!(schema.record_full_name().as_deref(), Some("com.acme.Customer"));
    // Without the reference the name is unknown.
    assert!(parse(text, &[]).is_err());
    // Re-parsing the canonical text with the same references gives the same text.
    let again = parse(&canonical(&schema), &refs).expect("canonical text parses");
    assert_eq!(canonical(&again), canonical(&schema));
}

#[test]
fn defaults_follow_avro_java() {
    // A union's default fits its first branch (Confluent refuses the second form).
    assert!(
        parse(
            &record(r#"{"name":"a","type":["null","string"],"default":null}"#),
            &[]
        )
        .is_ok()
    );
    let err = parse(
        &record(r#"{"name":"a","type":["null","string"],"default":"x"}"#),
        &[],
    );
    assert!(err.unwrap_err().message.contains("field a"));
    // Avro Java accepts these; apache_avro alone would not.
    let decimal = p(&record(
        r#"{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":2},"default":"\u0000"}"#,
    ));
    assert!(
        canonical(&decimal).contains(r#""default":"\u0000""#),
        "{}",
        canonical(&decimal)
    );
    p(&record(
        r#"{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]},"default":"Z"}"#,
    ));
    // Nested values are checked too.
    assert!(
        parse(
            &record(r#"{"name":"l","type":{"type":"array","items":"int"},"default":[1,"x"]}"#),
            &[]
        )
        .is_err()
    );
    assert!(parse(&record(r#"{"name":"i","type":"int","default":3000000000}"#), &[]).is_err());
    p(&record(r#"{"name":"l","type":"long","default":3000000000}"#));
    p(&record(r#"{"name":"f","type":"double","default":"NaN"}"#));
}

#[test]
fn same_text_with_other_reference_versions_is_still_checked() {
    let v1 = r#"{"type":"record","name":"Address","fields":[{"name":"street","type":"string"}]}"#;
    let v2 = r#"{"type":"record","name":"Address","fields":[{"name":"street","type":"string"},{"name":"zip","type":"string"}]}"#;
    let reference = |text: &str| ResolvedReference {
        name: "Address".into(),
        schema_type: SchemaType::Avro,
        schema: text.into(),
    };
    let text = r#"{"type":"record","name":"Customer","fields":[{"name":"home","type":"Address"}]}"#;
    let old = parse(text, &[reference(v1)]).expect("v1 parses");
    let new = parse(text, &[reference(v2)]).expect("v2 parses");
    assert_eq!(canonical(&old), canonical(&new));
    let msgs = check(&new, &old, &CheckOptions::default());
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].contains("'/fields/0/type/fields/1'"), "{}", msgs[0]);
    assert!(check(&old, &new, &CheckOptions::default()).is_empty());
}

// ---- canonical text ------------------------------------------------------------------------

#[test]
fn canonical_text_ignores_whitespace_and_key_order() {
    let a = p(r#"{"type":"record","name":"User","namespace":"io.x","fields":[{"name":"id","type":"long"}]}"#);
    let b = p(
        "{ \"fields\" : [ { \"type\" : \"long\", \"name\" : \"id\" } ],\n  \"namespace\": \"io.x\", \"name\": \"User\",\n \"type\": \"record\" }",
    );
    assert_eq!(canonical(&a), canonical(&b));
    assert_eq!(
        canonical(&a),
        r#"{"type":"record","name":"User","namespace":"io.x","fields":[{"name":"id","type":"long"}]}"#
    );
}

#[test]
fn canonical_text_keeps_doc_default_aliases_order_logical_types_and_properties() {
    let s = p(r#"{"type":"record","name":"a.b.R","doc":"the R","aliases":["Old","x.Y"],"my.prop":{"k":[1,2.50]},
        "fields":[
          {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2},"doc":"money","default":"\u0000"},
          {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"},"aliases":["ee"],"order":"descending","default":"B","extra":true},
          {"name":"f","type":["null",{"type":"fixed","name":"F","namespace":"other","size":4}],"default":null},
          {"name":"g","type":"F2"},
          {"name":"h","type":{"type":"array","items":"E"}}
        ]}"#
        .replace("\"F2\"", "\"other.F\"")
        .as_str());
    assert_eq!(
        canonical(&s),
        concat!(
            r#"{"type":"record","name":"R","namespace":"a.b","doc":"the R","fields":["#,
            r#"{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2},"doc":"money","default":"\u0000"},"#,
            r#"{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"},"default":"B","order":"descending","aliases":["ee"],"extra":true},"#,
            r#"{"name":"f","type":["null",{"type":"fixed","name":"F","namespace":"other","size":4}],"default":null},"#,
            r#"{"name":"g","type":"other.F"},"#,
            r#"{"name":"h","type":{"type":"array","items":"E"}}"#,
            r#"],"my.prop":{"k":[1,2.5]},"aliases":["Old","x.Y"]}"#
        )
    );
}

#[test]
fn canonical_numbers_print_as_java_prints_them() {
    use super::canonical::java_number;
    assert_eq!(java_number("1"), "1");
    assert_eq!(java_number("-0"), "0");
    assert_eq!(java_number("1.50"), "1.5");
    assert_eq!(java_number("1e3"), "1000.0");
    assert_eq!(java_number("0.0001"), "1.0E-4");
    assert_eq!(java_number("12345678.9"), "1.23456789E7");
    assert_eq!(java_number("0.001"), "0.001");
}

#[test]
fn null_namespace_inside_a_namespace_is_written_explicitly() {
    let s = p(
        r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":{"type":"enum","name":"E","namespace":"","symbols":["X"]}}]}"#,
    );
    assert_eq!(
        canonical(&s),
        r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":{"type":"enum","name":"E","namespace":"","symbols":["X"]}}]}"#
    );
}

#[test]
fn primitives_in_object_form_without_properties_become_names() {
    assert_eq!(canonical(&p(r#"{"type":"string"}"#)), r#""string""#);
    assert_eq!(
        canonical(&p(r#"{"type":"string","avro.java.string":"String"}"#)),
        r#"{"type":"string","avro.java.string":"String"}"#
    );
}

#[test]
fn normalize_sorts_properties_and_aliases() {
    let s = p(
        r#"{"type":"record","name":"R","doc":"","aliases":["Z","A"],"z":1,"a":2,"fields":[
        {"name":"x","type":{"type":"int","zz":1,"logicalType":"date"},"aliases":["q","b"]}]}"#,
    );
    assert_eq!(
        normalize(&s),
        r#"{"type":"record","name":"R","fields":[{"name":"x","type":{"type":"int","logicalType":"date","zz":1},"aliases":["b","q"]}],"a":2,"z":1,"aliases":["A","Z"]}"#
    );
    // Normalizing is stable.
    assert_eq!(normalize(&p(&normalize(&s))), normalize(&s));
}

// ---- compatibility: primitives and promotions ----------------------------------------------

#[test]
fn promotions_follow_the_specification() {
    let ok = [
        ("long", "int"),
        ("float", "int"),
        ("double", "int"),
        ("float", "long"),
        ("double", "long"),
        ("double", "float"),
        ("string", "bytes"),
        ("bytes", "string"),
    ];
    for (r, w) in ok {
        assert!(
            compatible(&format!("\"{r}\""), &format!("\"{w}\"")),
            "{r} reads {w}"
        );
    }
    let refused = [
        ("int", "long"),
        ("long", "float"),
        ("float", "double"),
        ("int", "string"),
        ("boolean", "int"),
        ("null", "int"),
    ];
    for (r, w) in refused {
        let msgs = reads(&format!("\"{r}\""), &format!("\"{w}\""));
        assert_eq!(msgs.len(), 1, "{r} must not read {w}");
        assert!(msgs[0].contains("TYPE_MISMATCH"), "{}", msgs[0]);
    }
}

#[test]
fn logical_types_are_read_as_their_underlying_type() {
    assert!(compatible(
        r#"{"type":"long","logicalType":"timestamp-millis"}"#,
        r#"{"type":"int","logicalType":"date"}"#
    ));
    assert!(compatible(
        r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#,
        r#"{"type":"bytes","logicalType":"decimal","precision":9,"scale":1}"#
    ));
}

// ---- records ---------------------------------------------------------------------------

#[test]
fn reader_only_field_needs_a_default() {
    let writer = record(r#"{"name":"a","type":"int"}"#);
    let with_default = record(r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}"#);
    let without = record(r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#);
    assert!(compatible(&with_default, &writer));
    let msgs = reads(&without, &writer);
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].starts_with("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"),
        "{}",
        msgs[0]
    );
    assert!(msgs[0].contains("at path '/fields/1'"), "{}", msgs[0]);
    assert!(msgs[0].contains("additionalInfo:'b'"), "{}", msgs[0]);
}

#[test]
fn writer_only_fields_are_skipped() {
    let writer = record(r#"{"name":"a","type":"int"},{"name":"gone","type":"string"}"#);
    assert!(compatible(&record(r#"{"name":"a","type":"int"}"#), &writer));
}

#[test]
fn fields_match_by_reader_alias_only() {
    let writer = record(r#"{"name":"old","type":"int"}"#);
    let reader = record(r#"{"name":"new","type":"int","aliases":["old"]}"#);
    assert!(compatible(&reader, &writer));
    // A writer alias does not help the reader.
    let writer_alias = record(r#"{"name":"old","type":"int","aliases":["new"]}"#);
    assert!(!compatible(
        &record(r#"{"name":"new","type":"int"}"#),
        &writer_alias
    ));
}

#[test]
fn records_match_by_unqualified_name_or_reader_alias() {
    let w = r#"{"type":"record","name":"a.Old","fields":[]}"#;
    assert!(compatible(r#"{"type":"record","name":"b.Old","fields":[]}"#, w));
    let msgs = reads(r#"{"type":"record","name":"a.New","fields":[]}"#, w);
    assert!(
        msgs[0].contains("NAME_MISMATCH") && msgs[0].contains("expected: a.Old"),
        "{msgs:?}"
    );
    assert!(compatible(
        r#"{"type":"record","name":"a.New","aliases":["Old"],"fields":[]}"#,
        w
    ));
}

#[test]
fn field_type_change_reports_its_path() {
    let msgs = reads(
        &record(r#"{"name":"a","type":"int"}"#),
        &record(r#"{"name":"a","type":"string"}"#),
    );
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].contains("TYPE_MISMATCH") && msgs[0].contains("'/fields/0/type'"),
        "{}",
        msgs[0]
    );
}

// ---- enums and fixed -------------------------------------------------------------------

#[test]
fn enum_symbols_missing_from_reader_need_a_reader_default() {
    let w = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
    let msgs = reads(r#"{"type":"enum","name":"E","symbols":["A"]}"#, w);
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].contains("MISSING_ENUM_SYMBOLS") && msgs[0].contains("[B, C]"),
        "{}",
        msgs[0]
    );
    assert!(compatible(
        r#"{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}"#,
        w
    ));
    // Adding symbols is fine for the reader.
    assert!(compatible(
        r#"{"type":"enum","name":"E","symbols":["A","B","C","D"]}"#,
        w
    ));
}

#[test]
fn fixed_needs_same_name_and_size() {
    let w = r#"{"type":"fixed","name":"F","size":4}"#;
    assert!(compatible(r#"{"type":"fixed","name":"F","size":4}"#, w));
    assert!(reads(r#"{"type":"fixed","name":"F","size":8}"#, w)[0].contains("FIXED_SIZE_MISMATCH"));
    assert!(reads(r#"{"type":"fixed","name":"G","size":4}"#, w)[0].contains("NAME_MISMATCH"));
}

// ---- unions ----------------------------------------------------------------------------

#[test]
fn unions_on_either_side() {
    // Reader union: some branch reads the writer.
    assert!(compatible(r#"["null","long"]"#, r#""int""#));
    assert!(!compatible(r#"["null","string"]"#, r#""int""#));
    // Writer union: every branch must be readable.
    assert!(compatible(r#""long""#, r#"["int","long"]"#));
    assert!(!compatible(r#""long""#, r#"["null","long"]"#));
    // Both unions.
    assert!(compatible(r#"["null","string","long"]"#, r#"["null","int"]"#));
    let msgs = reads(r#"["null","string"]"#, r#"["null","int"]"#);
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].contains("MISSING_UNION_BRANCH") && msgs[0].contains("'/1'"),
        "{}",
        msgs[0]
    );
}

#[test]
fn unions_inside_records_arrays_and_maps() {
    let w = record(r#"{"name":"a","type":{"type":"array","items":{"type":"map","values":"int"}}}"#);
    let r = record(r#"{"name":"a","type":{"type":"array","items":{"type":"map","values":["null","long"]}}}"#);
    assert!(compatible(&r, &w));
    assert!(!compatible(&w, &r));
    let msgs = reads(&w, &r);
    assert!(msgs[0].contains("/fields/0/type/items/values"), "{msgs:?}");
}

// ---- recursion -------------------------------------------------------------------------

#[test]
fn recursive_types_terminate() {
    let list = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
    let wider = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]}]}"#;
    assert!(compatible(list, list));
    assert!(compatible(wider, list));
    assert!(!compatible(list, wider));
    let tree = r#"{"type":"record","name":"T","fields":[{"name":"kids","type":{"type":"array","items":"T"}},{"name":"m","type":{"type":"map","values":"T"}}]}"#;
    assert!(compatible(tree, tree));
}

#[test]
fn schema_type_mismatch_between_complex_types() {
    assert!(!compatible(
        r#"{"type":"array","items":"int"}"#,
        r#"{"type":"map","values":"int"}"#
    ));
    assert!(!compatible(&record(""), r#""string""#));
}

// ---- the packed field matching (a 1,000-field record against 1,000 versions) -------------

#[test]
fn growing_and_reordered_records_give_the_general_verdicts() {
    // Fields appended with defaults; a required one appended; fields moved; a type changed
    // in the middle; plain types that only promote.
    let fields = |names: &[(&str, &str, bool)]| {
        let parts: Vec<String> = names
            .iter()
            .map(|(n, t, d)| {
                if *d {
                    format!(r#"{{"name":"{n}","type":{t},"default":null}}"#)
                } else {
                    format!(r#"{{"name":"{n}","type":{t}}}"#)
                }
            })
            .collect();
        record(&parts.join(","))
    };
    let opt = r#"["null","string"]"#;
    let v1 = fields(&[("id", r#""long""#, false), ("f1", opt, true)]);
    let v2 = fields(&[("id", r#""long""#, false), ("f1", opt, true), ("f2", opt, true)]);
    assert!(compatible(&v2, &v1));
    let required = fields(&[
        ("id", r#""long""#, false),
        ("f1", opt, true),
        ("f3", r#""int""#, false),
    ]);
    let msgs = reads(&required, &v1);
    assert!(
        msgs.len() == 1 && msgs[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE") && msgs[0].contains("'f3'"),
        "{msgs:?}"
    );
    let moved = fields(&[("f1", opt, true), ("id", r#""long""#, false)]);
    assert!(compatible(&moved, &v2));
    let changed = fields(&[("id", r#""int""#, false), ("f1", opt, true)]);
    let msgs = reads(&changed, &v1);
    assert!(
        msgs.len() == 1 && msgs[0].contains("'/fields/0/type'"),
        "{msgs:?}"
    );
    let promoted = fields(&[("id", r#""double""#, false), ("f1", opt, true)]);
    assert!(compatible(&promoted, &v1));
    assert!(!compatible(&v1, &promoted));
}

#[test]
fn non_integer_size_precision_or_scale_is_refused_not_a_panic() {
    // Found by fuzzing avro_parse: an enum with a custom "precision" that is not a number, in
    // a field whose default does not fit, made apache_avro panic while wording its error.
    let fuzzed = r#"{"type":"record","name":"Customer","fields":[{"name":"id","type":{"type":"enum","name":"Tierx","symbols":["FREE","PRO"],"precision":"double"},"default":"descending"}]}"#;
    let err = parse(fuzzed, &[]).err().map(|e| e.message).unwrap_or_default();
    assert!(err.contains("\"precision\" must be an integer"), "{err}");
    for bad in [
        r#"{"type":"fixed","name":"F","size":"x"}"#,
        r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":1.5}"#,
    ] {
        assert!(parse(bad, &[]).is_err(), "{bad}");
    }
    // Integers, integer text, and the same keys inside a default or a custom property are fine.
    p(r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#);
    p(r#"{"type":"record","name":"S","size":"12","fields":[]}"#);
    p(
        r#"{"type":"record","name":"R","props":{"size":"big"},"fields":[{"name":"m","type":{"type":"map","values":"string"},"default":{"size":"x"}}]}"#,
    );
}

//! Unit tests from Confluent's published JSON Schema compatibility rules and the contract of
//! `language.rs` (no files outside the project). Each case states a schema evolution the way a
//! user meets it: can a consumer on the new schema (reader) read what the old one (writer) wrote?

use super::*;
use crate::registry::language::{CheckOptions, SchemaType};

fn schema(text: &str) -> JsonSchema {
    match parse(text, &[]) {
        Ok(s) => s,
        Err(e) => panic!("{text} should parse: {e}"),
    }
}

fn strict(reader: &str, writer: &str) -> Vec<String> {
    check(&schema(reader), &schema(writer), &CheckOptions::default())
}

fn lenient(reader: &str, writer: &str) -> Vec<String> {
    check(&schema(reader), &schema(writer), &CheckOptions { lenient: true })
}

#[track_caller]
fn compatible(reader: &str, writer: &str) {
    let messages = strict(reader, writer);
    assert!(
        messages.is_empty(),
        "reader {reader} should read writer {writer}: {messages:?}"
    );
}

#[track_caller]
fn incompatible(reader: &str, writer: &str, error_type: &str) {
    let messages = strict(reader, writer);
    assert!(
        messages
            .iter()
            .any(|m| m.contains(&format!("errorType:\"{error_type}\""))),
        "reader {reader} vs writer {writer}: expected {error_type}, got {messages:?}"
    );
}

#[test]
fn every_schema_reads_itself() {
    for s in [
        r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#,
        r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
        r##"{"definitions":{"n":{"type":"object","properties":{"next":{"$ref":"#/definitions/n"}}}},"$ref":"#/definitions/n"}"##,
        r#"{"not":{"type":"null"}}"#,
        "true",
        "false",
    ] {
        compatible(s, s);
    }
}

#[test]
fn open_content_model_rejects_a_declared_new_property() {
    let writer = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let reader = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#;
    incompatible(reader, writer, "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL");
    // An empty schema for the new property accepts whatever old writers put there.
    compatible(
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{}}}"#,
        writer,
    );
    // Removing a property from an open reader is fine.
    compatible(r#"{"type":"object"}"#, writer);
}

#[test]
fn closed_content_model_accepts_new_optional_property_but_not_removal() {
    let writer = r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
    compatible(
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#,
        writer,
    );
    incompatible(
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"],"additionalProperties":false}"#,
        writer,
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    );
    compatible(
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer","default":0}},"required":["b"],"additionalProperties":false}"#,
        writer,
    );
    let wide = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#;
    incompatible(writer, wide, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL");
}

#[test]
fn partially_open_content_model_covers_properties_by_pattern() {
    let writer = r#"{"type":"object","properties":{"a":{"type":"string"}},"patternProperties":{"^i_":{"type":"integer"}},"additionalProperties":false}"#;
    compatible(
        r#"{"type":"object","properties":{"a":{"type":"string"},"i_x":{"type":"number"}},"patternProperties":{"^i_":{"type":"integer"}},"additionalProperties":false}"#,
        writer,
    );
    incompatible(
        r#"{"type":"object","properties":{"a":{"type":"string"},"i_x":{"type":"string"}},"patternProperties":{"^i_":{"type":"integer"}},"additionalProperties":false}"#,
        writer,
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    );
    let with_string_extras =
        r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}"#;
    incompatible(
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"boolean"}},"additionalProperties":{"type":"string"}}"#,
        with_string_extras,
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    );
}

#[test]
fn lenient_policy_relaxes_only_open_content_model_rules() {
    let writer = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let optional_added = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#;
    assert!(!strict(optional_added, writer).is_empty());
    assert!(lenient(optional_added, writer).is_empty());
    // A new required property without default still breaks old documents.
    let required_added =
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"]}"#;
    assert!(!lenient(required_added, writer).is_empty());
    // LENIENT does not relax type changes.
    assert!(
        !lenient(
            r#"{"type":"object","properties":{"a":{"type":"integer"}}}"#,
            writer
        )
        .is_empty()
    );
    // Closing an open model: narrowing additionalProperties is tolerated only by LENIENT.
    let closed = r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
    assert!(!strict(closed, writer).is_empty());
    assert!(lenient(closed, writer).is_empty());
}

#[test]
fn required_changes() {
    let props = r#""properties":{"a":{"type":"string"}}"#;
    let optional = format!(r#"{{"type":"object",{props}}}"#);
    let required = format!(r#"{{"type":"object",{props},"required":["a"]}}"#);
    compatible(&optional, &required);
    incompatible(&required, &optional, "REQUIRED_ATTRIBUTE_ADDED");
    incompatible(
        r#"{"type":"object","required":["x"]}"#,
        r#"{"type":"object"}"#,
        "REQUIRED_ATTRIBUTE_ADDED",
    );
}

#[test]
fn numeric_bounds_and_widening() {
    compatible(r#"{"type":"number"}"#, r#"{"type":"integer"}"#);
    incompatible(r#"{"type":"integer"}"#, r#"{"type":"number"}"#, "TYPE_NARROWED");
    compatible(
        r#"{"type":"number","maximum":20}"#,
        r#"{"type":"number","maximum":10}"#,
    );
    incompatible(
        r#"{"type":"number","maximum":5}"#,
        r#"{"type":"number","maximum":10}"#,
        "MAXIMUM_DECREASED",
    );
    incompatible(
        r#"{"type":"number","minimum":1}"#,
        r#"{"type":"number"}"#,
        "MINIMUM_ADDED",
    );
    compatible(
        r#"{"type":"number"}"#,
        r#"{"type":"number","exclusiveMinimum":1}"#,
    );
    // The same bound written two ways is no change.
    compatible(
        r#"{"type":"number","exclusiveMaximum":10}"#,
        r#"{"type":"number","maximum":9.5,"exclusiveMaximum":10}"#,
    );
    compatible(
        r#"{"type":"number","multipleOf":2}"#,
        r#"{"type":"number","multipleOf":4}"#,
    );
    incompatible(
        r#"{"type":"number","multipleOf":4}"#,
        r#"{"type":"number","multipleOf":2}"#,
        "MULTIPLE_OF_EXPANDED",
    );
    incompatible(
        r#"{"type":"number","multipleOf":3}"#,
        r#"{"type":"number","multipleOf":2}"#,
        "MULTIPLE_OF_CHANGED",
    );
    compatible(
        r#"{"type":"number","multipleOf":0.5}"#,
        r#"{"type":"number","multipleOf":1.5}"#,
    );
}

#[test]
fn draft4_boolean_exclusive_bounds() {
    let d4 = "\"$schema\":\"http://json-schema.org/draft-04/schema#\"";
    let exclusive = format!(r#"{{{d4},"type":"number","maximum":10,"exclusiveMaximum":true}}"#);
    let inclusive = format!(r#"{{{d4},"type":"number","maximum":10}}"#);
    compatible(&inclusive, &exclusive);
    incompatible(&exclusive, &inclusive, "EXCLUSIVE_MAXIMUM_DECREASED");
}

#[test]
fn string_bounds() {
    compatible(
        r#"{"type":"string","maxLength":20}"#,
        r#"{"type":"string","maxLength":10}"#,
    );
    incompatible(
        r#"{"type":"string","maxLength":5}"#,
        r#"{"type":"string","maxLength":10}"#,
        "MAX_LENGTH_DECREASED",
    );
    incompatible(
        r#"{"type":"string","minLength":5}"#,
        r#"{"type":"string","minLength":1}"#,
        "MIN_LENGTH_INCREASED",
    );
    incompatible(
        r#"{"type":"string","pattern":"^a"}"#,
        r#"{"type":"string"}"#,
        "PATTERN_ADDED",
    );
    incompatible(
        r#"{"type":"string","pattern":"^a"}"#,
        r#"{"type":"string","pattern":"^b"}"#,
        "PATTERN_CHANGED",
    );
    compatible(
        r#"{"type":"string"}"#,
        r#"{"type":"string","pattern":"^b","format":"email"}"#,
    );
    incompatible(
        r#"{"type":"string","format":"date"}"#,
        r#"{"type":"string"}"#,
        "FORMAT_ADDED",
    );
}

#[test]
fn arrays() {
    compatible(
        r#"{"type":"array","items":{"type":"number"}}"#,
        r#"{"type":"array","items":{"type":"integer"}}"#,
    );
    incompatible(
        r#"{"type":"array","items":{"type":"string"}}"#,
        r#"{"type":"array","items":{"type":"integer"}}"#,
        "TYPE_CHANGED",
    );
    incompatible(
        r#"{"type":"array","maxItems":2}"#,
        r#"{"type":"array","maxItems":3}"#,
        "MAX_ITEMS_DECREASED",
    );
    incompatible(
        r#"{"type":"array","uniqueItems":true}"#,
        r#"{"type":"array"}"#,
        "UNIQUE_ITEMS_ADDED",
    );
    compatible(
        r#"{"type":"array"}"#,
        r#"{"type":"array","minItems":1,"uniqueItems":true}"#,
    );
    // Tuples: a position added where the writer allowed anything.
    let tuple = r#"{"type":"array","items":[{"type":"string"}]}"#;
    incompatible(
        r#"{"type":"array","items":[{"type":"string"},{"type":"integer"}]}"#,
        tuple,
        "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
    );
    let closed = r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#;
    compatible(
        r#"{"type":"array","items":[{"type":"string"},{"type":"integer"}],"additionalItems":false}"#,
        closed,
    );
    // 2020-12 spells the tuple prefixItems.
    let d2020 = "\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"";
    incompatible(
        &format!(r#"{{{d2020},"type":"array","prefixItems":[{{"type":"integer"}}]}}"#),
        &format!(r#"{{{d2020},"type":"array","prefixItems":[{{"type":"string"}}]}}"#),
        "TYPE_CHANGED",
    );
}

#[test]
fn enums_and_const() {
    compatible(r#"{"enum":["a","b","c"]}"#, r#"{"enum":["a","b"]}"#);
    incompatible(
        r#"{"enum":["a"]}"#,
        r#"{"enum":["a","b"]}"#,
        "ENUM_ARRAY_NARROWED",
    );
    incompatible(
        r#"{"enum":["a","c"]}"#,
        r#"{"enum":["a","b"]}"#,
        "ENUM_ARRAY_CHANGED",
    );
    compatible(r#"{"enum":["x"]}"#, r#"{"const":"x"}"#);
    incompatible(r#"{"const":"y"}"#, r#"{"const":"x"}"#, "ENUM_ARRAY_CHANGED");
    compatible(r#"{"type":"string"}"#, r#"{"type":"string","enum":["x"]}"#);
}

#[test]
fn type_changes_and_unions() {
    incompatible(r#"{"type":"string"}"#, r#"{"type":"integer"}"#, "TYPE_CHANGED");
    compatible(r#"{"type":["string","null"]}"#, r#"{"type":"string"}"#);
    incompatible(
        r#"{"type":"string"}"#,
        r#"{"type":["string","null"]}"#,
        "TYPE_CHANGED",
    );
    compatible(
        r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#,
        r#"{"type":"integer"}"#,
    );
    compatible(
        r#"{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]}"#,
        r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
    );
    incompatible(
        r#"{"oneOf":[{"type":"string"}]}"#,
        r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
        "SUM_TYPE_NARROWED",
    );
    incompatible(
        r#"{"oneOf":[{"type":"string"},{"type":"boolean"}]}"#,
        r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
        "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    );
    compatible(
        r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#,
        r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
    );
    incompatible(
        r#"{"allOf":[{"type":"string"},{"type":"integer"}]}"#,
        r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#,
        "COMBINED_TYPE_CHANGED",
    );
    compatible(
        r#"{"allOf":[{"type":"string"}]}"#,
        r#"{"allOf":[{"type":"string"},{"maxLength":3}]}"#,
    );
}

#[test]
fn not_reverses_direction() {
    compatible(r#"{"not":{"type":"integer"}}"#, r#"{"not":{"type":"number"}}"#);
    incompatible(
        r#"{"not":{"type":"number"}}"#,
        r#"{"not":{"type":"integer"}}"#,
        "NOT_TYPE_EXTENDED",
    );
}

#[test]
fn boolean_schemas() {
    compatible("true", r#"{"type":"string"}"#);
    compatible("{}", r#"{"type":"object","properties":{"a":{"type":"integer"}}}"#);
    compatible("true", "false");
    incompatible("false", "true", "TYPE_CHANGED");
    incompatible(r#"{"type":"string"}"#, "true", "TYPE_CHANGED");
    // A property that was forbidden may become anything.
    compatible(
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","properties":{"a":false}}"#,
    );
}

#[test]
fn recursive_refs_terminate_and_detect_deep_changes() {
    let node = |leaf: &str| {
        format!(
            r##"{{"$defs":{{"node":{{"type":"object","properties":{{"value":{{"type":"{leaf}"}},"children":{{"type":"array","items":{{"$ref":"#/$defs/node"}}}}}}}}}},"$ref":"#/$defs/node"}}"##
        )
    };
    let d2020 = |s: String| {
        s.replacen(
            '{',
            "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",",
            1,
        )
    };
    compatible(&d2020(node("number")), &d2020(node("integer")));
    incompatible(&d2020(node("string")), &d2020(node("integer")), "TYPE_CHANGED");
    // A reference that loops on itself parses and compares.
    compatible(
        r##"{"definitions":{"a":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"}"##,
        r#"{"type":"string"}"#,
    );
}

#[test]
fn references_resolve_by_name() {
    let address = ResolvedReference {
        name: "address.json".to_string(),
        schema_type: SchemaType::Json,
        schema: r#"{"type":"object","properties":{"street":{"type":"string"}}}"#.to_string(),
    };
    let text =
        r#"{"type":"object","properties":{"home":{"$ref":"address.json"}},"additionalProperties":false}"#;
    let writer = parse(text, std::slice::from_ref(&address)).expect("references resolve");
    let changed = ResolvedReference {
        schema: r#"{"type":"object","properties":{"street":{"type":"integer"}}}"#.to_string(),
        ..address.clone()
    };
    let reader = parse(text, &[changed]).expect("references resolve");
    assert!(check(&writer, &writer, &CheckOptions::default()).is_empty());
    let messages = check(&reader, &writer, &CheckOptions::default());
    assert!(
        messages
            .iter()
            .any(|m| m.contains("#/properties/home/properties/street")),
        "{messages:?}"
    );
    // Through the document's $id as well.
    let by_url = r#"{"$id":"https://example.com/schemas/customer.json","properties":{"home":{"$ref":"address.json"}}}"#;
    let named = ResolvedReference {
        name: "https://example.com/schemas/address.json".to_string(),
        ..address
    };
    assert!(parse(by_url, &[named]).is_ok());
    let error = parse(text, &[]).expect_err("a missing reference is an error");
    assert!(error.message.contains("address.json"), "{}", error.message);
}

#[test]
fn parse_errors_name_the_position_and_problem() {
    let error = parse("{\n  \"type\": \"object\",\n  \"properties\": {\n}", &[]).expect_err("truncated JSON");
    assert!(error.message.contains("line 4"), "{}", error.message);
    assert!(
        parse("42", &[])
            .expect_err("not a schema")
            .message
            .contains("object or a boolean")
    );
    let error = parse(r#"{"type":"strin"}"#, &[]).expect_err("unknown type");
    assert!(error.message.contains("draft-07"), "{}", error.message);
    let error =
        parse(r##"{"properties":{"a":{"$ref":"#/definitions/missing"}}}"##, &[]).expect_err("dangling $ref");
    assert!(
        error.message.contains("#/definitions/missing"),
        "{}",
        error.message
    );
    for draft in [
        "http://json-schema.org/draft-04/schema#",
        "http://json-schema.org/draft-06/schema#",
        "http://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    ] {
        let text = format!(r#"{{"$schema":"{draft}","type":"object"}}"#);
        assert!(parse(&text, &[]).is_ok(), "{draft}");
    }
    assert_eq!(
        schema(r#"{"$schema":"http://json-schema.org/draft-04/schema#"}"#).draft(),
        Draft::Draft4
    );
    assert_eq!(schema("{}").draft(), Draft::Draft7);
}

#[test]
fn canonical_keeps_key_order_and_normalize_sorts() {
    let text = "{ \"type\" : \"object\",\n \"properties\": {\"b\": {\"type\":\"number\", \"maximum\": 1.50}, \"a\": {}} }";
    let s = schema(text);
    assert_eq!(
        canonical(&s),
        r#"{"type":"object","properties":{"b":{"type":"number","maximum":1.50},"a":{}}}"#
    );
    assert_eq!(
        normalize(&s),
        r#"{"properties":{"a":{},"b":{"maximum":1.50,"type":"number"}},"type":"object"}"#
    );
    let reordered = schema(r#"{"properties":{"a":{},"b":{"maximum":1.50,"type":"number"}},"type":"object"}"#);
    assert_eq!(normalize(&s), normalize(&reordered));
}

#[test]
fn deep_nesting_neither_overflows_nor_panics() {
    // Within the bound: parses and compares on a 2 MiB stack (tokio's worker size), even in a
    // debug build; beyond it: a clear error, not a stack overflow.
    let nested = |levels: usize| format!("{}{{}}{}", "{\"not\":".repeat(levels), "}".repeat(levels));
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let s = parse(&nested(60), &[]).expect("60 levels parse");
            let verdict = check(&s, &s, &CheckOptions::default());
            let too_deep = parse(&nested(120), &[]).map(|_| ()).map_err(|e| e.message);
            (verdict, too_deep)
        })
        .expect("thread starts");
    let (verdict, too_deep) = handle.join().expect("no stack overflow");
    assert!(verdict.is_empty(), "{verdict:?}");
    assert!(too_deep.is_err_and(|m| m.contains("nests deeper")));
    // A long chain of references is bounded the same way.
    let mut defs = Vec::new();
    for i in 0..500 {
        defs.push(format!(r##""d{i}":{{"$ref":"#/definitions/d{}"}}"##, i + 1));
    }
    defs.push(r#""d500":{"type":"string"}"#.to_string());
    let chain = format!(
        r##"{{"definitions":{{{}}},"$ref":"#/definitions/d0"}}"##,
        defs.join(",")
    );
    let error = parse(&chain, &[]).expect_err("reference chain deeper than the bound");
    assert!(error.message.contains("nests deeper"), "{}", error.message);
}

#[test]
fn moving_a_schema_behind_a_ref_is_no_change() {
    let plain = r#"{"type":"string"}"#;
    let behind_ref = r##"{"$ref":"#/definitions/s","definitions":{"s":{"type":"string"}}}"##;
    compatible(behind_ref, plain);
    compatible(plain, behind_ref);
    incompatible(
        r##"{"type":"array","items":{"$ref":"#/definitions/s"},"definitions":{"s":{"type":"number"}}}"##,
        r##"{"type":"array","items":{"$ref":"#/definitions/s"},"definitions":{"s":{"type":"string"}}}"##,
        "TYPE_CHANGED",
    );
}

#[test]
fn a_plain_schema_widened_into_a_union() {
    compatible(
        r#"{"oneOf":[{"type":"number"},{"type":"string"}]}"#,
        r#"{"type":"string","maxLength":3}"#,
    );
    compatible(
        r#"{"oneOf":[{"type":"number"},{"type":"null"}]}"#,
        r#"{"type":"null"}"#,
    );
    incompatible(
        r#"{"oneOf":[{"type":"number"},{"type":"boolean"}]}"#,
        r#"{"type":"string"}"#,
        "TYPE_CHANGED",
    );
}

#[test]
fn dependencies_and_additional_property_schemas() {
    let props = r#""properties":{"a":{"type":"number"},"b":{"type":"string"}}"#;
    incompatible(
        &format!(r#"{{{props},"dependencies":{{"a":["b"]}}}}"#),
        &format!(r#"{{{props}}}"#),
        "DEPENDENCY_ARRAY_ADDED",
    );
    compatible(
        &format!(r#"{{{props}}}"#),
        &format!(r#"{{{props},"dependencies":{{"a":["b"]}}}}"#),
    );
    incompatible(
        r#"{"additionalProperties":{"type":"number"}}"#,
        r#"{"additionalProperties":{"type":"string"}}"#,
        "TYPE_CHANGED",
    );
    compatible(
        r#"{"additionalProperties":true}"#,
        r#"{"additionalProperties":{"type":"string"}}"#,
    );
    incompatible(
        r#"{"additionalProperties":{"type":"number"}}"#,
        r#"{"additionalProperties":true}"#,
        "ADDITIONAL_PROPERTIES_NARROWED",
    );
    // 2019-09 `dependentRequired` is the array form of `dependencies`.
    let d2019 = "\"$schema\":\"https://json-schema.org/draft/2019-09/schema\"";
    incompatible(
        &format!(r#"{{{d2019},{props},"dependentRequired":{{"a":["b"]}}}}"#),
        &format!(r#"{{{d2019},{props}}}"#),
        "DEPENDENCY_ARRAY_ADDED",
    );
}

#[test]
fn unevaluated_properties_closes_a_2019_model() {
    let d2019 = "\"$schema\":\"https://json-schema.org/draft/2019-09/schema\"";
    let closed = format!(
        r#"{{{d2019},"type":"object","properties":{{"a":{{"type":"string"}}}},"unevaluatedProperties":false}}"#
    );
    let grown = format!(
        r#"{{{d2019},"type":"object","properties":{{"a":{{"type":"string"}},"b":{{"type":"integer"}}}},"unevaluatedProperties":false}}"#
    );
    compatible(&grown, &closed);
    incompatible(&closed, &grown, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL");
}

#[test]
fn tuples_shrinking_into_an_open_or_covering_model() {
    compatible(
        r#"{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":true}"#,
        r#"{"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"additionalItems":false}"#,
    );
    compatible(
        r#"{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"number"}}"#,
        r#"{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false}"#,
    );
    incompatible(
        r#"{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"string"}}"#,
        r#"{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}}"#,
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    );
}

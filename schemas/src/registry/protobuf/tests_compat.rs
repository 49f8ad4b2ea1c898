//! Confluent's published Protobuf compatibility rules, one test per rule.
//! `backward(new, old)`: can a consumer on `new` read what `old` wrote.

use super::*;
use crate::registry::language::SchemaType;

fn schema(text: &str, refs: &[ResolvedReference]) -> ProtobufSchema {
    match parse(text, refs) {
        Ok(s) => s,
        Err(e) => panic!("{e}\n{text}"),
    }
}

fn backward(new: &str, old: &str) -> Vec<String> {
    check(&schema(new, &[]), &schema(old, &[]), &CheckOptions::default())
}

fn proto3(body: &str) -> String {
    format!("syntax = \"proto3\";\npackage demo;\n{body}\n")
}

fn compatible(new: &str, old: &str) {
    let problems = backward(&proto3(new), &proto3(old));
    assert!(
        problems.is_empty(),
        "expected compatible, got {problems:?}\nnew: {new}\nold: {old}"
    );
}

fn incompatible(new: &str, old: &str, kind: &str) -> Vec<String> {
    let problems = backward(&proto3(new), &proto3(old));
    assert!(
        problems.iter().any(|p| p.contains(kind)),
        "expected {kind}, got {problems:?}\nnew: {new}\nold: {old}"
    );
    problems
}

fn field_type_change(old: &str, new: &str) -> Vec<String> {
    backward(
        &proto3(&format!("message M {{ {new} f = 1; }}")),
        &proto3(&format!("message M {{ {old} f = 1; }}")),
    )
}

#[test]
fn identical_schemas_are_compatible() {
    compatible("message A { string s = 1; }", "message A { string s = 1; }");
}

#[test]
fn adding_and_removing_fields_is_compatible() {
    compatible(
        "message A { string s = 1; int32 n = 2; }",
        "message A { string s = 1; }",
    );
    compatible(
        "message A { string s = 1; }",
        "message A { string s = 1; int32 n = 2; }",
    );
}

#[test]
fn renaming_a_field_is_compatible() {
    compatible(
        "message A { string title = 1; }",
        "message A { string name = 1; }",
    );
}

#[test]
fn renumbering_is_a_removal_plus_an_addition() {
    let old = schema(&proto3("message A { int32 age = 2; }"), &[]);
    let new = schema(&proto3("message A { int32 age = 3; }"), &[]);
    let kinds: Vec<DiffType> = new.differences_from(&old).iter().map(|d| d.kind).collect();
    assert!(kinds.contains(&DiffType::FieldRemoved) && kinds.contains(&DiffType::FieldAdded));
    assert!(check(&new, &old, &CheckOptions::default()).is_empty());
}

#[test]
fn scalars_within_a_wire_group_are_interchangeable() {
    let groups: &[&[&str]] = &[
        &["int32", "int64", "uint32", "uint64", "bool"],
        &["sint32", "sint64"],
        &["string", "bytes"],
        &["fixed32", "sfixed32"],
        &["fixed64", "sfixed64"],
        &["float"],
        &["double"],
    ];
    for (gi, group) in groups.iter().enumerate() {
        for (gj, other) in groups.iter().enumerate() {
            for a in *group {
                for b in *other {
                    let problems = field_type_change(a, b);
                    if gi == gj {
                        assert!(problems.is_empty(), "{a} -> {b}: {problems:?}");
                    } else {
                        assert!(
                            problems.iter().any(|p| p.contains("FIELD_SCALAR_KIND_CHANGED")),
                            "{a} -> {b}: {problems:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn enums_read_as_varints() {
    compatible(
        "message M { E f = 1; } enum E { A = 0; B = 1; }",
        "message M { int32 f = 1; }",
    );
    incompatible(
        "message M { E f = 1; } enum E { A = 0; }",
        "message M { string f = 1; }",
        "FIELD_SCALAR_KIND_CHANGED",
    );
}

#[test]
fn enum_changes_are_compatible() {
    compatible("enum E { A = 0; B = 1; C = 2; }", "enum E { A = 0; B = 1; }");
    compatible("enum E { A = 0; }", "enum E { A = 0; B = 1; }");
    compatible(
        "message M { int32 a = 1; }",
        "message M { int32 a = 1; } enum Gone { X = 0; }",
    );
}

#[test]
fn scalar_to_message_is_a_kind_change() {
    let problems = incompatible(
        "message M { Inner f = 1; } message Inner { int32 x = 1; }",
        "message M { int32 f = 1; } message Inner { int32 x = 1; }",
        "FIELD_KIND_CHANGED",
    );
    assert!(
        problems.iter().any(|p| p.contains("'f'") && p.contains("demo.M")),
        "{problems:?}"
    );
    incompatible(
        "message M { map<string, int32> f = 1; }",
        "message M { repeated Entry f = 1; message Entry { string key = 1; int32 value = 2; } }",
        "FIELD_KIND_CHANGED",
    );
}

#[test]
fn map_keys_and_values_are_compared() {
    compatible(
        "message M { map<string, int64> f = 1; }",
        "message M { map<string, int32> f = 1; }",
    );
    incompatible(
        "message M { map<string, string> f = 1; }",
        "message M { map<string, int32> f = 1; }",
        "FIELD_SCALAR_KIND_CHANGED",
    );
    incompatible(
        "message M { map<int32, string> f = 1; }",
        "message M { map<string, string> f = 1; }",
        "FIELD_SCALAR_KIND_CHANGED",
    );
}

#[test]
fn labels_are_not_compared() {
    compatible(
        "message M { repeated string f = 1; }",
        "message M { optional string f = 1; }",
    );
    compatible(
        "message M { string f = 1; }",
        "message M { repeated string f = 1; }",
    );
}

#[test]
fn a_package_change_is_incompatible() {
    let new = "syntax = \"proto3\";\npackage other;\nmessage A { string s = 1; }\n";
    let old = "syntax = \"proto3\";\npackage demo;\nmessage A { string s = 1; }\n";
    let problems = backward(new, old);
    assert!(
        problems.iter().any(|p| p.contains("PACKAGE_CHANGED")),
        "{problems:?}"
    );
}

#[test]
fn removing_a_message_is_incompatible_adding_one_is_not() {
    let problems = incompatible(
        "message A { int32 a = 1; }",
        "message A { int32 a = 1; } message B { int32 b = 1; }",
        "MESSAGE_REMOVED",
    );
    assert!(problems.iter().any(|p| p.contains("demo.B")), "{problems:?}");
    compatible(
        "message A { int32 a = 1; } message B { int32 b = 1; }",
        "message A { int32 a = 1; }",
    );
    incompatible(
        "message A { int32 a = 1; }",
        "message A { int32 a = 1; message Nested { int32 n = 1; } }",
        "MESSAGE_REMOVED",
    );
}

#[test]
fn reordering_messages_is_compatible() {
    compatible(
        "message B { int32 b = 1; } message A { int32 a = 1; }",
        "message A { int32 a = 1; } message B { int32 b = 1; }",
    );
}

#[test]
fn every_message_of_the_file_is_compared() {
    incompatible(
        "message First { int32 a = 1; } message Second { string b = 1; }",
        "message First { int32 a = 1; } message Second { int32 b = 1; }",
        "FIELD_SCALAR_KIND_CHANGED",
    );
    incompatible(
        "message Outer { message Inner { string b = 1; } }",
        "message Outer { message Inner { int32 b = 1; } }",
        "FIELD_SCALAR_KIND_CHANGED",
    );
}

#[test]
fn required_fields_added_or_removed_are_incompatible() {
    let p2 = |body: &str| format!("syntax = \"proto2\";\npackage demo;\n{body}\n");
    let problems = backward(
        &p2("message A { optional int32 a = 1; required int32 b = 2; }"),
        &p2("message A { optional int32 a = 1; }"),
    );
    assert!(
        problems.iter().any(|p| p.contains("REQUIRED_FIELD_ADDED")),
        "{problems:?}"
    );
    let problems = backward(
        &p2("message A { optional int32 a = 1; }"),
        &p2("message A { optional int32 a = 1; required int32 b = 2; }"),
    );
    assert!(
        problems.iter().any(|p| p.contains("REQUIRED_FIELD_REMOVED")),
        "{problems:?}"
    );
    assert!(
        backward(
            &p2("message A { optional int32 a = 1; optional int32 b = 2; }"),
            &p2("message A { optional int32 a = 1; }"),
        )
        .is_empty()
    );
}

#[test]
fn removing_a_field_from_a_oneof_is_incompatible() {
    let problems = incompatible(
        "message M { oneof o { string a = 1; string b = 2; } }",
        "message M { oneof o { string a = 1; string b = 2; int32 c = 3; } }",
        "ONEOF_FIELD_REMOVED",
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("'c'") && p.contains("#/M/o/3")),
        "{problems:?}"
    );
}

#[test]
fn adding_a_field_to_a_oneof_or_adding_or_removing_a_whole_oneof_is_compatible() {
    compatible(
        "message M { oneof o { string a = 1; string b = 2; } }",
        "message M { oneof o { string a = 1; } }",
    );
    compatible(
        "message M { int32 x = 9; }",
        "message M { int32 x = 9; oneof o { string a = 1; string b = 2; } }",
    );
    compatible(
        "message M { int32 x = 9; oneof o { string a = 1; string b = 2; } }",
        "message M { int32 x = 9; }",
    );
}

#[test]
fn moving_one_field_into_a_new_oneof_is_compatible() {
    compatible(
        "message M { string name = 1; oneof n { string foo = 2; int32 bar = 3; } }",
        "message M { string name = 1; string foo = 2; }",
    );
}

#[test]
fn moving_several_fields_into_one_oneof_is_incompatible() {
    incompatible(
        "message M { oneof r { string name = 1; string reg = 2; int32 id = 3; } }",
        "message M { string name = 1; string reg = 2; }",
        "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
    );
}

#[test]
fn moving_a_field_into_an_existing_oneof_is_incompatible() {
    incompatible(
        "message M { oneof o { string a = 1; string b = 2; } }",
        "message M { string b = 2; oneof o { string a = 1; } }",
        "FIELD_MOVED_TO_EXISTING_ONEOF",
    );
}

#[test]
fn moving_a_field_out_of_a_oneof_is_compatible_but_its_type_still_counts() {
    compatible(
        "message M { string b = 2; oneof o { string a = 1; } }",
        "message M { oneof o { string a = 1; string b = 2; } }",
    );
    incompatible(
        "message M { int32 b = 2; oneof o { string a = 1; } }",
        "message M { oneof o { string a = 1; string b = 2; } }",
        "FIELD_SCALAR_KIND_CHANGED",
    );
}

#[test]
fn message_typed_fields_compare_the_message() {
    let problems = incompatible(
        "message M { Inner f = 1; } message Inner { string x = 1; }",
        "message M { Inner f = 1; } message Inner { int32 x = 1; }",
        "FIELD_NAMED_TYPE_CHANGED",
    );
    assert!(
        problems.iter().any(|p| p.contains("FIELD_SCALAR_KIND_CHANGED")),
        "{problems:?}"
    );
    incompatible(
        "message M { Other f = 1; } message Inner { int32 x = 1; } message Other { int32 x = 1; }",
        "message M { Inner f = 1; } message Inner { int32 x = 1; } message Other { int32 x = 1; }",
        "FIELD_NAMED_TYPE_CHANGED",
    );
    compatible(
        "message M { Inner f = 1; } message Inner { int64 x = 1; string y = 2; }",
        "message M { Inner f = 1; } message Inner { int32 x = 1; }",
    );
}

#[test]
fn imported_messages_are_compared_through_the_references() {
    let reference = |text: &str| ResolvedReference {
        name: "common.proto".to_string(),
        schema_type: SchemaType::Protobuf,
        schema: text.to_string(),
    };
    let root = "syntax = \"proto3\";\npackage app;\nimport \"common.proto\";\nmessage Event { common.Money price = 1; }\n";
    let old_ref = reference("syntax = \"proto3\";\npackage common;\nmessage Money { int64 units = 1; }\n");
    let same_ref = reference(
        "syntax = \"proto3\";\npackage common;\nmessage Money { int64 units = 1; string currency = 2; }\n",
    );
    let bad_ref = reference("syntax = \"proto3\";\npackage common;\nmessage Money { string units = 1; }\n");
    let old = schema(root, &[old_ref]);
    let options = CheckOptions::default();
    assert!(check(&schema(root, &[same_ref]), &old, &options).is_empty());
    let problems = check(&schema(root, &[bad_ref]), &old, &options);
    assert!(
        problems.iter().any(|p| p.contains("FIELD_NAMED_TYPE_CHANGED")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("common.Money")),
        "{problems:?}"
    );
}

#[test]
fn well_known_types_compare_equal_and_differ_from_each_other() {
    let with = |t: &str| {
        format!(
            "syntax = \"proto3\";\npackage demo;\nimport \"google/protobuf/timestamp.proto\";\nimport \"google/protobuf/duration.proto\";\nmessage M {{ {t} at = 1; }}\n"
        )
    };
    assert!(
        backward(
            &with("google.protobuf.Timestamp"),
            &with("google.protobuf.Timestamp")
        )
        .is_empty()
    );
    let problems = backward(
        &with("google.protobuf.Duration"),
        &with("google.protobuf.Timestamp"),
    );
    assert!(
        problems.iter().any(|p| p.contains("FIELD_NAMED_TYPE_CHANGED")),
        "{problems:?}"
    );
}

#[test]
fn recursive_types_terminate() {
    compatible(
        "message Node { string v = 1; repeated Node children = 2; Tree t = 3; } message Tree { Node root = 1; }",
        "message Node { string v = 1; repeated Node children = 2; Tree t = 3; } message Tree { Node root = 1; }",
    );
    incompatible(
        "message Node { int32 v = 1; repeated Node children = 2; }",
        "message Node { string v = 1; repeated Node children = 2; }",
        "FIELD_SCALAR_KIND_CHANGED",
    );
}

#[test]
fn full_compatibility_is_both_directions() {
    let a = schema(&proto3("message A { string s = 1; }"), &[]);
    let b = schema(&proto3("message A { string s = 1; int32 n = 2; }"), &[]);
    let options = CheckOptions::default();
    assert!(check(&a, &b, &options).is_empty() && check(&b, &a, &options).is_empty());
    let c = schema(
        &proto3("message A { string s = 1; } message B { int32 x = 1; }"),
        &[],
    );
    // Adding a message is backward compatible, removing it is not: not FULL.
    assert!(check(&c, &a, &options).is_empty());
    assert!(!check(&a, &c, &options).is_empty());
}

#[test]
fn messages_name_the_type_path_and_field() {
    let problems = incompatible(
        "message Person { string name = 1; string age = 2; }",
        "message Person { string name = 1; int32 age = 2; }",
        "FIELD_SCALAR_KIND_CHANGED",
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert!(p.starts_with("{errorType:\"FIELD_SCALAR_KIND_CHANGED\""), "{p}");
    assert!(
        p.contains("'age'") && p.contains("demo.Person") && p.contains("int32") && p.contains("string"),
        "{p}"
    );
}

#[test]
fn schemas_from_base64_descriptors_check_like_their_text() {
    let old = schema(&proto3("message A { int32 a = 1; }"), &[]);
    let new = schema(&proto3("message A { string a = 1; }"), &[]);
    let new_b64 = schema(&serialized(&new), &[]);
    let old_b64 = schema(&serialized(&old), &[]);
    let options = CheckOptions::default();
    assert_eq!(check(&new_b64, &old_b64, &options), check(&new, &old, &options));
    assert!(!check(&new_b64, &old, &options).is_empty());
}

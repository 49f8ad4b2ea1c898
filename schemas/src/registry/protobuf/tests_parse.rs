//! Parsing, canonical printing and the helpers, on schemas a user would register.

use super::*;
use crate::registry::language::SchemaType;

fn reference(name: &str, text: &str) -> ResolvedReference {
    ResolvedReference {
        name: name.to_string(),
        schema_type: SchemaType::Protobuf,
        schema: text.to_string(),
    }
}

fn ok(text: &str) -> ProtobufSchema {
    match parse(text, &[]) {
        Ok(s) => s,
        Err(e) => panic!("schema should parse: {e}\n{text}"),
    }
}

fn err(text: &str, refs: &[ResolvedReference]) -> String {
    match parse(text, refs) {
        Ok(s) => panic!("schema should be refused: {}", canonical(&s)),
        Err(e) => e.message,
    }
}

const RICH: &str = r#"
syntax = "proto3";
package a1;
import "google/protobuf/timestamp.proto";
option java_package = "com.x";
option java_multiple_files = true;
message TestMessage {
  reserved 5, 8 to 10, 100 to max;
  reserved "foo", "bar";
  string test = 1 [deprecated = true, json_name = "tst"];
  Value val = 2;
  map<string, Value> items = 3;
  optional int64 maybe = 4;
  google.protobuf.Timestamp ts = 6;
  repeated Enu list = 7 [packed = false];
  oneof choice { string a = 11; int32 b = 12; }
  oneof single { bool only = 13; }
  message Value {
    option deprecated = true;
    string str2 = 1;
    Enu x = 2;
  }
  enum Enu {
    A = 0;
    B = 1 [deprecated = true];
  }
}
message Second { TestMessage.Value v = 1; }
service S {
  rpc Get (TestMessage) returns (stream TestMessage.Value);
  rpc Put (TestMessage) returns (TestMessage) { option deprecated = true; }
}
"#;

const PROTO2: &str = r#"
syntax = "proto2";
package p;
import "google/protobuf/descriptor.proto";
extend google.protobuf.FieldOptions { optional string tag = 50001; optional Meta meta = 50002; }
message Meta { optional string doc = 1; repeated int32 n = 2; }
message M {
  required int32 a = 1 [default = 5, (tag) = "x\"y", (meta) = { doc: "hi" n: 1 n: 2 }];
  optional string s = 2 [default = "q\n"];
  optional bytes b = 3 [default = "\001\377"];
  optional group G = 4 { optional int32 x = 1; }
  optional double d = 5 [default = inf];
  extensions 100 to 199;
}
extend M { optional int32 ext = 100; }
"#;

#[test]
fn canonical_text_is_proto_with_qualified_names_and_confluent_layout() {
    let s = ok(RICH);
    let text = canonical(&s);
    assert!(
        text.starts_with(
            "syntax = \"proto3\";\npackage a1;\n\nimport \"google/protobuf/timestamp.proto\";\n\noption java_package = \"com.x\";\n"
        ),
        "{text}"
    );
    assert!(text.contains("  .a1.TestMessage.Value val = 2;\n"), "{text}");
    assert!(
        text.contains("  map<string, .a1.TestMessage.Value> items = 3;\n"),
        "{text}"
    );
    assert!(text.contains("  optional int64 maybe = 4;\n"), "{text}");
    assert!(
        text.contains("  string test = 1 [json_name = \"tst\", deprecated = true];\n"),
        "{text}"
    );
    assert!(
        text.contains("  reserved 5, 8 to 10, 100 to max;\n  reserved \"foo\", \"bar\";\n"),
        "{text}"
    );
    assert!(
        text.contains("  oneof choice {\n    string a = 11;\n    int32 b = 12;\n  }\n"),
        "{text}"
    );
    assert!(
        text.contains("  oneof single {\n    bool only = 13;\n  }\n"),
        "{text}"
    );
    assert!(
        text.contains("rpc Get (.a1.TestMessage) returns (stream .a1.TestMessage.Value);"),
        "{text}"
    );
    // Map entries are not printed as nested messages.
    assert!(!text.contains("ItemsEntry"), "{text}");
}

#[test]
fn canonical_text_compiles_back_to_itself() {
    for text in [RICH, PROTO2] {
        let first = canonical(&ok(text));
        let second = canonical(&ok(&first));
        assert_eq!(first, second);
        let normalized = normalize(&ok(text));
        assert_eq!(normalize(&ok(&normalized)), normalized);
    }
}

#[test]
fn proto2_defaults_groups_extensions_and_custom_options_survive() {
    let text = canonical(&ok(PROTO2));
    assert!(
        text.contains("required int32 a = 1 [default = 5, (.p.tag) = \"x\\\"y\""),
        "{text}"
    );
    assert!(
        text.contains("optional string s = 2 [default = \"q\\n\"];"),
        "{text}"
    );
    assert!(
        text.contains("optional group G = 4 {\n    optional int32 x = 1;\n  }"),
        "{text}"
    );
    assert!(text.contains("optional double d = 5 [default = inf];"), "{text}");
    assert!(text.contains("extensions 100 to 199;"), "{text}");
    assert!(
        text.contains("extend .p.M {\n  optional int32 ext = 100;\n}"),
        "{text}"
    );
}

#[test]
fn whitespace_comments_and_relative_names_do_not_change_canonical_text() {
    let a = "syntax = \"proto3\";\npackage x.y;\nmessage A { B b = 1; }\nmessage B { string s = 1; }\n";
    let b = "// a comment\nsyntax=\"proto3\"; package x.y;\n/* block\n comment */ message A {\n\n    .x.y.B   b=1; // trailing\n}\nmessage B{string s=1;}";
    assert_eq!(canonical(&ok(a)), canonical(&ok(b)));
    assert_eq!(
        canonical(&ok(a)),
        "syntax = \"proto3\";\npackage x.y;\n\nmessage A {\n  .x.y.B b = 1;\n}\n\nmessage B {\n  string s = 1;\n}\n"
    );
}

#[test]
fn normalize_sorts_imports_options_and_fields_but_keeps_message_order() {
    let text = "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\nimport \"google/protobuf/duration.proto\";\noption java_package = \"p\";\noption go_package = \"g\";\nmessage Z { int32 b = 2; int32 a = 1; google.protobuf.Timestamp t = 3; google.protobuf.Duration d = 4; }\nmessage A { int32 x = 1; }\n";
    let s = ok(text);
    let n = normalize(&s);
    let dur = n.find("duration.proto").unwrap_or(usize::MAX);
    let ts = n.find("timestamp.proto").unwrap_or(0);
    assert!(dur < ts, "{n}");
    assert!(
        n.find("go_package").unwrap_or(usize::MAX) < n.find("java_package").unwrap_or(0),
        "{n}"
    );
    assert!(
        n.find("int32 a = 1").unwrap_or(usize::MAX) < n.find("int32 b = 2").unwrap_or(0),
        "{n}"
    );
    assert!(
        n.find("message Z").unwrap_or(usize::MAX) < n.find("message A").unwrap_or(0),
        "{n}"
    );
    // canonical keeps declaration order
    let c = canonical(&s);
    assert!(
        c.find("int32 b = 2").unwrap_or(usize::MAX) < c.find("int32 a = 1").unwrap_or(0),
        "{c}"
    );
}

#[test]
fn syntax_errors_carry_protox_message_and_position() {
    let message = err("syntax = \"proto3\";\nmessage A {\n  string name = 1\n}\n", &[]);
    assert!(message.contains("line 4, column 1"), "{message}");
    assert!(message.contains("expected"), "{message}");
}

#[test]
fn unknown_types_and_missing_imports_are_named() {
    let message = err("syntax = \"proto3\";\nmessage A {\n  Missing m = 1;\n}\n", &[]);
    assert!(message.contains("Missing"), "{message}");
    assert!(message.contains("line 3"), "{message}");
    let message = err(
        "syntax = \"proto3\";\nimport \"other.proto\";\nmessage A { Other o = 1; }\n",
        &[],
    );
    assert!(message.contains("other.proto"), "{message}");
}

#[test]
fn errors_inside_a_reference_name_the_import() {
    let refs = [reference(
        "bad.proto",
        "syntax = \"proto3\";\nmessage B { int32 = 1; }\n",
    )];
    let message = err(
        "syntax = \"proto3\";\nimport \"bad.proto\";\nmessage A { B b = 1; }\n",
        &refs,
    );
    assert!(message.contains("bad.proto"), "{message}");
}

#[test]
fn references_of_another_language_are_refused() {
    let refs = [ResolvedReference {
        name: "x.proto".to_string(),
        schema_type: SchemaType::Avro,
        schema: "\"string\"".to_string(),
    }];
    let message = err("syntax = \"proto3\";\nmessage A { int32 a = 1; }\n", &refs);
    assert!(
        message.contains("x.proto") && message.contains("AVRO"),
        "{message}"
    );
}

#[test]
fn imports_resolve_through_references_and_builtins() {
    let refs = [reference(
        "common/money.proto",
        "syntax = \"proto3\";\npackage common;\nmessage Money { string currency = 1; int64 units = 2; }\n",
    )];
    let text = "syntax = \"proto3\";\npackage shop;\nimport \"common/money.proto\";\nimport \"google/protobuf/timestamp.proto\";\nimport \"confluent/type/decimal.proto\";\nimport \"google/type/date.proto\";\nmessage Order {\n  common.Money price = 1;\n  google.protobuf.Timestamp at = 2;\n  confluent.type.Decimal amount = 3;\n  google.type.Date day = 4;\n}\n";
    let s = match parse(text, &refs) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(s.message_names(), vec!["shop.Order".to_string()]);
    assert_eq!(
        s.imports(),
        vec![
            "common/money.proto",
            "google/protobuf/timestamp.proto",
            "confluent/type/decimal.proto",
            "google/type/date.proto"
        ]
    );
    assert!(s.pool().get_message_by_name("common.Money").is_some());
    assert!(canonical(&s).contains(".confluent.type.Decimal amount = 3;"));
}

#[test]
fn every_builtin_file_compiles() {
    for (name, _) in builtin::BUILTIN_FILES {
        let text = format!("syntax = \"proto3\";\nimport \"{name}\";\nmessage A {{ int32 a = 1; }}\n");
        if let Err(e) = parse(&text, &[]) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn base64_descriptors_are_accepted_and_print_as_proto_text() {
    let from_text = ok(RICH);
    let encoded = serialized(&from_text);
    assert!(!encoded.contains(' '));
    let from_descriptor = match parse(&encoded, &[]) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert!(from_descriptor.from_descriptor());
    assert!(!from_text.from_descriptor());
    assert_eq!(canonical(&from_descriptor), canonical(&from_text));
    assert_eq!(serialized(&from_descriptor), encoded);
}

#[test]
fn base64_descriptors_keep_custom_options() {
    let from_text = ok(PROTO2);
    let from_descriptor = ok(&serialized(&from_text));
    assert!(canonical(&from_descriptor).contains("(.p.tag) = \"x\\\"y\""));
    assert_eq!(canonical(&from_descriptor), canonical(&from_text));
}

#[test]
fn base64_descriptor_imports_resolve_through_references() {
    let dep_text = "syntax = \"proto3\";\npackage dep;\nmessage D { string s = 1; }\n";
    let dep = ok(dep_text);
    let root_text =
        "syntax = \"proto3\";\npackage root;\nimport \"dep.proto\";\nmessage R { dep.D d = 1; }\n";
    let refs = [reference("dep.proto", dep_text)];
    let root = match parse(root_text, &refs) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    // Both the root and its reference registered in confluent-kafka's form.
    let refs_b64 = [reference("dep.proto", &serialized(&dep))];
    let again = match parse(&serialized(&root), &refs_b64) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(canonical(&again), canonical(&root));
    assert!(canonical(&again).contains("import \"dep.proto\";"));
}

#[test]
fn base64_looking_garbage_is_an_error_not_a_panic() {
    for text in ["aGVsbG8=", "AAAA", "Zm9v", "=", "a", "QUJD"] {
        if let Ok(s) = parse(text, &[]) {
            panic!("{text} parsed as {:?}: {}", s, canonical(&s));
        }
    }
}

#[test]
fn message_index_paths_follow_declaration_order_without_map_entries() {
    let s = ok(
        "syntax = \"proto3\";\npackage p;\nmessage A {\n  map<string, int32> m = 1;\n  message B { message C {} }\n  message D {}\n}\nmessage E {}\n",
    );
    let paths: Vec<(Vec<usize>, String)> = s
        .message_index_paths()
        .into_iter()
        .map(|(p, m)| (p, m.full_name().to_string()))
        .collect();
    assert_eq!(
        paths,
        vec![
            (vec![0], "p.A".to_string()),
            (vec![0, 0], "p.A.B".to_string()),
            (vec![0, 0, 0], "p.A.B.C".to_string()),
            (vec![0, 1], "p.A.D".to_string()),
            (vec![1], "p.E".to_string()),
        ]
    );
    assert_eq!(
        s.message_by_index_path(&[0, 1])
            .map(|m| m.full_name().to_string()),
        Some("p.A.D".to_string())
    );
    assert_eq!(
        s.message_by_index_path(&[]).map(|m| m.full_name().to_string()),
        Some("p.A".to_string())
    );
    assert!(s.message_by_index_path(&[0, 2]).is_none());
    assert_eq!(s.index_path_of(".p.E"), Some(vec![1]));
    assert_eq!(
        s.first_message().map(|m| m.name().to_string()),
        Some("A".to_string())
    );
}

#[test]
fn messages_are_found_by_full_or_unique_simple_name() {
    let s = ok(
        "syntax = \"proto3\";\npackage p;\nmessage A { message Item { int32 x = 1; } }\nmessage B { message Item { int32 y = 1; } }\nmessage C { int32 z = 1; }\n",
    );
    let path = |name: &str| s.message_named(name).map(|(p, m)| (p, m.full_name().to_string()));
    assert_eq!(path("C"), Ok((vec![2], "p.C".to_string())));
    assert_eq!(path(".p.B.Item"), Ok((vec![1, 0], "p.B.Item".to_string())));
    assert_eq!(path("p.A"), Ok((vec![0], "p.A".to_string())));
    let ambiguous = path("Item").unwrap_err();
    assert!(ambiguous.contains("p.A.Item, p.B.Item"), "{ambiguous}");
    let missing = path("D").unwrap_err();
    assert!(
        missing.contains("no message D (its messages: p.A, p.A.Item, p.B, p.B.Item, p.C)"),
        "{missing}"
    );
}

#[test]
fn files_without_messages_are_valid_references() {
    let s = ok("syntax = \"proto3\";\npackage enums;\nenum Color { RED = 0; GREEN = 1; }\n");
    assert!(s.message_names().is_empty());
    assert!(canonical(&s).contains("enum Color {\n  RED = 0;\n  GREEN = 1;\n}"));
}

#[test]
fn editions_files_are_refused_or_print_back_to_themselves() {
    let text = "edition = \"2023\";\npackage e;\nmessage A { int32 a = 1; }\n";
    if let Ok(s) = parse(text, &[]) {
        let printed = canonical(&s);
        assert_eq!(canonical(&ok(&printed)), printed);
    }
}

#[test]
fn hostile_nesting_is_refused_before_the_compiler_recurses() {
    let deep = format!(
        "syntax = \"proto3\";\n{}{}",
        "message A { ".repeat(5000),
        "}".repeat(5000)
    );
    let message = err(&deep, &[]);
    assert!(message.contains("nesting deeper than"), "{message}");
    // Braces inside comments and strings do not count.
    let fine = format!(
        "syntax = \"proto3\";\n// {}\noption java_package = \"{}\";\nmessage A {{ int32 a = 1; }}\n",
        "{".repeat(500),
        "{".repeat(500)
    );
    ok(&fine);
}

#[test]
fn long_chains_of_message_types_check_without_exhausting_the_stack() {
    let mut text = String::from("syntax = \"proto3\";\npackage chain;\n");
    for i in 0..3000 {
        text.push_str(&format!(
            "message M{i} {{ M{} next = 1; string v = 2; }}\n",
            i + 1
        ));
    }
    text.push_str("message M3000 { string v = 1; }\n");
    let old = ok(&text);
    let new = ok(&text.replace(
        "message M3000 { string v = 1; }",
        "message M3000 { int32 v = 1; }",
    ));
    let problems = check(&new, &old, &CheckOptions::default());
    assert!(problems.iter().any(|p| p.contains("chain.M3000")), "{problems:?}");
    assert!(check(&old, &old, &CheckOptions::default()).is_empty());
}

#[test]
fn octal_literals_with_8_or_9_are_a_clear_error() {
    let message = err("syntax = \"proto3\";\nmessage A { int32 a = 07209; }\n", &[]);
    assert!(
        message.contains("invalid octal integer '07209'") && message.contains("line 2"),
        "{message}"
    );
    ok(
        "syntax = \"proto2\";\nmessage A { optional int32 a = 010 [default = 0]; optional double d = 2 [default = 09.5]; }\n",
    );
}

#[test]
fn octal_literals_right_after_a_float_are_a_clear_error() {
    // protox lexes `1f` (a float with its suffix) and then `008` as the next token (fuzz
    // finding of protobuf_compat): the pre-check must split numbers exactly as protox does.
    for (text, literal) in [
        ("syntax = \"proto3\";\nmessage A { int32 a = 1f008; }\n", "008"),
        ("syntax = \"proto3\";\n1f008", "008"),
        (
            "syntax = \"proto2\";\nmessage A { optional double d = 1 [default = 1.5f09]; }\n",
            "09",
        ),
        (
            "syntax = \"proto2\";\nmessage A { optional double d = 1 [default = .5e3f0778]; }\n",
            "0778",
        ),
        (
            "syntax = \"proto2\";\nmessage A { optional double d = 1 [default = 0f08]; }\n",
            "08",
        ),
    ] {
        let message = err(text, &[]);
        assert!(
            message.contains(&format!("invalid octal integer '{literal}'")),
            "{text}: {message}"
        );
    }
    // Hex digits, identifiers holding digits and floats with a leading 0 stay fine.
    ok(
        "syntax = \"proto2\";\nmessage A9x08 { optional int32 a = 0x1f08 [default = 0x8]; optional double f09 = 2 [default = 009.5e08]; }\n",
    );
}

#[test]
fn octal_literals_after_unclosed_nested_comments_are_a_clear_error() {
    // protox nests block comments; left open at the end of the text, a comment ends after
    // the last `*/` and lexing goes on (fuzz finding of protobuf_compat).
    let message = err("syntax = \"proto3\";\n/* /* */ 08", &[]);
    assert!(message.contains("invalid octal integer '08'"), "{message}");
    let fuzzed = "sM]oe/Tesuuu*u*/enneo1sn*/*/*ee/*u*/enn*/*/;;;;005680;;;;41;;;;*emax";
    assert!(err(fuzzed, &[]).contains("invalid octal integer '005680'"));
    // Closed nested comments hide what they hold: protox refuses the nesting itself.
    let message = err(
        "syntax = \"proto3\";\n/* a /* nested 08 */ still comment 09 */\nmessage A { int32 a = 1; }\n",
        &[],
    );
    assert!(!message.contains("octal"), "{message}");
}

#[test]
fn descriptors_with_an_unknown_syntax_are_refused_not_a_panic() {
    use base64::Engine as _;
    // Found by fuzzing protobuf_parse: an extension, `syntax = "e"` and an edition.
    let bytes = b"2\x00b\x01eil\xff\x064[\x00'm";
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let message = err(&encoded, &[]);
    assert!(message.contains("syntax \"e\" is not supported"), "{message}");
    for syntax in ["", "editions"] {
        let file = FileDescriptorProto {
            name: Some("s.proto".to_string()),
            syntax: Some(syntax.to_string()),
            ..Default::default()
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(prost::Message::encode_to_vec(&file));
        assert!(err(&encoded, &[]).contains("is not supported"), "{syntax:?}");
    }
}

#[test]
fn descriptors_that_no_proto_file_can_express_are_refused() {
    use base64::Engine as _;
    use prost::Message as _;
    let file = FileDescriptorProto {
        name: Some("bad.proto".to_string()),
        message_type: vec![prost_types::DescriptorProto {
            name: Some(String::new()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let text = base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec());
    let message = err(&text, &[]);
    assert!(message.contains("FileDescriptorProto"), "{message}");
}

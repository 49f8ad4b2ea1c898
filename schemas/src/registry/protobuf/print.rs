//! Prints a compiled file back as `.proto` text: the registry's canonical form.
//!
//! Confluent answers Protobuf schemas as text printed from its parsed form, whatever the client
//! sent (text or a base64 descriptor). This printer does the same from descriptors, so the same
//! schema written with other whitespace, comments or relative type names prints identically.
//! Layout follows Confluent's (syntax and package, imports, options, then each type after a
//! blank line; inside a message: reserved, options, fields, oneofs, extension ranges, nested
//! types). Rule: the output compiles back to the same descriptor. Type references are printed
//! fully qualified (`.pkg.Msg`), which is what makes that true without tracking scopes.
//! `normalized` additionally sorts imports, options and fields by number (Confluent's
//! `normalize=true`); it never reorders messages, whose positions are the message indexes.

use std::fmt::Write as _;

use prost_reflect::{
    Cardinality, DynamicMessage, EnumDescriptor, ExtensionDescriptor, FieldDescriptor, FileDescriptor, Kind,
    MessageDescriptor, OneofDescriptor, ServiceDescriptor, Syntax, Value,
};

/// The largest field number + 1: a reserved or extension range ending here prints `to max`.
const FIELD_NUMBER_END: u32 = 536_870_912;

pub(crate) fn print_file(file: &FileDescriptor, normalized: bool) -> String {
    let proto = file.file_descriptor_proto();
    let mut sections: Vec<String> = Vec::new();

    let mut header = String::new();
    match proto.syntax.as_deref() {
        Some(syntax) if !syntax.is_empty() => {
            let _ = writeln!(header, "syntax = \"{syntax}\";");
        }
        _ => {}
    }
    if !file.package_name().is_empty() {
        let _ = writeln!(header, "package {};", file.package_name());
    }
    push_section(&mut sections, header);

    let mut imports: Vec<String> = proto
        .dependency
        .iter()
        .enumerate()
        .map(|(i, dep)| {
            let index = i32::try_from(i).unwrap_or(i32::MAX);
            let modifier = if proto.public_dependency.contains(&index) {
                "public "
            } else if proto.weak_dependency.contains(&index) {
                "weak "
            } else {
                ""
            };
            format!("import {modifier}{};\n", quote(dep))
        })
        .collect();
    if normalized {
        imports.sort();
    }
    push_section(&mut sections, imports.concat());

    push_section(&mut sections, option_statements(&file.options(), normalized));

    for message in file.messages() {
        sections.push(print_message(&message, normalized));
    }
    for enum_ in file.enums() {
        sections.push(print_enum(&enum_, normalized));
    }
    for block in extend_blocks(file.extensions(), normalized) {
        sections.push(block);
    }
    for service in file.services() {
        sections.push(print_service(&service, normalized));
    }
    sections.join("\n")
}

fn push_section(sections: &mut Vec<String>, text: String) {
    if !text.is_empty() {
        sections.push(text);
    }
}

/// `name {` + groups separated by blank lines + `}`; `name {}` when there is nothing inside.
fn block(opening: &str, groups: Vec<String>) -> String {
    let groups: Vec<String> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    if groups.is_empty() {
        return format!("{opening} {{}}\n");
    }
    let body: Vec<String> = groups.iter().map(|g| indent(g)).collect();
    format!("{opening} {{\n{}}}\n", body.join("\n"))
}

fn indent(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        if line != "\n" {
            out.push_str("  ");
        }
        out.push_str(line);
    }
    out
}

fn print_message(message: &MessageDescriptor, normalized: bool) -> String {
    let proto = message.descriptor_proto();
    let mut groups = Vec::new();

    let mut reserved = String::new();
    let numbers: Vec<String> = message
        .reserved_ranges()
        .map(|r| range_text(r.start, r.end.saturating_sub(1), r.end >= FIELD_NUMBER_END))
        .collect();
    if !numbers.is_empty() {
        let _ = writeln!(reserved, "reserved {};", numbers.join(", "));
    }
    let names: Vec<String> = message.reserved_names().map(quote).collect();
    if !names.is_empty() {
        let _ = writeln!(reserved, "reserved {};", names.join(", "));
    }
    groups.push(reserved);

    groups.push(option_statements(&message.options(), normalized));

    let mut fields: Vec<FieldDescriptor> = declared_fields(message)
        .into_iter()
        .filter(|f| real_oneof(f).is_none())
        .collect();
    if normalized {
        fields.sort_by_key(FieldDescriptor::number);
    }
    groups.push(
        fields
            .iter()
            .map(|f| field_text(&FieldView::field(f), false, normalized))
            .collect(),
    );

    groups.push(
        message
            .oneofs()
            .filter(|o| !is_synthetic(o))
            .map(|o| print_oneof(&o, normalized))
            .collect(),
    );

    let ranges: Vec<String> = message
        .extension_ranges()
        .map(|r| range_text(r.start, r.end.saturating_sub(1), r.end >= FIELD_NUMBER_END))
        .collect();
    groups.push(if ranges.is_empty() {
        String::new()
    } else {
        format!("extensions {};\n", ranges.join(", "))
    });

    // Map entries and group bodies are printed with their fields, not as nested types.
    let group_types: Vec<String> = message
        .fields()
        .filter(FieldDescriptor::is_group)
        .filter_map(|f| f.kind().as_message().map(|m| m.full_name().to_string()))
        .collect();
    let mut nested = String::new();
    for child in message.child_messages() {
        if child.is_map_entry() || group_types.iter().any(|g| g == child.full_name()) {
            continue;
        }
        nested.push_str(&print_message(&child, normalized));
    }
    for child in message.child_enums() {
        nested.push_str(&print_enum(&child, normalized));
    }
    groups.push(nested);
    groups.push(extend_blocks(message.child_extensions(), normalized).concat());

    block(&format!("message {}", proto.name()), groups)
}

fn print_oneof(oneof: &OneofDescriptor, normalized: bool) -> String {
    let mut fields: Vec<FieldDescriptor> = oneof.fields().collect();
    if normalized {
        fields.sort_by_key(FieldDescriptor::number);
    }
    let body: String = fields
        .iter()
        .map(|f| field_text(&FieldView::field(f), true, normalized))
        .collect();
    block(
        &format!("oneof {}", oneof.name()),
        vec![option_statements(&oneof.options(), normalized), body],
    )
}

fn print_enum(enum_: &EnumDescriptor, normalized: bool) -> String {
    let mut head = String::new();
    let numbers: Vec<String> = enum_
        .reserved_ranges()
        .map(|r| {
            let (start, end) = (*r.start(), *r.end());
            if start == end {
                start.to_string()
            } else if end == i32::MAX {
                format!("{start} to max")
            } else {
                format!("{start} to {end}")
            }
        })
        .collect();
    if !numbers.is_empty() {
        let _ = writeln!(head, "reserved {};", numbers.join(", "));
    }
    let names: Vec<String> = enum_.reserved_names().map(quote).collect();
    if !names.is_empty() {
        let _ = writeln!(head, "reserved {};", names.join(", "));
    }
    head.push_str(&option_statements(&enum_.options(), normalized));
    let values = enum_
        .enum_descriptor_proto()
        .value
        .iter()
        .filter_map(|v| enum_.get_value_by_name(v.name()));
    for value in values {
        let options = option_list(&value.options(), normalized);
        let _ = writeln!(
            head,
            "{} = {}{};",
            value.name(),
            value.number(),
            bracketed(&options)
        );
    }
    block(&format!("enum {}", enum_.name()), vec![head])
}

fn print_service(service: &ServiceDescriptor, normalized: bool) -> String {
    let mut rpcs = String::new();
    for method in service.methods() {
        let stream = |yes: bool| if yes { "stream " } else { "" };
        let head = format!(
            "rpc {} ({}.{}) returns ({}.{})",
            method.name(),
            stream(method.is_client_streaming()),
            method.input().full_name(),
            stream(method.is_server_streaming()),
            method.output().full_name()
        );
        let options = option_statements(&method.options(), normalized);
        if options.is_empty() {
            let _ = writeln!(rpcs, "{head};");
        } else {
            rpcs.push_str(&block(&head, vec![options]));
        }
    }
    block(
        &format!("service {}", service.name()),
        vec![option_statements(&service.options(), normalized), rpcs],
    )
}

/// `extend .pkg.Msg { ... }` blocks, one per extended message, in order of first appearance.
fn extend_blocks(extensions: impl Iterator<Item = ExtensionDescriptor>, normalized: bool) -> Vec<String> {
    let mut by_extendee: Vec<(String, String)> = Vec::new();
    for ext in extensions {
        let extendee = ext.containing_message().full_name().to_string();
        let text = field_text(&FieldView::extension(&ext), false, normalized);
        match by_extendee.iter_mut().find(|(name, _)| *name == extendee) {
            Some((_, body)) => body.push_str(&text),
            None => by_extendee.push((extendee, text)),
        }
    }
    by_extendee
        .into_iter()
        .map(|(extendee, body)| block(&format!("extend .{extendee}"), vec![body]))
        .collect()
}

fn range_text(start: u32, last: u32, to_max: bool) -> String {
    if to_max {
        format!("{start} to max")
    } else if start == last {
        start.to_string()
    } else {
        format!("{start} to {last}")
    }
}

/// What printing needs of a field, whether a message field or an extension.
struct FieldView {
    name: String,
    number: u32,
    kind: Kind,
    cardinality: Cardinality,
    is_map: bool,
    is_group: bool,
    proto3: bool,
    proto3_optional: bool,
    default_value: Option<String>,
    json_name: Option<String>,
    options: DynamicMessage,
}

impl FieldView {
    fn field(f: &FieldDescriptor) -> Self {
        let proto = f.field_descriptor_proto();
        FieldView {
            name: f.name().to_string(),
            number: f.number(),
            kind: f.kind(),
            cardinality: f.cardinality(),
            is_map: f.is_map(),
            is_group: f.is_group(),
            proto3: f.parent_file().syntax() == Syntax::Proto3,
            proto3_optional: proto.proto3_optional(),
            default_value: proto.default_value.clone(),
            json_name: proto.json_name.clone(),
            options: f.options(),
        }
    }

    fn extension(e: &ExtensionDescriptor) -> Self {
        let proto = e.field_descriptor_proto();
        FieldView {
            name: e.name().to_string(),
            number: e.number(),
            kind: e.kind(),
            cardinality: e.cardinality(),
            is_map: false,
            is_group: e.is_group(),
            proto3: e.parent_file().syntax() == Syntax::Proto3,
            proto3_optional: proto.proto3_optional(),
            default_value: proto.default_value.clone(),
            json_name: None,
            options: e.options(),
        }
    }
}

fn field_text(field: &FieldView, in_oneof: bool, normalized: bool) -> String {
    let mut options = Vec::new();
    if let Some(default) = &field.default_value {
        options.push(format!("default = {}", default_text(&field.kind, default)));
    }
    if let Some(json) = field
        .json_name
        .as_ref()
        .filter(|json| **json != default_json_name(&field.name))
    {
        options.push(format!("json_name = {}", quote(json)));
    }
    options.extend(option_list(&field.options, normalized));
    let options = bracketed(&options);

    if let Some(entry) = field.kind.as_message().filter(|_| field.is_map) {
        let key = type_text(&entry.map_entry_key_field().kind());
        let value = type_text(&entry.map_entry_value_field().kind());
        return format!(
            "map<{key}, {value}> {} = {}{options};\n",
            field.name, field.number
        );
    }
    let label = if in_oneof {
        ""
    } else {
        match field.cardinality {
            Cardinality::Repeated => "repeated ",
            Cardinality::Required => "required ",
            Cardinality::Optional if !field.proto3 || field.proto3_optional => "optional ",
            Cardinality::Optional => "",
        }
    };
    if let Some(body) = field.kind.as_message().filter(|_| field.is_group) {
        let inner = print_message(body, normalized);
        // print_message opens with "message Name"; a group is declared in place.
        let inner = inner.strip_prefix("message ").unwrap_or(&inner);
        let (name, rest) = inner.split_once(' ').unwrap_or((inner, "{}\n"));
        return format!("{label}group {name} = {}{options} {rest}", field.number);
    }
    format!(
        "{label}{} {} = {}{options};\n",
        type_text(&field.kind),
        field.name,
        field.number
    )
}

fn type_text(kind: &Kind) -> String {
    match kind {
        Kind::Message(m) => format!(".{}", m.full_name()),
        Kind::Enum(e) => format!(".{}", e.full_name()),
        other => scalar_name(other).to_string(),
    }
}

pub(crate) fn scalar_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Double => "double",
        Kind::Float => "float",
        Kind::Int32 => "int32",
        Kind::Int64 => "int64",
        Kind::Uint32 => "uint32",
        Kind::Uint64 => "uint64",
        Kind::Sint32 => "sint32",
        Kind::Sint64 => "sint64",
        Kind::Fixed32 => "fixed32",
        Kind::Fixed64 => "fixed64",
        Kind::Sfixed32 => "sfixed32",
        Kind::Sfixed64 => "sfixed64",
        Kind::Bool => "bool",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Message(_) => "message",
        Kind::Enum(_) => "enum",
    }
}

/// A proto2 default as written in `[default = ...]`. Descriptors hold strings unescaped and
/// bytes already C-escaped.
fn default_text(kind: &Kind, raw: &str) -> String {
    match kind {
        Kind::String => quote(raw),
        Kind::Bytes => format!("\"{raw}\""),
        _ => raw.to_string(),
    }
}

/// protoc's default JSON name: lowerCamelCase of the field name.
fn default_json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The field's oneof unless it is the synthetic one of a proto3 `optional` field.
pub(crate) fn real_oneof(field: &FieldDescriptor) -> Option<OneofDescriptor> {
    field.containing_oneof().filter(|o| !is_synthetic(o))
}

/// prost-reflect's `is_synthetic` also says yes for a real oneof of one field; the
/// descriptor's `proto3_optional` flag is what tells them apart.
pub(crate) fn is_synthetic(oneof: &OneofDescriptor) -> bool {
    let mut fields = oneof.fields();
    match (fields.next(), fields.next()) {
        (Some(only), None) => only.field_descriptor_proto().proto3_optional(),
        _ => false,
    }
}

/// A message's fields in declaration order (prost-reflect iterates them by number).
pub(crate) fn declared_fields(message: &MessageDescriptor) -> Vec<FieldDescriptor> {
    message
        .descriptor_proto()
        .field
        .iter()
        .filter_map(|f| message.get_field_by_name(f.name()))
        .collect()
}

fn bracketed(options: &[String]) -> String {
    if options.is_empty() {
        String::new()
    } else {
        format!(" [{}]", options.join(", "))
    }
}

fn option_statements(options: &DynamicMessage, normalized: bool) -> String {
    option_list(options, normalized)
        .iter()
        .map(|o| format!("option {o};\n"))
        .collect()
}

/// Every option set in an options message, standard and custom (extensions), one
/// `name = value` per value (a repeated option repeats).
fn option_list(options: &DynamicMessage, normalized: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (field, value) in options.fields() {
        if field.name() == "uninterpreted_option" {
            continue;
        }
        push_option(&mut out, field.name(), &field.kind(), value);
    }
    for (ext, value) in options.extensions() {
        push_option(&mut out, &format!("(.{})", ext.full_name()), &ext.kind(), value);
    }
    if normalized {
        out.sort();
    }
    out
}

fn push_option(out: &mut Vec<String>, name: &str, kind: &Kind, value: &Value) {
    match value {
        Value::List(items) => {
            for item in items {
                out.push(format!("{name} = {}", value_text(kind, item)));
            }
        }
        other => out.push(format!("{name} = {}", value_text(kind, other))),
    }
}

fn value_text(kind: &Kind, value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::F32(x) => float_text(f64::from(*x)),
        Value::F64(x) => float_text(*x),
        Value::EnumNumber(n) => kind
            .as_enum()
            .and_then(|e| e.get_value(*n))
            .map(|v| v.name().to_string())
            .unwrap_or_else(|| n.to_string()),
        Value::Message(m) => {
            let text = m.to_string();
            if text.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {text} }}")
            }
        }
        // Strings and bytes: the text format's quoting is valid .proto string syntax.
        other => other.to_string(),
    }
}

fn float_text(x: f64) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{x:?}")
    }
}

/// A double-quoted .proto string literal.
pub(crate) fn quote(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

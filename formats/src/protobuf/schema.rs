//! Protobuf descriptor -> Connect schema (the reader side).

use super::*;

pub(super) const WRAPPERS: &[(&str, SchemaKind)] = &[
    ("google.protobuf.DoubleValue", SchemaKind::Float64),
    ("google.protobuf.FloatValue", SchemaKind::Float32),
    ("google.protobuf.Int64Value", SchemaKind::Int64),
    ("google.protobuf.UInt64Value", SchemaKind::Int64),
    ("google.protobuf.Int32Value", SchemaKind::Int32),
    ("google.protobuf.UInt32Value", SchemaKind::Int64),
    ("google.protobuf.BoolValue", SchemaKind::Boolean),
    ("google.protobuf.StringValue", SchemaKind::String),
    ("google.protobuf.BytesValue", SchemaKind::Bytes),
];

pub(super) fn logical(kind: SchemaKind, name: &str) -> Schema {
    let mut s = Schema::new(kind).named(name);
    s.version = Some(1);
    s
}

pub(super) fn kind_schema(kind: &Kind, depth: usize) -> Result<Schema, String> {
    Ok(match kind {
        Kind::Double => Schema::new(SchemaKind::Float64),
        Kind::Float => Schema::new(SchemaKind::Float32),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Schema::new(SchemaKind::Int32),
        Kind::Int64
        | Kind::Sint64
        | Kind::Sfixed64
        | Kind::Uint32
        | Kind::Fixed32
        | Kind::Uint64
        | Kind::Fixed64 => Schema::new(SchemaKind::Int64),
        Kind::Bool => Schema::new(SchemaKind::Boolean),
        Kind::String => Schema::new(SchemaKind::String),
        Kind::Bytes => Schema::new(SchemaKind::Bytes),
        Kind::Enum(e) => {
            let mut s = Schema::new(SchemaKind::String);
            s.parameters.insert("protobuf.type".into(), "enum".into());
            s.parameters.insert(
                "io.confluent.connect.protobuf.Enum".into(),
                e.full_name().to_owned(),
            );
            s
        }
        Kind::Message(m) => {
            let name = m.full_name();
            if let Some((_, k)) = WRAPPERS.iter().find(|(n, _)| *n == name) {
                return Ok(Schema::new(*k).optional());
            }
            match name {
                "google.protobuf.Timestamp" => logical(SchemaKind::Int64, TIMESTAMP).optional(),
                "google.type.Date" => logical(SchemaKind::Int32, DATE).optional(),
                "google.type.TimeOfDay" => logical(SchemaKind::Int32, TIME).optional(),
                "confluent.type.Decimal" => {
                    let mut s = logical(SchemaKind::Bytes, DECIMAL).optional();
                    s.parameters.insert(DECIMAL_SCALE.into(), "0".into());
                    s
                }
                _ => message_schema(m, depth + 1)?.optional(),
            }
        }
    })
}

pub(super) fn field_schema(f: &FieldDescriptor, depth: usize) -> Result<Schema, String> {
    if f.is_map() {
        let Kind::Message(entry) = f.kind() else {
            return Err(format!("map field {} without an entry message", f.name()));
        };
        let (Some(k), Some(v)) = (entry.get_field(1), entry.get_field(2)) else {
            return Err(format!("map field {} without key and value", f.name()));
        };
        return Ok(Schema::map(
            Arc::new(kind_schema(&k.kind(), depth)?),
            Arc::new(kind_schema(&v.kind(), depth)?),
        ));
    }
    let s = kind_schema(&f.kind(), depth)?;
    if f.is_list() {
        let mut item = s;
        item.optional = false;
        return Ok(Schema::array(Arc::new(item)));
    }
    let mut s = s;
    if f.supports_presence() {
        s.optional = true;
    }
    Ok(s)
}

/// A message's Connect schema. Recursive messages have none (Connect schemas are trees).
pub fn message_schema(m: &MessageDescriptor, depth: usize) -> Result<Schema, String> {
    if depth > 32 {
        return Err(format!(
            "message {} nests too deeply (a recursive message has no Connect form)",
            m.full_name()
        ));
    }
    let mut fields = Vec::new();
    for f in m.fields() {
        fields.push((f.name().to_owned(), Arc::new(field_schema(&f, depth)?)));
    }
    let mut s = Schema::structure(fields);
    if !m.name().starts_with("ConnectDefault") {
        s.name = Some(m.full_name().to_owned());
    }
    Ok(s)
}

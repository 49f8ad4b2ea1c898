//! Connect schema -> `.proto` text (the schema Weir registers).

use super::*;

pub(super) struct ProtoWriter {
    imports: std::collections::BTreeSet<&'static str>,
    unnamed: usize,
}

pub(super) fn simple(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

pub(super) fn pascal(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if out.is_empty() { "Field".into() } else { out }
}

impl ProtoWriter {
    /// The field type of `schema` (defining nested messages into `nested`).
    fn field_type(
        &mut self,
        schema: &Schema,
        field: &str,
        nested: &mut (String, Vec<String>),
        indent: &str,
    ) -> Result<String, String> {
        Ok(match (schema.kind, schema.name.as_deref()) {
            (SchemaKind::Bytes, Some(DECIMAL)) => {
                self.imports.insert("confluent/type/decimal.proto");
                "confluent.type.Decimal".into()
            }
            (SchemaKind::Int32, Some(DATE)) => {
                self.imports.insert("google/type/date.proto");
                "google.type.Date".into()
            }
            (SchemaKind::Int32, Some(TIME)) => {
                self.imports.insert("google/type/timeofday.proto");
                "google.type.TimeOfDay".into()
            }
            (SchemaKind::Int64, Some(TIMESTAMP)) => {
                self.imports.insert("google/protobuf/timestamp.proto");
                "google.protobuf.Timestamp".into()
            }
            (SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32, _) => "int32".into(),
            (SchemaKind::Int64, _) => "int64".into(),
            (SchemaKind::Float32, _) => "float".into(),
            (SchemaKind::Float64, _) => "double".into(),
            (SchemaKind::Boolean, _) => "bool".into(),
            (SchemaKind::String, _) => "string".into(),
            (SchemaKind::Bytes, _) => "bytes".into(),
            (SchemaKind::Struct, name) => {
                let msg = match name {
                    Some(n) => simple(n).to_owned(),
                    None => pascal(field),
                };
                // A struct used twice in one message is defined once.
                if !nested.1.contains(&msg) {
                    nested.1.push(msg.clone());
                    self.message(schema, &msg, &mut nested.0, indent)?;
                }
                msg
            }
            (SchemaKind::Array, _) | (SchemaKind::Map, _) => {
                return Err(format!(
                    "field {field}: an array or map directly inside an array or map has no Protobuf form"
                ));
            }
        })
    }

    fn message(&mut self, schema: &Schema, name: &str, out: &mut String, indent: &str) -> Result<(), String> {
        let inner = format!("{indent}  ");
        let mut body = String::new();
        let mut nested = (String::new(), Vec::new());
        for f in &schema.fields {
            let number = f.index + 1;
            let fs = &f.schema;
            let line = match fs.kind {
                SchemaKind::Array => {
                    let items = fs.value_schema.as_deref().ok_or("array without items")?;
                    format!(
                        "repeated {} {} = {number};",
                        self.field_type(items, &f.name, &mut nested, &inner)?,
                        f.name
                    )
                }
                SchemaKind::Map => {
                    let (Some(k), Some(v)) = (fs.key_schema.as_deref(), fs.value_schema.as_deref()) else {
                        return Err(format!("field {}: map without key or value schema", f.name));
                    };
                    let key_ok = matches!(
                        k.kind,
                        SchemaKind::String | SchemaKind::Int32 | SchemaKind::Int64 | SchemaKind::Boolean
                    ) && k.name.is_none();
                    let vt = self.field_type(v, &format!("{}_value", f.name), &mut nested, &inner)?;
                    if key_ok {
                        let kt = self.field_type(k, &f.name, &mut nested, &inner)?;
                        format!("map<{kt}, {vt}> {} = {number};", f.name)
                    } else {
                        let kt = self.field_type(k, &format!("{}_key", f.name), &mut nested, &inner)?;
                        let entry = format!("{}Entry", pascal(&f.name));
                        nested.0.push_str(&format!(
                            "{inner}message {entry} {{\n{inner}  {kt} key = 1;\n{inner}  {vt} value = 2;\n{inner}}}\n"
                        ));
                        format!("repeated {entry} {} = {number};", f.name)
                    }
                }
                _ => {
                    let t = self.field_type(fs, &f.name, &mut nested, &inner)?;
                    let scalar = !t.contains('.') && fs.kind != SchemaKind::Struct;
                    if fs.optional && scalar {
                        format!("optional {t} {} = {number};", f.name)
                    } else {
                        format!("{t} {} = {number};", f.name)
                    }
                }
            };
            body.push_str(&format!("{inner}{line}\n"));
        }
        out.push_str(&format!(
            "{indent}message {name} {{\n{}{body}{indent}}}\n",
            nested.0
        ));
        Ok(())
    }
}

/// Connect struct schema -> `.proto` text, and the root message's full name.
pub fn to_proto(schema: &Schema) -> Result<(String, String), String> {
    if schema.kind != SchemaKind::Struct {
        return Err(format!(
            "a {} schema has no Protobuf form: ProtobufConverter writes structs",
            schema.kind.connect_name()
        ));
    }
    let mut w = ProtoWriter {
        imports: Default::default(),
        unnamed: 0,
    };
    let (package, name) = match schema.name.as_deref() {
        Some(n) => match n.rsplit_once('.') {
            Some((p, s)) => (Some(p.to_owned()), s.to_owned()),
            None => (None, n.to_owned()),
        },
        None => {
            w.unnamed += 1;
            (None, format!("ConnectDefault{}", w.unnamed))
        }
    };
    let mut messages = String::new();
    w.message(schema, &name, &mut messages, "")?;
    let mut text = String::from("syntax = \"proto3\";\n");
    if let Some(p) = &package {
        text.push_str(&format!("package {p};\n"));
    }
    for i in &w.imports {
        text.push_str(&format!("import \"{i}\";\n"));
    }
    text.push('\n');
    text.push_str(&messages);
    let full = match package {
        Some(p) => format!("{p}.{name}"),
        None => name,
    };
    Ok((text, full))
}

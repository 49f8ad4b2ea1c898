//! Connect schema -> `.proto` text (the schema Weir registers), as Confluent's
//! `ProtobufData.fromConnectSchema` builds it:
//!
//! - the root struct is a proto3 message named after the schema (package up to the last dot),
//!   `ConnectDefault1` when unnamed; nested structs are nested messages named by their simple
//!   name (`ConnectDefault<n>` when unnamed, numbered in the order met; `<name>Message` when the
//!   name equals the field's), defined once per parent;
//! - field numbers come from the `io.confluent.connect.protobuf.Tag` parameter, else count
//!   1, 2, ... over the fields without one (a union struct counts too);
//! - int8 / int16 are `int32` with `(confluent.field_meta).params` `connect.type`; int32 / int64
//!   take the `io.confluent.connect.protobuf.Type` parameter (`sint32`, `uint64`, ...) when set;
//!   a string (or int32) with `io.confluent.connect.protobuf.Enum` parameters is a nested enum;
//! - an optional field is a plain proto3 field (null is not written and reads back as the
//!   default), `optional` with `optional.for.nullables`, a `google.protobuf.*Value` wrapper with
//!   `wrapper.for.nullables` (primitives only);
//! - arrays are `repeated`; maps are `repeated <Name>Entry` of a nested `{ key = 1; value = 2; }`
//!   message (Confluent's form; the wire bytes are those of a `map<K, V>`);
//! - a struct named `io.confluent.connect.protobuf.Union.<name>` is `oneof <name>`;
//! - Decimal is `confluent.type.Decimal` (`precision` / `scale` in the field meta), Date
//!   `google.type.Date`, Time `google.type.TimeOfDay`, Timestamp `google.protobuf.Timestamp`;
//! - with `scrub.invalid.names`, names that are not Protobuf identifiers are rewritten as
//!   Confluent rewrites them (URL-encoded, then anything but `[A-Za-z0-9_]` as `_`, and an `x`
//!   before a leading digit or `_`).
//!
//! Proto3 has no field defaults, so Connect defaults are not written (as Confluent).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::plan::ProtobufOptions;
use super::schema::{CONNECT_TYPE, ENUM, PRECISION, TAG, TYPE, UNION_PREFIX};
use super::*;

/// Confluent's `doScrubName`.
pub fn scrub(name: &str) -> String {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let bad_start = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || c == '_');
    if name.is_empty() || (name.chars().all(ident) && !bad_start(name.chars().next())) {
        return name.to_owned();
    }
    let mut encoded = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || ".-*_".contains(c) {
            encoded.push(c);
        } else if c == ' ' {
            encoded.push('+');
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(encoded, "%{b:02X}");
            }
        }
    }
    if bad_start(encoded.chars().next()) {
        encoded.insert(0, 'x');
    }
    encoded.chars().map(|c| if ident(c) { c } else { '_' }).collect()
}

fn is_union(s: &Schema) -> bool {
    s.kind == SchemaKind::Struct && s.name.as_deref().is_some_and(|n| n.starts_with(UNION_PREFIX))
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Confluent's `toMapEntry`: `map_type` -> `MapTypeEntry`, `attrs` -> `attrsEntry`.
fn map_entry_name(s: &str) -> String {
    if !s.contains('_') {
        return format!("{s}Entry");
    }
    let mut out = String::new();
    for part in s.split('_').filter(|p| !p.is_empty()) {
        let mut cs = part.chars();
        if let Some(c) = cs.next() {
            out.extend(c.to_uppercase());
            out.extend(cs.flat_map(|c| c.to_lowercase()));
        }
    }
    out.push_str("Entry");
    out
}

struct Writer<'a> {
    opts: &'a ProtobufOptions,
    imports: BTreeSet<&'static str>,
    unnamed: usize,
}

/// What one message definition collects while its fields are written.
#[derive(Default)]
struct Body {
    fields: String,
    nested: String,
    defined: BTreeSet<String>,
    next_tag: u32,
}

impl Writer<'_> {
    fn scrubbed(&self, name: &str) -> String {
        if self.opts.scrub_invalid_names {
            scrub(name)
        } else {
            name.to_owned()
        }
    }

    fn name_or_default(&mut self, name: Option<&str>) -> String {
        match name {
            Some(n) if !n.is_empty() => n.to_owned(),
            _ => {
                self.unnamed += 1;
                format!("ConnectDefault{}", self.unnamed)
            }
        }
    }

    fn unqualified(&mut self, name: Option<&str>) -> String {
        let full = self.name_or_default(name);
        let simple = full.rsplit('.').next().unwrap_or(&full).to_owned();
        self.scrubbed(&simple)
    }

    fn tag(&self, schema: &Schema, body: &mut Body) -> Result<u32, String> {
        match schema.parameters.get(TAG) {
            Some(t) => t
                .parse()
                .map_err(|_| format!("{TAG} {t:?} is not a field number")),
            None => {
                let t = body.next_tag;
                body.next_tag += 1;
                Ok(t)
            }
        }
    }

    fn wrapped(&self, schema: &Schema) -> bool {
        self.opts.wrapper_for_nullables && schema.optional
    }

    fn wrapper(&mut self, name: &'static str) -> String {
        self.imports.insert("google/protobuf/wrappers.proto");
        format!("google.protobuf.{name}")
    }

    /// The field type of `schema` (Confluent's `dataTypeFromConnectSchema`).
    fn data_type(
        &mut self,
        schema: &Schema,
        field: &str,
        params: &mut BTreeMap<String, String>,
    ) -> Result<String, String> {
        let p = &schema.parameters;
        match (schema.kind, schema.name.as_deref()) {
            (SchemaKind::Bytes, Some(DECIMAL)) => {
                if let Some(v) = p.get(PRECISION) {
                    params.insert("precision".into(), v.clone());
                }
                if let Some(v) = p.get(DECIMAL_SCALE) {
                    params.insert("scale".into(), v.clone());
                }
                self.imports.insert("confluent/type/decimal.proto");
                return Ok("confluent.type.Decimal".into());
            }
            (SchemaKind::Int32, Some(DATE)) => {
                self.imports.insert("google/type/date.proto");
                return Ok("google.type.Date".into());
            }
            (SchemaKind::Int32, Some(TIME)) => {
                self.imports.insert("google/type/timeofday.proto");
                return Ok("google.type.TimeOfDay".into());
            }
            (SchemaKind::Int64, Some(TIMESTAMP)) => {
                self.imports.insert("google/protobuf/timestamp.proto");
                return Ok("google.protobuf.Timestamp".into());
            }
            _ => {}
        }
        let typed = |default: &str| p.get(TYPE).cloned().unwrap_or_else(|| default.to_owned());
        Ok(match schema.kind {
            SchemaKind::Int8 | SchemaKind::Int16 => {
                params.insert(CONNECT_TYPE.into(), schema.kind.connect_name().into());
                if self.wrapped(schema) {
                    self.wrapper("Int32Value")
                } else {
                    "int32".into()
                }
            }
            SchemaKind::Int32 => match p.get(ENUM) {
                Some(e) => e.clone(),
                None if self.wrapped(schema) => self.wrapper("Int32Value"),
                None => typed("int32"),
            },
            SchemaKind::Int64 => {
                let t = typed("int64");
                if self.wrapped(schema) {
                    match t.as_str() {
                        "uint32" | "fixed32" => self.wrapper("UInt32Value"),
                        "uint64" | "fixed64" => self.wrapper("UInt64Value"),
                        _ => self.wrapper("Int64Value"),
                    }
                } else {
                    t
                }
            }
            SchemaKind::Float32 if self.wrapped(schema) => self.wrapper("FloatValue"),
            SchemaKind::Float32 => "float".into(),
            SchemaKind::Float64 if self.wrapped(schema) => self.wrapper("DoubleValue"),
            SchemaKind::Float64 => "double".into(),
            SchemaKind::Boolean if self.wrapped(schema) => self.wrapper("BoolValue"),
            SchemaKind::Boolean => "bool".into(),
            SchemaKind::String => match p.get(ENUM) {
                Some(e) => e.clone(),
                None if self.wrapped(schema) => self.wrapper("StringValue"),
                None => "string".into(),
            },
            SchemaKind::Bytes if self.wrapped(schema) => self.wrapper("BytesValue"),
            SchemaKind::Bytes => "bytes".into(),
            SchemaKind::Array => {
                return Err(format!(
                    "field {field}: an array directly inside an array has no Protobuf form"
                ));
            }
            SchemaKind::Map => {
                let n = self.unqualified(schema.name.as_deref());
                map_entry_name(&n)
            }
            SchemaKind::Struct => {
                let n = self.unqualified(schema.name.as_deref());
                if n == field { format!("{n}Message") } else { n }
            }
        })
    }

    fn define_enum(&self, schema: &Schema, name: &str, body: &mut Body, indent: &str) {
        if !body.defined.insert(name.to_owned()) {
            return;
        }
        let prefix = format!("{ENUM}.");
        let mut values: Vec<(i64, &str)> = schema
            .parameters
            .iter()
            .filter_map(|(k, v)| Some((v.parse().ok()?, k.strip_prefix(&prefix)?)))
            .collect();
        values.sort();
        let _ = writeln!(body.nested, "{indent}enum {name} {{");
        for (n, sym) in values {
            let _ = writeln!(body.nested, "{indent}  {sym} = {n};");
        }
        let _ = writeln!(body.nested, "{indent}}}");
    }

    /// One field line (or a oneof) of the message whose body is `body`, named `parent`.
    fn field(
        &mut self,
        schema: &Schema,
        name: &str,
        tag: u32,
        parent: &str,
        body: &mut Body,
        indent: &str,
    ) -> Result<(), String> {
        let (label, schema) = match schema.kind {
            SchemaKind::Array => (
                "repeated ",
                schema.value_schema.as_deref().ok_or("array without items")?,
            ),
            SchemaKind::Map => ("repeated ", schema),
            _ if self.opts.optional_for_nullables && schema.optional => ("optional ", schema),
            _ => ("", schema),
        };
        if is_union(schema) {
            let union = schema.name.as_deref().unwrap_or_default();
            let oneof = self.scrubbed(union.rsplit('.').next().unwrap_or(union));
            let mut lines = String::new();
            for m in &schema.fields {
                let mtag = self.tag(&m.schema, body)?;
                let mut params = BTreeMap::new();
                let mname = self.scrubbed(&m.name);
                let ty = self.data_type(&m.schema, &mname, &mut params)?;
                self.define(&m.schema, &ty, parent, body, indent)?;
                let _ = writeln!(
                    lines,
                    "{indent}    {ty} {mname} = {mtag}{};",
                    self.options(&params)
                );
            }
            let _ = writeln!(body.fields, "{indent}  oneof {oneof} {{\n{lines}{indent}  }}");
            return Ok(());
        }
        let mut params = BTreeMap::new();
        let ty = self.data_type(schema, name, &mut params)?;
        self.define(schema, &ty, parent, body, indent)?;
        let _ = writeln!(
            body.fields,
            "{indent}  {label}{ty} {name} = {tag}{};",
            self.options(&params)
        );
        Ok(())
    }

    /// Defines the nested message or enum a field of type `ty` needs, once per parent.
    fn define(
        &mut self,
        schema: &Schema,
        ty: &str,
        parent: &str,
        body: &mut Body,
        indent: &str,
    ) -> Result<(), String> {
        let inner = format!("{indent}  ");
        match schema.kind {
            SchemaKind::Struct if ty != parent && !body.defined.contains(ty) => {
                body.defined.insert(ty.to_owned());
                let text = self.message(schema, ty, &inner)?;
                body.nested.push_str(&text);
            }
            SchemaKind::Map if !body.defined.contains(ty) => {
                body.defined.insert(ty.to_owned());
                let (Some(k), Some(v)) = (schema.key_schema.as_deref(), schema.value_schema.as_deref())
                else {
                    return Err(format!("map {ty} without key or value schema"));
                };
                let mut entry = Body::default();
                self.field(k, "key", 1, ty, &mut entry, &inner)?;
                self.field(v, "value", 2, ty, &mut entry, &inner)?;
                let _ = write!(
                    body.nested,
                    "{inner}message {ty} {{\n{}{}{inner}}}\n",
                    entry.nested, entry.fields
                );
            }
            SchemaKind::String | SchemaKind::Int32 if schema.parameters.contains_key(ENUM) => {
                self.define_enum(schema, ty, body, &inner);
            }
            _ => {}
        }
        Ok(())
    }

    fn options(&mut self, params: &BTreeMap<String, String>) -> String {
        if params.is_empty() {
            return String::new();
        }
        self.imports.insert("confluent/meta.proto");
        let entries: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{{ key: {}, value: {} }}", quote(k), quote(v)))
            .collect();
        format!(
            " [(confluent.field_meta) = {{ params: [{}] }}]",
            entries.join(", ")
        )
    }

    fn message(&mut self, schema: &Schema, name: &str, indent: &str) -> Result<String, String> {
        let mut body = Body {
            next_tag: 1,
            ..Body::default()
        };
        for f in &schema.fields {
            let tag = self.tag(&f.schema, &mut body)?;
            let fname = self.scrubbed(&f.name);
            self.field(&f.schema, &fname, tag, name, &mut body, indent)?;
        }
        Ok(format!(
            "{indent}message {name} {{\n{}{}{indent}}}\n",
            body.nested, body.fields
        ))
    }
}

/// Connect struct schema -> `.proto` text, and the root message's full name.
pub fn to_proto(schema: &Schema, opts: &ProtobufOptions) -> Result<(String, String), String> {
    if schema.kind != SchemaKind::Struct {
        return Err(format!(
            "a {} schema has no Protobuf form: ProtobufConverter writes structs",
            schema.kind.connect_name()
        ));
    }
    let mut w = Writer {
        opts,
        imports: BTreeSet::new(),
        unnamed: 0,
    };
    let full = w.name_or_default(schema.name.as_deref());
    let (package, name) = match full.rsplit_once('.') {
        Some((p, s)) => {
            let p: Vec<String> = p.split('.').map(|c| w.scrubbed(c)).collect();
            (Some(p.join(".")), w.scrubbed(s))
        }
        None => (None, w.scrubbed(&full)),
    };
    let message = w.message(schema, &name, "")?;
    let mut text = String::from("syntax = \"proto3\";\n");
    if let Some(p) = &package {
        let _ = writeln!(text, "package {p};");
    }
    for i in &w.imports {
        let _ = writeln!(text, "import \"{i}\";");
    }
    text.push('\n');
    text.push_str(&message);
    let full = match package {
        Some(p) => format!("{p}.{name}"),
        None => name,
    };
    Ok((text, full))
}

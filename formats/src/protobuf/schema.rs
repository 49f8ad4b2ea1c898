//! Protobuf descriptor -> Connect schema and decoding plan (the reader side), as Confluent's
//! `ProtobufData.toConnectSchema` maps them:
//!
//! - a message is a struct named by the message's simple name (full name with
//!   `enhanced.protobuf.schema.support`); its real oneofs come first, each as an optional struct
//!   field `<oneof>_<index>` (just `<oneof>` with `generate.index.for.unions=false`) whose schema
//!   is named `io.confluent.connect.protobuf.Union.<oneof>`, then the other fields in declaration
//!   order;
//! - every field schema carries `io.confluent.connect.protobuf.Tag` = its number; int32 kinds are
//!   int32 (int8 / int16 when the field's `confluent.field_meta` says `connect.type`), the other
//!   integer kinds int64, each with `io.confluent.connect.protobuf.Type` when not plain
//!   int32 / int64; enums are strings (int32 with `int.for.enums`) with
//!   `io.confluent.connect.protobuf.Enum` parameters;
//! - fields are optional unless `optional.for.nullables` (then only those with the `optional`
//!   keyword, messages, enums and repeated ones) or `wrapper.for.nullables` (then messages,
//!   enums, repeated);
//! - repeated fields are arrays of optional items; map fields (and repeated `XEntry` messages of
//!   a `key` and a `value`) are maps named after the field;
//! - `confluent.type.Decimal`, `google.type.Date`, `google.type.TimeOfDay` and
//!   `google.protobuf.Timestamp` are the Connect logical types; the `google.protobuf.*Value`
//!   wrappers are optional primitives with `wrapper.for.nullables`, else structs of one `value`.

use super::plan::*;
use super::*;

pub(super) const TAG: &str = "io.confluent.connect.protobuf.Tag";
pub(super) const TYPE: &str = "io.confluent.connect.protobuf.Type";
pub(super) const ENUM: &str = "io.confluent.connect.protobuf.Enum";
pub(super) const UNION_PREFIX: &str = "io.confluent.connect.protobuf.Union";
pub(super) const CONNECT_TYPE: &str = "connect.type";
pub(super) const PRECISION: &str = "connect.decimal.precision";

pub(super) const WRAPPERS: &[(&str, Scalar)] = &[
    ("google.protobuf.DoubleValue", Scalar::Double),
    ("google.protobuf.FloatValue", Scalar::Float),
    ("google.protobuf.Int64Value", Scalar::Int64),
    ("google.protobuf.UInt64Value", Scalar::Uint64),
    ("google.protobuf.Int32Value", Scalar::Int32),
    ("google.protobuf.UInt32Value", Scalar::Uint32),
    ("google.protobuf.BoolValue", Scalar::Bool),
    ("google.protobuf.StringValue", Scalar::String),
    ("google.protobuf.BytesValue", Scalar::Bytes),
];

pub(super) fn logical(kind: SchemaKind, name: &str) -> Schema {
    let mut s = Schema::new(kind).named(name);
    s.version = Some(1);
    s
}

pub(super) fn scalar_of(kind: &Kind) -> Option<Scalar> {
    Some(match kind {
        Kind::Double => Scalar::Double,
        Kind::Float => Scalar::Float,
        Kind::Int32 => Scalar::Int32,
        Kind::Int64 => Scalar::Int64,
        Kind::Uint32 => Scalar::Uint32,
        Kind::Uint64 => Scalar::Uint64,
        Kind::Sint32 => Scalar::Sint32,
        Kind::Sint64 => Scalar::Sint64,
        Kind::Fixed32 => Scalar::Fixed32,
        Kind::Fixed64 => Scalar::Fixed64,
        Kind::Sfixed32 => Scalar::Sfixed32,
        Kind::Sfixed64 => Scalar::Sfixed64,
        Kind::Bool => Scalar::Bool,
        Kind::String => Scalar::String,
        Kind::Bytes => Scalar::Bytes,
        Kind::Message(_) | Kind::Enum(_) => return None,
    })
}

/// The Connect schema of a scalar, with Confluent's `Type` parameter for the unusual kinds.
fn scalar_schema(s: Scalar, int_as: IntAs) -> Schema {
    let (kind, type_param) = match s {
        Scalar::Double => (SchemaKind::Float64, None),
        Scalar::Float => (SchemaKind::Float32, None),
        Scalar::Bool => (SchemaKind::Boolean, None),
        Scalar::String => (SchemaKind::String, None),
        Scalar::Bytes => (SchemaKind::Bytes, None),
        Scalar::Int32 | Scalar::Sint32 | Scalar::Sfixed32 => {
            let kind = match int_as {
                IntAs::Int8 => SchemaKind::Int8,
                IntAs::Int16 => SchemaKind::Int16,
                _ => SchemaKind::Int32,
            };
            let t = match s {
                Scalar::Sint32 => Some("sint32"),
                Scalar::Sfixed32 => Some("sfixed32"),
                _ => None,
            };
            (kind, if kind == SchemaKind::Int32 { t } else { None })
        }
        Scalar::Int64 => (SchemaKind::Int64, None),
        Scalar::Uint32 => (SchemaKind::Int64, Some("uint32")),
        Scalar::Uint64 => (SchemaKind::Int64, Some("uint64")),
        Scalar::Sint64 => (SchemaKind::Int64, Some("sint64")),
        Scalar::Fixed32 => (SchemaKind::Int64, Some("fixed32")),
        Scalar::Fixed64 => (SchemaKind::Int64, Some("fixed64")),
        Scalar::Sfixed64 => (SchemaKind::Int64, Some("sfixed64")),
    };
    let mut schema = Schema::new(kind);
    if let Some(t) = type_param {
        schema.parameters.insert(TYPE.into(), t.into());
    }
    schema
}

fn int_as(s: Scalar, meta: &BTreeMap<String, String>) -> IntAs {
    match s {
        Scalar::Int32 | Scalar::Sint32 | Scalar::Sfixed32 => match meta.get(CONNECT_TYPE).map(String::as_str)
        {
            Some("int8") => IntAs::Int8,
            Some("int16") => IntAs::Int16,
            _ => IntAs::Int32,
        },
        _ => IntAs::Int64,
    }
}

/// The `params` of a field's `(confluent.field_meta)` option.
pub(super) fn field_meta(f: &FieldDescriptor) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(ext) = f.parent_pool().get_extension_by_name("confluent.field_meta") else {
        return out;
    };
    let options = f.options();
    if !options.has_extension(&ext) {
        return out;
    }
    if let Pv::Message(meta) = options.get_extension(&ext).as_ref()
        && let Some(params) = meta.get_field_by_name("params")
        && let Pv::Map(entries) = params.as_ref()
    {
        for (k, v) in entries {
            if let (MapKey::String(k), Pv::String(v)) = (k, v) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

pub(super) fn enum_def(e: &prost_reflect::EnumDescriptor) -> EnumDef {
    let mut by_number = HashMap::new();
    let mut by_name = HashMap::new();
    let mut first = None;
    for v in e.values() {
        first.get_or_insert(v.number());
        by_number.entry(v.number()).or_insert_with(|| v.name().to_owned());
        by_name.insert(v.name().to_owned(), v.number());
    }
    let default = if by_number.contains_key(&0) {
        0
    } else {
        first.unwrap_or(0)
    };
    EnumDef {
        full_name: e.full_name().to_owned(),
        by_number,
        by_name,
        default,
    }
}

/// Confluent's `toMapField`: `MapTypeEntry` -> `map_type` (on the last dotted part).
fn map_field_name(entry: &str) -> String {
    let (prefix, last) = match entry.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, entry),
    };
    let mut out = String::new();
    if let Some(stem) = last.strip_suffix("Entry") {
        for (i, c) in stem.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
    } else {
        out.push_str(last);
    }
    match prefix {
        Some(p) => format!("{p}.{out}"),
        None => out,
    }
}

/// The key and value fields of a map entry, by Confluent's rule (`XEntry` with exactly `key`
/// and `value`, neither repeated) or the `map_entry` option.
pub(super) fn map_entry(f: &FieldDescriptor) -> Option<(FieldDescriptor, FieldDescriptor)> {
    if f.cardinality() != prost_reflect::Cardinality::Repeated {
        return None;
    }
    let Kind::Message(m) = f.kind() else { return None };
    let fields: Vec<FieldDescriptor> = m.fields().collect();
    let shaped = fields.len() == 2
        && fields[0].name() == "key"
        && fields[1].name() == "value"
        && !fields[0].is_list()
        && !fields[0].is_map()
        && !fields[1].is_list()
        && !fields[1].is_map();
    if shaped && (m.is_map_entry() || m.name().ends_with("Entry")) {
        let mut it = fields.into_iter();
        return Some((it.next()?, it.next()?));
    }
    None
}

/// `optional` in the source: proto3 `optional`, or a proto2 optional field.
fn has_optional_keyword(f: &FieldDescriptor) -> bool {
    f.field_descriptor_proto().proto3_optional()
        || (f.parent_file().syntax() == prost_reflect::Syntax::Proto2
            && f.cardinality() == prost_reflect::Cardinality::Optional)
}

pub(super) struct Reader<'a> {
    pub opts: &'a ProtobufOptions,
}

impl Reader<'_> {
    fn name_of(&self, simple: &str, full: &str) -> String {
        if self.opts.enhanced { full } else { simple }.to_owned()
    }

    /// One value's Connect schema (not yet optional, without Tag) and its leaf or message plan.
    fn value(&self, f: &FieldDescriptor, depth: usize) -> Result<(Schema, Ty<MsgPlan>), String> {
        if f.is_group() {
            return Err(format!("field {}: proto2 groups have no Connect form", f.name()));
        }
        let meta = field_meta(f);
        Ok(match f.kind() {
            Kind::Enum(e) => {
                let def = Arc::new(enum_def(&e));
                let mut s = Schema::new(if self.opts.int_for_enums {
                    SchemaKind::Int32
                } else {
                    SchemaKind::String
                })
                .named(self.name_of(e.name(), e.full_name()));
                s.parameters.insert(ENUM.into(), e.name().to_owned());
                for v in e.values() {
                    s.parameters
                        .insert(format!("{ENUM}.{}", v.name()), v.number().to_string());
                }
                (s.optional(), Ty::Leaf(Leaf::Enum(def, self.opts.int_for_enums)))
            }
            Kind::Message(m) => {
                let (s, ty) = match m.full_name() {
                    "google.protobuf.Timestamp" => {
                        (logical(SchemaKind::Int64, TIMESTAMP), Ty::Leaf(Leaf::Timestamp))
                    }
                    "google.type.Date" => (logical(SchemaKind::Int32, DATE), Ty::Leaf(Leaf::Date)),
                    "google.type.TimeOfDay" => (logical(SchemaKind::Int32, TIME), Ty::Leaf(Leaf::Time)),
                    "confluent.type.Decimal" => {
                        let scale: i32 = meta.get("scale").and_then(|s| s.parse().ok()).unwrap_or(0);
                        let mut s = logical(SchemaKind::Bytes, DECIMAL);
                        s.parameters.insert(DECIMAL_SCALE.into(), scale.to_string());
                        if let Some(p) = meta.get("precision").and_then(|p| p.parse::<u32>().ok()) {
                            s.parameters.insert(PRECISION.into(), p.to_string());
                        }
                        (s, Ty::Leaf(Leaf::Decimal(scale)))
                    }
                    name => match WRAPPERS.iter().find(|(n, _)| *n == name) {
                        Some((_, sc)) if self.opts.wrapper_for_nullables => {
                            let ia = if *sc == Scalar::Int32 {
                                IntAs::Int32
                            } else {
                                IntAs::Int64
                            };
                            (scalar_schema(*sc, ia), Ty::Leaf(Leaf::Wrapper(*sc, ia)))
                        }
                        _ => {
                            let (s, plan) = self.message(&m, depth + 1)?;
                            (s, Ty::Message(Arc::new(plan)))
                        }
                    },
                };
                (s.optional(), ty)
            }
            kind => {
                let sc = scalar_of(&kind).ok_or("unexpected kind")?;
                let ia = int_as(sc, &meta);
                (scalar_schema(sc, ia), Ty::Leaf(Leaf::Scalar(sc, ia)))
            }
        })
    }

    /// A field's Connect schema, shape and plan.
    fn field(&self, f: &FieldDescriptor, depth: usize) -> Result<(Schema, Shape, Ty<MsgPlan>), String> {
        let (mut schema, shape, ty) = if let Some((k, v)) = map_entry(f) {
            let (mut ks, kt) = self.value(&k, depth + 1)?;
            let (mut vs, vt) = self.value(&v, depth + 1)?;
            self.finish(&mut ks, &k);
            self.finish(&mut vs, &v);
            let Kind::Message(entry) = f.kind() else {
                return Err(format!("map field {} without an entry message", f.name()));
            };
            let name = map_field_name(&self.name_of(entry.name(), entry.full_name()));
            let s = Schema::map(Arc::new(ks), Arc::new(vs)).named(name).optional();
            (s, Shape::Map(Box::new(kt)), vt)
        } else if f.is_list() {
            let (item, ty) = self.value(f, depth)?;
            (
                Schema::array(Arc::new(item.optional())).optional(),
                Shape::Repeated,
                ty,
            )
        } else {
            let (s, ty) = self.value(f, depth)?;
            (s, Shape::Single, ty)
        };
        self.finish(&mut schema, f);
        Ok((schema, shape, ty))
    }

    /// Optionality by Confluent's options, and the Tag parameter.
    fn finish(&self, schema: &mut Schema, f: &FieldDescriptor) {
        if self.opts.optional_for_nullables {
            if has_optional_keyword(f) {
                schema.optional = true;
            }
        } else if !self.opts.wrapper_for_nullables {
            schema.optional = true;
        }
        schema.parameters.insert(TAG.into(), f.number().to_string());
    }

    /// A message's Connect schema and plan. Recursive messages have none (Connect schemas
    /// are trees).
    pub fn message(&self, m: &MessageDescriptor, depth: usize) -> Result<(Schema, MsgPlan), String> {
        if depth > 32 {
            return Err(format!(
                "message {} nests too deeply (a recursive message has no Connect form)",
                m.full_name()
            ));
        }
        let mut fields = Vec::new();
        let mut slots = Vec::new();
        let mut initial = Vec::new();
        for (oneof_index, o) in m.oneofs().enumerate().filter(|(_, o)| !o.is_synthetic()) {
            let field_index = fields.len();
            let members: Vec<FieldDescriptor> = o.fields().collect();
            let mut union = Vec::new();
            for (member, f) in members.iter().enumerate() {
                let (mut s, shape, ty) = self.field(f, depth)?;
                s.optional = true;
                union.push((f.name().to_owned(), Arc::new(s)));
                slots.push(Slot {
                    number: f.number(),
                    name: f.name().to_owned(),
                    target: Target::Oneof {
                        field: field_index,
                        member,
                        width: members.len(),
                    },
                    shape,
                    ty,
                });
            }
            let union_name = self.name_of(o.name(), &format!("{}.{}", m.full_name(), o.name()));
            let us = Schema::structure(union)
                .named(format!("{UNION_PREFIX}.{union_name}"))
                .optional();
            let field_name = if self.opts.generate_index_for_unions {
                format!("{}_{oneof_index}", o.name())
            } else {
                o.name().to_owned()
            };
            fields.push((field_name, Arc::new(us)));
            initial.push(Value::Null);
        }
        // Declaration order, as Confluent (prost-reflect iterates by number).
        let declared = m
            .descriptor_proto()
            .field
            .iter()
            .filter_map(|f| m.get_field(u32::try_from(f.number()).ok()?));
        for f in declared {
            if f.containing_oneof().is_some_and(|o| !o.is_synthetic()) {
                continue;
            }
            let (schema, shape, ty) = self.field(&f, depth)?;
            initial.push(self.initial(&f, &shape, &ty));
            slots.push(Slot {
                number: f.number(),
                name: f.name().to_owned(),
                target: Target::Field(fields.len()),
                shape,
                ty,
            });
            fields.push((f.name().to_owned(), Arc::new(schema)));
        }
        let mut s = Schema::structure(fields).named(self.name_of(m.name(), m.full_name()));
        s.optional = false;
        let mut plan = MsgPlan {
            slots,
            dense: Vec::new(),
            sparse: Vec::new(),
            initial,
        };
        plan.index();
        Ok((s, plan))
    }

    /// A field's value when it is absent from the bytes, as Confluent reads it: empty for
    /// repeated and maps; null for messages and fields with the `optional` keyword; else the
    /// default value.
    fn initial(&self, f: &FieldDescriptor, shape: &Shape, ty: &Ty<MsgPlan>) -> Value {
        match shape {
            Shape::Repeated => return Value::Array(Vec::new()),
            Shape::Map(..) => return Value::Map(Vec::new()),
            Shape::Single => {}
        }
        let proto3_optional = f.field_descriptor_proto().proto3_optional();
        if proto3_optional || (self.opts.optional_for_proto2 && has_optional_keyword(f)) {
            return Value::Null;
        }
        match ty {
            Ty::Message(_) => Value::Null,
            Ty::Leaf(Leaf::Enum(def, as_int)) => {
                let n = match f.default_value() {
                    Pv::EnumNumber(n) => n,
                    _ => def.default,
                };
                if *as_int {
                    Value::Int32(n)
                } else {
                    Value::String(def.name_of(n))
                }
            }
            Ty::Leaf(Leaf::Scalar(_, ia)) => default_scalar(&f.default_value(), *ia),
            Ty::Leaf(_) => Value::Null,
        }
    }
}

fn default_scalar(v: &Pv, ia: IntAs) -> Value {
    match v {
        Pv::Bool(b) => Value::Boolean(*b),
        Pv::I32(x) => match ia {
            IntAs::Int8 => Value::Int8(*x as i8),
            IntAs::Int16 => Value::Int16(*x as i16),
            _ => Value::Int32(*x),
        },
        Pv::I64(x) => Value::Int64(*x),
        Pv::U32(x) => Value::Int64(i64::from(*x)),
        Pv::U64(x) => Value::Int64(*x as i64),
        Pv::F32(x) => Value::Float32(*x),
        Pv::F64(x) => Value::Float64(*x),
        Pv::String(s) => Value::String(s.clone()),
        Pv::Bytes(b) => Value::Bytes(b.clone()),
        _ => Value::Null,
    }
}

/// A message's Connect schema under Confluent's default options (exposed for tests and tools).
pub fn message_schema(m: &MessageDescriptor, depth: usize) -> Result<Schema, String> {
    let opts = ProtobufOptions::default();
    Reader { opts: &opts }.message(m, depth).map(|(s, _)| s)
}

/// A message's Connect schema for records given as JSON (HTTP ingestion), under Confluent's
/// default options: as [`message_schema`], and every field without presence (a proto3 field
/// without `optional`: scalars, enums, repeated fields and maps) has as its default the value
/// a reader gives it when absent (0, "", false, the first enum value, empty), so a record that
/// leaves it out reads as that value, as protobuf's JSON mapping says. Messages, `optional`
/// fields and oneof members stay null when absent.
pub fn message_schema_with_defaults(m: &MessageDescriptor) -> Result<Schema, String> {
    let opts = ProtobufOptions::default();
    let (schema, plan) = Reader { opts: &opts }.message(m, 0)?;
    Ok(with_defaults(schema, &plan))
}

fn with_defaults(mut schema: Schema, plan: &MsgPlan) -> Schema {
    for slot in &plan.slots {
        let (index, member) = match slot.target {
            Target::Field(i) => (i, None),
            Target::Oneof { field, member, .. } => (field, Some(member)),
        };
        let Some(field) = schema.fields.get_mut(index) else {
            continue;
        };
        let mut s = Schema::clone(&field.schema);
        match member {
            None => {
                if let Some(initial) = plan.initial.get(index).filter(|v| !matches!(v, Value::Null)) {
                    s.default = Some(initial.clone());
                }
                nested_defaults(&mut s, slot);
            }
            Some(m) => {
                if let Some(f) = s.fields.get_mut(m) {
                    let mut ms = Schema::clone(&f.schema);
                    nested_defaults(&mut ms, slot);
                    f.schema = Arc::new(ms);
                }
            }
        }
        field.schema = Arc::new(s);
    }
    schema
}

/// Defaults inside the message a slot holds (itself, its elements or its map values).
fn nested_defaults(s: &mut Schema, slot: &Slot) {
    let Ty::Message(sub) = &slot.ty else { return };
    match slot.shape {
        Shape::Single => *s = with_defaults(Schema::clone(s), sub),
        Shape::Repeated | Shape::Map(_) => {
            if let Some(v) = &s.value_schema {
                s.value_schema = Some(Arc::new(with_defaults(Schema::clone(v), sub)));
            }
        }
    }
}

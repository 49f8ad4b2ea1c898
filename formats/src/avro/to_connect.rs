//! Avro -> Connect schemas, as Confluent's `AvroData.toConnectSchema` does it:
//!
//! - records become structs named after the record (unless `ConnectDefault*`); with
//!   `connect.meta.data` (default true) the record's doc travels in the
//!   `io.confluent.connect.avro.record.doc` parameter and each field's doc in
//!   `io.confluent.connect.avro.field.doc.<field>`; a field with an Avro default (not a union)
//!   gets that default and the `io.confluent.connect.avro.field.default` flag;
//! - enums become strings named after the enum, with the parameters
//!   `io.confluent.connect.avro.enum.doc.<name>` / `.enum.default.<name>` (meta data),
//!   `io.confluent.connect.avro.Enum` = full name, then one `io.confluent.connect.avro.Enum.<symbol>`
//!   per symbol, in the declared order;
//! - fixed become bytes named after the fixed type, with `connect.fixed.size`;
//! - `["null", T]` unions an optional T; other unions an `io.confluent.connect.avro.Union`
//!   struct with one optional field per branch;
//! - `connect.name`, `connect.version`, `connect.default`, and with meta data `connect.doc`
//!   and `connect.parameters`, override what the Avro schema says.
//!
//! A recursive record (one that refers to itself, usually through an optional field) maps to a
//! struct whose self-reference is a placeholder: a struct with the record's name and the
//! [`RECURSIVE_PARAM`] parameter naming the Avro record, and no fields. Connect schemas here are
//! trees, so the placeholder stands for "the enclosing struct of that name"; the codec and the
//! Avro writer resolve it, so such records convert both ways.

use std::sync::Arc;

use schemas::data::{DATE, DECIMAL, DECIMAL_SCALE, TIME, TIMESTAMP};
use schemas::{Schema, SchemaKind, Value};
use serde_json::{Map, Value as Json};

use super::codec::UNION_NAME;
use super::connect::{
    AVRO_PROP, AvroDataConfig, DEFAULT_NAME, ENUM_PARAM, FIXED_SIZE_PARAM, MAP_ENTRY, MappingError,
    NAMESPACE, PRECISION_PARAM, RECURSIVE_PARAM, split_name,
};
use super::plan::{IntAs, LongAs, Plan, RecordDef, Ty};

pub const RECORD_DOC_PARAM: &str = "io.confluent.connect.avro.record.doc";
pub const FIELD_DOC_PREFIX: &str = "io.confluent.connect.avro.field.doc.";
pub const FIELD_DEFAULT_FLAG: &str = "io.confluent.connect.avro.field.default";
pub const ENUM_DOC_PREFIX: &str = "io.confluent.connect.avro.enum.doc.";
pub const ENUM_DEFAULT_PREFIX: &str = "io.confluent.connect.avro.enum.default.";
const DEFAULT_PRECISION: u32 = 64;

/// The Connect schema of a compiled Avro schema, with Confluent's default settings.
pub fn to_connect_schema(plan: &Plan) -> Result<Arc<Schema>, MappingError> {
    to_connect_schema_with(plan, &AvroDataConfig::default())
}

/// The Connect schema of a compiled Avro schema.
pub fn to_connect_schema_with(plan: &Plan, config: &AvroDataConfig) -> Result<Arc<Schema>, MappingError> {
    let mut walk = Walk {
        plan,
        config,
        stack: Vec::new(),
    };
    Ok(Arc::new(walk.connect(&plan.root, None)?))
}

struct Walk<'a> {
    plan: &'a Plan,
    config: &'a AvroDataConfig,
    /// Records being mapped (for recursion).
    stack: Vec<usize>,
}

fn is_default_name(name: &str) -> bool {
    name.starts_with(&format!("{NAMESPACE}.{DEFAULT_NAME}"))
}

impl Walk<'_> {
    /// `field_default`: the Avro default of the field this type is the type of.
    fn connect(&mut self, ty: &Ty, field_default: Option<&Json>) -> Result<Schema, MappingError> {
        let plan = self.plan;
        let meta = self.config.connect_meta_data;
        let mut s = match ty {
            Ty::Annotated(inner, props) => {
                let mut s = self.connect(inner, None)?;
                self.apply_props(&mut s, props, field_default);
                return Ok(s);
            }
            Ty::Null => return Err(MappingError("a bare null type has no Connect schema".into())),
            Ty::Boolean => Schema::new(SchemaKind::Boolean),
            Ty::Int(IntAs::Int8) => Schema::new(SchemaKind::Int8),
            Ty::Int(IntAs::Int16) => Schema::new(SchemaKind::Int16),
            Ty::Int(IntAs::Int32) => Schema::new(SchemaKind::Int32),
            Ty::Int(IntAs::Date) => logical(SchemaKind::Int32, DATE),
            Ty::Int(IntAs::TimeMillis) => logical(SchemaKind::Int32, TIME),
            Ty::Long(LongAs::Int64) => Schema::new(SchemaKind::Int64),
            Ty::Long(LongAs::TimestampMillis) => logical(SchemaKind::Int64, TIMESTAMP),
            Ty::Float => Schema::new(SchemaKind::Float32),
            Ty::Double => Schema::new(SchemaKind::Float64),
            Ty::Bytes(None) => Schema::new(SchemaKind::Bytes),
            Ty::Bytes(Some((precision, scale))) => decimal(*precision, *scale),
            Ty::String => Schema::new(SchemaKind::String),
            Ty::Enum(e) => {
                let mut s = Schema::new(SchemaKind::String);
                let simple = split_name(&e.name).1;
                if meta {
                    if let Some(doc) = &e.doc {
                        s.parameters
                            .insert(format!("{ENUM_DOC_PREFIX}{simple}"), doc.clone());
                    }
                    if let Some(d) = &e.default {
                        s.parameters
                            .insert(format!("{ENUM_DEFAULT_PREFIX}{simple}"), d.clone());
                    }
                }
                s.parameters.insert(ENUM_PARAM.into(), e.name.clone());
                for sym in &e.symbols {
                    s.parameters.insert(format!("{ENUM_PARAM}.{sym}"), sym.clone());
                }
                if !is_default_name(&e.name) {
                    s.name = Some(e.name.clone());
                }
                self.apply_props(&mut s, &e.props, field_default);
                return Ok(s);
            }
            Ty::Fixed(f) => {
                let mut s = match f.decimal {
                    Some((p, sc)) => decimal(p, sc),
                    None => Schema::new(SchemaKind::Bytes),
                };
                s.parameters.insert(FIXED_SIZE_PARAM.into(), f.size.to_string());
                if s.name.is_none() && !is_default_name(&f.name) {
                    s.name = Some(f.name.clone());
                }
                self.apply_props(&mut s, &f.props, field_default);
                return Ok(s);
            }
            Ty::Array(items) => match map_entry(plan, items) {
                Some(rec) => {
                    let k = self.connect(&rec.fields[0].ty, None)?;
                    let v = self.connect(&rec.fields[1].ty, None)?;
                    Schema::map(Arc::new(k), Arc::new(v))
                }
                None => Schema::array(Arc::new(self.connect(items, None)?)),
            },
            Ty::Map(values) => Schema::map(
                Arc::new(Schema::new(SchemaKind::String)),
                Arc::new(self.connect(values, None)?),
            ),
            Ty::Union(u) => {
                let non_null: Vec<&Ty> = u.branches.iter().filter(|t| !matches!(t, Ty::Null)).collect();
                let mut s = if non_null.len() == 1 {
                    self.connect(non_null[0], None)?
                } else {
                    let mut fields = Vec::with_capacity(non_null.len());
                    for t in &non_null {
                        let mut fs = self.connect(t, None)?;
                        fs.optional = true;
                        let name = split_name(&super::codec::describe(plan, t)).1.to_owned();
                        fields.push((name, Arc::new(fs)));
                    }
                    Schema::structure(fields).named(UNION_NAME)
                };
                if u.null_index.is_some() {
                    s.optional = true;
                }
                return Ok(s);
            }
            Ty::Record(ri) => return self.record(*ri, field_default),
        };
        if let Some(d) = field_default {
            self.field_default(&mut s, d, None);
        }
        Ok(s)
    }

    fn record(&mut self, ri: usize, field_default: Option<&Json>) -> Result<Schema, MappingError> {
        let plan = self.plan;
        let rec = plan
            .record(ri)
            .ok_or_else(|| MappingError("bad record index".into()))?;
        let connect_name = rec
            .props
            .get("connect.name")
            .and_then(Json::as_str)
            .map(str::to_owned)
            .or_else(|| (!is_default_name(&rec.name)).then(|| rec.name.clone()));
        if self.stack.contains(&ri) {
            let mut s = Schema::new(SchemaKind::Struct);
            s.name = connect_name;
            s.parameters.insert(RECURSIVE_PARAM.into(), rec.name.clone());
            return Ok(s);
        }
        let meta = self.config.connect_meta_data;
        let mut params = schemas::Parameters::new();
        if meta {
            if let Some(doc) = &rec.doc {
                params.insert(RECORD_DOC_PARAM.into(), doc.clone());
            }
            for f in &rec.fields {
                if let Some(doc) = &f.doc {
                    params.insert(format!("{FIELD_DOC_PREFIX}{}", f.name), doc.clone());
                }
            }
        }
        self.stack.push(ri);
        let mut fields = Vec::with_capacity(rec.fields.len());
        for f in &rec.fields {
            let default = f.default.as_ref().filter(|_| !matches!(f.ty, Ty::Union(_)));
            let fs = self.connect(&f.ty, default)?;
            fields.push((f.name.clone(), Arc::new(fs)));
        }
        self.stack.pop();
        let mut s = Schema::structure(fields);
        s.parameters = params;
        s.name = connect_name;
        self.apply_props(&mut s, &rec.props, field_default);
        Ok(s)
    }

    /// A field's Avro default on its Connect schema (unless `connect.default` already set it),
    /// flagged as Confluent flags it.
    fn field_default(&self, s: &mut Schema, d: &Json, connect_default: Option<&Json>) {
        if connect_default.is_some() {
            return;
        }
        if d.is_null() {
            return;
        }
        s.default = json_to_value(s, d);
        if self.config.connect_meta_data && s.default.is_some() {
            s.parameters.insert(FIELD_DEFAULT_FLAG.into(), "true".into());
        }
    }

    fn apply_props(&self, s: &mut Schema, props: &Map<String, Json>, field_default: Option<&Json>) {
        let meta = self.config.connect_meta_data;
        if meta && let Some(doc) = props.get("connect.doc").and_then(Json::as_str) {
            s.doc = Some(doc.to_owned());
        }
        if let Some(v) = props.get("connect.version").and_then(Json::as_i64) {
            s.version = i32::try_from(v).ok();
        }
        if meta && let Some(Json::Object(params)) = props.get("connect.parameters") {
            for (k, v) in params {
                if let Some(v) = v.as_str() {
                    s.parameters.insert(k.clone(), v.to_owned());
                }
            }
        }
        for (k, v) in props.iter().filter(|(k, _)| k.starts_with(AVRO_PROP)) {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            s.parameters.insert(k.clone(), text);
        }
        let connect_default = props.get("connect.default");
        if let Some(d) = connect_default {
            s.default = json_to_value(s, d);
        }
        if let Some(d) = field_default {
            self.field_default(s, d, connect_default);
        }
        if let Some(name) = props.get("connect.name").and_then(Json::as_str) {
            s.name = Some(name.to_owned());
        }
    }
}

/// The key/value record of a Connect map with non-string keys, if `items` is one.
fn map_entry<'p>(plan: &'p Plan, items: &Ty) -> Option<&'p RecordDef> {
    let Ty::Record(ri) = items else { return None };
    let rec = plan.record(*ri)?;
    let named = rec.name.starts_with(&format!("{NAMESPACE}.{MAP_ENTRY}"))
        || rec.props.get("connect.internal.type").and_then(Json::as_str) == Some(MAP_ENTRY);
    (named && rec.fields.len() == 2 && rec.fields[0].name == "key" && rec.fields[1].name == "value")
        .then_some(rec)
}

fn logical(kind: SchemaKind, name: &str) -> Schema {
    let mut s = Schema::new(kind).named(name);
    s.version = Some(1);
    s
}

/// Confluent keeps the precision as a parameter only when it is not the default 64.
fn decimal(precision: u32, scale: i32) -> Schema {
    let mut s = logical(SchemaKind::Bytes, DECIMAL);
    s.parameters.insert(DECIMAL_SCALE.into(), scale.to_string());
    if precision != DEFAULT_PRECISION {
        s.parameters.insert(PRECISION_PARAM.into(), precision.to_string());
    }
    s
}

/// A default in Avro's JSON encoding as a Connect value of `schema`; None when it does not fit.
pub fn json_to_value(schema: &Schema, v: &Json) -> Option<Value> {
    Some(match (schema.kind, v) {
        (_, Json::Null) => Value::Null,
        (SchemaKind::Boolean, Json::Bool(b)) => Value::Boolean(*b),
        (SchemaKind::Int8, _) => Value::Int8(i8::try_from(v.as_i64()?).ok()?),
        (SchemaKind::Int16, _) => Value::Int16(i16::try_from(v.as_i64()?).ok()?),
        (SchemaKind::Int32, _) => Value::Int32(i32::try_from(v.as_i64()?).ok()?),
        (SchemaKind::Int64, _) => Value::Int64(v.as_i64()?),
        (SchemaKind::Float32, _) => Value::Float32(v.as_f64()? as f32),
        (SchemaKind::Float64, _) => Value::Float64(v.as_f64()?),
        (SchemaKind::String, Json::String(s)) => Value::String(s.clone()),
        (SchemaKind::Bytes, Json::String(s)) => Value::Bytes(
            s.chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect::<Option<Vec<u8>>>()?
                .into(),
        ),
        (SchemaKind::Array, Json::Array(items)) => {
            let is = schema.value_schema.as_deref()?;
            Value::Array(
                items
                    .iter()
                    .map(|i| json_to_value(is, i))
                    .collect::<Option<_>>()?,
            )
        }
        (SchemaKind::Map, Json::Object(m)) => {
            let vs = schema.value_schema.as_deref()?;
            Value::Map(
                m.iter()
                    .map(|(k, v)| Some((Value::String(k.clone()), json_to_value(vs, v)?)))
                    .collect::<Option<_>>()?,
            )
        }
        (SchemaKind::Struct, Json::Object(m)) => Value::Struct(
            schema
                .fields
                .iter()
                .map(|f| match m.get(&f.name) {
                    Some(v) => json_to_value(&f.schema, v),
                    None => Some(Value::Null),
                })
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

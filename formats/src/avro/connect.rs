//! The Connect <-> Avro schema mapping, as Confluent's `AvroData` does it (with
//! `connect.meta.data=true`, its default):
//!
//! - int8 / int16 are Avro `int` with `"connect.type": "int8" | "int16"`;
//! - an optional schema is the union `["null", T]` (field default `null`); an optional field
//!   with a non-null default is `[T, "null"]` with that default;
//! - a struct is a record named after the Connect schema name (namespace = up to the last dot),
//!   or `io.confluent.connect.avro.ConnectDefault` (then `ConnectDefault2`, ...) when unnamed;
//! - a map with string keys is an Avro map; with other keys an array of
//!   `io.confluent.connect.avro.MapEntry` records (`key`, `value`);
//! - Decimal is `bytes` with logicalType `decimal` (precision from the
//!   `connect.decimal.precision` parameter, default 64); Date, Time and Timestamp are
//!   `date`, `time-millis` and `timestamp-millis`;
//! - `connect.name`, `connect.version`, `connect.doc`, `connect.parameters` carry the rest.
//!
//! Back from Avro: the reverse, plus enums (Connect string with
//! `io.confluent.connect.avro.Enum*` parameters), fixed (bytes with `connect.fixed.size`) and
//! general unions (a struct named `io.confluent.connect.avro.Union` with one optional field per
//! branch).

use std::collections::BTreeMap;
use std::sync::Arc;

use schemas::data::{DATE, DECIMAL, DECIMAL_SCALE, TIME, TIMESTAMP};
use schemas::{Field, Schema, SchemaKind, Value};
use serde_json::{Map, Value as Json, json};

use super::codec::UNION_NAME;
use super::plan::{IntAs, LongAs, Plan, Ty};

pub const NAMESPACE: &str = "io.confluent.connect.avro";
pub const DEFAULT_NAME: &str = "ConnectDefault";
pub const MAP_ENTRY: &str = "MapEntry";
pub const PRECISION_PARAM: &str = "connect.decimal.precision";
pub const ENUM_PARAM: &str = "io.confluent.connect.avro.Enum";
pub const FIXED_SIZE_PARAM: &str = "connect.fixed.size";

/// A Connect schema that has no Avro form.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

/// Connect schema -> Avro schema JSON.
pub fn to_avro_schema(schema: &Schema) -> Result<Json, MappingError> {
    let mut names = Names::default();
    names.avro(schema, true)
}

#[derive(Default)]
struct Names {
    /// Full names of records already written (written by name the next time).
    defined: Vec<(String, Schema)>,
    defaults: usize,
    map_entries: usize,
}

fn split_name(full: &str) -> (Option<&str>, &str) {
    match full.rsplit_once('.') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, full),
    }
}

/// A Connect value in Avro's JSON encoding (for field defaults). Unions take the first branch,
/// which is the default's own type by construction.
fn json_default(schema: &Schema, value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Int8(v) => json!(v),
        Value::Int16(v) => json!(v),
        Value::Int32(v) => json!(v),
        Value::Int64(v) => json!(v),
        Value::Float32(v) => json!(v),
        Value::Float64(v) => json!(v),
        Value::String(s) => json!(s),
        Value::Bytes(b) => Json::String(b.iter().map(|&c| char::from(c)).collect()),
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| match schema.value_schema.as_deref() {
                    Some(s) => json_default(s, v),
                    None => Json::Null,
                })
                .collect(),
        ),
        Value::Map(entries) => {
            let vs = schema.value_schema.as_deref();
            let mut m = Map::new();
            for (k, v) in entries {
                if let (Value::String(k), Some(vs)) = (k, vs) {
                    m.insert(k.clone(), json_default(vs, v));
                }
            }
            Json::Object(m)
        }
        Value::Struct(values) => {
            let mut m = Map::new();
            for (f, v) in schema.fields.iter().zip(values) {
                m.insert(f.name.clone(), json_default(&f.schema, v));
            }
            Json::Object(m)
        }
    }
}

impl Names {
    /// `with_optional`: wrap an optional schema in a union with null (false for a field whose
    /// union is built by the field, to place null after a non-null default).
    fn avro(&mut self, schema: &Schema, with_optional: bool) -> Result<Json, MappingError> {
        let base = self.base(schema)?;
        // A union (from a Union struct) already holds its null.
        if schema.optional && with_optional && !base.is_array() {
            Ok(json!(["null", base]))
        } else {
            Ok(base)
        }
    }

    fn base(&mut self, schema: &Schema) -> Result<Json, MappingError> {
        let name = schema.name.as_deref();
        let mut obj = Map::new();
        match (schema.kind, name) {
            (SchemaKind::Bytes, Some(DECIMAL)) => {
                let scale: i64 = schema
                    .parameters
                    .get(DECIMAL_SCALE)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| MappingError("Decimal schema without a scale parameter".into()))?;
                let precision: i64 = schema
                    .parameters
                    .get(PRECISION_PARAM)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(64);
                obj.insert("type".into(), json!("bytes"));
                obj.insert("scale".into(), json!(scale));
                obj.insert("precision".into(), json!(precision));
                obj.insert("logicalType".into(), json!("decimal"));
            }
            (SchemaKind::Int32, Some(DATE)) => {
                obj.insert("type".into(), json!("int"));
                obj.insert("logicalType".into(), json!("date"));
            }
            (SchemaKind::Int32, Some(TIME)) => {
                obj.insert("type".into(), json!("int"));
                obj.insert("logicalType".into(), json!("time-millis"));
            }
            (SchemaKind::Int64, Some(TIMESTAMP)) => {
                obj.insert("type".into(), json!("long"));
                obj.insert("logicalType".into(), json!("timestamp-millis"));
            }
            (SchemaKind::Int8, _) => {
                obj.insert("type".into(), json!("int"));
                obj.insert("connect.type".into(), json!("int8"));
            }
            (SchemaKind::Int16, _) => {
                obj.insert("type".into(), json!("int"));
                obj.insert("connect.type".into(), json!("int16"));
            }
            (SchemaKind::Int32, _) => {
                obj.insert("type".into(), json!("int"));
            }
            (SchemaKind::Int64, _) => {
                obj.insert("type".into(), json!("long"));
            }
            (SchemaKind::Float32, _) => {
                obj.insert("type".into(), json!("float"));
            }
            (SchemaKind::Float64, _) => {
                obj.insert("type".into(), json!("double"));
            }
            (SchemaKind::Boolean, _) => {
                obj.insert("type".into(), json!("boolean"));
            }
            (SchemaKind::String, _) if schema.parameters.contains_key(ENUM_PARAM) => {
                return self.avro_enum(schema);
            }
            (SchemaKind::String, _) => {
                obj.insert("type".into(), json!("string"));
            }
            (SchemaKind::Bytes, _) => {
                obj.insert("type".into(), json!("bytes"));
            }
            (SchemaKind::Array, _) => {
                let items = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| MappingError("array schema without an element schema".into()))?;
                obj.insert("type".into(), json!("array"));
                obj.insert("items".into(), self.avro(items, true)?);
            }
            (SchemaKind::Map, _) => {
                let (Some(ks), Some(vs)) = (schema.key_schema.as_deref(), schema.value_schema.as_deref())
                else {
                    return Err(MappingError("map schema without key or value schema".into()));
                };
                if ks.kind == SchemaKind::String && !ks.optional {
                    obj.insert("type".into(), json!("map"));
                    obj.insert("values".into(), self.avro(vs, true)?);
                } else {
                    self.map_entries += 1;
                    let entry_name = if self.map_entries == 1 {
                        MAP_ENTRY.to_owned()
                    } else {
                        format!("{MAP_ENTRY}{}", self.map_entries)
                    };
                    let entry = json!({
                        "type": "record",
                        "name": entry_name,
                        "namespace": NAMESPACE,
                        "fields": [
                            {"name": "key", "type": self.avro(ks, true)?},
                            {"name": "value", "type": self.avro(vs, true)?},
                        ]
                    });
                    obj.insert("type".into(), json!("array"));
                    obj.insert("items".into(), entry);
                }
            }
            (SchemaKind::Struct, Some(UNION_NAME)) => {
                // Back to the Avro union it came from: one branch per field, in order.
                let mut branches = Vec::with_capacity(schema.fields.len() + 1);
                if schema.optional {
                    branches.push(json!("null"));
                }
                for f in &schema.fields {
                    branches.push(self.base(&f.schema)?);
                }
                return Ok(Json::Array(branches));
            }
            (SchemaKind::Struct, _) => return self.record(schema),
        }
        self.meta(schema, &mut obj);
        // A bare primitive is written as its name, as Avro's own toString does.
        if obj.len() == 1
            && let Some(t) = obj.get("type")
        {
            return Ok(t.clone());
        }
        Ok(Json::Object(obj))
    }

    /// Confluent's `connect.*` metadata of a non-record schema.
    fn meta(&self, schema: &Schema, obj: &mut Map<String, Json>) {
        if let Some(doc) = &schema.doc {
            obj.insert("connect.doc".into(), json!(doc));
        }
        if let Some(v) = schema.version {
            obj.insert("connect.version".into(), json!(v));
        }
        if !schema.parameters.is_empty() {
            obj.insert("connect.parameters".into(), json!(schema.parameters));
        }
        if let Some(d) = &schema.default {
            obj.insert("connect.default".into(), json_default(schema, d));
        }
        if let Some(name) = &schema.name {
            obj.insert("connect.name".into(), json!(name));
        }
    }

    /// A string that was an Avro enum. Symbols come from the `io.confluent.connect.avro.Enum.*`
    /// parameters; Weir keeps parameters sorted, so the symbols are written in sorted order
    /// (Avro matches enum symbols by name, so readers are unaffected).
    fn avro_enum(&mut self, schema: &Schema) -> Result<Json, MappingError> {
        let full = schema.parameters.get(ENUM_PARAM).cloned().unwrap_or_default();
        if self.defined.iter().any(|(n, _)| *n == full) {
            return Ok(json!(full));
        }
        self.defined.push((full.clone(), schema.clone()));
        let prefix = format!("{ENUM_PARAM}.");
        let symbols: Vec<&String> = schema
            .parameters
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v)
            .collect();
        let (ns, name) = split_name(&full);
        let mut obj = Map::new();
        obj.insert("type".into(), json!("enum"));
        obj.insert("name".into(), json!(name));
        if let Some(ns) = ns {
            obj.insert("namespace".into(), json!(ns));
        }
        obj.insert("symbols".into(), json!(symbols));
        if let Some(doc) = &schema.doc {
            obj.insert("doc".into(), json!(doc));
        }
        obj.insert("connect.parameters".into(), json!(schema.parameters));
        Ok(Json::Object(obj))
    }

    fn record(&mut self, schema: &Schema) -> Result<Json, MappingError> {
        let full = match schema.name.as_deref() {
            Some(n) => n.to_owned(),
            None => {
                self.defaults += 1;
                if self.defaults == 1 {
                    format!("{NAMESPACE}.{DEFAULT_NAME}")
                } else {
                    format!("{NAMESPACE}.{DEFAULT_NAME}{}", self.defaults)
                }
            }
        };
        if let Some((_, earlier)) = self.defined.iter().find(|(n, _)| *n == full) {
            let mut plain = schema.clone();
            plain.optional = earlier.optional;
            plain.default.clone_from(&earlier.default);
            if plain == *earlier {
                return Ok(json!(full));
            }
            return Err(MappingError(format!(
                "two different struct schemas are both named {full}; Avro needs unique record names"
            )));
        }
        self.defined.push((full.clone(), schema.clone()));
        let (ns, name) = split_name(&full);
        let mut obj = Map::new();
        obj.insert("type".into(), json!("record"));
        obj.insert("name".into(), json!(name));
        if let Some(ns) = ns {
            obj.insert("namespace".into(), json!(ns));
        }
        if let Some(doc) = &schema.doc {
            obj.insert("doc".into(), json!(doc));
        }
        let mut fields = Vec::with_capacity(schema.fields.len());
        for f in &schema.fields {
            fields.push(self.field(f)?);
        }
        obj.insert("fields".into(), Json::Array(fields));
        if let Some(v) = schema.version {
            obj.insert("connect.version".into(), json!(v));
        }
        if !schema.parameters.is_empty() {
            obj.insert("connect.parameters".into(), json!(schema.parameters));
        }
        if let Some(name) = &schema.name {
            obj.insert("connect.name".into(), json!(name));
        }
        Ok(Json::Object(obj))
    }

    fn field(&mut self, f: &Field) -> Result<Json, MappingError> {
        let s = &f.schema;
        let mut obj = Map::new();
        obj.insert("name".into(), json!(f.name));
        match (&s.optional, &s.default) {
            (true, Some(d)) if *d != Value::Null => {
                let base = self.base(s)?;
                obj.insert("type".into(), json!([base, "null"]));
                obj.insert("default".into(), json_default(s, d));
            }
            (true, _) => {
                obj.insert("type".into(), self.avro(s, true)?);
                obj.insert("default".into(), Json::Null);
            }
            (false, Some(d)) => {
                obj.insert("type".into(), self.avro(s, true)?);
                obj.insert("default".into(), json_default(s, d));
            }
            (false, None) => {
                obj.insert("type".into(), self.avro(s, true)?);
            }
        }
        Ok(Json::Object(obj))
    }
}

// ---------------------------------------------------------------------------------------------
// Avro -> Connect

/// The Connect schema of a compiled Avro schema. Recursive records have none (Connect schemas
/// are trees).
pub fn to_connect_schema(plan: &Plan) -> Result<Arc<Schema>, MappingError> {
    let mut stack = Vec::new();
    Ok(Arc::new(connect(plan, &plan.root, &mut stack)?))
}

fn simple_name(full: &str) -> &str {
    split_name(full).1
}

fn connect(plan: &Plan, ty: &Ty, stack: &mut Vec<usize>) -> Result<Schema, MappingError> {
    Ok(match ty {
        Ty::Annotated(inner, props) => {
            let mut s = connect(plan, inner, stack)?;
            apply_props(&mut s, props);
            s
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
            s.parameters.insert(ENUM_PARAM.into(), e.name.clone());
            for sym in &e.symbols {
                s.parameters.insert(format!("{ENUM_PARAM}.{sym}"), sym.clone());
            }
            s.doc.clone_from(&e.doc);
            apply_props(&mut s, &e.props);
            s
        }
        Ty::Fixed(f) => {
            let mut s = match f.decimal {
                Some((p, sc)) => decimal(p, sc),
                None => Schema::new(SchemaKind::Bytes),
            };
            s.parameters.insert(FIXED_SIZE_PARAM.into(), f.size.to_string());
            apply_props(&mut s, &f.props);
            s
        }
        Ty::Array(items) => {
            if let Ty::Record(ri) = items.as_ref()
                && let Some(rec) = plan.record(*ri)
                && rec.name.starts_with(&format!("{NAMESPACE}.{MAP_ENTRY}"))
                && rec.fields.len() == 2
                && rec.fields[0].name == "key"
                && rec.fields[1].name == "value"
            {
                let k = field_schema(plan, &rec.fields[0].ty, stack)?;
                let v = field_schema(plan, &rec.fields[1].ty, stack)?;
                Schema::map(Arc::new(k), Arc::new(v))
            } else {
                Schema::array(Arc::new(field_schema(plan, items, stack)?))
            }
        }
        Ty::Map(values) => Schema::map(
            Arc::new(Schema::new(SchemaKind::String)),
            Arc::new(field_schema(plan, values, stack)?),
        ),
        Ty::Union(u) => {
            let non_null: Vec<&Ty> = u.branches.iter().filter(|t| !matches!(t, Ty::Null)).collect();
            let mut s = if non_null.len() == 1 {
                connect(plan, non_null[0], stack)?
            } else {
                let mut fields = Vec::with_capacity(non_null.len());
                for t in &non_null {
                    let mut fs = connect(plan, t, stack)?;
                    fs.optional = true;
                    let name = simple_name(&super::codec::describe(plan, t)).to_owned();
                    fields.push((name, Arc::new(fs)));
                }
                Schema::structure(fields).named(UNION_NAME)
            };
            if u.null_index.is_some() {
                s.optional = true;
            }
            s
        }
        Ty::Record(ri) => {
            if stack.contains(ri) {
                return Err(MappingError(
                    "a recursive Avro record has no Connect schema (Connect schemas are trees)".into(),
                ));
            }
            let rec = plan
                .record(*ri)
                .ok_or_else(|| MappingError("bad record index".into()))?;
            stack.push(*ri);
            let mut fields = Vec::with_capacity(rec.fields.len());
            for f in &rec.fields {
                let mut fs = field_schema(plan, &f.ty, stack)?;
                if let Some(d) = &f.default
                    && !d.is_null()
                    && fs.default.is_none()
                {
                    fs.default = json_to_value(&fs, d);
                }
                if fs.doc.is_none() {
                    fs.doc.clone_from(&f.doc);
                }
                fields.push((f.name.clone(), Arc::new(fs)));
            }
            stack.pop();
            let mut s = Schema::structure(fields);
            let default_name = rec.name.starts_with(&format!("{NAMESPACE}.{DEFAULT_NAME}"));
            if !default_name {
                s.name = Some(rec.name.clone());
            }
            s.doc.clone_from(&rec.doc);
            apply_props(&mut s, &rec.props);
            s
        }
    })
}

fn field_schema(plan: &Plan, ty: &Ty, stack: &mut Vec<usize>) -> Result<Schema, MappingError> {
    connect(plan, ty, stack)
}

fn logical(kind: SchemaKind, name: &str) -> Schema {
    let mut s = Schema::new(kind).named(name);
    s.version = Some(1);
    s
}

fn decimal(precision: u32, scale: i32) -> Schema {
    let mut s = logical(SchemaKind::Bytes, DECIMAL);
    s.parameters.insert(DECIMAL_SCALE.into(), scale.to_string());
    s.parameters.insert(PRECISION_PARAM.into(), precision.to_string());
    s
}

fn apply_props(s: &mut Schema, props: &Map<String, Json>) {
    if let Some(name) = props.get("connect.name").and_then(Json::as_str) {
        s.name = Some(name.to_owned());
    }
    if let Some(v) = props.get("connect.version").and_then(Json::as_i64) {
        s.version = i32::try_from(v).ok();
    }
    if let Some(doc) = props.get("connect.doc").and_then(Json::as_str) {
        s.doc = Some(doc.to_owned());
    }
    if let Some(Json::Object(params)) = props.get("connect.parameters") {
        for (k, v) in params {
            if let Some(v) = v.as_str() {
                s.parameters.insert(k.clone(), v.to_owned());
            }
        }
    }
    if let Some(d) = props.get("connect.default") {
        s.default = json_to_value(s, d);
    }
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

/// Parameters as a sorted map (for tests and messages).
pub fn parameters(s: &Schema) -> BTreeMap<String, String> {
    s.parameters.clone()
}

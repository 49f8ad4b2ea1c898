//! Connect -> Avro schemas, as Confluent's `AvroData.fromConnectSchema` does it:
//!
//! - int8 / int16 are Avro `int` with `"connect.type": "int8" | "int16"`;
//! - an optional schema is the union `["null", T]` (field default `null`); an optional field
//!   with a non-null default is `[T, "null"]` with that default;
//! - a struct is a record named after the Connect schema name (namespace = up to the last dot),
//!   or `io.confluent.connect.avro.ConnectDefault` (then `ConnectDefault2`, ...) when unnamed;
//!   its doc and its fields' docs come from the `io.confluent.connect.avro.record.doc` /
//!   `.field.doc.<field>` parameters (the Connect doc is `connect.doc`);
//! - a map with string keys is an Avro map; with other keys an array of
//!   `io.confluent.connect.avro.MapEntry` records (`key`, `value`);
//! - Decimal is `bytes` with logicalType `decimal` (precision from the
//!   `connect.decimal.precision` parameter, default 64); Date, Time and Timestamp are
//!   `date`, `time-millis` and `timestamp-millis`;
//! - a string with `io.confluent.connect.avro.Enum` parameters is an Avro `string` (carrying
//!   them in `connect.parameters`), or with `enhanced.avro.schema.support=true` the enum they
//!   describe, symbols in their order; bytes with `connect.fixed.size` likewise stay `bytes`,
//!   or become a `fixed` named after the schema;
//! - with `connect.meta.data=true` (the default) `connect.doc`, `connect.version`,
//!   `connect.parameters`, `connect.default`, `connect.name` and `connect.type` carry the rest;
//!   with false, none of them is written.
//!
//! Avro -> Connect is in `to_connect`.

use std::collections::BTreeMap;

use schemas::data::{DATE, DECIMAL, DECIMAL_SCALE, TIME, TIMESTAMP};
use schemas::{Field, Schema, SchemaKind, Value};
use serde_json::{Map, Value as Json, json};

use super::codec::UNION_NAME;
pub use super::to_connect::{
    ENUM_DEFAULT_PREFIX, ENUM_DOC_PREFIX, FIELD_DEFAULT_FLAG, FIELD_DOC_PREFIX, RECORD_DOC_PARAM,
    json_to_value, to_connect_schema, to_connect_schema_with,
};

pub const NAMESPACE: &str = "io.confluent.connect.avro";
pub const DEFAULT_NAME: &str = "ConnectDefault";
pub const MAP_ENTRY: &str = "MapEntry";
pub const PRECISION_PARAM: &str = "connect.decimal.precision";
pub const ENUM_PARAM: &str = "io.confluent.connect.avro.Enum";
pub const FIXED_SIZE_PARAM: &str = "connect.fixed.size";
/// Avro properties whose names start with this travel as Connect parameters and back.
pub const AVRO_PROP: &str = "avro";
/// Marks the placeholder that stands for an enclosing recursive record (Weir's own parameter:
/// its value is the Avro record's full name). Never written to an Avro schema.
pub const RECURSIVE_PARAM: &str = "weir.avro.recursive";

/// Confluent's `AvroDataConfig` settings Weir follows.
#[derive(Debug, Clone, Copy)]
pub struct AvroDataConfig {
    /// `connect.meta.data` (default true).
    pub connect_meta_data: bool,
    /// `enhanced.avro.schema.support` (default false).
    pub enhanced: bool,
}

impl Default for AvroDataConfig {
    fn default() -> Self {
        AvroDataConfig {
            connect_meta_data: true,
            enhanced: false,
        }
    }
}

/// A Connect schema that has no Avro form.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

/// Connect schema -> Avro schema JSON, with Confluent's default settings.
pub fn to_avro_schema(schema: &Schema) -> Result<Json, MappingError> {
    to_avro_schema_with(schema, &AvroDataConfig::default())
}

/// Connect schema -> Avro schema JSON.
pub fn to_avro_schema_with(schema: &Schema, config: &AvroDataConfig) -> Result<Json, MappingError> {
    let mut names = Names {
        config: *config,
        defined: Vec::new(),
        defaults: 0,
        map_entries: 0,
    };
    names.avro(schema, true)
}

struct Names {
    config: AvroDataConfig,
    /// Full names of named types already written (written by name the next time).
    defined: Vec<(String, Schema)>,
    defaults: usize,
    map_entries: usize,
}

/// The start of a named Avro type: `type`, `name` and (when the full name has one) `namespace`.
fn named_type(kind: &str, full: &str) -> Map<String, Json> {
    let (ns, name) = split_name(full);
    let mut obj = Map::new();
    obj.insert("type".into(), json!(kind));
    obj.insert("name".into(), json!(name));
    if let Some(ns) = ns {
        obj.insert("namespace".into(), json!(ns));
    }
    obj
}

pub(crate) fn split_name(full: &str) -> (Option<&str>, &str) {
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
            (SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32, _) => {
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
            (SchemaKind::String, _) if self.config.enhanced && schema.parameters.contains_key(ENUM_PARAM) => {
                return self.avro_enum(schema);
            }
            (SchemaKind::String, _) => {
                obj.insert("type".into(), json!("string"));
            }
            (SchemaKind::Bytes, _)
                if self.config.enhanced && schema.parameters.contains_key(FIXED_SIZE_PARAM) =>
            {
                return self.fixed(schema);
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
            (SchemaKind::Struct, _) if schema.parameters.contains_key(RECURSIVE_PARAM) => {
                // The enclosing record of this name, by reference.
                return Ok(json!(schema.parameters.get(RECURSIVE_PARAM)));
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

    /// Confluent's `connect.*` metadata (with `connect.meta.data`, the default), in Confluent's
    /// order: doc, version, parameters, default, name, type.
    /// Parameters named `avro*` go back to the Avro schema as properties, with or without meta
    /// data (Confluent's `avro` passthrough, e.g. `avro.java.string`).
    fn meta(&self, schema: &Schema, obj: &mut Map<String, Json>) {
        if self.config.connect_meta_data {
            self.connect_meta(schema, obj);
        }
        for (k, v) in &schema.parameters {
            if k.starts_with(AVRO_PROP) {
                obj.insert(k.clone(), json!(v));
            }
        }
    }

    fn connect_meta(&self, schema: &Schema, obj: &mut Map<String, Json>) {
        if let Some(doc) = &schema.doc {
            obj.insert("connect.doc".into(), json!(doc));
        }
        if let Some(v) = schema.version {
            obj.insert("connect.version".into(), json!(v));
        }
        let params: Map<String, Json> = schema
            .parameters
            .iter()
            .filter(|(k, _)| *k != FIELD_DEFAULT_FLAG)
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        if !params.is_empty() {
            obj.insert("connect.parameters".into(), Json::Object(params));
        }
        // A default that came from an Avro field default goes back there, not here.
        if let Some(d) = &schema.default
            && !schema.parameters.contains_key(FIELD_DEFAULT_FLAG)
        {
            obj.insert("connect.default".into(), json_default(schema, d));
        }
        if let Some(name) = &schema.name {
            obj.insert("connect.name".into(), json!(name));
        }
        match schema.kind {
            SchemaKind::Int8 => {
                obj.insert("connect.type".into(), json!("int8"));
            }
            SchemaKind::Int16 => {
                obj.insert("connect.type".into(), json!("int16"));
            }
            _ => {}
        }
    }

    /// The record / enum / fixed name of a Connect schema: its name, or `ConnectDefault`,
    /// `ConnectDefault2`, ... in Confluent's namespace.
    fn name_or_default(&mut self, name: Option<&str>) -> String {
        match name {
            Some(n) => n.to_owned(),
            None => {
                self.defaults += 1;
                if self.defaults == 1 {
                    format!("{NAMESPACE}.{DEFAULT_NAME}")
                } else {
                    format!("{NAMESPACE}.{DEFAULT_NAME}{}", self.defaults)
                }
            }
        }
    }

    /// A string that was an Avro enum (`enhanced.avro.schema.support=true`): named by the
    /// `io.confluent.connect.avro.Enum` parameter, its symbols the `...Enum.<symbol>`
    /// parameters in their order, doc and default from the enum doc / default parameters.
    fn avro_enum(&mut self, schema: &Schema) -> Result<Json, MappingError> {
        let full = schema.parameters.get(ENUM_PARAM).cloned().unwrap_or_default();
        if self.defined.iter().any(|(n, _)| *n == full) {
            return Ok(json!(full));
        }
        self.defined.push((full.clone(), schema.clone()));
        let own = self.name_or_default(schema.name.as_deref());
        let simple = split_name(&own).1;
        let prefix = format!("{ENUM_PARAM}.");
        let symbols: Vec<&str> = schema
            .parameters
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .collect();
        let mut obj = named_type("enum", &full);
        if let Some(doc) = schema.parameters.get(&format!("{ENUM_DOC_PREFIX}{simple}")) {
            obj.insert("doc".into(), json!(doc));
        }
        obj.insert("symbols".into(), json!(symbols));
        if let Some(d) = schema.parameters.get(&format!("{ENUM_DEFAULT_PREFIX}{simple}")) {
            obj.insert("default".into(), json!(d));
        }
        self.meta(schema, &mut obj);
        Ok(Json::Object(obj))
    }

    /// Bytes that were an Avro fixed (`enhanced.avro.schema.support=true`): named after the
    /// schema, of `connect.fixed.size` bytes.
    fn fixed(&mut self, schema: &Schema) -> Result<Json, MappingError> {
        let size: u64 = schema
            .parameters
            .get(FIXED_SIZE_PARAM)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| MappingError(format!("{FIXED_SIZE_PARAM} is not a size")))?;
        let full = self.name_or_default(schema.name.as_deref());
        if self.defined.iter().any(|(n, _)| *n == full) {
            return Ok(json!(full));
        }
        self.defined.push((full.clone(), schema.clone()));
        let mut obj = named_type("fixed", &full);
        obj.insert("size".into(), json!(size));
        self.meta(schema, &mut obj);
        Ok(Json::Object(obj))
    }

    fn record(&mut self, schema: &Schema) -> Result<Json, MappingError> {
        let full = self.name_or_default(schema.name.as_deref());
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
        let mut obj = named_type("record", &full);
        if let Some(doc) = schema.parameters.get(RECORD_DOC_PARAM) {
            obj.insert("doc".into(), json!(doc));
        }
        let mut fields = Vec::with_capacity(schema.fields.len());
        for f in &schema.fields {
            let doc = schema.parameters.get(&format!("{FIELD_DOC_PREFIX}{}", f.name));
            fields.push(self.field(f, doc)?);
        }
        obj.insert("fields".into(), Json::Array(fields));
        self.meta(schema, &mut obj);
        Ok(Json::Object(obj))
    }

    fn field(&mut self, f: &Field, doc: Option<&String>) -> Result<Json, MappingError> {
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
        if let Some(doc) = doc {
            obj.insert("doc".into(), json!(doc));
        }
        Ok(Json::Object(obj))
    }
}

/// Parameters as a sorted map (for tests and messages).
pub fn parameters(s: &Schema) -> BTreeMap<String, String> {
    s.parameters.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

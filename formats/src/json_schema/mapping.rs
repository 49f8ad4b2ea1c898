//! The Connect <-> JSON Schema mapping, as Confluent's `JsonSchemaData` does it.
//!
//! Connect -> JSON Schema:
//! - integers are `"integer"` with `"connect.type"` `int8` / `int16` / `int32` / `int64`;
//!   floats `"number"` with `float32` / `float64`; bytes a base64 `"string"` with
//!   `"connect.type": "bytes"` (Decimal: a `"number"` with `"connect.type": "bytes"`);
//! - a string carrying `io.confluent.connect.json.Enum.*` (or Connect's generalized
//!   `org.apache.kafka.connect.data.Enum.*`) parameters is `{"enum": [symbols in order]}`;
//! - an optional schema is `{"oneOf": [{"type": "null"}, <schema>]}`, and a struct's property
//!   carries `"connect.index"` (its position) on the outermost node;
//! - a struct is `{"type": "object", "title": <name>, "properties": {...}}`; no `required`
//!   list (Confluent writes none); `"additionalProperties": false` when
//!   `object.additional.properties=false`;
//! - a struct named `io.confluent.connect.json.OneOf` (or with the
//!   `org.apache.kafka.connect.data.Union` parameter) is a `oneOf` of its fields' schemas;
//! - a map with non-optional string keys is an object with `additionalProperties` and
//!   `"connect.type": "map"`; any other map an array of `{key, value}` objects, also
//!   `"connect.type": "map"`;
//! - `title` (name), `connect.version`, `description` (doc), `connect.parameters` (without the
//!   `io.confluent.connect.json.*` ones) and `default` carry the rest.
//!
//! JSON Schema -> Connect: the reverse, for any JSON Schema: an `"integer"` without
//! `connect.type` is int64, a `"number"` float64; `enum` a string with the enum parameters;
//! `oneOf` / `anyOf` of null and one schema that schema made optional, of more schemas a
//! `io.confluent.connect.json.OneOf` struct with one optional field per branch; `allOf` of
//! objects one struct; local `$ref`s are followed. A property is optional when its schema
//! allows null, or, with `use.optional.for.nonrequired=true`, when it is not `required`.
//! Properties are ordered by `connect.index`.
//!
//! One deliberate difference: an object schema with `additionalProperties` and no
//! `properties` reads as a map with string keys (Confluent reads an empty struct and drops
//! the data).

use std::sync::Arc;

use schemas::data::{DATE, DECIMAL, TIME, TIMESTAMP};
pub use schemas::json::{GENERALIZED_UNION, ONE_OF};
use schemas::json::{JsonDialect, JsonOptions, JsonView};
use schemas::{Schema, SchemaKind};
use serde_json::{Map, Value as Json, json};

/// Parameter naming a JSON enum (Confluent's), and its symbol prefix.
pub const JSON_ENUM: &str = "io.confluent.connect.json.Enum";
/// Connect's generalized enum parameter (`ConnectEnum`).
pub const GENERALIZED_ENUM: &str = "org.apache.kafka.connect.data.Enum";
/// Parameters in this namespace are Confluent's bookkeeping, never written to the schema.
const NAMESPACE: &str = "io.confluent.connect.json";
/// Stands for a null among enum symbols.
const NULL_MARKER: &str = "<NULL>";

/// The JSON Schema converter's mapping settings (Confluent's `JsonSchemaDataConfig`).
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    /// `object.additional.properties` (default true): false writes
    /// `"additionalProperties": false` on every struct.
    pub additional_properties: bool,
    /// `use.optional.for.nonrequired` (default false): a property missing from `required`
    /// reads as optional.
    pub optional_for_nonrequired: bool,
    /// How default values are written (decimals).
    pub values: JsonOptions,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            additional_properties: true,
            optional_for_nonrequired: false,
            values: super::READ_OPTIONS,
        }
    }
}

/// Connect schema -> JSON Schema, with the default settings.
pub fn to_json_schema(schema: &Schema) -> Json {
    to_json_schema_with(schema, &Mapping::default())
}

/// Connect schema -> JSON Schema.
pub fn to_json_schema_with(schema: &Schema, mapping: &Mapping) -> Json {
    node(schema, None, false, mapping)
}

fn is_union(schema: &Schema) -> bool {
    JsonDialect::Confluent.is_union(schema)
}

fn non_optional(schema: &Schema) -> Schema {
    let mut s = schema.clone();
    s.optional = false;
    s
}

fn enum_param(schema: &Schema) -> Option<&'static str> {
    [JSON_ENUM, GENERALIZED_ENUM]
        .into_iter()
        .find(|p| schema.parameters.contains_key(*p))
}

fn node(schema: &Schema, index: Option<usize>, ignore_optional: bool, mapping: &Mapping) -> Json {
    let mut obj = Map::new();
    let mut connect_type = None;
    match schema.kind {
        SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64 => {
            obj.insert("type".into(), json!("integer"));
            connect_type = Some(schema.kind.connect_name());
        }
        SchemaKind::Float32 => {
            obj.insert("type".into(), json!("number"));
            connect_type = Some("float32");
        }
        SchemaKind::Float64 => {
            obj.insert("type".into(), json!("number"));
            connect_type = Some("float64");
        }
        SchemaKind::Boolean => {
            obj.insert("type".into(), json!("boolean"));
        }
        SchemaKind::String => match enum_param(schema) {
            Some(param) => {
                let prefix = format!("{param}.");
                let symbols: Vec<Json> = schema
                    .parameters
                    .keys()
                    .filter_map(|k| k.strip_prefix(&prefix))
                    .map(|s| if s == NULL_MARKER { Json::Null } else { json!(s) })
                    .collect();
                obj.insert("enum".into(), Json::Array(symbols));
            }
            None => {
                obj.insert("type".into(), json!("string"));
            }
        },
        SchemaKind::Bytes => {
            let t = if schema.name.as_deref() == Some(DECIMAL) {
                "number"
            } else {
                "string"
            };
            obj.insert("type".into(), json!(t));
            connect_type = Some("bytes");
        }
        SchemaKind::Array => {
            obj.insert("type".into(), json!("array"));
            if let Some(items) = &schema.value_schema {
                obj.insert("items".into(), node(items, None, false, mapping));
            }
        }
        SchemaKind::Map => {
            let (k, v) = (schema.key_schema.as_deref(), schema.value_schema.as_deref());
            if k.is_some_and(|k| k.kind == SchemaKind::String && !k.optional) {
                obj.insert("type".into(), json!("object"));
                if let Some(v) = v {
                    obj.insert("additionalProperties".into(), node(v, None, false, mapping));
                }
            } else {
                let mut props = Map::new();
                if let Some(k) = k {
                    props.insert("key".into(), node(k, Some(0), false, mapping));
                }
                if let Some(v) = v {
                    props.insert("value".into(), node(v, Some(1), false, mapping));
                }
                obj.insert("type".into(), json!("array"));
                obj.insert(
                    "items".into(),
                    json!({"type": "object", "properties": Json::Object(props)}),
                );
            }
            connect_type = Some("map");
        }
        SchemaKind::Struct if is_union(schema) => {
            let mut branches = Vec::with_capacity(schema.fields.len() + 1);
            if schema.optional {
                branches.push(json!({"type": "null"}));
            }
            for f in &schema.fields {
                branches.push(node(&non_optional(&f.schema), Some(f.index), true, mapping));
            }
            return combined(branches, index);
        }
        SchemaKind::Struct if schema.optional => {
            let inner = node(&non_optional(schema), None, false, mapping);
            return combined(vec![json!({"type": "null"}), inner], index);
        }
        SchemaKind::Struct => {
            obj.insert("type".into(), json!("object"));
            let mut props = Map::new();
            for f in &schema.fields {
                props.insert(f.name.clone(), node(&f.schema, Some(f.index), false, mapping));
            }
            obj.insert("properties".into(), Json::Object(props));
            if !mapping.additional_properties {
                obj.insert("additionalProperties".into(), json!(false));
            }
        }
    }
    if let Some(t) = connect_type {
        obj.insert("connect.type".into(), json!(t));
    }
    if let Some(name) = &schema.name {
        obj.insert("title".into(), json!(name));
    }
    if let Some(v) = schema.version {
        obj.insert("connect.version".into(), json!(v));
    }
    if let Some(doc) = &schema.doc {
        obj.insert("description".into(), json!(doc));
    }
    let params: Map<String, Json> = schema
        .parameters
        .iter()
        .filter(|(k, _)| !k.starts_with(NAMESPACE))
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if !params.is_empty() {
        obj.insert("connect.parameters".into(), Json::Object(params));
    }
    if let Some(d) = &schema.default
        && let Ok(v) = serde_json::to_value(JsonView::new(Some(schema), d, &mapping.values))
    {
        obj.insert("default".into(), v);
    }
    if schema.optional && !ignore_optional {
        return combined(vec![json!({"type": "null"}), Json::Object(obj)], index);
    }
    if let Some(i) = index {
        obj.insert("connect.index".into(), json!(i));
    }
    Json::Object(obj)
}

fn combined(branches: Vec<Json>, index: Option<usize>) -> Json {
    let mut obj = Map::new();
    obj.insert("oneOf".into(), Json::Array(branches));
    if let Some(i) = index {
        obj.insert("connect.index".into(), json!(i));
    }
    Json::Object(obj)
}

// ---------------------------------------------------------------------------------------------
// JSON Schema -> Connect

/// JSON Schema -> Connect schema with the default settings.
pub fn to_connect_schema(schema: &Json) -> Result<Schema, String> {
    to_connect_schema_with(schema, &Mapping::default())
}

/// JSON Schema -> Connect schema. Errors name the construct that has no Connect form.
pub fn to_connect_schema_with(schema: &Json, mapping: &Mapping) -> Result<Schema, String> {
    Reader {
        root: schema,
        mapping,
    }
    .connect(schema, 0, false)
}

struct Reader<'a> {
    root: &'a Json,
    mapping: &'a Mapping,
}

fn is_null_schema(s: &Json) -> bool {
    s.get("type") == Some(&json!("null"))
}

impl Reader<'_> {
    fn connect(&self, schema: &Json, depth: usize, force_optional: bool) -> Result<Schema, String> {
        if depth > 64 {
            return Err("the JSON schema nests too deeply (or refers to itself)".into());
        }
        let Json::Object(obj) = schema else {
            return Err(format!("{schema} has no Connect form"));
        };
        if let Some(Json::String(r)) = obj.get("$ref") {
            let target = r
                .strip_prefix('#')
                .and_then(|p| self.root.pointer(p))
                .ok_or_else(|| format!("$ref {r:?} is not a local reference Weir can follow"))?;
            return self.connect(target, depth + 1, force_optional);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Json::Array(branches)) = obj.get(key) {
                return self.union(branches, depth, force_optional);
            }
        }
        if let Some(Json::Array(parts)) = obj.get("allOf") {
            return self.all_of(parts, depth, force_optional);
        }
        let mut s = self.base(obj, depth)?;
        self.metadata(&mut s, obj)?;
        if force_optional {
            s.optional = true;
        }
        Ok(s)
    }

    fn union(&self, branches: &[Json], depth: usize, force_optional: bool) -> Result<Schema, String> {
        if branches.len() == 2
            && let Some(other) = branches.iter().find(|b| !is_null_schema(b))
            && branches.iter().any(is_null_schema)
        {
            return self.connect(other, depth + 1, true);
        }
        let mut fields = Vec::with_capacity(branches.len());
        let mut optional = force_optional;
        for b in branches {
            if is_null_schema(b) {
                optional = true;
            } else {
                let name = format!("{ONE_OF}.field.{}", fields.len());
                fields.push((name, Arc::new(self.connect(b, depth + 1, true)?)));
            }
        }
        let mut s = Schema::structure(fields).named(ONE_OF);
        s.optional = optional;
        Ok(s)
    }

    /// `allOf`: the properties of every object part make one struct; otherwise the part that
    /// carries the type (a `const`, `enum` or `format` part only narrows it).
    fn all_of(&self, parts: &[Json], depth: usize, force_optional: bool) -> Result<Schema, String> {
        let mut props = Map::new();
        let mut required: Vec<Json> = Vec::new();
        for p in parts {
            let p = match p.get("$ref").and_then(Json::as_str) {
                Some(r) => r
                    .strip_prefix('#')
                    .and_then(|ptr| self.root.pointer(ptr))
                    .unwrap_or(p),
                None => p,
            };
            if let Some(Json::Object(ps)) = p.get("properties") {
                props.extend(ps.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            if let Some(Json::Array(r)) = p.get("required") {
                required.extend(r.iter().cloned());
            }
        }
        if !props.is_empty() {
            let merged = json!({"type": "object", "properties": props, "required": required});
            return self.connect(&merged, depth + 1, force_optional);
        }
        let typed = parts
            .iter()
            .find(|p| p.get("type").is_some_and(|t| t != "string"))
            .or_else(|| parts.iter().find(|p| p.get("enum").is_some()))
            .or_else(|| {
                parts
                    .iter()
                    .find(|p| p.get("type").is_some() || p.get("oneOf").is_some())
            })
            .ok_or("an allOf without a part that has a type has no Connect form")?;
        self.connect(typed, depth + 1, force_optional)
    }

    fn base(&self, obj: &Map<String, Json>, depth: usize) -> Result<Schema, String> {
        let (t, nullable) = match obj.get("type") {
            Some(Json::String(t)) => (t.as_str(), false),
            Some(Json::Array(ts)) => {
                let non_null: Vec<&str> = ts
                    .iter()
                    .filter_map(Json::as_str)
                    .filter(|t| *t != "null")
                    .collect();
                match non_null.as_slice() {
                    [one] => (*one, non_null.len() < ts.len()),
                    _ => return Err(format!("type {} has no Connect form", Json::Array(ts.clone()))),
                }
            }
            None if obj.contains_key("enum") => ("string", false),
            None if obj.contains_key("properties") => ("object", false),
            _ => {
                return Err(format!(
                    "a JSON schema without a type has no Connect form: {}",
                    Json::Object(obj.clone())
                ));
            }
        };
        let ctype = obj.get("connect.type").and_then(Json::as_str);
        let mut s = match (t, ctype) {
            ("integer" | "number", Some("int8")) => Schema::new(SchemaKind::Int8),
            ("integer" | "number", Some("int16")) => Schema::new(SchemaKind::Int16),
            ("integer" | "number", Some("int32")) => Schema::new(SchemaKind::Int32),
            ("integer" | "number", Some("int64")) => Schema::new(SchemaKind::Int64),
            ("integer" | "number", Some("float32")) => Schema::new(SchemaKind::Float32),
            ("integer" | "number", Some("float64")) => Schema::new(SchemaKind::Float64),
            ("integer" | "number", Some("bytes")) => Schema::new(SchemaKind::Bytes),
            ("integer", _) => Schema::new(SchemaKind::Int64),
            ("number", _) => Schema::new(SchemaKind::Float64),
            ("boolean", _) => Schema::new(SchemaKind::Boolean),
            ("string", _) if obj.get("enum").is_some_and(Json::is_array) => {
                let mut s = Schema::new(SchemaKind::String);
                // JSON enums have no name: Confluent puts an empty one.
                s.parameters.insert(JSON_ENUM.into(), String::new());
                for sym in obj.get("enum").and_then(Json::as_array).into_iter().flatten() {
                    let sym = match sym {
                        Json::String(v) => v.clone(),
                        Json::Null => NULL_MARKER.to_owned(),
                        other => other.to_string(),
                    };
                    s.parameters.insert(format!("{JSON_ENUM}.{sym}"), sym);
                }
                s
            }
            ("string", Some("bytes")) => Schema::new(SchemaKind::Bytes),
            ("string", _) => Schema::new(SchemaKind::String),
            ("null", _) => Schema::new(SchemaKind::String).optional(),
            ("array", Some("map")) => {
                let props = obj
                    .get("items")
                    .and_then(|i| i.get("properties"))
                    .ok_or("a map array without key/value items")?;
                let k = self.connect(
                    props.get("key").ok_or("map entries without key")?,
                    depth + 1,
                    false,
                )?;
                let v = self.connect(
                    props.get("value").ok_or("map entries without value")?,
                    depth + 1,
                    false,
                )?;
                Schema::map(Arc::new(k), Arc::new(v))
            }
            ("array", _) => {
                let items = obj
                    .get("items")
                    .ok_or("an array without items has no Connect form")?;
                Schema::array(Arc::new(self.connect(items, depth + 1, false)?))
            }
            ("object", Some("map")) => {
                let v = obj
                    .get("additionalProperties")
                    .filter(|v| v.is_object())
                    .ok_or("a map object without an additionalProperties schema")?;
                Schema::map(
                    Arc::new(Schema::new(SchemaKind::String)),
                    Arc::new(self.connect(v, depth + 1, false)?),
                )
            }
            ("object", _)
                if obj.get("additionalProperties").is_some_and(Json::is_object)
                    && !obj.contains_key("properties") =>
            {
                let v = self.connect(&obj["additionalProperties"], depth + 1, false)?;
                Schema::map(Arc::new(Schema::new(SchemaKind::String)), Arc::new(v))
            }
            ("object", _) => self.structure(obj, depth)?,
            (other, _) => return Err(format!("type {other:?} has no Connect form")),
        };
        if nullable {
            s.optional = true;
        }
        Ok(s)
    }

    fn structure(&self, obj: &Map<String, Json>, depth: usize) -> Result<Schema, String> {
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let mut fields: Vec<(usize, usize, String, Arc<Schema>)> = Vec::new();
        if let Some(Json::Object(props)) = obj.get("properties") {
            for (pos, (name, p)) in props.iter().enumerate() {
                let optional = self.mapping.optional_for_nonrequired && !required.contains(&name.as_str());
                let fs = self
                    .connect(p, depth + 1, optional)
                    .map_err(|e| format!("property {name}: {e}"))?;
                // Without connect.index a property goes after those seen so far, as Confluent.
                let index = p
                    .get("connect.index")
                    .and_then(Json::as_u64)
                    .and_then(|i| usize::try_from(i).ok())
                    .unwrap_or(fields.len());
                fields.push((index, pos, name.clone(), Arc::new(fs)));
            }
        }
        fields.sort_by_key(|(index, pos, _, _)| (*index, *pos));
        Ok(Schema::structure(fields.into_iter().map(|(_, _, n, s)| (n, s))))
    }

    fn metadata(&self, s: &mut Schema, obj: &Map<String, Json>) -> Result<(), String> {
        if let Some(title) = obj.get("title").and_then(Json::as_str)
            && s.name.is_none()
        {
            s.name = Some(title.to_owned());
            if s.kind == SchemaKind::Bytes && title == DECIMAL || matches!(title, DATE | TIME | TIMESTAMP) {
                s.version = Some(1);
            }
        }
        if let Some(v) = obj.get("connect.version").and_then(Json::as_i64) {
            s.version = i32::try_from(v).ok();
        }
        if let Some(doc) = obj.get("description").and_then(Json::as_str) {
            s.doc = Some(doc.to_owned());
        }
        if let Some(Json::Object(params)) = obj.get("connect.parameters") {
            for (k, v) in params {
                if let Some(v) = v.as_str() {
                    s.parameters.insert(k.clone(), v.to_owned());
                }
            }
        }
        if let Some(d) = obj.get("default") {
            let value = schemas::json::from_json(Some(&Arc::new(s.clone())), d, &super::READ_OPTIONS)
                .map_err(|e| format!("default {d}: {}", e.message))?;
            s.default = Some(value);
        }
        Ok(())
    }
}

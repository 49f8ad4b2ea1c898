//! `JsonSchemaConverter` (`io.confluent.connect.json.JsonSchemaConverter`): Connect data as
//! JSON text in Confluent's wire format, its schema a JSON Schema in the registry, mapped as
//! Confluent's `JsonSchemaData` maps it:
//!
//! - a struct is `{"type": "object", "title": <schema name>, "properties": {...},
//!   "required": [<non-optional fields>]}`, each property carrying `"connect.index"` (its
//!   position);
//! - integers are `"integer"` with `"connect.type"` `int8` / `int16` / `int32` / `int64`;
//!   floats `"number"` with `float32` / `float64`; bytes a base64 `"string"` with
//!   `"connect.type": "bytes"`;
//! - an optional schema is `{"oneOf": [{"type": "null"}, <schema>]}`;
//! - a map with string keys is an object with `additionalProperties` and
//!   `"connect.type": "map"`; other maps an array of `{key, value}` objects;
//! - Decimal is a `"number"` titled `org.apache.kafka.connect.data.Decimal` (the value a JSON
//!   number), Date / Time / Timestamp integers titled with their Connect names;
//! - `connect.version`, `connect.parameters`, `description` (doc) carry the rest.
//!
//! Reading maps any JSON Schema back the same way (an `"integer"` without `connect.type` is
//! int64, a `"number"` float64, a property not in `required` optional), and reads the JSON
//! with it. Values travel as Kafka's JSON mapping does (`schemas::json`), decimals as numbers.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use schemas::data::{DATE, DECIMAL, TIME, TIMESTAMP};
use schemas::json::{DecimalFormat, JsonOptions};
use schemas::registry::{ParsedSchema, SchemaType};
use schemas::{ConnectError, Data, Schema, SchemaKind};
use serde_json::{Map, Value as Json, json};

use crate::Converter;
use crate::confluent::{
    ReaderCache, SerdeConfig, WriterCache, resolve_writer, schema_for_id, schemaless_error,
};
use crate::registry::{ConverterContext, SchemaText};
use crate::wire;

const OPTIONS: JsonOptions = JsonOptions {
    decimal_format: DecimalFormat::Numeric,
    replace_null_with_default: true,
};

/// Connect schema -> JSON Schema.
pub fn to_json_schema(schema: &Schema) -> Json {
    let base = base(schema);
    if schema.optional {
        json!({"oneOf": [{"type": "null"}, base]})
    } else {
        base
    }
}

fn base(schema: &Schema) -> Json {
    let mut obj = Map::new();
    let connect_type = |obj: &mut Map<String, Json>, t: &str| {
        obj.insert("connect.type".into(), json!(t));
    };
    match schema.kind {
        SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64 => {
            obj.insert("type".into(), json!("integer"));
            connect_type(&mut obj, schema.kind.connect_name());
        }
        SchemaKind::Float32 => {
            obj.insert("type".into(), json!("number"));
            connect_type(&mut obj, "float32");
        }
        SchemaKind::Float64 => {
            obj.insert("type".into(), json!("number"));
            connect_type(&mut obj, "float64");
        }
        SchemaKind::Boolean => {
            obj.insert("type".into(), json!("boolean"));
        }
        SchemaKind::String => {
            obj.insert("type".into(), json!("string"));
        }
        SchemaKind::Bytes if schema.name.as_deref() == Some(DECIMAL) => {
            obj.insert("type".into(), json!("number"));
            connect_type(&mut obj, "bytes");
        }
        SchemaKind::Bytes => {
            obj.insert("type".into(), json!("string"));
            connect_type(&mut obj, "bytes");
        }
        SchemaKind::Array => {
            obj.insert("type".into(), json!("array"));
            if let Some(items) = &schema.value_schema {
                obj.insert("items".into(), to_json_schema(items));
            }
        }
        SchemaKind::Map => {
            let (k, v) = (schema.key_schema.as_deref(), schema.value_schema.as_deref());
            if k.is_some_and(|k| k.kind == SchemaKind::String) {
                obj.insert("type".into(), json!("object"));
                if let Some(v) = v {
                    obj.insert("additionalProperties".into(), to_json_schema(v));
                }
            } else {
                let mut entry = Map::new();
                entry.insert("type".into(), json!("object"));
                let mut props = Map::new();
                if let Some(k) = k {
                    props.insert("key".into(), with_index(to_json_schema(k), 0));
                }
                if let Some(v) = v {
                    props.insert("value".into(), with_index(to_json_schema(v), 1));
                }
                entry.insert("properties".into(), Json::Object(props));
                obj.insert("type".into(), json!("array"));
                obj.insert("items".into(), Json::Object(entry));
            }
            connect_type(&mut obj, "map");
        }
        SchemaKind::Struct => {
            obj.insert("type".into(), json!("object"));
            let mut props = Map::new();
            let mut required = Vec::new();
            for f in &schema.fields {
                props.insert(f.name.clone(), with_index(to_json_schema(&f.schema), f.index));
                if !f.schema.optional {
                    required.push(json!(f.name));
                }
            }
            obj.insert("properties".into(), Json::Object(props));
            if !required.is_empty() {
                obj.insert("required".into(), Json::Array(required));
            }
        }
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
    if !schema.parameters.is_empty() {
        obj.insert("connect.parameters".into(), json!(schema.parameters));
    }
    Json::Object(obj)
}

fn with_index(mut schema: Json, index: usize) -> Json {
    if let Json::Object(o) = &mut schema {
        o.insert("connect.index".into(), json!(index));
    }
    schema
}

/// JSON Schema -> Connect schema. Errors name the construct that has no Connect form.
pub fn to_connect_schema(schema: &Json) -> Result<Schema, String> {
    to_connect(schema, 0)
}

fn to_connect(schema: &Json, depth: usize) -> Result<Schema, String> {
    if depth > 64 {
        return Err("the JSON schema nests too deeply".into());
    }
    let Json::Object(obj) = schema else {
        return Err(format!("{schema} has no Connect form"));
    };
    // An optional schema: oneOf / anyOf with a null branch, or "type": ["null", T].
    for key in ["oneOf", "anyOf"] {
        if let Some(Json::Array(branches)) = obj.get(key) {
            let non_null: Vec<&Json> = branches
                .iter()
                .filter(|b| b.get("type") != Some(&json!("null")))
                .collect();
            if non_null.len() == 1 {
                let mut s = to_connect(non_null[0], depth + 1)?;
                s.optional = non_null.len() < branches.len() || s.optional;
                return Ok(s);
            }
            return Err(format!(
                "{key} with {} non-null branches has no Connect form",
                non_null.len()
            ));
        }
    }
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
        _ if obj.contains_key("properties") => ("object", false),
        _ => {
            return Err(format!(
                "a JSON schema without a type has no Connect form: {schema}"
            ));
        }
    };
    let ctype = obj.get("connect.type").and_then(Json::as_str);
    let title = obj.get("title").and_then(Json::as_str);
    let mut s = match (t, ctype) {
        ("integer", Some("int8")) => Schema::new(SchemaKind::Int8),
        ("integer", Some("int16")) => Schema::new(SchemaKind::Int16),
        ("integer", Some("int32")) => Schema::new(SchemaKind::Int32),
        ("integer", _) => Schema::new(SchemaKind::Int64),
        ("number", Some("float32")) => Schema::new(SchemaKind::Float32),
        ("number", Some("bytes")) => Schema::new(SchemaKind::Bytes),
        ("number", _) => Schema::new(SchemaKind::Float64),
        ("boolean", _) => Schema::new(SchemaKind::Boolean),
        ("string", Some("bytes")) => Schema::new(SchemaKind::Bytes),
        ("string", _) => Schema::new(SchemaKind::String),
        ("null", _) => Schema::new(SchemaKind::String).optional(),
        ("array", Some("map")) => {
            let props = obj
                .get("items")
                .and_then(|i| i.get("properties"))
                .ok_or("a map array without key/value items")?;
            let k = to_connect(props.get("key").ok_or("map entries without key")?, depth + 1)?;
            let v = to_connect(props.get("value").ok_or("map entries without value")?, depth + 1)?;
            Schema::map(Arc::new(k), Arc::new(v))
        }
        ("array", _) => {
            let items = obj
                .get("items")
                .ok_or("an array without items has no Connect form")?;
            Schema::array(Arc::new(to_connect(items, depth + 1)?))
        }
        ("object", _)
            if obj.get("additionalProperties").is_some_and(Json::is_object)
                && !obj.contains_key("properties") =>
        {
            let v = to_connect(&obj["additionalProperties"], depth + 1)?;
            Schema::map(Arc::new(Schema::new(SchemaKind::String)), Arc::new(v))
        }
        ("object", _) => {
            let required: Vec<&str> = obj
                .get("required")
                .and_then(Json::as_array)
                .map(|r| r.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            let mut fields: Vec<(usize, usize, String, Arc<Schema>)> = Vec::new();
            if let Some(Json::Object(props)) = obj.get("properties") {
                for (pos, (name, p)) in props.iter().enumerate() {
                    let mut fs = to_connect(p, depth + 1).map_err(|e| format!("property {name}: {e}"))?;
                    if !required.contains(&name.as_str()) {
                        fs.optional = true;
                    }
                    let index = p
                        .get("connect.index")
                        .and_then(Json::as_u64)
                        .and_then(|i| usize::try_from(i).ok())
                        .unwrap_or(usize::MAX);
                    fields.push((index, pos, name.clone(), Arc::new(fs)));
                }
            }
            fields.sort_by_key(|(index, pos, _, _)| (*index, *pos));
            Schema::structure(fields.into_iter().map(|(_, _, n, s)| (n, s)))
        }
        (other, _) => return Err(format!("type {other:?} has no Connect form")),
    };
    if nullable {
        s.optional = true;
    }
    if let Some(title) = title {
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
    Ok(s)
}

/// The Connect schema of a schema id (reader side).
pub struct JsonSchemaReader {
    pub id: i32,
    pub schema: Arc<Schema>,
}

struct JsonSchemaWriter {
    id: i32,
}

pub struct JsonSchemaConverter {
    config: SerdeConfig,
    writers: WriterCache<JsonSchemaWriter>,
    readers: ReaderCache<JsonSchemaReader>,
}

impl std::fmt::Debug for JsonSchemaConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSchemaConverter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Reads the JSON after the wire header with a reader (exposed for fuzzing).
pub fn decode_json(reader: &JsonSchemaReader, topic: &str, bytes: &[u8]) -> Result<Data, ConnectError> {
    let value = schemas::json::from_json_bytes(Some(&reader.schema), bytes, &OPTIONS)
        .map_err(|e| ConnectError::data(format!("topic {topic}: schema id {}: {}", reader.id, e.message)))?;
    Ok(Data::new(Some(reader.schema.clone()), value))
}

impl JsonSchemaConverter {
    /// Sub-keys as [`crate::AvroConverter::new`].
    pub fn new(
        props: &BTreeMap<String, String>,
        is_key: bool,
        context: &ConverterContext,
    ) -> Result<Self, ConnectError> {
        Ok(JsonSchemaConverter {
            config: SerdeConfig::new(props, is_key, context)?,
            writers: WriterCache::default(),
            readers: ReaderCache::default(),
        })
    }

    pub async fn reader(&self, topic: &str, id: i32) -> Result<Arc<JsonSchemaReader>, ConnectError> {
        if let Some(r) = self.readers.get(id) {
            return Ok(r);
        }
        let registered = schema_for_id(&self.config, topic, id, SchemaType::Json).await?;
        let ParsedSchema::Json(parsed) = registered.parsed.as_ref() else {
            return Err(ConnectError::schema(format!(
                "topic {topic}: schema id {id} is not a JSON schema"
            )));
        };
        let schema = to_connect_schema(parsed.value())
            .map_err(|e| ConnectError::schema(format!("topic {topic}: schema id {id}: {e}")))?;
        let r = Arc::new(JsonSchemaReader {
            id,
            schema: Arc::new(schema),
        });
        self.readers.put(id, r.clone());
        Ok(r)
    }
}

#[async_trait]
impl Converter for JsonSchemaConverter {
    async fn from_connect(&self, topic: &str, data: Option<&Data>) -> Result<Option<Bytes>, ConnectError> {
        let Some(data) = data else { return Ok(None) };
        let Some(schema) = &data.schema else {
            if matches!(data.value, schemas::Value::Null) {
                return Ok(None);
            }
            return Err(schemaless_error("JsonSchemaConverter", topic));
        };
        if matches!(data.value, schemas::Value::Null) && schema.optional {
            return Ok(None);
        }
        let w = match self.writers.get(schema, topic) {
            Some(w) => w,
            None => {
                let text = to_json_schema(schema).to_string();
                let (id, _) = resolve_writer(
                    &self.config,
                    topic,
                    schema.name.as_deref(),
                    &SchemaText::new(SchemaType::Json, text),
                )
                .await?;
                let w = Arc::new(JsonSchemaWriter { id });
                self.writers.put(schema, topic, w.clone());
                w
            }
        };
        let mut out = Vec::with_capacity(64);
        wire::write_header(&mut out, w.id);
        schemas::json::write_json(&mut out, Some(schema), &data.value, &OPTIONS)
            .map_err(|e| ConnectError::data(format!("topic {topic}: {}", e.message)))?;
        Ok(Some(Bytes::from(out)))
    }

    async fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<Option<Data>, ConnectError> {
        let Some(bytes) = bytes else { return Ok(None) };
        let (id, rest) = wire::read_header(topic, bytes)?;
        let reader = self.reader(topic, id).await?;
        decode_json(&reader, topic, rest).map(Some)
    }
}

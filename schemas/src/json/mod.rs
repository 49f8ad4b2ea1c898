//! Bridge between Connect data and JSON, exactly as Kafka Connect's `JsonConverter` maps them.
//!
//! - [`schema`]: Connect schemas <-> Connect's JSON schema format (`type`, `optional`, `fields`
//!   with `field`, `items`, `keys` / `values`, `name`, `version`, `doc`, `parameters`, `default`).
//! - [`encode`]: Connect data -> JSON through `serde::Serialize` ([`JsonView`]), so a sink or a
//!   converter writes straight into its output buffer without an intermediate tree.
//! - [`decode`]: JSON -> Connect data, with a schema or schemaless (Kafka's inference: objects
//!   become maps with string keys, integers int64, other numbers float64).
//! - [`infer`]: a Connect struct schema inferred from a JSON document (file source formats).
//! - [`decimal`]: Decimal's unscaled two's-complement bytes <-> decimal text.
//!
//! Rule: every error names where it happened (`field address.zip: ...`) and never panics on
//! outside input; errors are `ErrorKind::Data` (or `Schema` for a bad JSON schema).

use std::fmt;

use crate::{ConnectError, Data, Schema, Value};

pub mod decimal;
pub mod decode;
pub mod encode;
mod fast;
pub mod infer;
pub mod scalars;
pub mod schema;

pub use decode::{from_json, schemaless_from_json};
pub use encode::{JsonView, OmitNulls};
pub use infer::{infer_data, infer_schema};
pub use schema::{schema_from_json, schema_to_json};

/// How decimals are written (`decimal.format`). Reading accepts both forms, as Kafka does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the unscaled big-endian two's-complement integer (Kafka's default).
    #[default]
    Base64,
    /// A JSON number with the schema's scale, e.g. `10.25`.
    Numeric,
}

impl DecimalFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "BASE64" => Some(DecimalFormat::Base64),
            "NUMERIC" => Some(DecimalFormat::Numeric),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonOptions {
    pub decimal_format: DecimalFormat,
    /// A null for a field whose schema has a default is written / read as that default
    /// (Kafka's `replace.null.with.default`, default true).
    pub replace_null_with_default: bool,
    /// How a map that is not a JSON object travels.
    pub dialect: JsonDialect,
}

/// How a Connect map with non-string keys is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonDialect {
    /// Kafka's `JsonConverter`: keys of schema type string make an object; any other map is an
    /// array of `[key, value]` pairs.
    #[default]
    Kafka,
    /// Confluent's `JsonSchemaData`: only non-optional string keys make an object; any other
    /// map is an array of `{"key": k, "value": v}` objects; a `oneOf` struct is the value of
    /// its one set field.
    Confluent,
}

/// The struct that stands for a JSON Schema `oneOf` in Confluent's mapping.
pub const ONE_OF: &str = "io.confluent.connect.json.OneOf";
/// Connect's generalized union parameter (`ConnectUnion`).
pub const GENERALIZED_UNION: &str = "org.apache.kafka.connect.data.Union";

impl JsonDialect {
    /// Whether `schema` is a union struct this dialect writes as its one set branch.
    pub fn is_union(self, schema: &Schema) -> bool {
        self == JsonDialect::Confluent
            && schema.kind == crate::SchemaKind::Struct
            && (schema.name.as_deref() == Some(ONE_OF) || schema.parameters.contains_key(GENERALIZED_UNION))
    }

    /// Whether a map with this key schema is a JSON object.
    pub fn object_mode(self, key_schema: Option<&Schema>) -> bool {
        key_schema.is_some_and(|k| {
            k.kind == crate::SchemaKind::String && (self == JsonDialect::Kafka || !k.optional)
        })
    }
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
            dialect: JsonDialect::Kafka,
        }
    }
}

/// Where in a value we are, for error messages. A linked list on the stack: free unless an
/// error is rendered.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => write!(f, "{name}"),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Path::Key(parent) => write!(f, "{parent}<key>"),
        }
    }
}

impl Path<'_> {
    /// `field a.b: ` or nothing at the root.
    pub(crate) fn prefix(&self) -> String {
        match self {
            Path::Root => String::new(),
            other => format!("field {other}: "),
        }
    }
}

/// Connect data -> a JSON tree (no envelope).
pub fn to_json(
    schema: Option<&Schema>,
    value: &Value,
    options: &JsonOptions,
) -> Result<serde_json::Value, ConnectError> {
    serde_json::to_value(JsonView::new(schema, value, options)).map_err(|e| ConnectError::data(e.to_string()))
}

/// Connect data -> JSON text appended to `out` (no envelope).
pub fn write_json(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    value: &Value,
    options: &JsonOptions,
) -> Result<(), ConnectError> {
    serde_json::to_writer(out, &JsonView::new(schema, value, options))
        .map_err(|e| ConnectError::data(e.to_string()))
}

/// As [`write_json`], leaving out the null properties `omit` names (a JSON Schema writer whose
/// schema does not accept null there).
pub fn write_json_omitting(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    value: &Value,
    options: &JsonOptions,
    omit: Option<&OmitNulls>,
) -> Result<(), ConnectError> {
    serde_json::to_writer(out, &JsonView::new(schema, value, options).omitting(omit))
        .map_err(|e| ConnectError::data(e.to_string()))
}

/// JSON text -> Connect value (no envelope). With a schema, values are read straight from the
/// parser; anything unusual (and every error) goes through the tree-based [`from_json`], which
/// names the field at fault.
pub fn from_json_bytes(
    schema: Option<&std::sync::Arc<Schema>>,
    bytes: &[u8],
    options: &JsonOptions,
) -> Result<Value, ConnectError> {
    if let Some(schema) = schema
        && fast::supported(schema)
        && let Some(value) = fast::parse(schema, bytes, options)
    {
        return Ok(value);
    }
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ConnectError::data(describe_json_error(&e)))?;
    from_json(schema, &json, options)
}

/// JSON records -> Connect values straight from the parser, for a caller that refuses fields
/// its schema lacks (HTTP ingestion). None whenever the tree path must decide for any record:
/// a key the schema lacks, a type mismatch, bad JSON, a Decimal; the tree path then gives the
/// precise answer. When it is Some, each value is what [`from_json`] gives for its text.
pub fn records_known_fields(schema: &Schema, records: &[&[u8]], options: &JsonOptions) -> Option<Vec<Value>> {
    if !fast::supported(schema) {
        return None;
    }
    records
        .iter()
        .map(|r| fast::parse_known_fields(schema, r, options))
        .collect()
}

/// As [`records_known_fields`] for a JSON array of records, read in one pass (no cutting into
/// records first).
pub fn array_known_fields(schema: &Schema, body: &[u8], options: &JsonOptions) -> Option<Vec<Value>> {
    if !fast::supported(schema) {
        return None;
    }
    fast::parse_array_known_fields(schema, body, options)
}

/// One line of JSON for a value (no envelope; decimals as numbers, for readers).
pub fn to_json_string(data: &Data) -> Result<String, ConnectError> {
    let options = JsonOptions {
        decimal_format: DecimalFormat::Numeric,
        replace_null_with_default: true,
        dialect: JsonDialect::Kafka,
    };
    let mut out = Vec::new();
    write_json(&mut out, data.schema.as_deref(), &data.value, &options)?;
    String::from_utf8(out).map_err(|e| ConnectError::internal(format!("JSON output is not UTF-8: {e}")))
}

/// The JSON node type name Kafka's messages use (`OBJECT`, `ARRAY`, `STRING`, ...).
pub fn json_type_name(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "NULL",
        serde_json::Value::Bool(_) => "BOOLEAN",
        serde_json::Value::Number(_) => "NUMBER",
        serde_json::Value::String(_) => "STRING",
        serde_json::Value::Array(_) => "ARRAY",
        serde_json::Value::Object(_) => "OBJECT",
    }
}

/// A serde_json error as Weir reports bad JSON: `invalid JSON at line L column C: what`.
pub fn describe_json_error(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let what = full.strip_suffix(&suffix).unwrap_or(&full);
    format!(
        "invalid JSON at line {} column {}: {what}",
        err.line(),
        err.column()
    )
}

#[cfg(test)]
mod tests;

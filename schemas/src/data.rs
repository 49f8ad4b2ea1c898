//! Kafka Connect's data model, as Weir stores it.
//!
//! Logical types keep their physical representation, as they travel on the wire:
//! `Decimal` is [`Value::Bytes`] holding the big-endian two's-complement unscaled integer
//! (parameter `scale`), `Date` is [`Value::Int32`] days since the epoch, `Time` is
//! [`Value::Int32`] milliseconds since midnight, `Timestamp` is [`Value::Int64`] milliseconds
//! since the epoch. The schema's `name` tells them apart, exactly as in Kafka Connect.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
pub const DECIMAL_SCALE: &str = "scale";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl SchemaKind {
    /// Kafka Connect's JSON name of the type (`int32`, `struct`, ...).
    pub fn connect_name(self) -> &'static str {
        match self {
            SchemaKind::Int8 => "int8",
            SchemaKind::Int16 => "int16",
            SchemaKind::Int32 => "int32",
            SchemaKind::Int64 => "int64",
            SchemaKind::Float32 => "float",
            SchemaKind::Float64 => "double",
            SchemaKind::Boolean => "boolean",
            SchemaKind::String => "string",
            SchemaKind::Bytes => "bytes",
            SchemaKind::Array => "array",
            SchemaKind::Map => "map",
            SchemaKind::Struct => "struct",
        }
    }

    pub fn from_connect_name(name: &str) -> Option<Self> {
        Some(match name {
            "int8" => SchemaKind::Int8,
            "int16" => SchemaKind::Int16,
            "int32" => SchemaKind::Int32,
            "int64" => SchemaKind::Int64,
            "float" | "float32" => SchemaKind::Float32,
            "double" | "float64" => SchemaKind::Float64,
            "boolean" => SchemaKind::Boolean,
            "string" => SchemaKind::String,
            "bytes" => SchemaKind::Bytes,
            "array" => SchemaKind::Array,
            "map" => SchemaKind::Map,
            "struct" => SchemaKind::Struct,
            _ => return None,
        })
    }
}

/// A Connect schema's parameters, in insertion order.
pub type Parameters = indexmap::IndexMap<String, String>;

/// A Connect schema. Shared as `Arc<Schema>`; cheap to clone the `Arc`, not the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub kind: SchemaKind,
    pub optional: bool,
    pub default: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// In insertion order, as Kafka's `SchemaBuilder` keeps them (a `LinkedHashMap`): the
    /// order carries meaning, e.g. the symbols of an enum. Equality ignores the order.
    pub parameters: Parameters,
    /// Struct fields, in order. Empty for other kinds.
    pub fields: Vec<Field>,
    /// Map key schema.
    pub key_schema: Option<Arc<Schema>>,
    /// Map value schema, or array element schema.
    pub value_schema: Option<Arc<Schema>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: Arc<Schema>,
}

impl Schema {
    pub fn new(kind: SchemaKind) -> Self {
        Schema {
            kind,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: Parameters::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn array(items: Arc<Schema>) -> Self {
        let mut s = Schema::new(SchemaKind::Array);
        s.value_schema = Some(items);
        s
    }
    pub fn map(keys: Arc<Schema>, values: Arc<Schema>) -> Self {
        let mut s = Schema::new(SchemaKind::Map);
        s.key_schema = Some(keys);
        s.value_schema = Some(values);
        s
    }
    /// A struct schema from `(name, schema)` pairs, indexes assigned in order.
    pub fn structure(fields: impl IntoIterator<Item = (String, Arc<Schema>)>) -> Self {
        let mut s = Schema::new(SchemaKind::Struct);
        s.fields = fields
            .into_iter()
            .enumerate()
            .map(|(index, (name, schema))| Field { name, index, schema })
            .collect();
        s
    }
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A value. Closed: every converter and sink handles every variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    String(String),
    Bytes(Bytes),
    Array(Vec<Value>),
    /// Entries in order; keys are usually strings but Connect allows any type.
    Map(Vec<(Value, Value)>),
    /// Field values by position, matching `Schema::fields`.
    Struct(Vec<Value>),
}

impl Value {
    /// The Connect type name of the variant (`int32`, `struct`, `null`, ...), for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "boolean",
            Value::Int8(_) => "int8",
            Value::Int16(_) => "int16",
            Value::Int32(_) => "int32",
            Value::Int64(_) => "int64",
            Value::Float32(_) => "float",
            Value::Float64(_) => "double",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Struct(_) => "struct",
        }
    }
}

/// A key or value: its schema (None when schemaless) and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    pub schema: Option<Arc<Schema>>,
    pub value: Value,
}

impl Data {
    pub fn new(schema: Option<Arc<Schema>>, value: Value) -> Self {
        Data { schema, value }
    }
    pub fn schemaless(value: Value) -> Self {
        Data { schema: None, value }
    }
}

/// A record header; the value is raw bytes (Kafka's header model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub key: String,
    pub value: Option<Bytes>,
}

/// One record as it moves through transforms and converters.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub topic: String,
    /// Requested partition; None lets the log choose (by key hash, or round robin).
    pub partition: Option<i32>,
    pub key: Option<Data>,
    /// None is a tombstone.
    pub value: Option<Data>,
    pub headers: Vec<Header>,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
}

impl Record {
    pub fn new(topic: impl Into<String>, key: Option<Data>, value: Option<Data>) -> Self {
        Record {
            topic: topic.into(),
            partition: None,
            key,
            value,
            headers: Vec::new(),
            timestamp: None,
        }
    }
}

/// A source's own position, as Kafka Connect stores it: a source partition (for the file
/// source `{"filename": ".."}`) and the offset within it (`{"position": 1234}`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePosition {
    pub partition: serde_json::Map<String, serde_json::Value>,
    pub offset: serde_json::Map<String, serde_json::Value>,
}

/// What a source hands the runtime per poll. Positions are the source's positions after the
/// whole batch, one per source partition it touched: the runtime stores them once every record
/// of the batch has been acknowledged by the log, so a batch is the unit of progress (this is
/// cheaper than a position per record and loses nothing: a restart resumes after the last
/// fully acknowledged batch).
#[derive(Debug, Clone, Default)]
pub struct SourceBatch {
    pub records: Vec<Record>,
    pub positions: Vec<SourcePosition>,
}

#[derive(Debug)]
pub enum Polled {
    Batch(SourceBatch),
    /// Nothing new right now; the runtime waits a little and polls again.
    Idle,
    /// The source has nothing more, ever (a bounded input fully read).
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

/// A record read from the log for a sink.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkRecord {
    pub record: Record,
    pub partition: i32,
    pub offset: i64,
}

/// What a sink reports durable after `flush`: per topic-partition, the next offset to consume
/// (Kafka's commit convention: last written offset + 1). The runtime commits exactly these.
pub type Committable = BTreeMap<TopicPartition, i64>;

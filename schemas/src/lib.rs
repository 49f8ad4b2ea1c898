//! Weir's vocabulary. No network, no database, no tokio runtime.
//!
//! - [`data`]: Kafka Connect's data model: [`Schema`], [`Value`], [`Data`], [`Record`] and the
//!   batch types sources and sinks exchange with the runtime.
//! - [`config`]: Kafka Connect's `ConfigDef`: declared keys, validation, typed getters.
//! - [`error`]: [`ConnectError`], the error every connector and converter returns: a kind plus
//!   "can a retry help".
//! - [`json`]: the bridge between Connect data and `serde_json` (used by the JSON converter,
//!   the file connectors and schema inference).
//! - [`registry`]: schema languages (Avro, Protobuf, JSON Schema), their compatibility checks,
//!   and the registry rules (subjects, versions, ids, config, modes) over a storage trait.
//!
//! The one rule: a struct [`Value`] stores its fields by position against its [`Schema`];
//! field names live only in the schema, never per record.

pub mod config;
pub mod data;
pub mod error;
pub mod json;
pub mod registry;

pub use data::{
    Committable, Data, Field, Header, Parameters, Polled, Record, Schema, SchemaKind, SinkRecord,
    SourceBatch, SourcePosition, TopicPartition, Value,
};
pub use error::{ConnectError, ErrorKind};

//! The contract between the registry and its schema languages.
//!
//! Each language module (`avro`, `protobuf`, `json_schema`) provides:
//! - `parse(text, references) -> Result<Parsed, SchemaError>`: the references are already
//!   resolved (transitively, deepest first) by the registry to their schema text;
//! - `canonical(&Parsed) -> String`: the text the registry stores and returns, and compares for
//!   "same schema" (Confluent: Avro answers canonical JSON text);
//! - `normalize(&Parsed) -> String`: the normalized text used with `normalize=true`;
//! - `check(reader, writer, &CheckOptions) -> Vec<String>`: can a consumer using `reader` read
//!   what `writer` wrote? Empty means yes; otherwise one readable message per incompatibility.

use std::fmt;
use std::str::FromStr;

use super::{avro, json_schema, protobuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SchemaType {
    type Err = SchemaError;
    fn from_str(s: &str) -> Result<Self, SchemaError> {
        match s.to_ascii_uppercase().as_str() {
            "AVRO" => Ok(SchemaType::Avro),
            "PROTOBUF" => Ok(SchemaType::Protobuf),
            "JSON" => Ok(SchemaType::Json),
            other => Err(SchemaError::new(format!("unknown schema type {other:?}"))),
        }
    }
}

/// A reference as Confluent's API carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A reference resolved by the registry to the text it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedReference {
    /// The reference name: an Avro full name, a Protobuf import path, a JSON Schema `$ref` URL.
    pub name: String,
    pub schema_type: SchemaType,
    pub schema: String,
}

/// An unparsable or invalid schema. `message` carries the parser's words and position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SchemaError {
    pub message: String,
}

impl SchemaError {
    pub fn new(message: impl Into<String>) -> Self {
        SchemaError {
            message: message.into(),
        }
    }
}

/// Options of the directional check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// JSON Schema `compatibilityPolicy=LENIENT`; ignored by the other languages.
    pub lenient: bool,
}

/// A parsed schema of any language.
#[derive(Debug, Clone)]
pub enum ParsedSchema {
    Avro(avro::AvroSchema),
    Protobuf(protobuf::ProtobufSchema),
    Json(json_schema::JsonSchema),
}

impl ParsedSchema {
    pub fn parse(
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference],
    ) -> Result<ParsedSchema, SchemaError> {
        Ok(match schema_type {
            SchemaType::Avro => ParsedSchema::Avro(avro::parse(text, references)?),
            SchemaType::Protobuf => ParsedSchema::Protobuf(protobuf::parse(text, references)?),
            SchemaType::Json => ParsedSchema::Json(json_schema::parse(text, references)?),
        })
    }

    pub fn schema_type(&self) -> SchemaType {
        match self {
            ParsedSchema::Avro(_) => SchemaType::Avro,
            ParsedSchema::Protobuf(_) => SchemaType::Protobuf,
            ParsedSchema::Json(_) => SchemaType::Json,
        }
    }

    pub fn canonical(&self) -> String {
        match self {
            ParsedSchema::Avro(s) => avro::canonical(s),
            ParsedSchema::Protobuf(s) => protobuf::canonical(s),
            ParsedSchema::Json(s) => json_schema::canonical(s),
        }
    }

    pub fn normalize(&self) -> String {
        match self {
            ParsedSchema::Avro(s) => avro::normalize(s),
            ParsedSchema::Protobuf(s) => protobuf::normalize(s),
            ParsedSchema::Json(s) => json_schema::normalize(s),
        }
    }

    /// Can a consumer using `reader` read data written with `writer`? Empty: yes.
    /// Schemas of different languages are never compatible.
    pub fn check(reader: &ParsedSchema, writer: &ParsedSchema, options: &CheckOptions) -> Vec<String> {
        match (reader, writer) {
            (ParsedSchema::Avro(r), ParsedSchema::Avro(w)) => avro::check(r, w, options),
            (ParsedSchema::Protobuf(r), ParsedSchema::Protobuf(w)) => protobuf::check(r, w, options),
            (ParsedSchema::Json(r), ParsedSchema::Json(w)) => json_schema::check(r, w, options),
            (r, w) => vec![format!(
                "schema type changed from {} to {}",
                w.schema_type(),
                r.schema_type()
            )],
        }
    }
}

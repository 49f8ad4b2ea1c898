//! Placeholder until the avro language lands: every parse is refused with a clear error.

use super::language::{CheckOptions, ResolvedReference, SchemaError};

#[derive(Debug, Clone)]
pub struct AvroSchema {
    text: String,
}

pub fn parse(_text: &str, _references: &[ResolvedReference]) -> Result<AvroSchema, SchemaError> {
    Err(SchemaError::new("avro schemas are not supported yet"))
}

pub fn canonical(schema: &AvroSchema) -> String {
    schema.text.clone()
}

pub fn normalize(schema: &AvroSchema) -> String {
    schema.text.clone()
}

pub fn check(_reader: &AvroSchema, _writer: &AvroSchema, _options: &CheckOptions) -> Vec<String> {
    vec!["avro compatibility is not supported yet".to_string()]
}

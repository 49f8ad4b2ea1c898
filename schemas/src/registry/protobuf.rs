//! Placeholder until the protobuf language lands: every parse is refused with a clear error.

use super::language::{CheckOptions, ResolvedReference, SchemaError};

#[derive(Debug, Clone)]
pub struct ProtobufSchema {
    text: String,
}

pub fn parse(_text: &str, _references: &[ResolvedReference]) -> Result<ProtobufSchema, SchemaError> {
    Err(SchemaError::new("protobuf schemas are not supported yet"))
}

pub fn canonical(schema: &ProtobufSchema) -> String {
    schema.text.clone()
}

pub fn normalize(schema: &ProtobufSchema) -> String {
    schema.text.clone()
}

pub fn check(_reader: &ProtobufSchema, _writer: &ProtobufSchema, _options: &CheckOptions) -> Vec<String> {
    vec!["protobuf compatibility is not supported yet".to_string()]
}

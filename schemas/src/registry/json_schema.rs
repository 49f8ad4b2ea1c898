//! Placeholder until the json_schema language lands: every parse is refused with a clear error.

use super::language::{CheckOptions, ResolvedReference, SchemaError};

#[derive(Debug, Clone)]
pub struct JsonSchema {
    text: String,
}

pub fn parse(_text: &str, _references: &[ResolvedReference]) -> Result<JsonSchema, SchemaError> {
    Err(SchemaError::new("json_schema schemas are not supported yet"))
}

pub fn canonical(schema: &JsonSchema) -> String {
    schema.text.clone()
}

pub fn normalize(schema: &JsonSchema) -> String {
    schema.text.clone()
}

pub fn check(_reader: &JsonSchema, _writer: &JsonSchema, _options: &CheckOptions) -> Vec<String> {
    vec!["json_schema compatibility is not supported yet".to_string()]
}

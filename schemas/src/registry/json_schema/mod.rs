//! JSON Schema, the registry's `JSON` schema type (drafts 4, 6, 7, 2019-09 and 2020-12).
//!
//! - [`parse`](parse()): text and resolved references to a checked schema ([`parse`](mod@parse)
//!   module: JSON, draft, metaschema; [`load`]: the typed model with `$ref`s resolved);
//! - [`canonical`](canonical()) / [`normalize`](normalize()): the stored texts ([`mod@canonical`]);
//! - [`check`](check()): can a consumer using `reader` read every document valid under
//!   `writer`? Confluent's rules ([`compat`]), STRICT or LENIENT.
//!
//! Rule: a [`JsonSchema`] is immutable and cheap to clone; its model is built once at parse.

mod canonical;
mod compat;
mod load;
mod model;
mod parse;
mod refs;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde_json::Value;

pub use model::Draft;

use super::language::{CheckOptions, ResolvedReference, SchemaError};

#[derive(Debug, Clone)]
pub struct JsonSchema {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    value: Value,
    canonical: String,
    draft: Draft,
    model: model::Model,
}

impl JsonSchema {
    /// The parsed schema document (without its references).
    pub fn value(&self) -> &Value {
        &self.inner.value
    }

    /// The draft the schema declares with `$schema` (draft 7 when it declares none).
    pub fn draft(&self) -> Draft {
        self.inner.draft
    }
}

/// Parses and checks a JSON schema; `references` are the schemas its `$ref`s name, by the
/// name used in the `$ref`.
pub fn parse(text: &str, references: &[ResolvedReference]) -> Result<JsonSchema, SchemaError> {
    parse::parse(text, references)
}

pub fn canonical(schema: &JsonSchema) -> String {
    canonical::canonical(schema)
}

pub fn normalize(schema: &JsonSchema) -> String {
    canonical::normalize(schema)
}

/// Can a consumer using `reader` read every document valid under `writer`? Empty: yes;
/// otherwise one message per incompatible difference, in Confluent's words and error types.
pub fn check(reader: &JsonSchema, writer: &JsonSchema, options: &CheckOptions) -> Vec<String> {
    compat::check(&writer.inner.model, &reader.inner.model, options.lenient)
}

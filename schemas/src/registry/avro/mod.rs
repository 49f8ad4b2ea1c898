//! The Avro schema language of the registry (the contract is in `language`).
//!
//! - [`parse`] (in `parse.rs`): text plus resolved references -> [`AvroSchema`]; `apache_avro`
//!   validates, Weir's arena (`model.rs`) describes.
//! - [`canonical`] / [`normalize`] (in `canonical.rs`): the text Confluent Schema Registry stores
//!   and answers: Avro Java's `Schema.toString` of the parsed schema; normalized per
//!   Confluent's `normalize=true`.
//! - [`check`] (in `compat.rs`): Avro schema resolution, "can `reader` read what `writer` wrote".
//!
//! An [`AvroSchema`] is immutable and cheap to clone (its parts are shared).

mod canonical;
mod compat;
mod intern;
mod model;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;

use super::language::{CheckOptions, ResolvedReference, SchemaError};
use model::{Arena, Node, NodeId};

/// A parsed, valid Avro schema together with the named types of its references.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    arena: Arc<Arena>,
    root: NodeId,
    /// Full names defined by the references (written as names, never inlined, in the canonical text).
    reference_names: Arc<HashSet<String>>,
    raw: Arc<apache_avro::Schema>,
    raw_references: Arc<Vec<apache_avro::Schema>>,
    canonical: Arc<str>,
}

impl AvroSchema {
    /// The schema as `apache_avro` parsed it (for encoders and decoders). Named types defined by
    /// references appear in it as `Schema::Ref`; [`AvroSchema::referenced_schemata`] holds them.
    pub fn avro(&self) -> &apache_avro::Schema {
        &self.raw
    }

    /// The schemas of the references, as `apache_avro` parsed them (to resolve `Schema::Ref`s,
    /// e.g. with `apache_avro::schema::ResolvedSchema::new_with_known_schemata`).
    pub fn referenced_schemata(&self) -> &[apache_avro::Schema] {
        &self.raw_references
    }

    /// The full name of the top-level type when it is a record (what Confluent's
    /// RecordNameStrategy names subjects after); `None` otherwise.
    pub fn record_full_name(&self) -> Option<String> {
        match self.arena.node(self.root) {
            Node::Record(r) => Some(r.named.name.full()),
            _ => None,
        }
    }

    /// The full name of the top-level type when it is a named type (record, enum or fixed).
    pub fn full_name(&self) -> Option<String> {
        match self.arena.node(self.root) {
            Node::Record(r) => Some(r.named.name.full()),
            Node::Enum { named, .. } | Node::Fixed { named, .. } => Some(named.name.full()),
            _ => None,
        }
    }

    /// Whether a named type with this full name comes from a reference.
    pub fn is_referenced_name(&self, full_name: &str) -> bool {
        self.reference_names.contains(full_name)
    }

    /// Confluent's canonical text (see [`canonical`]).
    pub fn canonical_text(&self) -> &str {
        &self.canonical
    }
}

/// Parses Avro schema text; `references` are the texts of the named types it refers to by name.
pub fn parse(text: &str, references: &[ResolvedReference]) -> Result<AvroSchema, SchemaError> {
    parse::parse(text, references)
}

/// The text Confluent Schema Registry stores and answers for this schema: compact JSON keeping
/// doc, defaults, aliases, logical types and custom properties; the same for any whitespace.
pub fn canonical(schema: &AvroSchema) -> String {
    schema.canonical.to_string()
}

/// Confluent's `normalize=true` text: properties and aliases sorted, empty docs of named types
/// dropped, names resolved.
pub fn normalize(schema: &AvroSchema) -> String {
    canonical::write(schema, canonical::Style::Normalized)
}

/// Can a consumer using `reader` read data written with `writer`? Empty: yes; otherwise one
/// message per incompatibility, in Confluent's shape, naming the path in the reader schema.
pub fn check(reader: &AvroSchema, writer: &AvroSchema, _options: &CheckOptions) -> Vec<String> {
    // Every resolution rule is reflexive: the same schema always reads itself. (With references,
    // equal texts can still name different versions of a referenced type.)
    let same = Arc::ptr_eq(&reader.arena, &writer.arena) && reader.root == writer.root;
    let same_text = reader.reference_names.is_empty()
        && writer.reference_names.is_empty()
        && reader.canonical == writer.canonical;
    if same || same_text {
        return Vec::new();
    }
    compat::check(
        compat::Side {
            arena: &reader.arena,
            root: reader.root,
        },
        compat::Side {
            arena: &writer.arena,
            root: writer.root,
        },
    )
    .iter()
    .map(compat::Incompatibility::message)
    .collect()
}

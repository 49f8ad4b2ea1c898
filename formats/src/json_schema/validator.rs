//! A `jsonschema` validator for a registered JSON schema that validates as Confluent's
//! serializers do: under the draft the schema declares with `$schema` (draft 7 when it declares
//! none or an unknown one, as the registry reads it; `jsonschema` alone would take 2020-12),
//! and `format` checked under drafts 4, 6 and 7 (under 2019-09 and 2020-12 it is an
//! annotation, as those drafts say, unless the schema's dialect asserts it), and `$ref`s to the
//! schema's registry references resolved to their documents.
//!
//! Rule: nothing is fetched over the network; a `$ref` that names neither a place in the
//! schema nor one of its references is a schema error naming the `$ref`.

use std::collections::HashMap;

use jsonschema::{Retrieve, Uri};
use schemas::registry::json_schema::{Draft, JsonSchema};
use serde_json::Value;

/// The validator for `schema`, a schema without registry references.
pub fn validator(schema: &JsonSchema) -> Result<jsonschema::Validator, String> {
    validator_with_references(schema, &[])
}

/// The validator for `schema`; `references` are its registry references, and theirs, as
/// (reference name, document).
pub fn validator_with_references(
    schema: &JsonSchema,
    references: &[(String, Value)],
) -> Result<jsonschema::Validator, String> {
    let (draft, formats) = match schema.draft() {
        Draft::Draft4 => (jsonschema::Draft::Draft4, true),
        Draft::Draft6 => (jsonschema::Draft::Draft6, true),
        Draft::Draft7 => (jsonschema::Draft::Draft7, true),
        Draft::Draft2019 => (jsonschema::Draft::Draft201909, false),
        Draft::Draft2020 => (jsonschema::Draft::Draft202012, false),
    };
    let mut options = jsonschema::options().with_draft(draft);
    if formats {
        options = options.should_validate_formats(true);
    }
    options
        .with_retriever(References::new(schema.value(), references))
        .build(schema.value())
        .map_err(|e| e.to_string())
}

/// The documents a `$ref` may name by URI: each reference by its name, by its name resolved
/// against the root's base URI (`jsonschema`'s default base, or the root's `$id`), and by its
/// own `$id`; as the registry's own resolution finds them.
struct References {
    docs: HashMap<String, Value>,
}

impl References {
    fn new(root: &Value, references: &[(String, Value)]) -> References {
        let bases: Vec<Uri<String>> = ["json-schema:///"]
            .into_iter()
            .chain(root.get("$id").and_then(Value::as_str))
            .filter_map(|base| jsonschema::uri::from_str(base).ok())
            .collect();
        let mut docs = HashMap::new();
        for (name, doc) in references {
            docs.insert(name.clone(), doc.clone());
            for base in &bases {
                if let Ok(uri) = jsonschema::uri::resolve_against(&base.borrow(), name) {
                    docs.insert(uri.as_str().to_owned(), doc.clone());
                }
            }
            if let Some(id) = doc.get("$id").and_then(Value::as_str) {
                docs.insert(id.trim_end_matches('#').to_owned(), doc.clone());
            }
        }
        References { docs }
    }
}

impl Retrieve for References {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str().split('#').next().unwrap_or_default();
        self.docs.get(wanted).cloned().ok_or_else(|| {
            format!("$ref {wanted} names no schema: not in the schema and not among its references").into()
        })
    }
}

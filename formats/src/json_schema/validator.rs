//! A `jsonschema` validator for a registered JSON schema that validates as Confluent's
//! serializers do: under the draft the schema declares with `$schema` (draft 7 when it declares
//! none or an unknown one, as the registry reads it; `jsonschema` alone would take 2020-12),
//! and `format` checked under drafts 4, 6 and 7 (under 2019-09 and 2020-12 it is an
//! annotation, as those drafts say, unless the schema's dialect asserts it).

use schemas::registry::json_schema::{Draft, JsonSchema};

/// The validator for `schema`.
pub fn validator(schema: &JsonSchema) -> Result<jsonschema::Validator, String> {
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
    options.build(schema.value()).map_err(|e| e.to_string())
}

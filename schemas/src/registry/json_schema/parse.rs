//! From schema text to a checked [`JsonSchema`]: JSON syntax (errors carry line and column),
//! the draft named by `$schema`, validation against that draft's metaschema, then the model
//! with every `$ref` resolved (locally or through the registry's references).
//!
//! Rule: anything the registry stores has passed all four steps; a failure names the step, the
//! reference (if any) and the position.

use std::sync::Arc;

use serde_json::Value;

use super::load::{self, Document};
use super::model::Draft;
use super::{Inner, JsonSchema};
use crate::registry::language::{ResolvedReference, SchemaError};

/// Bytes of schema text Weir accepts; the registry's request limit is smaller, this guards
/// in-process callers and the fuzzer.
const MAX_TEXT: usize = 8 * 1024 * 1024;

pub(crate) fn parse(text: &str, references: &[ResolvedReference]) -> Result<JsonSchema, SchemaError> {
    let value = parse_json(text, None)?;
    let draft = draft_of(&value, None)?;
    let mut docs = vec![Document {
        name: String::new(),
        value: value.clone(),
        draft,
    }];
    for reference in references {
        let value = parse_json(&reference.schema, Some(&reference.name))?;
        let draft = draft_of(&value, Some(&reference.name))?;
        docs.push(Document {
            name: reference.name.clone(),
            value,
            draft,
        });
    }
    let model = load::build(&docs)?;
    let canonical = serde_json::to_string(&value)
        .map_err(|e| SchemaError::new(format!("cannot serialize the schema: {e}")))?;
    Ok(JsonSchema {
        inner: Arc::new(Inner {
            value,
            canonical,
            draft,
            model,
        }),
    })
}

fn parse_json(text: &str, reference: Option<&str>) -> Result<Value, SchemaError> {
    let whose = match reference {
        Some(name) => format!("referenced schema {name:?}"),
        None => "schema".to_string(),
    };
    if text.len() > MAX_TEXT {
        return Err(SchemaError::new(format!(
            "{whose} is {} bytes, more than the {MAX_TEXT} accepted",
            text.len()
        )));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        SchemaError::new(format!(
            "invalid JSON in {whose} at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    match value {
        Value::Object(_) | Value::Bool(_) => Ok(value),
        _ => Err(SchemaError::new(format!(
            "{whose} must be a JSON object or a boolean"
        ))),
    }
}

/// The draft a document declares with `$schema`; draft 7 (Confluent's default) when absent
/// or not one of the five known metaschemas.
fn draft_of(value: &Value, reference: Option<&str>) -> Result<Draft, SchemaError> {
    let declared = value.get("$schema");
    let draft = match declared {
        None => Draft::Draft7,
        Some(Value::String(url)) => draft_from_url(url).unwrap_or(Draft::Draft7),
        Some(_) => {
            return Err(SchemaError::new(format!(
                "$schema must be a string{}",
                reference
                    .map(|r| format!(" in referenced schema {r:?}"))
                    .unwrap_or_default()
            )));
        }
    };
    validate_against_metaschema(value, draft, reference)?;
    Ok(draft)
}

pub(crate) fn draft_from_url(url: &str) -> Option<Draft> {
    let trimmed = url
        .trim_end_matches('#')
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    Some(match trimmed {
        "json-schema.org/draft-04/schema" => Draft::Draft4,
        "json-schema.org/draft-06/schema" => Draft::Draft6,
        "json-schema.org/draft-07/schema" => Draft::Draft7,
        "json-schema.org/draft/2019-09/schema" => Draft::Draft2019,
        "json-schema.org/draft/2020-12/schema" => Draft::Draft2020,
        _ => return None,
    })
}

fn validate_against_metaschema(
    value: &Value,
    draft: Draft,
    reference: Option<&str>,
) -> Result<(), SchemaError> {
    let result = match draft {
        Draft::Draft4 => jsonschema::draft4::meta::validate(value),
        Draft::Draft6 => jsonschema::draft6::meta::validate(value),
        Draft::Draft7 => jsonschema::draft7::meta::validate(value),
        Draft::Draft2019 => jsonschema::draft201909::meta::validate(value),
        Draft::Draft2020 => jsonschema::draft202012::meta::validate(value),
    };
    result.map_err(|error| {
        let path = error.instance_path().to_string();
        SchemaError::new(format!(
            "{} is not a valid {} schema at #{path}: {error}",
            reference
                .map(|r| format!("referenced schema {r:?}"))
                .unwrap_or_else(|| "schema".to_string()),
            draft_name(draft),
        ))
    })
}

pub(crate) fn draft_name(draft: Draft) -> &'static str {
    match draft {
        Draft::Draft4 => "draft-04",
        Draft::Draft6 => "draft-06",
        Draft::Draft7 => "draft-07",
        Draft::Draft2019 => "2019-09",
        Draft::Draft2020 => "2020-12",
    }
}

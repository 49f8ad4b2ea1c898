//! Builds the [`Model`] arena from parsed JSON documents: the schema itself (document 0) and
//! the schemas it references by name.
//!
//! Each schema location (document, JSON pointer) becomes at most one node, reserved before its
//! children are loaded: a `$ref` back to a location still being loaded gets that location's id,
//! which is how recursion becomes a cycle instead of endless loading (`$ref`s: [`super::refs`]). Nesting is bounded by
//! [`MAX_DEPTH`] so hostile input cannot overflow the stack.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::model::{
    Additional, ArrayRules, Criterion, Draft, Kind, Model, Node, NodeId, NumberRules, ObjectRules, Source,
    StringRules,
};
use crate::registry::language::SchemaError;

/// Deepest chain of nested schemas (through keywords and `$ref`s) the loader follows.
pub(crate) const MAX_DEPTH: usize = 64;

/// One JSON document: the schema being parsed or one of its references.
pub(crate) struct Document {
    /// The reference name (`""` for the schema itself).
    pub name: String,
    pub value: Value,
    pub draft: Draft,
}

const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "unevaluatedProperties",
];
const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "additionalItems",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "unevaluatedItems",
];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
/// Kept in the raw form of an explicit string schema (not used to infer an implicit type).
const STRING_CONTENT_KEYWORDS: &[&str] = &[
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "contentEncoding",
    "contentMediaType",
];

pub(crate) fn build(docs: &[Document]) -> Result<Model, SchemaError> {
    let mut loader = Loader {
        docs,
        nodes: Vec::new(),
        memo: HashMap::new(),
        depth: 0,
    };
    let root = loader.load(0, String::new(), &docs[0].value)?;
    Ok(Model {
        nodes: loader.nodes,
        root,
        docs: docs.iter().map(|d| d.value.clone()).collect(),
    })
}

pub(super) struct Loader<'a> {
    pub(super) docs: &'a [Document],
    nodes: Vec<Node>,
    memo: HashMap<(usize, String), NodeId>,
    depth: usize,
}

pub(super) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

pub(super) fn at(pointer: &str) -> String {
    if pointer.is_empty() {
        "#".to_string()
    } else {
        format!("#{pointer}")
    }
}

impl<'a> Loader<'a> {
    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Loads the schema at `pointer` of document `doc`, once.
    pub(super) fn load(
        &mut self,
        doc: usize,
        pointer: String,
        value: &'a Value,
    ) -> Result<NodeId, SchemaError> {
        if let Some(&id) = self.memo.get(&(doc, pointer.clone())) {
            return Ok(id);
        }
        if self.depth >= MAX_DEPTH {
            return Err(SchemaError::new(format!(
                "schema nests deeper than {MAX_DEPTH} levels at {}",
                at(&pointer)
            )));
        }
        let id = self.push(Node::new(Kind::Empty, source(doc, &pointer, None)));
        self.memo.insert((doc, pointer.clone()), id);
        self.depth += 1;
        let node = self.build_node(doc, &pointer, value);
        self.depth -= 1;
        self.nodes[id] = node?;
        Ok(id)
    }

    fn child(
        &mut self,
        doc: usize,
        pointer: &str,
        path: &[&str],
        value: &'a Value,
    ) -> Result<NodeId, SchemaError> {
        let mut p = pointer.to_string();
        for token in path {
            p.push('/');
            p.push_str(&escape(token));
        }
        self.load(doc, p, value)
    }

    fn build_node(&mut self, doc: usize, pointer: &str, value: &'a Value) -> Result<Node, SchemaError> {
        let map = match value {
            Value::Bool(true) => return Ok(Node::new(Kind::Empty, source(doc, pointer, None))),
            Value::Bool(false) => return Ok(Node::new(Kind::False, source(doc, pointer, None))),
            Value::Object(map) => map,
            other => {
                return Err(SchemaError::new(format!(
                    "a schema must be an object or a boolean, found {} at {}",
                    type_name(other),
                    at(pointer)
                )));
            }
        };
        let draft = self.docs[doc].draft;
        let mut parts: Vec<Node> = Vec::new();

        if let Some(reference) = map.get("$ref") {
            let Some(reference) = reference.as_str() else {
                return Err(SchemaError::new(format!(
                    "$ref must be a string at {}",
                    at(pointer)
                )));
            };
            let target = self.resolve(doc, pointer, reference)?;
            let node = Node::new(Kind::Ref(target), source(doc, pointer, Some(&["$ref"])));
            // Before 2019-09 the keywords beside `$ref` are ignored.
            if draft < Draft::Draft2019 {
                return Ok(node);
            }
            parts.push(node);
        }
        if let Some(values) = map.get("enum") {
            let Some(values) = values.as_array() else {
                return Err(SchemaError::new(format!(
                    "enum must be an array at {}",
                    at(pointer)
                )));
            };
            parts.push(Node::new(
                Kind::Enum(values.clone()),
                source(doc, pointer, Some(&["enum"])),
            ));
        }
        if let Some(constant) = map.get("const") {
            parts.push(Node::new(
                Kind::Enum(vec![constant.clone()]),
                source(doc, pointer, Some(&["const"])),
            ));
        }
        for criterion in [Criterion::AllOf, Criterion::AnyOf, Criterion::OneOf] {
            let keyword = criterion.keyword();
            if let Some(list) = map.get(keyword) {
                let Some(list) = list.as_array() else {
                    return Err(SchemaError::new(format!(
                        "{keyword} must be an array at {}",
                        at(pointer)
                    )));
                };
                let mut subschemas = Vec::with_capacity(list.len());
                for (i, sub) in list.iter().enumerate() {
                    subschemas.push(self.child(doc, pointer, &[keyword, &i.to_string()], sub)?);
                }
                parts.push(Node::new(
                    Kind::Combined {
                        criterion,
                        subschemas,
                    },
                    source(doc, pointer, Some(criterion.keywords())),
                ));
            }
        }
        if let Some(not) = map.get("not") {
            let inner = self.child(doc, pointer, &["not"], not)?;
            parts.push(Node::new(Kind::Not(inner), source(doc, pointer, Some(&["not"]))));
        }
        if let Some(condition) = map.get("if") {
            let condition = self.child(doc, pointer, &["if"], condition)?;
            let then = match map.get("then") {
                Some(sub) => Some(self.child(doc, pointer, &["then"], sub)?),
                None => None,
            };
            let otherwise = match map.get("else") {
                Some(sub) => Some(self.child(doc, pointer, &["else"], sub)?),
                None => None,
            };
            parts.push(Node::new(
                Kind::Conditional {
                    condition,
                    then,
                    otherwise,
                },
                source(doc, pointer, Some(&["if", "then", "else"])),
            ));
        }
        match map.get("type") {
            Some(Value::String(name)) => parts.push(self.typed(doc, pointer, map, name, true)?),
            Some(Value::Array(names)) => {
                let mut subschemas = Vec::with_capacity(names.len());
                for name in names {
                    let Some(name) = name.as_str() else {
                        return Err(SchemaError::new(format!(
                            "type must list type names at {}",
                            at(pointer)
                        )));
                    };
                    let node = self.typed(doc, pointer, map, name, true)?;
                    subschemas.push(self.push(node));
                }
                parts.push(Node::new(
                    Kind::Combined {
                        criterion: Criterion::AnyOf,
                        subschemas,
                    },
                    source(doc, pointer, Some(&["type"])),
                ));
            }
            Some(_) => {
                return Err(SchemaError::new(format!(
                    "type must be a string or an array at {}",
                    at(pointer)
                )));
            }
            None => {
                for (name, keywords) in [
                    ("object", OBJECT_KEYWORDS),
                    ("array", ARRAY_KEYWORDS),
                    ("number", NUMBER_KEYWORDS),
                    ("string", STRING_KEYWORDS),
                ] {
                    if keywords.iter().any(|k| map.contains_key(*k)) {
                        parts.push(self.typed(doc, pointer, map, name, false)?);
                    }
                }
            }
        }

        let mut node = match parts.len() {
            0 => Node::new(Kind::Empty, source(doc, pointer, None)),
            1 => {
                let mut only = parts.remove(0);
                only.source = source(doc, pointer, None);
                only
            }
            _ => {
                let subschemas = parts.into_iter().map(|part| self.push(part)).collect();
                Node::new(
                    Kind::Combined {
                        criterion: Criterion::AllOf,
                        subschemas,
                    },
                    source(doc, pointer, None),
                )
            }
        };
        let id_keyword = if draft == Draft::Draft4 { "id" } else { "$id" };
        node.id = map.get(id_keyword).and_then(Value::as_str).map(str::to_string);
        node.title = map.get("title").and_then(Value::as_str).map(str::to_string);
        node.description = map.get("description").and_then(Value::as_str).map(str::to_string);
        node.default = map.get("default").cloned();
        Ok(node)
    }

    /// The schema of one JSON type, from that type's keywords only.
    fn typed(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'a Map<String, Value>,
        name: &str,
        explicit: bool,
    ) -> Result<Node, SchemaError> {
        let type_name: &'static str = match name {
            "null" => "null",
            "boolean" => "boolean",
            "string" => "string",
            "number" => "number",
            "integer" => "integer",
            "object" => "object",
            "array" => "array",
            other => {
                return Err(SchemaError::new(format!(
                    "unknown type {other:?} at {}",
                    at(pointer)
                )));
            }
        };
        let raw_with = |keywords: &'static [&'static str]| Source {
            doc,
            pointer: pointer.to_string(),
            keywords: Some(keywords),
            type_name: explicit.then_some(type_name),
        };
        Ok(match name {
            "null" => Node::new(Kind::Null, raw_with(&[])),
            "boolean" => Node::new(Kind::Boolean, raw_with(&[])),
            "string" => Node::new(
                Kind::String(StringRules {
                    min_length: count(map, "minLength", pointer)?,
                    max_length: count(map, "maxLength", pointer)?,
                    pattern: text(map, "pattern"),
                    format: text(map, "format"),
                    content_encoding: text(map, "contentEncoding"),
                    content_media_type: text(map, "contentMediaType"),
                }),
                raw_with(STRING_CONTENT_KEYWORDS),
            ),
            "number" | "integer" => Node::new(
                Kind::Number(number_rules(map, name == "integer", pointer)?),
                raw_with(NUMBER_KEYWORDS),
            ),
            "object" => {
                let rules = self.object_rules(doc, pointer, map)?;
                Node::new(Kind::Object(Box::new(rules)), raw_with(OBJECT_KEYWORDS))
            }
            "array" => {
                let rules = self.array_rules(doc, pointer, map)?;
                Node::new(Kind::Array(Box::new(rules)), raw_with(ARRAY_KEYWORDS))
            }
            other => {
                return Err(SchemaError::new(format!(
                    "unknown type {other:?} at {}",
                    at(pointer)
                )));
            }
        })
    }

    fn additional(
        &mut self,
        doc: usize,
        pointer: &str,
        keyword: &str,
        value: Option<&'a Value>,
    ) -> Result<Additional, SchemaError> {
        Ok(match value {
            None | Some(Value::Bool(true)) => Additional::Any,
            Some(Value::Bool(false)) => Additional::None,
            Some(schema) => Additional::Schema(self.child(doc, pointer, &[keyword], schema)?),
        })
    }

    fn object_rules(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'a Map<String, Value>,
    ) -> Result<ObjectRules, SchemaError> {
        let draft = self.docs[doc].draft;
        let mut properties = Vec::new();
        if let Some(props) = map.get("properties") {
            let Some(props) = props.as_object() else {
                return Err(SchemaError::new(format!(
                    "properties must be an object at {}",
                    at(pointer)
                )));
            };
            for (name, schema) in props {
                properties.push((
                    name.clone(),
                    self.child(doc, pointer, &["properties", name], schema)?,
                ));
            }
        }
        let required = string_list(map.get("required"), "required", pointer)?;
        let mut pattern_properties = Vec::new();
        if let Some(Value::Object(patterns)) = map.get("patternProperties") {
            for (pattern, schema) in patterns {
                let id = self.child(doc, pointer, &["patternProperties", pattern], schema)?;
                pattern_properties.push((pattern.clone(), fancy_regex::Regex::new(pattern).ok(), id));
            }
        }
        let mut additional = self.additional(
            doc,
            pointer,
            "additionalProperties",
            map.get("additionalProperties"),
        )?;
        if draft >= Draft::Draft2019 && !map.contains_key("additionalProperties") {
            additional = self.additional(
                doc,
                pointer,
                "unevaluatedProperties",
                map.get("unevaluatedProperties"),
            )?;
        }
        let mut property_dependencies = Vec::new();
        let mut schema_dependencies = Vec::new();
        for keyword in ["dependencies", "dependentRequired", "dependentSchemas"] {
            let Some(Value::Object(deps)) = map.get(keyword) else {
                continue;
            };
            for (name, dep) in deps {
                match dep {
                    Value::Array(_) if keyword != "dependentSchemas" => {
                        property_dependencies.push((name.clone(), string_list(Some(dep), keyword, pointer)?));
                    }
                    _ if keyword != "dependentRequired" => {
                        schema_dependencies
                            .push((name.clone(), self.child(doc, pointer, &[keyword, name], dep)?));
                    }
                    _ => {
                        return Err(SchemaError::new(format!(
                            "{keyword}/{name} must be an array of property names at {}",
                            at(pointer)
                        )));
                    }
                }
            }
        }
        let property_names = match map.get("propertyNames") {
            Some(schema) => Some(self.child(doc, pointer, &["propertyNames"], schema)?),
            None => None,
        };
        Ok(ObjectRules {
            property_names,
            properties,
            required,
            pattern_properties,
            additional,
            property_dependencies,
            schema_dependencies,
            min_properties: count(map, "minProperties", pointer)?,
            max_properties: count(map, "maxProperties", pointer)?,
        })
    }

    fn array_rules(
        &mut self,
        doc: usize,
        pointer: &str,
        map: &'a Map<String, Value>,
    ) -> Result<ArrayRules, SchemaError> {
        let draft = self.docs[doc].draft;
        let mut all_items = None;
        let mut tuple = Vec::new();
        let mut additional = Additional::Any;
        let tuple_from =
            |loader: &mut Self, keyword: &str, list: &'a [Value]| -> Result<Vec<NodeId>, SchemaError> {
                let mut ids = Vec::with_capacity(list.len());
                for (i, sub) in list.iter().enumerate() {
                    ids.push(loader.child(doc, pointer, &[keyword, &i.to_string()], sub)?);
                }
                Ok(ids)
            };
        if let Some(Value::Array(list)) = map.get("prefixItems") {
            tuple = tuple_from(self, "prefixItems", list)?;
            additional = self.additional(doc, pointer, "items", map.get("items"))?;
        } else {
            match map.get("items") {
                Some(Value::Array(list)) => tuple = tuple_from(self, "items", list)?,
                Some(schema) => all_items = Some(self.child(doc, pointer, &["items"], schema)?),
                None => {}
            }
        }
        if draft < Draft::Draft2020 && map.contains_key("additionalItems") {
            additional = self.additional(doc, pointer, "additionalItems", map.get("additionalItems"))?;
        } else if draft >= Draft::Draft2019
            && additional == Additional::Any
            && map.contains_key("unevaluatedItems")
        {
            additional = self.additional(doc, pointer, "unevaluatedItems", map.get("unevaluatedItems"))?;
        }
        let contains = match map.get("contains") {
            Some(schema) => Some(self.child(doc, pointer, &["contains"], schema)?),
            None => None,
        };
        Ok(ArrayRules {
            contains,
            all_items,
            tuple,
            additional,
            min_items: count(map, "minItems", pointer)?,
            max_items: count(map, "maxItems", pointer)?,
            unique_items: map.get("uniqueItems").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

fn text(map: &Map<String, Value>, keyword: &str) -> Option<String> {
    map.get(keyword).and_then(Value::as_str).map(str::to_string)
}

fn source(doc: usize, pointer: &str, keywords: Option<&'static [&'static str]>) -> Source {
    Source {
        doc,
        pointer: pointer.to_string(),
        keywords,
        type_name: None,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn count(map: &Map<String, Value>, keyword: &str, pointer: &str) -> Result<Option<u64>, SchemaError> {
    match map.get(keyword) {
        None => Ok(None),
        Some(value) => match value.as_u64().or_else(|| {
            value
                .as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }) {
            Some(n) => Ok(Some(n)),
            None => Err(SchemaError::new(format!(
                "{keyword} must be a non-negative integer at {}",
                at(pointer)
            ))),
        },
    }
}

fn number(map: &Map<String, Value>, keyword: &str, pointer: &str) -> Result<Option<f64>, SchemaError> {
    match map.get(keyword) {
        None => Ok(None),
        Some(value) => value
            .as_f64()
            .map(Some)
            .ok_or_else(|| SchemaError::new(format!("{keyword} must be a number at {}", at(pointer)))),
    }
}

fn number_rules(map: &Map<String, Value>, integer: bool, pointer: &str) -> Result<NumberRules, SchemaError> {
    let mut rules = NumberRules {
        integer,
        minimum: number(map, "minimum", pointer)?,
        maximum: number(map, "maximum", pointer)?,
        exclusive_minimum: None,
        exclusive_maximum: None,
        multiple_of: number(map, "multipleOf", pointer)?,
    };
    // Draft 4 writes an exclusive bound as a flag on minimum / maximum.
    match map.get("exclusiveMinimum") {
        Some(Value::Bool(true)) => rules.exclusive_minimum = rules.minimum.take(),
        Some(Value::Bool(false)) | None => {}
        Some(_) => rules.exclusive_minimum = number(map, "exclusiveMinimum", pointer)?,
    }
    match map.get("exclusiveMaximum") {
        Some(Value::Bool(true)) => rules.exclusive_maximum = rules.maximum.take(),
        Some(Value::Bool(false)) | None => {}
        Some(_) => rules.exclusive_maximum = number(map, "exclusiveMaximum", pointer)?,
    }
    Ok(rules)
}

fn string_list(value: Option<&Value>, keyword: &str, pointer: &str) -> Result<Vec<String>, SchemaError> {
    match value {
        None => Ok(Vec::new()),
        // Draft 3 style `"required": true` on a property: not a list, ignored.
        Some(Value::Bool(_)) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_string).ok_or_else(|| {
                    SchemaError::new(format!("{keyword} must list property names at {}", at(pointer)))
                })
            })
            .collect(),
        Some(_) => Err(SchemaError::new(format!(
            "{keyword} must be an array of property names at {}",
            at(pointer)
        ))),
    }
}

//! Which null properties a JSON Schema writer leaves out ([`OmitNulls`]).
//!
//! Connect has one way to say "no value": null. JSON Schema has two: a `null` property and an
//! absent one, and a schema may accept only the second (`"age": {"type": "integer"}` outside
//! `required`). Confluent's `JsonSchemaData` always writes `null`, so with such a schema its
//! serializer's validation (or a consumer's, confluent-kafka's `JSONDeserializer`) refuses the
//! record. Weir writes `null` where the writer's schema accepts it (every schema the converter
//! derives itself: an optional field is `oneOf [null, T]`) and leaves the property out where it
//! does not and the property is not `required` (then absent is the only valid form).
//!
//! The plan is built once per writer schema, following the Connect schema alongside the JSON
//! Schema: struct properties (also through `allOf`, a `oneOf` / `anyOf` of null and one schema,
//! and local `$ref`s), array `items` and map `additionalProperties`.

use schemas::json::OmitNulls;
use schemas::{Schema, SchemaKind};
use serde_json::{Map, Value as Json};

/// The null properties to leave out when writing values of `connect` under `json_schema`;
/// None when there are none anywhere (every null is written).
pub fn omit_nulls(json_schema: &Json, connect: &Schema) -> Option<OmitNulls> {
    Planner { root: json_schema }.plan(json_schema, connect, 0)
}

/// Whether a JSON value `null` validates against `schema` (a local `$ref` followed); true
/// when the schema says nothing against it.
pub fn accepts_null(root: &Json, schema: &Json) -> bool {
    Planner { root }.accepts_null(schema, 0)
}

const MAX_DEPTH: usize = 64;

struct Planner<'a> {
    root: &'a Json,
}

impl<'a> Planner<'a> {
    fn resolve(&self, schema: &'a Json, depth: usize) -> &'a Json {
        let mut current = schema;
        for _ in depth..MAX_DEPTH {
            match current
                .get("$ref")
                .and_then(Json::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| self.root.pointer(p))
            {
                Some(target) => current = target,
                None => break,
            }
        }
        current
    }

    fn accepts_null(&self, schema: &Json, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return true;
        }
        let schema = self.resolve(schema, depth);
        let obj = match schema {
            Json::Bool(b) => return *b,
            Json::Object(obj) => obj,
            _ => return true,
        };
        let type_ok = match obj.get("type") {
            None => true,
            Some(Json::String(t)) => t == "null",
            Some(Json::Array(ts)) => ts.iter().any(|t| t == "null"),
            Some(_) => true,
        };
        let enum_ok = match obj.get("enum") {
            Some(Json::Array(symbols)) => symbols.iter().any(Json::is_null),
            _ => true,
        };
        let const_ok = obj.get("const").is_none_or(Json::is_null);
        let any = |key: &str| match obj.get(key) {
            Some(Json::Array(branches)) => branches.iter().any(|b| self.accepts_null(b, depth + 1)),
            _ => true,
        };
        let all_ok = match obj.get("allOf") {
            Some(Json::Array(parts)) => parts.iter().all(|p| self.accepts_null(p, depth + 1)),
            _ => true,
        };
        type_ok && enum_ok && const_ok && any("oneOf") && any("anyOf") && all_ok
    }

    /// The object schemas that describe a struct's properties: the node itself, its `allOf`
    /// parts, and the one non-null branch of a `oneOf` / `anyOf`.
    fn objects(&self, schema: &'a Json, depth: usize, out: &mut Vec<&'a Map<String, Json>>) {
        if depth > MAX_DEPTH {
            return;
        }
        let Json::Object(obj) = self.resolve(schema, depth) else {
            return;
        };
        out.push(obj);
        if let Some(Json::Array(parts)) = obj.get("allOf") {
            for p in parts {
                self.objects(p, depth + 1, out);
            }
        }
        if let Some(inner) = self.non_null_branch(obj, depth) {
            self.objects(inner, depth + 1, out);
        }
    }

    /// The single branch of a `oneOf` / `anyOf` that is not `{"type": "null"}`.
    fn non_null_branch(&self, obj: &'a Map<String, Json>, depth: usize) -> Option<&'a Json> {
        ["oneOf", "anyOf"].iter().find_map(|key| {
            let Some(Json::Array(branches)) = obj.get(*key) else {
                return None;
            };
            let mut others = branches
                .iter()
                .filter(|b| self.resolve(b, depth).get("type").and_then(Json::as_str) != Some("null"));
            let one = others.next()?;
            others.next().is_none().then_some(one)
        })
    }

    /// The first schema among `objects` under `key` (`items`, `additionalProperties`).
    fn sub(&self, objects: &[&'a Map<String, Json>], key: &str) -> Option<&'a Json> {
        objects.iter().find_map(|o| o.get(key).filter(|s| s.is_object()))
    }

    fn plan(&self, schema: &'a Json, connect: &Schema, depth: usize) -> Option<OmitNulls> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut objects = Vec::new();
        self.objects(schema, depth, &mut objects);
        let plan = match connect.kind {
            SchemaKind::Struct if connect.name.as_deref() == Some(schemas::json::ONE_OF) => return None,
            SchemaKind::Struct => {
                let required = |name: &str| {
                    objects.iter().any(|o| {
                        o.get("required")
                            .and_then(Json::as_array)
                            .is_some_and(|r| r.iter().any(|n| n == name))
                    })
                };
                let mut omit = Vec::with_capacity(connect.fields.len());
                let mut fields = Vec::with_capacity(connect.fields.len());
                for f in &connect.fields {
                    let property = objects.iter().find_map(|o| {
                        o.get("properties")
                            .and_then(Json::as_object)
                            .and_then(|p| p.get(&f.name))
                    });
                    match property {
                        Some(p) => {
                            omit.push(!required(&f.name) && !self.accepts_null(p, depth + 1));
                            fields.push(self.plan(p, &f.schema, depth + 1));
                        }
                        None => {
                            omit.push(false);
                            fields.push(None);
                        }
                    }
                }
                OmitNulls {
                    omit,
                    fields,
                    items: None,
                }
            }
            SchemaKind::Array => {
                let items = self.sub(&objects, "items")?;
                let element = connect.value_schema.as_deref()?;
                OmitNulls {
                    items: Some(Box::new(self.plan(items, element, depth + 1)?)),
                    ..OmitNulls::default()
                }
            }
            SchemaKind::Map => {
                let values = self.sub(&objects, "additionalProperties")?;
                let value = connect.value_schema.as_deref()?;
                OmitNulls {
                    items: Some(Box::new(self.plan(values, value, depth + 1)?)),
                    ..OmitNulls::default()
                }
            }
            _ => return None,
        };
        let any =
            plan.omit.iter().any(|o| *o) || plan.fields.iter().any(Option::is_some) || plan.items.is_some();
        any.then_some(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_acceptance_follows_type_enum_const_combinators_and_refs() {
        let root = json!({"definitions": {"n": {"type": ["integer", "null"]}, "i": {"type": "integer"}}});
        let yes = [
            json!({}),
            json!(true),
            json!({"type": "null"}),
            json!({"type": ["string", "null"]}),
            json!({"oneOf": [{"type": "null"}, {"type": "integer"}]}),
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
            json!({"enum": ["a", null]}),
            json!({"$ref": "#/definitions/n"}),
        ];
        let no = [
            json!(false),
            json!({"type": "integer"}),
            json!({"type": ["string", "integer"]}),
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({"enum": ["a", "b"]}),
            json!({"const": 1}),
            json!({"allOf": [{"type": ["integer", "null"]}, {"type": "integer"}]}),
            json!({"$ref": "#/definitions/i"}),
        ];
        for s in &yes {
            assert!(accepts_null(&root, s), "{s} should accept null");
        }
        for s in &no {
            assert!(!accepts_null(&root, s), "{s} should refuse null");
        }
    }
}

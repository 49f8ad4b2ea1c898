//! Widening schema inference for pushed JSON records.
//!
//! The schema is a struct of optional fields. A batch can only add to it:
//! - a field the schema does not have yet becomes a new optional field (appended, so earlier
//!   fields keep their positions); a new field inside a nested struct likewise;
//! - the type of a field the schema already has is fixed: a record whose value has another
//!   type is refused by the conversion that follows ([`super::batch`]), never coerced;
//! - among records of the batch that introduces a field, an integer and a fractional number
//!   make it float64 and structs merge field by field (these are one field seen for the first
//!   time, not a change); other disagreements keep the first record's type, and the records
//!   that disagree are refused;
//! - a null, an empty array or an array of nulls says nothing about a type: such a field is not
//!   added until a record brings a value (its records read it as null meanwhile).
//!
//! Whether the widened schema may replace the registered one is not decided here: the value
//! converter registers it under the subject, whose compatibility level decides.

use std::sync::Arc;

use schemas::{Schema, SchemaKind};
use serde_json::Value as J;

/// The schema after seeing `records` (parsed JSON; unparsable records are skipped): `current`
/// itself (the same `Arc`) when nothing new was seen, so callers can compare with
/// `Arc::ptr_eq`. Without a current schema, None when no record is a JSON object.
pub fn widen(current: Option<&Arc<Schema>>, records: &[Option<&J>]) -> Option<Arc<Schema>> {
    let mut working: Option<Schema> = None;
    for json in records.iter().flatten() {
        let J::Object(_) = json else { continue };
        let base = working.as_ref().or(current.map(|c| &**c));
        let locked = current.map(|c| &**c);
        match base {
            None => {
                working = infer(json).map(|mut s| {
                    // The record itself is required; its fields are optional.
                    s.optional = false;
                    s
                })
            }
            Some(base) => {
                if let Some(next) = discover(base, locked, json) {
                    working = Some(next);
                }
            }
        }
    }
    match working {
        Some(mut s) => {
            name_nested(&mut s);
            Some(Arc::new(s))
        }
        None => current.cloned(),
    }
}

/// The namespace of inferred nested structs' names.
pub const NESTED_NAMESPACE: &str = "weir.inferred";

/// Names every nested struct that has no name yet after its path (`weir.inferred.address`,
/// `weir.inferred.address.geo`; an array's element struct after the array field). A converter
/// would otherwise number unnamed structs in the order met (`ConnectDefault2`, `3`, ...), so a
/// struct added in an earlier field would rename every later one, and the registry would
/// refuse the widened schema (a record or message type whose name changed). The root stays
/// unnamed, as Kafka Connect leaves a schemaless source's value. Path segments keep
/// `[A-Za-z0-9_]` (anything else becomes `_`, a leading digit gets a `_` before it), the
/// characters every schema language takes.
fn name_nested(root: &mut Schema) {
    fn walk(s: &mut Schema, path: &str) {
        match s.kind {
            SchemaKind::Struct => {
                if !path.is_empty() && s.name.is_none() {
                    s.name = Some(format!("{NESTED_NAMESPACE}.{path}"));
                }
                // Sibling fields whose names scrub alike (`a-b`, `a_b`) get `_2`, `_3`, ... in
                // field order: fields are only ever appended, so the names stay put.
                let mut used: Vec<String> = Vec::with_capacity(s.fields.len());
                for f in &mut s.fields {
                    let base = segment(&f.name);
                    let mut seg = base.clone();
                    let mut n = 1;
                    while used.contains(&seg) {
                        n += 1;
                        seg = format!("{base}_{n}");
                    }
                    used.push(seg.clone());
                    let child = if path.is_empty() {
                        seg
                    } else {
                        format!("{path}.{seg}")
                    };
                    walk(Arc::make_mut(&mut f.schema), &child);
                }
            }
            SchemaKind::Array => {
                if let Some(element) = s.value_schema.as_mut() {
                    walk(Arc::make_mut(element), path);
                }
            }
            _ => {}
        }
    }
    walk(root, "");
}

fn segment(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A registered schema as the base to widen from (the subject's latest version read back as
/// Connect, after a restart): a struct, the record itself required, with what inference never
/// writes (docs, versions, parameters, defaults: the reading converter's bookkeeping) left out
/// at every depth, and struct names kept, so the converter derives from it the very schema that
/// was registered. None when it is not a struct.
pub fn rebase(registered: &Schema) -> Option<Schema> {
    if registered.kind != SchemaKind::Struct {
        return None;
    }
    let mut s = bare(registered);
    s.optional = false;
    name_nested(&mut s);
    Some(s)
}

fn bare(s: &Schema) -> Schema {
    let sub = |x: &Option<Arc<Schema>>| x.as_deref().map(|x| Arc::new(bare(x)));
    let mut out = match s.kind {
        // A struct keeps its name: the registered record or message type's name (a user's
        // `Address`, or an earlier inference's `weir.inferred.address`), which the converter
        // writes back unchanged; the registry would refuse a renamed one.
        SchemaKind::Struct => {
            let mut st = Schema::structure(
                s.fields
                    .iter()
                    .map(|f| (f.name.clone(), Arc::new(bare(&f.schema)))),
            );
            st.name.clone_from(&s.name);
            st
        }
        kind => Schema {
            key_schema: sub(&s.key_schema),
            value_schema: sub(&s.value_schema),
            ..Schema::new(kind)
        },
    };
    out.optional = s.optional;
    out
}

/// The type a JSON value suggests for a field seen for the first time; None when it says
/// nothing (null, empty array, array of nulls).
fn infer(json: &J) -> Option<Schema> {
    let s = match json {
        J::Null => return None,
        J::Bool(_) => Schema::new(SchemaKind::Boolean),
        J::String(_) => Schema::new(SchemaKind::String),
        J::Number(n) if n.as_i64().is_some() => Schema::new(SchemaKind::Int64),
        // An integer literal beyond int64 (18446744073709551615) is still an integer: inferred
        // int64, its record is refused by the conversion, naming the field and the number,
        // rather than silently rounded into a float64.
        J::Number(n) if is_integer_literal(&n.to_string()) => Schema::new(SchemaKind::Int64),
        J::Number(_) => Schema::new(SchemaKind::Float64),
        J::Array(items) => {
            let mut element: Option<Schema> = None;
            for item in items {
                let Some(s) = infer(item) else { continue };
                element = Some(match element {
                    None => s,
                    // A disagreeing element keeps the first one's type; the record is refused
                    // when converted.
                    Some(prev) => merge_new(&prev, &s).unwrap_or(prev),
                });
            }
            Schema::array(Arc::new(element?))
        }
        J::Object(map) => Schema::structure(
            map.iter()
                .filter_map(|(k, v)| infer(v).map(|s| (k.clone(), Arc::new(s)))),
        ),
    };
    Some(s.optional())
}

fn is_integer_literal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Two first sightings of one field: int64 and float64 make float64, structs merge, arrays
/// merge their elements. None when they disagree.
fn merge_new(a: &Schema, b: &Schema) -> Option<Schema> {
    use SchemaKind::*;
    match (a.kind, b.kind) {
        (x, y) if x == y && !matches!(x, Array | Struct) => Some(a.clone()),
        (Int64, Float64) | (Float64, Int64) => Some(Schema::new(Float64).optional()),
        (Array, Array) => {
            let (ea, eb) = (a.value_schema.as_deref()?, b.value_schema.as_deref()?);
            Some(Schema::array(Arc::new(merge_new(ea, eb)?)).optional())
        }
        (Struct, Struct) => {
            let mut fields: Vec<(std::string::String, Arc<Schema>)> = a
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.schema.clone()))
                .collect();
            for f in &b.fields {
                match fields.iter_mut().find(|(n, _)| *n == f.name) {
                    Some((_, existing)) => {
                        if let Some(m) = merge_new(existing, &f.schema) {
                            *existing = Arc::new(m);
                        }
                    }
                    None => fields.push((f.name.clone(), f.schema.clone())),
                }
            }
            Some(Schema::structure(fields).optional())
        }
        _ => None,
    }
}

/// What `json` adds to `schema`; None when nothing. `locked` is the same place in the schema
/// the batch started from: types there are fixed, only new fields may appear. Where `locked`
/// is None the field is new in this batch and first sightings merge ([`merge_new`]).
fn discover(schema: &Schema, locked: Option<&Schema>, json: &J) -> Option<Schema> {
    match (schema.kind, json) {
        (SchemaKind::Struct, J::Object(map)) => {
            let mut changed: Option<Schema> = None;
            for (key, value) in map {
                let current = changed.as_ref().unwrap_or(schema);
                let locked_field = locked.and_then(|l| l.field(key)).map(|f| &*f.schema);
                let next_field = match current.field(key) {
                    None => infer(value),
                    Some(f) => match locked_field {
                        Some(l) => discover(&f.schema, Some(l), value),
                        None => infer(value)
                            .and_then(|seen| merge_new(&f.schema, &seen))
                            .filter(|m| m != &*f.schema),
                    },
                };
                let Some(next_field) = next_field else { continue };
                let mut fields: Vec<(String, Arc<Schema>)> = current
                    .fields
                    .iter()
                    .map(|f| (f.name.clone(), f.schema.clone()))
                    .collect();
                match fields.iter_mut().find(|(n, _)| n == key) {
                    Some((_, s)) => *s = Arc::new(next_field),
                    None => fields.push((key.clone(), Arc::new(next_field))),
                }
                let mut next = Schema::structure(fields);
                next.optional = schema.optional;
                next.name.clone_from(&schema.name);
                changed = Some(next);
            }
            changed
        }
        (SchemaKind::Array, J::Array(items)) => {
            let element = schema.value_schema.as_deref()?;
            let locked_element = locked.and_then(|l| l.value_schema.as_deref());
            let mut changed: Option<Schema> = None;
            for item in items {
                let current = changed
                    .as_ref()
                    .and_then(|c| c.value_schema.as_deref())
                    .unwrap_or(element);
                let next = match locked_element {
                    Some(l) => discover(current, Some(l), item),
                    None => infer(item)
                        .and_then(|seen| merge_new(current, &seen))
                        .filter(|m| m != current),
                };
                if let Some(next) = next {
                    let mut s = Schema::array(Arc::new(next));
                    s.optional = schema.optional;
                    changed = Some(s);
                }
            }
            changed
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(s: &Schema) -> Vec<String> {
        s.fields
            .iter()
            .map(|f| format!("{}:{}", f.name, f.schema.kind.connect_name()))
            .collect()
    }

    fn widen_all(current: Option<&Arc<Schema>>, docs: &[J]) -> Option<Arc<Schema>> {
        let refs: Vec<Option<&J>> = docs.iter().map(Some).collect();
        widen(current, &refs)
    }

    #[test]
    fn first_batch_merges_numbers_and_skips_nulls() {
        let s = widen_all(
            None,
            &[
                json!({"id": 1, "price": 10, "note": null, "tags": []}),
                json!({"id": 2, "price": 10.5, "tags": ["a"]}),
            ],
        )
        .unwrap_or_else(|| panic!("no schema"));
        assert_eq!(names(&s), ["id:int64", "price:double", "tags:array"]);
        assert!(!s.optional);
        assert!(s.fields.iter().all(|f| f.schema.optional));
    }

    #[test]
    fn nested_structs_are_named_by_their_path_so_a_new_struct_renames_nothing() {
        let struct_names = |s: &Schema| -> Vec<Option<String>> {
            fn walk(s: &Schema, out: &mut Vec<Option<String>>) {
                for f in &s.fields {
                    let inner = match f.schema.kind {
                        SchemaKind::Array => f.schema.value_schema.as_deref(),
                        _ => Some(&*f.schema),
                    };
                    if let Some(inner) = inner.filter(|i| i.kind == SchemaKind::Struct) {
                        out.push(inner.name.clone());
                        walk(inner, out);
                    }
                }
            }
            let mut out = vec![s.name.clone()];
            walk(s, &mut out);
            out
        };
        let v1 = widen_all(None, &[json!({"a": {"x": 1}, "c": {"y": 2}, "2-d": [{"z": 1}]})])
            .unwrap_or_else(|| panic!("no schema"));
        let named = |n: &str| Some(format!("weir.inferred.{n}"));
        assert_eq!(struct_names(&v1), [None, named("a"), named("c"), named("_2_d")]);
        let v2 = widen_all(Some(&v1), &[json!({"a": {"x": 1, "b": {"z": 1}}, "c": {"y": 2}})])
            .unwrap_or_else(|| panic!("no schema"));
        assert_eq!(
            struct_names(&v2),
            [None, named("a"), named("a.b"), named("c"), named("_2_d")]
        );
        // After a restart, the registered schema read back gets the same names again.
        let rebased = rebase(&v2).unwrap_or_else(|| panic!("not a struct"));
        assert_eq!(struct_names(&rebased), struct_names(&v2));
    }

    #[test]
    fn later_batches_only_add_fields() {
        let v1 = widen_all(None, &[json!({"id": 1, "address": {"city": "Oslo"}})])
            .unwrap_or_else(|| panic!("no schema"));
        // Same shape: the very same Arc comes back.
        let same = widen_all(Some(&v1), &[json!({"id": 2, "address": {"city": "Rome"}})]);
        assert!(same.as_ref().is_some_and(|s| Arc::ptr_eq(s, &v1)));
        // A changed type adds nothing (the conversion refuses the record).
        let same = widen_all(Some(&v1), &[json!({"id": "x"})]);
        assert!(same.as_ref().is_some_and(|s| Arc::ptr_eq(s, &v1)));
        let same = widen_all(Some(&v1), &[json!({"id": 1.5})]);
        assert!(same.as_ref().is_some_and(|s| Arc::ptr_eq(s, &v1)));
        // New fields, nested too, are appended.
        let v2 = widen_all(
            Some(&v1),
            &[json!({"email": "a@b", "address": {"zip": "0150", "city": "Oslo"}, "id": 3})],
        )
        .unwrap_or_else(|| panic!("no schema"));
        assert_eq!(names(&v2), ["id:int64", "address:struct", "email:string"]);
        let address = v2.field("address").map(|f| names(&f.schema)).unwrap_or_default();
        assert_eq!(address, ["city:string", "zip:string"]);
    }

    #[test]
    fn a_registered_schema_rebases_to_the_shape_inference_gives() {
        let inferred = widen_all(
            None,
            &[json!({"id": 1, "tags": ["a"], "address": {"city": "Oslo"}, "score": 1.5})],
        )
        .unwrap_or_else(|| panic!("no schema"));
        // As a converter reads it back: parameters and defaults of its own; the struct names
        // it wrote (an unnamed root reads back unnamed, `ConnectDefault` being a converter's).
        let mut read = Schema::clone(&inferred);
        read.optional = true;
        for f in &mut read.fields {
            let mut fs = Schema::clone(&f.schema);
            fs.default = Some(schemas::Value::Null);
            fs.parameters
                .insert("io.confluent.connect.protobuf.Tag".into(), "1".into());
            f.schema = Arc::new(fs);
        }
        assert_eq!(rebase(&read).as_ref(), Some(&*inferred));
        // A name the registered schema gives a struct (a user's own record) is kept.
        let mut user = Schema::clone(&inferred);
        user.name = Some("shop.Customer".into());
        let rebased = rebase(&user).unwrap_or_else(|| panic!("not a struct"));
        assert_eq!(rebased.name.as_deref(), Some("shop.Customer"));
        assert!(rebase(&Schema::new(SchemaKind::String)).is_none());
    }

    #[test]
    fn non_objects_give_no_schema() {
        assert!(widen_all(None, &[json!(1), json!("x")]).is_none());
    }
}

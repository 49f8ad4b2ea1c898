//! Avro's JSON encoding -> Avro binary: the REST Proxy's form of a value, and field defaults.
//! Unions are `{"type": value}`; a bare value is also accepted for a union when exactly one
//! branch takes it (more than one is refused as ambiguous: which branch a reader sees is data).
//! A field default is Avro's bare JSON: for a union, the first branch that takes it. Errors
//! name the field path, as the binary codec's do.

use serde_json::Value as Json;

use super::codec::{CodecError, describe, write_bytes, write_long, write_symbol};
use super::plan::{Plan, Ty};

type Result<T> = std::result::Result<T, CodecError>;

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// An integer, or a number with no fractional part (`1.0`, as Python's `json` writes a float
/// that holds a whole number); a fractional number is refused rather than truncated.
fn integral(value: &Json) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15)
            .map(|f| f as i64)
    })
}

/// Bytes in Avro's JSON encoding: a string of code points 0-255, one per byte.
fn latin1(s: &str) -> Result<Vec<u8>> {
    s.chars()
        .map(|c| {
            u8::try_from(u32::from(c)).map_err(|_| {
                CodecError::new(format!(
                    "character {c:?} is not a byte (Avro JSON bytes are code points 0-255)"
                ))
            })
        })
        .collect()
}

/// How a bare (unwrapped) value for a union picks its branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BareUnion {
    /// A record's value: only when exactly one branch takes it.
    OneBranch,
    /// A field default (Avro's JSON for it is always bare): the first branch that takes it.
    FirstBranch,
}

/// Encodes a value in Avro's JSON encoding (unions as `{"type": value}`; a bare value is also
/// accepted for a union when exactly one branch takes it) as Avro binary.
pub fn encode_json(plan: &Plan, ty: &Ty, value: &Json, out: &mut Vec<u8>) -> Result<()> {
    encode(plan, ty, value, out, BareUnion::OneBranch)
}

/// Encodes a field's default (Avro's JSON, a union's value bare, for the first branch that
/// takes it) as Avro binary.
pub fn encode_default(plan: &Plan, ty: &Ty, value: &Json, out: &mut Vec<u8>) -> Result<()> {
    encode(plan, ty, value, out, BareUnion::FirstBranch)
}

fn encode(plan: &Plan, ty: &Ty, value: &Json, out: &mut Vec<u8>, bare: BareUnion) -> Result<()> {
    let mismatch = || {
        CodecError::new(format!(
            "expected {}, got {}",
            describe(plan, ty),
            json_kind(value)
        ))
    };
    match ty {
        Ty::Annotated(inner, _) => encode(plan, inner, value, out, bare),
        Ty::Null => match value {
            Json::Null => Ok(()),
            _ => Err(mismatch()),
        },
        Ty::Boolean => match value {
            Json::Bool(b) => {
                out.push(u8::from(*b));
                Ok(())
            }
            _ => Err(mismatch()),
        },
        Ty::Int(_) => {
            let v = integral(value).ok_or_else(mismatch).and_then(|v| {
                i32::try_from(v).map_err(|_| CodecError::new(format!("{v} is out of range for an Avro int")))
            })?;
            write_long(out, i64::from(v));
            Ok(())
        }
        Ty::Long(_) => {
            write_long(out, integral(value).ok_or_else(mismatch)?);
            Ok(())
        }
        Ty::Float => {
            let v = value.as_f64().ok_or_else(mismatch)?;
            out.extend_from_slice(&(v as f32).to_le_bytes());
            Ok(())
        }
        Ty::Double => {
            out.extend_from_slice(&value.as_f64().ok_or_else(mismatch)?.to_le_bytes());
            Ok(())
        }
        Ty::Bytes(_) => {
            let s = value.as_str().ok_or_else(mismatch)?;
            write_bytes(out, &latin1(s)?);
            Ok(())
        }
        Ty::String => {
            write_bytes(out, value.as_str().ok_or_else(mismatch)?.as_bytes());
            Ok(())
        }
        Ty::Enum(e) => write_symbol(out, e, value.as_str().ok_or_else(mismatch)?),
        Ty::Fixed(f) => {
            let b = latin1(value.as_str().ok_or_else(mismatch)?)?;
            if b.len() != f.size {
                return Err(CodecError::new(format!(
                    "{} bytes for fixed {} of size {}",
                    b.len(),
                    f.name,
                    f.size
                )));
            }
            out.extend_from_slice(&b);
            Ok(())
        }
        Ty::Array(items) => {
            let values = value.as_array().ok_or_else(mismatch)?;
            if !values.is_empty() {
                write_long(out, values.len() as i64);
                for (i, v) in values.iter().enumerate() {
                    encode(plan, items, v, out, bare).map_err(|e| e.at(i.to_string()))?;
                }
            }
            out.push(0);
            Ok(())
        }
        Ty::Map(values_ty) => {
            let map = value.as_object().ok_or_else(mismatch)?;
            if !map.is_empty() {
                write_long(out, map.len() as i64);
                for (k, v) in map {
                    write_bytes(out, k.as_bytes());
                    encode(plan, values_ty, v, out, bare).map_err(|e| e.at(k.clone()))?;
                }
            }
            out.push(0);
            Ok(())
        }
        Ty::Record(r) => {
            let rec = plan
                .record(*r)
                .ok_or_else(|| CodecError::new("bad record index"))?;
            let obj = value.as_object().ok_or_else(mismatch)?;
            if let Some(unknown) = obj.keys().find(|k| !rec.fields.iter().any(|f| &f.name == *k)) {
                return Err(CodecError::new(format!(
                    "record {} has no field {unknown:?}",
                    rec.name
                )));
            }
            for f in &rec.fields {
                let encoded = match (obj.get(&f.name), &f.default) {
                    (Some(v), _) => encode(plan, &f.ty, v, out, bare),
                    (None, Some(default)) => encode(plan, &f.ty, default, out, BareUnion::FirstBranch),
                    (None, None) => {
                        return Err(
                            CodecError::new("missing, and the field has no default").at(f.name.clone())
                        );
                    }
                };
                encoded.map_err(|e| e.at(f.name.clone()))?;
            }
            Ok(())
        }
        Ty::Union(u) => {
            if value.is_null() {
                let i = u
                    .null_index
                    .ok_or_else(|| CodecError::new("null for a union without null"))?;
                write_long(out, i as i64);
                return Ok(());
            }
            if let Some(obj) = value.as_object()
                && obj.len() == 1
                && let Some((name, inner)) = obj.iter().next()
                && let Some(i) = branch_index(plan, &u.branches, name)
            {
                write_long(out, i as i64);
                return encode(plan, &u.branches[i], inner, out, bare).map_err(|e| e.at(name.clone()));
            }
            bare_union(plan, &u.branches, value, out, bare)
        }
    }
}

/// A non-null value given bare (not as `{"branch": value}`) for a union: written as the one
/// branch that takes it. When several take it (`2` for `["int", "double"]`, `"a"` for
/// `["string", "bytes"]`), a record's value is refused, naming them: the branch is part of the
/// data a reader sees, and guessing would change it silently. A default takes the first.
fn bare_union(plan: &Plan, branches: &[Ty], value: &Json, out: &mut Vec<u8>, bare: BareUnion) -> Result<()> {
    let mut taken: Option<(usize, Vec<u8>)> = None;
    let mut takers: Vec<String> = Vec::new();
    let mut refusals = Vec::new();
    for (i, b) in branches.iter().enumerate() {
        if matches!(b, Ty::Null) {
            continue;
        }
        let mut buf = Vec::new();
        match encode(plan, b, value, &mut buf, bare) {
            Ok(()) => {
                takers.push(branch_name(plan, b));
                if taken.is_none() {
                    taken = Some((i, buf));
                }
                if bare == BareUnion::FirstBranch {
                    break;
                }
            }
            Err(e) => refusals.push(e),
        }
    }
    match (taken, takers.as_slice()) {
        (Some((i, bytes)), [_]) => {
            write_long(out, i as i64);
            out.extend_from_slice(&bytes);
            Ok(())
        }
        (Some(_), [first, ..]) => Err(CodecError::new(format!(
            "ambiguous union value: branches {} all take it; wrap it as {{\"<branch>\": value}} naming one, e.g. {{\"{first}\": ...}}",
            takers.join(", "),
        ))),
        _ => match (refusals.pop(), refusals.is_empty()) {
            // One branch besides null: its own refusal says most.
            (Some(e), true) => Err(e),
            _ => Err(CodecError::new(format!(
                "no branch of the union [{}] takes {}",
                branches
                    .iter()
                    .map(|b| branch_name(plan, b))
                    .collect::<Vec<_>>()
                    .join(", "),
                json_kind(value)
            ))),
        },
    }
}

/// The branch a `{"name": value}` union value names: by Avro's name (a named type's full name),
/// else by a named type's simple name when exactly one branch has it.
fn branch_index(plan: &Plan, branches: &[Ty], name: &str) -> Option<usize> {
    let names: Vec<String> = branches.iter().map(|b| branch_name(plan, b)).collect();
    names.iter().position(|n| n == name).or_else(|| {
        let simple = |n: &String| n.rsplit('.').next().is_some_and(|s| s == name) && n.contains('.');
        match names.iter().filter(|n| simple(n)).count() {
            1 => names.iter().position(simple),
            _ => None,
        }
    })
}

/// How Avro's JSON encoding names a union branch: the full name of a named type, else the
/// type name.
fn branch_name(plan: &Plan, ty: &Ty) -> String {
    describe(plan, ty)
}

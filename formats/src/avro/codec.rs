//! Avro binary encoding, straight between Connect values and bytes, walking a compiled
//! [`Plan`] and the Connect schema side by side.
//!
//! Hand-written rather than apache-avro's datum API: that API goes through its own `Value`
//! tree (a second allocation of every record, and `HashMap` maps that lose Connect's map
//! order), re-resolves schema names on every call, and knows nothing of Confluent's Connect
//! mapping (optional unions, map entries as records, `connect.type`), which this walk needs
//! anyway. apache-avro still validates every schema (in `schemas::registry::avro`).
//!
//! Errors name the field path (`address.zip`) and never panic on any bytes.
//!
//! A recursive record's Connect schema refers back to its enclosing struct through a
//! placeholder (see `connect::RECURSIVE_PARAM`); the walk keeps a stack of the Connect schemas
//! of the recursive records it is inside to resolve it, bounded by [`MAX_NESTING`].

use std::sync::Arc;

use super::connect::RECURSIVE_PARAM;
pub use super::json_codec::{encode_default, encode_json};
use super::plan::{EnumDef, IntAs, Plan, RecordDef, Ty};
use bytes::Bytes;
use schemas::{Schema, SchemaKind, Value};

/// The Connect name of the struct that stands for a general Avro union.
pub const UNION_NAME: &str = "io.confluent.connect.avro.Union";

/// What failed, and where: `path` is built innermost first as the error travels up.
#[derive(Debug, Clone)]
pub struct CodecError {
    pub path: Vec<String>,
    pub message: String,
}

impl CodecError {
    pub fn new(message: impl Into<String>) -> Self {
        CodecError {
            path: Vec::new(),
            message: message.into(),
        }
    }
    pub(crate) fn at(mut self, segment: impl Into<String>) -> Self {
        self.path.push(segment.into());
        self
    }
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            let path: Vec<&str> = self.path.iter().rev().map(String::as_str).collect();
            write!(f, "field {}: {}", path.join("."), self.message)
        }
    }
}

type Result<T> = std::result::Result<T, CodecError>;

// ---------------------------------------------------------------------------------------------
// Primitives

pub fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

pub(crate) fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

/// A cursor over a datum.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn truncated() -> CodecError {
        CodecError::new("truncated message: the Avro datum ends early")
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self.buf.get(self.pos).ok_or_else(Self::truncated)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn long(&mut self) -> Result<i64> {
        let mut n: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(((n >> 1) as i64) ^ -((n & 1) as i64));
            }
        }
        Err(CodecError::new("invalid Avro varint (more than 10 bytes)"))
    }

    fn int(&mut self) -> Result<i32> {
        let v = self.long()?;
        i32::try_from(v).map_err(|_| CodecError::new(format!("Avro int out of range: {v}")))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Self::truncated());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn len(&mut self) -> Result<usize> {
        let n = self.long()?;
        usize::try_from(n).map_err(|_| CodecError::new(format!("negative length {n}")))
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|e| CodecError::new(format!("string is not UTF-8: {e}")))
    }

    /// The count of the next block of an array or map (0 = end). A negative count is followed
    /// by the block's byte size, which is skipped over.
    fn block(&mut self) -> Result<usize> {
        let n = self.long()?;
        if n < 0 {
            let _size = self.long()?;
            return usize::try_from(n.unsigned_abs())
                .map_err(|_| CodecError::new("block count out of range"));
        }
        Ok(n as usize)
    }

    /// Reads the blocks of an array or map into `out`, one `item` per element (its index).
    /// A count is never trusted for an allocation: every item takes at least... nothing (null),
    /// so the reservation is capped by what is left plus a little.
    fn blocks<T>(
        &mut self,
        out: &mut Vec<T>,
        mut item: impl FnMut(&mut Self, usize) -> Result<T>,
    ) -> Result<()> {
        loop {
            let n = self.block()?;
            if n == 0 {
                return Ok(());
            }
            out.reserve(n.min(self.remaining() + 16));
            for _ in 0..n {
                let v = item(self, out.len())?;
                out.push(v);
            }
        }
    }
}

/// How deep recursive records may nest in one datum: a guard against hostile bytes, sized so
/// the walk fits a 2 MiB thread stack even in a debug build (about 10 KiB a level there).
pub const MAX_NESTING: usize = 100;

/// The Connect schemas of the recursive records being walked, innermost last.
type Stack<'s> = Vec<(usize, &'s Schema)>;

/// The Connect schema a record's value is walked with: the schema itself, or for a
/// back-reference placeholder the enclosing record's schema from the stack. Pushes it when the
/// record is recursive (the caller pops).
fn enter<'s>(
    rec: &RecordDef,
    index: usize,
    schema: Option<&'s Schema>,
    stack: &mut Stack<'s>,
) -> Result<Option<&'s Schema>> {
    let schema = match schema {
        Some(s) if s.parameters.contains_key(RECURSIVE_PARAM) => Some(
            stack
                .iter()
                .rev()
                .find(|(i, _)| *i == index)
                .map(|(_, s)| *s)
                .ok_or_else(|| {
                    CodecError::new(format!("record {} refers to itself outside itself", rec.name))
                })?,
        ),
        other => other,
    };
    if rec.recursive {
        if stack.len() >= MAX_NESTING {
            return Err(CodecError::new(format!(
                "record {} nests deeper than {MAX_NESTING} levels",
                rec.name
            )));
        }
        if let Some(s) = schema {
            stack.push((index, s));
        }
    }
    Ok(schema)
}

// ---------------------------------------------------------------------------------------------
// Connect -> Avro

fn is_union_struct(schema: Option<&Schema>) -> bool {
    schema.is_some_and(|s| s.kind == SchemaKind::Struct && s.name.as_deref() == Some(UNION_NAME))
}

/// Encodes `value` (of Connect schema `schema`, if any) as the Avro type `ty`.
pub fn encode(plan: &Plan, ty: &Ty, schema: Option<&Schema>, value: &Value, out: &mut Vec<u8>) -> Result<()> {
    encode_in(plan, ty, schema, value, out, &mut Vec::new())
}

fn encode_in<'s>(
    plan: &Plan,
    ty: &Ty,
    schema: Option<&'s Schema>,
    value: &Value,
    out: &mut Vec<u8>,
    stack: &mut Stack<'s>,
) -> Result<()> {
    match (ty, value) {
        (Ty::Annotated(inner, _), _) => encode_in(plan, inner, schema, value, out, stack),
        (Ty::Union(u), _) => {
            if matches!(value, Value::Null) {
                let i = u
                    .null_index
                    .ok_or_else(|| CodecError::new("null for a union without null"))?;
                write_long(out, i as i64);
                return Ok(());
            }
            if is_union_struct(schema)
                && let (Value::Struct(fields), Some(s)) = (value, schema)
            {
                // The one non-null field says which branch; its position among the non-null
                // branches is its field index.
                let (pos, v) = fields
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !matches!(v, Value::Null))
                    .ok_or_else(|| CodecError::new("union struct with no branch set"))?;
                let branch = u
                    .branches
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| !matches!(t, Ty::Null))
                    .nth(pos)
                    .ok_or_else(|| CodecError::new("union struct field without a branch"))?;
                write_long(out, branch.0 as i64);
                let fs = s.fields.get(pos).map(|f| f.schema.as_ref());
                return encode_in(plan, branch.1, fs, v, out, stack);
            }
            // An optional value: the first non-null branch that takes it.
            let mut last = None;
            for (i, b) in u.branches.iter().enumerate() {
                if matches!(b, Ty::Null) {
                    continue;
                }
                let mark = out.len();
                write_long(out, i as i64);
                match encode_in(plan, b, schema, value, out, stack) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        out.truncate(mark);
                        last = Some(e);
                    }
                }
            }
            Err(last.unwrap_or_else(|| CodecError::new("no union branch takes the value")))
        }
        (Ty::Null, Value::Null) => Ok(()),
        (Ty::Boolean, Value::Boolean(b)) => {
            out.push(u8::from(*b));
            Ok(())
        }
        (Ty::Int(_), Value::Int8(v)) => {
            write_long(out, i64::from(*v));
            Ok(())
        }
        (Ty::Int(_), Value::Int16(v)) => {
            write_long(out, i64::from(*v));
            Ok(())
        }
        (Ty::Int(_), Value::Int32(v)) => {
            write_long(out, i64::from(*v));
            Ok(())
        }
        (Ty::Long(_), Value::Int64(v)) => {
            write_long(out, *v);
            Ok(())
        }
        (Ty::Long(_), Value::Int32(v)) => {
            write_long(out, i64::from(*v));
            Ok(())
        }
        (Ty::Float, Value::Float32(v)) => {
            out.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
        (Ty::Double, Value::Float64(v)) => {
            out.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
        (Ty::Double, Value::Float32(v)) => {
            out.extend_from_slice(&f64::from(*v).to_le_bytes());
            Ok(())
        }
        (Ty::Bytes(_), Value::Bytes(b)) => {
            write_bytes(out, b);
            Ok(())
        }
        (Ty::String, Value::String(s)) => {
            write_bytes(out, s.as_bytes());
            Ok(())
        }
        (Ty::Enum(e), Value::String(s)) => write_symbol(out, e, s),
        (Ty::Fixed(f), Value::Bytes(b)) => {
            if b.len() == f.size {
                out.extend_from_slice(b);
                Ok(())
            } else if f.decimal.is_some() && b.len() < f.size {
                // A decimal's unscaled bytes, sign-extended to the fixed size.
                let fill = if b.first().is_some_and(|x| x & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                out.extend(std::iter::repeat_n(fill, f.size - b.len()));
                out.extend_from_slice(b);
                Ok(())
            } else {
                Err(CodecError::new(format!(
                    "{} bytes for fixed {} of size {}",
                    b.len(),
                    f.name,
                    f.size
                )))
            }
        }
        (Ty::Array(items), Value::Array(values)) => {
            let item_schema = schema.and_then(|s| s.value_schema.as_deref());
            if !values.is_empty() {
                write_long(out, values.len() as i64);
                for (i, v) in values.iter().enumerate() {
                    encode_in(plan, items, item_schema, v, out, stack).map_err(|e| e.at(i.to_string()))?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Ty::Array(items), Value::Map(entries)) => {
            // A Connect map with non-string keys: an array of key/value records.
            let Ty::Record(r) = unannotated(items) else {
                return Err(CodecError::new(
                    "a map for an array that is not of key/value records",
                ));
            };
            let rec = plan
                .record(*r)
                .ok_or_else(|| CodecError::new("bad record index"))?;
            let (Some(kf), Some(vf)) = (rec.fields.first(), rec.fields.get(1)) else {
                return Err(CodecError::new("map entry record without key and value fields"));
            };
            let ks = schema.and_then(|s| s.key_schema.as_deref());
            let vs = schema.and_then(|s| s.value_schema.as_deref());
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    encode_in(plan, &kf.ty, ks, k, out, stack).map_err(|e| e.at("key"))?;
                    encode_in(plan, &vf.ty, vs, v, out, stack).map_err(|e| e.at("value"))?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Ty::Map(values_ty), Value::Map(entries)) => {
            let vs = schema.and_then(|s| s.value_schema.as_deref());
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    let Value::String(k) = k else {
                        return Err(CodecError::new(format!(
                            "map key of type {} for an Avro map",
                            k.type_name()
                        )));
                    };
                    write_bytes(out, k.as_bytes());
                    encode_in(plan, values_ty, vs, v, out, stack).map_err(|e| e.at(k.clone()))?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Ty::Record(r), Value::Struct(values)) => {
            let rec = plan
                .record(*r)
                .ok_or_else(|| CodecError::new("bad record index"))?;
            let schema = enter(rec, *r, schema, stack)?;
            let fields = schema.map(|s| s.fields.as_slice()).unwrap_or(&[]);
            let pushed = rec.recursive && schema.is_some();
            let result = encode_fields(plan, rec, fields, values, out, stack);
            if pushed {
                stack.pop();
            }
            result
        }
        (ty, v) => Err(CodecError::new(format!(
            "a {} value cannot be written as Avro {}",
            v.type_name(),
            describe(plan, ty)
        ))),
    }
}

fn encode_fields<'s>(
    plan: &Plan,
    rec: &RecordDef,
    fields: &'s [schemas::Field],
    values: &[Value],
    out: &mut Vec<u8>,
    stack: &mut Stack<'s>,
) -> Result<()> {
    for (i, f) in rec.fields.iter().enumerate() {
        // By position when the Connect schema agrees (the usual case: the Avro schema was
        // derived from it), else by name (a registered schema used as is).
        let at = match fields.get(i) {
            Some(cf) if cf.name == f.name => Some(i),
            _ => fields.iter().position(|cf| cf.name == f.name),
        };
        match at.and_then(|i| values.get(i).map(|v| (i, v))) {
            Some((i, v)) => {
                let fs = fields.get(i).map(|cf| cf.schema.as_ref());
                encode_in(plan, &f.ty, fs, v, out, stack).map_err(|e| e.at(f.name.clone()))?;
            }
            None => match &f.default {
                Some(d) => encode_default(plan, &f.ty, d, out).map_err(|e| e.at(f.name.clone()))?,
                None => {
                    return Err(CodecError::new(format!(
                        "record {} has no value for field {} and the field has no default",
                        rec.name, f.name
                    )));
                }
            },
        }
    }
    Ok(())
}

/// Writes the index of enum symbol `s`.
pub(crate) fn write_symbol(out: &mut Vec<u8>, e: &EnumDef, s: &str) -> Result<()> {
    let i = e
        .symbols
        .iter()
        .position(|x| x == s)
        .ok_or_else(|| CodecError::new(format!("{s:?} is not a symbol of enum {}", e.name)))?;
    write_long(out, i as i64);
    Ok(())
}

fn unannotated(ty: &Ty) -> &Ty {
    match ty {
        Ty::Annotated(inner, _) => unannotated(inner),
        t => t,
    }
}

/// The Avro type's name, for messages and union branch names.
pub fn describe(plan: &Plan, ty: &Ty) -> String {
    match ty {
        Ty::Null => "null".into(),
        Ty::Boolean => "boolean".into(),
        Ty::Int(_) => "int".into(),
        Ty::Long(_) => "long".into(),
        Ty::Float => "float".into(),
        Ty::Double => "double".into(),
        Ty::Bytes(_) => "bytes".into(),
        Ty::String => "string".into(),
        Ty::Record(r) => plan.record(*r).map(|r| r.name.clone()).unwrap_or_default(),
        Ty::Enum(e) => e.name.clone(),
        Ty::Fixed(f) => f.name.clone(),
        Ty::Array(_) => "array".into(),
        Ty::Map(_) => "map".into(),
        Ty::Union(_) => "union".into(),
        Ty::Annotated(inner, _) => describe(plan, inner),
    }
}

// ---------------------------------------------------------------------------------------------
// Avro -> Connect

/// Decodes one datum of type `ty` into the Connect value of `schema` (derived from `ty` by
/// `connect::to_connect_schema`).
pub fn decode(plan: &Plan, ty: &Ty, schema: &Schema, r: &mut Reader<'_>) -> Result<Value> {
    decode_in(plan, ty, schema, r, &mut Vec::new())
}

fn decode_in<'s>(
    plan: &Plan,
    ty: &Ty,
    schema: &'s Schema,
    r: &mut Reader<'_>,
    stack: &mut Stack<'s>,
) -> Result<Value> {
    Ok(match ty {
        Ty::Annotated(inner, _) => return decode_in(plan, inner, schema, r, stack),
        Ty::Null => Value::Null,
        Ty::Boolean => match r.byte()? {
            0 => Value::Boolean(false),
            1 => Value::Boolean(true),
            b => return Err(CodecError::new(format!("invalid boolean byte {b}"))),
        },
        Ty::Int(IntAs::Int8) => {
            let v = r.int()?;
            Value::Int8(
                i8::try_from(v).map_err(|_| CodecError::new(format!("{v} is out of range for int8")))?,
            )
        }
        Ty::Int(IntAs::Int16) => {
            let v = r.int()?;
            Value::Int16(
                i16::try_from(v).map_err(|_| CodecError::new(format!("{v} is out of range for int16")))?,
            )
        }
        Ty::Int(_) => Value::Int32(r.int()?),
        Ty::Long(_) => Value::Int64(r.long()?),
        Ty::Float => {
            let b = r.take(4)?;
            Value::Float32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        Ty::Double => {
            let b = r.take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            Value::Float64(f64::from_le_bytes(a))
        }
        Ty::Bytes(_) => Value::Bytes(Bytes::copy_from_slice(r.bytes()?)),
        Ty::String => Value::String(r.string()?),
        Ty::Enum(e) => {
            let i = r.long()?;
            let s = usize::try_from(i)
                .ok()
                .and_then(|i| e.symbols.get(i))
                .ok_or_else(|| CodecError::new(format!("enum index {i} out of range for {}", e.name)))?;
            Value::String(s.clone())
        }
        Ty::Fixed(f) => Value::Bytes(Bytes::copy_from_slice(r.take(f.size)?)),
        Ty::Array(items) if schema.kind == SchemaKind::Map => {
            let Ty::Record(ri) = unannotated(items) else {
                return Err(CodecError::new("map entries that are not records"));
            };
            let rec = plan
                .record(*ri)
                .ok_or_else(|| CodecError::new("bad record index"))?;
            let (Some(kf), Some(vf)) = (rec.fields.first(), rec.fields.get(1)) else {
                return Err(CodecError::new("map entry record without key and value fields"));
            };
            let (Some(ks), Some(vs)) = (schema.key_schema.as_deref(), schema.value_schema.as_deref()) else {
                return Err(CodecError::new("map schema without key or value schema"));
            };
            let mut entries = Vec::new();
            r.blocks(&mut entries, |r, _| {
                let k = decode_in(plan, &kf.ty, ks, r, stack).map_err(|e| e.at("key"))?;
                let v = decode_in(plan, &vf.ty, vs, r, stack).map_err(|e| e.at("value"))?;
                Ok((k, v))
            })?;
            Value::Map(entries)
        }
        Ty::Array(items) => {
            let item_schema = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| CodecError::new("array schema without items"))?;
            let mut values = Vec::new();
            r.blocks(&mut values, |r, i| {
                decode_in(plan, items, item_schema, r, stack).map_err(|e| e.at(i.to_string()))
            })?;
            Value::Array(values)
        }
        Ty::Map(values_ty) => {
            let vs = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| CodecError::new("map schema without values"))?;
            let mut entries = Vec::new();
            r.blocks(&mut entries, |r, _| {
                let k = r.string()?;
                let v = decode_in(plan, values_ty, vs, r, stack).map_err(|e| e.at(k.clone()))?;
                Ok((Value::String(k), v))
            })?;
            Value::Map(entries)
        }
        Ty::Record(ri) => {
            let rec = plan
                .record(*ri)
                .ok_or_else(|| CodecError::new("bad record index"))?;
            let schema = enter(rec, *ri, Some(schema), stack)?.unwrap_or(schema);
            let mut values = Vec::with_capacity(rec.fields.len());
            let mut result = Ok(());
            for (f, cf) in rec.fields.iter().zip(&schema.fields) {
                match decode_in(plan, &f.ty, &cf.schema, r, stack) {
                    Ok(v) => values.push(v),
                    Err(e) => {
                        result = Err(e.at(f.name.clone()));
                        break;
                    }
                }
            }
            if rec.recursive {
                stack.pop();
            }
            result?;
            if values.len() != rec.fields.len() {
                return Err(CodecError::new(format!(
                    "record {} does not match its Connect schema",
                    rec.name
                )));
            }
            Value::Struct(values)
        }
        Ty::Union(u) => {
            let i = r.long()?;
            let branch = usize::try_from(i)
                .ok()
                .and_then(|i| u.branches.get(i))
                .ok_or_else(|| CodecError::new(format!("union index {i} out of range")))?;
            if matches!(branch, Ty::Null) {
                return Ok(Value::Null);
            }
            if schema.kind == SchemaKind::Struct && schema.name.as_deref() == Some(UNION_NAME) {
                let pos = u.branches[..i as usize]
                    .iter()
                    .filter(|t| !matches!(t, Ty::Null))
                    .count();
                let fs = schema
                    .fields
                    .get(pos)
                    .ok_or_else(|| CodecError::new("union branch without a field"))?;
                let v = decode_in(plan, branch, &fs.schema, r, stack)?;
                let mut values = vec![Value::Null; schema.fields.len()];
                values[pos] = v;
                Value::Struct(values)
            } else {
                decode_in(plan, branch, schema, r, stack)?
            }
        }
    })
}

/// A shared empty schema for values decoded without a Connect schema at hand.
pub fn arc(schema: Schema) -> Arc<Schema> {
    Arc::new(schema)
}

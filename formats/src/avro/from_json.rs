//! JSON records straight to Confluent-framed Avro, without Connect values in between: the hot
//! path of HTTP ingestion (`AvroConverter`, records that fit the current schema).
//!
//! The contract: for a body this path accepts, every record's bytes are exactly what reading
//! the record into Connect data (`schemas::json`, default options, unknown fields refused) and
//! encoding that with [`super::codec::encode`] gives. It declines (the caller then runs that
//! full path, which names the record and field of any error) whenever it meets anything it does
//! not handle: bad JSON, a value of another type, a field the schema lacks, a null for a
//! required field. It is compiled only for schemas whose every part it handles (structs,
//! int8..int64, float32/64, boolean, string, arrays, optional values as `[null, T]` unions, no
//! defaults, no logical types), and only when the Avro record has the Connect struct's fields
//! in the same order (the schema Weir derives does).
//!
//! Records are written one after another into one buffer (no allocation per record).

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::codec::{UNION_NAME, write_bytes, write_long};
use super::connect::RECURSIVE_PARAM;
use super::plan::{Plan, Ty};
use crate::wire;
use schemas::json::scalars::{BoolVisitor, FloatVisitor, IntVisitor, declined as decline, to_f32};
use schemas::{Schema, SchemaKind};

/// Deeper schemas are left to the full path.
const MAX_DEPTH: usize = 32;

/// One value's way from JSON to Avro.
#[derive(Debug)]
struct Node {
    kind: Kind,
    /// The Connect schema is optional: a null (or a missing field) is written as this union
    /// branch index. None: a null declines.
    null_branch: Option<i64>,
    /// The union branch index written before a non-null value (an optional value's `[null, T]`).
    value_branch: Option<i64>,
}

#[derive(Debug)]
enum Kind {
    /// A Connect integer read within (min, max), written as an Avro int or long.
    Integer {
        min: i64,
        max: i64,
    },
    /// Connect float32 as Avro float.
    Float32,
    /// Connect float32 as Avro double (the f32 widened, as the codec does).
    Float32AsDouble,
    /// Connect float64 as Avro double.
    Float64,
    Boolean,
    String,
    Array(Box<Node>),
    Record(Vec<(String, Node)>),
}

/// A compiled JSON -> Avro writer for one Connect struct schema and the Avro schema it is
/// written with.
#[derive(Debug)]
pub struct JsonToAvro {
    id: i32,
    root: Node,
}

/// Looks through `Annotated` (custom properties only the Connect mapping reads).
fn plain(ty: &Ty) -> &Ty {
    match ty {
        Ty::Annotated(inner, _) => plain(inner),
        other => other,
    }
}

impl JsonToAvro {
    /// The writer for records of `schema` written as `plan` under schema id `id`; None when
    /// some part of the schema is left to the full path.
    pub fn compile(schema: &Schema, plan: &Plan, id: i32) -> Option<JsonToAvro> {
        if schema.kind != SchemaKind::Struct || schema.optional {
            return None;
        }
        let root = node(schema, plan, plain(&plan.root), 0)?;
        Some(JsonToAvro { id, root })
    }

    /// Reads `body`, a JSON array of records, appending each record (wire header and datum) to
    /// `out` and its end offset to `ends`. False when any record needs the full path; `out` and
    /// `ends` then hold partial output to discard.
    pub fn write_array(&self, body: &[u8], out: &mut Vec<u8>, ends: &mut Vec<usize>) -> bool {
        let mut buf = Buf {
            out: std::mem::take(out),
            spans: Vec::with_capacity(64),
        };
        // Checked as a whole once (a fast scan), so that strings are not checked one by one;
        // a body that is not UTF-8 is the full path's to report.
        let Ok(text) = std::str::from_utf8(body) else {
            return false;
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let records = Records {
            writer: self,
            buf: &mut buf,
            ends,
        };
        let read = de.deserialize_seq(records).is_ok() && de.end().is_ok();
        *out = buf.out;
        read
    }
}

impl crate::JsonRecordWriter for JsonToAvro {
    fn write_array(&self, body: &[u8], out: &mut Vec<u8>, ends: &mut Vec<usize>) -> bool {
        JsonToAvro::write_array(self, body, out, ends)
    }
}

/// Compiles one Connect schema against its Avro type (already looked through annotations).
fn node(schema: &Schema, plan: &Plan, ty: &Ty, depth: usize) -> Option<Node> {
    if depth > MAX_DEPTH || schema.default.is_some() {
        return None;
    }
    let (ty, null_branch, value_branch) = match ty {
        Ty::Union(u) => {
            // Only `[null, T]` (either order): the codec writes a non-null value as the first
            // non-null branch that takes it, which with one such branch is that branch.
            let null = u.null_index?;
            let mut others = u
                .branches
                .iter()
                .enumerate()
                .filter(|(_, t)| !matches!(t, Ty::Null));
            let (index, inner) = others.next()?;
            if others.next().is_some() {
                return None;
            }
            let null = schema.optional.then_some(null as i64);
            (plain(inner), null, Some(index as i64))
        }
        // A null for a non-union type is an encoding error: the full path reports it.
        other => (other, None, None),
    };
    let kind = match (schema.kind, ty) {
        (_, Ty::Union(_)) => return None,
        (SchemaKind::Int8 | SchemaKind::Int16 | SchemaKind::Int32 | SchemaKind::Int64, _)
            if schema.name.is_some() =>
        {
            return None;
        }
        (SchemaKind::Int8, Ty::Int(_)) => Kind::Integer {
            min: i8::MIN.into(),
            max: i8::MAX.into(),
        },
        (SchemaKind::Int16, Ty::Int(_)) => Kind::Integer {
            min: i16::MIN.into(),
            max: i16::MAX.into(),
        },
        (SchemaKind::Int32, Ty::Int(_) | Ty::Long(_)) => Kind::Integer {
            min: i32::MIN.into(),
            max: i32::MAX.into(),
        },
        (SchemaKind::Int64, Ty::Long(_)) => Kind::Integer {
            min: i64::MIN,
            max: i64::MAX,
        },
        (SchemaKind::Float32, Ty::Float) => Kind::Float32,
        (SchemaKind::Float32, Ty::Double) => Kind::Float32AsDouble,
        (SchemaKind::Float64, Ty::Double) => Kind::Float64,
        (SchemaKind::Boolean, Ty::Boolean) => Kind::Boolean,
        (SchemaKind::String, Ty::String) if schema.name.is_none() => Kind::String,
        (SchemaKind::Array, Ty::Array(items)) => {
            let element = schema.value_schema.as_deref()?;
            Kind::Array(Box::new(node(element, plan, plain(items), depth + 1)?))
        }
        (SchemaKind::Struct, Ty::Record(r)) => {
            if schema.name.as_deref() == Some(UNION_NAME) || schema.parameters.contains_key(RECURSIVE_PARAM) {
                return None;
            }
            let rec = plan.record(*r)?;
            if rec.recursive || rec.fields.len() != schema.fields.len() {
                return None;
            }
            let mut fields = Vec::with_capacity(rec.fields.len());
            for (avro, connect) in rec.fields.iter().zip(&schema.fields) {
                if avro.name != connect.name {
                    return None;
                }
                fields.push((
                    connect.name.clone(),
                    node(&connect.schema, plan, plain(&avro.ty), depth + 1)?,
                ));
            }
            Kind::Record(fields)
        }
        _ => return None,
    };
    Some(Node {
        kind,
        null_branch,
        value_branch,
    })
}

/// Where a push's records are written: the output, and the field spans of the records being
/// read (a stack: one frame per record nesting level), reused across records.
struct Buf {
    out: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

/// A field not seen (yet) in the record being read.
const UNSET: (usize, usize) = (usize::MAX, 0);

/// The array of records.
struct Records<'a> {
    writer: &'a JsonToAvro,
    buf: &'a mut Buf,
    ends: &'a mut Vec<usize>,
}

impl<'de> Visitor<'de> for Records<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let start = self.buf.out.len();
            wire::write_header(&mut self.buf.out, self.writer.id);
            let seed = Write {
                node: &self.writer.root,
                buf: &mut *self.buf,
            };
            if seq.next_element_seed(seed)?.is_none() {
                // No record after all: take the header back.
                self.buf.out.truncate(start);
                return Ok(());
            }
            self.ends.push(self.buf.out.len());
        }
    }
}

/// One value of `node`, written to the buffer.
struct Write<'n, 'b> {
    node: &'n Node,
    buf: &'b mut Buf,
}

/// A null (or a missing field) for `node`.
fn write_null<E: serde::de::Error>(node: &Node, out: &mut Vec<u8>) -> Result<(), E> {
    let branch = node.null_branch.ok_or_else(decline::<E>)?;
    write_long(out, branch);
    Ok(())
}

impl<'de> DeserializeSeed<'de> for Write<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Write<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of the schema's type")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        write_null(self.node, &mut self.buf.out)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        write_null(self.node, &mut self.buf.out)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let Write { node, buf } = self;
        if let Some(branch) = node.value_branch {
            write_long(&mut buf.out, branch);
        }
        let out = &mut buf.out;
        match &node.kind {
            Kind::Integer { min, max } => {
                let v = d.deserialize_i64(IntVisitor)?;
                if !(*min..=*max).contains(&v) {
                    return Err(decline());
                }
                write_long(out, v);
            }
            Kind::Float32 => {
                let v = to_f32(d.deserialize_f64(FloatVisitor)?)?;
                out.extend_from_slice(&v.to_le_bytes());
            }
            Kind::Float32AsDouble => {
                let v = to_f32(d.deserialize_f64(FloatVisitor)?)?;
                out.extend_from_slice(&f64::from(v).to_le_bytes());
            }
            Kind::Float64 => {
                let v = d.deserialize_f64(FloatVisitor)?;
                out.extend_from_slice(&v.to_le_bytes());
            }
            Kind::Boolean => {
                let v = d.deserialize_bool(BoolVisitor)?;
                out.push(u8::from(v));
            }
            Kind::String => d.deserialize_str(StrVisitor(out))?,
            Kind::Array(element) => d.deserialize_seq(ArrayVisitor { element, buf })?,
            Kind::Record(fields) => d.deserialize_map(RecordVisitor { fields, buf })?,
        }
        Ok(())
    }
}

/// A string, written as Avro bytes (borrowed from the body when it has no escapes).
struct StrVisitor<'o>(&'o mut Vec<u8>);
impl<'de> Visitor<'de> for StrVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        write_bytes(self.0, v.as_bytes());
        Ok(())
    }
}

/// An array: one block of all its items (as the codec writes it), then the end marker. The
/// count is only known at the end, so it is put in front of the items then.
struct ArrayVisitor<'n, 'b> {
    element: &'n Node,
    buf: &'b mut Buf,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ArrayVisitor { element, buf } = self;
        let mark = buf.out.len();
        let mut count: i64 = 0;
        while seq
            .next_element_seed(Write {
                node: element,
                buf: &mut *buf,
            })?
            .is_some()
        {
            count += 1;
        }
        if count > 0 {
            let mut prefix = Vec::with_capacity(10);
            write_long(&mut prefix, count);
            buf.out.splice(mark..mark, prefix);
        }
        buf.out.push(0);
        Ok(())
    }
}

/// A record. Avro wants its fields in schema order, a missing one as null, and a repeated key
/// counts with its last value (as reading into Connect values does). Fields arriving in
/// schema order (the usual case) are written in place, nulls filling the gaps; once a key comes
/// out of order, the record's fields are put in order at its end from where each was written.
/// A key the schema lacks declines.
struct RecordVisitor<'n, 'b> {
    fields: &'n [(String, Node)],
    buf: &'b mut Buf,
}

impl<'de> Visitor<'de> for RecordVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let RecordVisitor { fields, buf } = self;
        let record_start = buf.out.len();
        let frame = buf.spans.len();
        buf.spans.resize(frame + fields.len(), UNSET);
        let mut next = 0;
        let mut in_order = true;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let at = match fields.get(next) {
                Some((name, _)) if *name == *key.0 => next,
                _ => fields
                    .iter()
                    .position(|(name, _)| *name == *key.0)
                    .ok_or_else(decline::<A::Error>)?,
            };
            // A gap of fields that cannot be null may still be filled by keys out of order.
            let gap_nullable = || {
                fields[next.min(at)..at]
                    .iter()
                    .all(|(_, f)| f.null_branch.is_some())
            };
            if in_order && at >= next && gap_nullable() {
                for (i, (_, missing)) in fields.iter().enumerate().take(at).skip(next) {
                    let start = buf.out.len();
                    write_null::<A::Error>(missing, &mut buf.out)?;
                    buf.spans[frame + i] = (start, buf.out.len());
                }
            } else {
                in_order = false;
            }
            let start = buf.out.len();
            map.next_value_seed(Write {
                node: &fields[at].1,
                buf: &mut *buf,
            })?;
            buf.spans[frame + at] = (start, buf.out.len());
            next = next.max(at + 1);
        }
        if in_order {
            for (_, missing) in &fields[next..] {
                write_null::<A::Error>(missing, &mut buf.out)?;
            }
        } else {
            // In schema order after what was read, then moved to where the record starts.
            let assembled = buf.out.len();
            for (i, (_, field)) in fields.iter().enumerate() {
                match buf.spans[frame + i] {
                    UNSET => write_null::<A::Error>(field, &mut buf.out)?,
                    (start, end) => buf.out.extend_from_within(start..end),
                }
            }
            let end = buf.out.len();
            buf.out.copy_within(assembled..end, record_start);
            buf.out.truncate(record_start + (end - assembled));
        }
        buf.spans.truncate(frame);
        Ok(())
    }
}

/// An object key, borrowed when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = std::borrow::Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(std::borrow::Cow::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(std::borrow::Cow::Owned(v.to_owned()))
            }
        }
        d.deserialize_str(V).map(Key)
    }
}

//! Connect values -> Protobuf wire bytes, walking an [`EncMsg`] compiled once per (Connect
//! schema, registered message), as Confluent's `ProtobufData.fromConnectData` writes them:
//! Connect fields matched to message fields by (scrubbed) name, a union struct written as the
//! oneof field of its first non-null member, null fields and empty arrays not written, proto3
//! fields without presence not written when they hold the default value, packed repeated
//! scalars, fields in number order.

use super::plan::*;
use super::proto_text::scrub;
use super::schema::{UNION_PREFIX, WRAPPERS, enum_def, map_entry, scalar_of};
use super::values::{days_to_civil, decimal_precision};
use super::*;

// ---------------------------------------------------------------------------------------------
// The plan

fn union_matches(o: &prost_reflect::OneofDescriptor, index: usize, field: &str, schema: &Schema) -> bool {
    if let Some(name) = schema.name.as_deref()
        && let Some(rest) = name.strip_prefix(UNION_PREFIX)
    {
        return rest.rsplit('.').next() == Some(o.name());
    }
    field == o.name() || field == format!("{}_{index}", o.name())
}

fn leaf_or_message(
    f: &FieldDescriptor,
    cs: &Schema,
    opts: &ProtobufOptions,
    depth: usize,
) -> Result<Ty<EncMsg>, String> {
    Ok(match f.kind() {
        Kind::Enum(e) => Ty::Leaf(Leaf::Enum(Arc::new(enum_def(&e)), false)),
        Kind::Message(m) => {
            let structured = cs.kind == SchemaKind::Struct;
            match m.full_name() {
                "google.protobuf.Timestamp" if !structured => Ty::Leaf(Leaf::Timestamp),
                "google.type.Date" if !structured => Ty::Leaf(Leaf::Date),
                "google.type.TimeOfDay" if !structured => Ty::Leaf(Leaf::Time),
                "confluent.type.Decimal" if !structured => Ty::Leaf(Leaf::Decimal(
                    cs.parameters
                        .get(DECIMAL_SCALE)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0),
                )),
                name if !structured => match WRAPPERS.iter().find(|(n, _)| *n == name) {
                    Some((_, sc)) => Ty::Leaf(Leaf::Wrapper(*sc, IntAs::Int32)),
                    None => {
                        return Err(format!(
                            "field {}: a Connect {} cannot be written as message {name}",
                            f.name(),
                            cs.kind.connect_name()
                        ));
                    }
                },
                _ => Ty::Message(Arc::new(message(cs, &m, opts, depth + 1)?)),
            }
        }
        kind => Ty::Leaf(Leaf::Scalar(
            scalar_of(&kind).ok_or("unexpected kind")?,
            IntAs::Int32,
        )),
    })
}

fn field_how(
    f: &FieldDescriptor,
    cs: &Schema,
    opts: &ProtobufOptions,
    depth: usize,
) -> Result<EncHow, String> {
    let number = f.number();
    if let Some((k, v)) = map_entry(f) {
        let (Some(ks), Some(vs)) = (cs.key_schema.as_deref(), cs.value_schema.as_deref()) else {
            return Err(format!(
                "field {}: a Connect {} for a map field",
                f.name(),
                cs.kind.connect_name()
            ));
        };
        return Ok(EncHow::Map {
            number,
            key: leaf_or_message(&k, ks, opts, depth)?,
            value: leaf_or_message(&v, vs, opts, depth)?,
        });
    }
    if f.is_list() {
        let items = cs
            .value_schema
            .as_deref()
            .filter(|_| cs.kind == SchemaKind::Array)
            .ok_or_else(|| {
                format!(
                    "field {}: a Connect {} for a repeated field",
                    f.name(),
                    cs.kind.connect_name()
                )
            })?;
        return Ok(EncHow::Repeated {
            number,
            ty: leaf_or_message(f, items, opts, depth)?,
            packed: f.is_packed(),
        });
    }
    Ok(EncHow::Single {
        number,
        ty: leaf_or_message(f, cs, opts, depth)?,
        implicit: !f.supports_presence(),
    })
}

fn first_number(how: &EncHow) -> u32 {
    match how {
        EncHow::Single { number, .. } | EncHow::Repeated { number, .. } | EncHow::Map { number, .. } => {
            *number
        }
        EncHow::Oneof { members } => members.iter().map(|m| m.1).min().unwrap_or(0),
        EncHow::Unwritable(_) => u32::MAX,
    }
}

/// How Connect field `name` (schema `cs`) is written in message `m`.
fn field_plan(
    cs: &Schema,
    name: &str,
    m: &MessageDescriptor,
    opts: &ProtobufOptions,
    depth: usize,
) -> Result<EncHow, String> {
    if let Some(f) = m.get_field_by_name(name) {
        return field_how(&f, cs, opts, depth).map_err(|e| format!("message {}: {e}", m.full_name()));
    }
    let Some((_, o)) = m
        .oneofs()
        .enumerate()
        .find(|(i, o)| cs.kind == SchemaKind::Struct && union_matches(o, *i, name, cs))
    else {
        return Err(format!("message {} has no field {name}", m.full_name()));
    };
    let mut members = Vec::new();
    for (j, member) in cs.fields.iter().enumerate() {
        let mname = if opts.scrub_invalid_names {
            scrub(&member.name)
        } else {
            member.name.clone()
        };
        let found = o.fields().find(|f| f.name() == mname);
        let number = found.as_ref().map_or(u32::MAX, FieldDescriptor::number);
        let ty = match found {
            Some(f) => leaf_or_message(&f, &member.schema, opts, depth),
            None => Err(format!(
                "message {}: oneof {} has no field {}",
                m.full_name(),
                o.name(),
                member.name
            )),
        };
        members.push((j, number, ty));
    }
    Ok(EncHow::Oneof { members })
}

/// Compiles the writing of Connect struct `schema` as message `m`.
pub(super) fn message(
    schema: &Schema,
    m: &MessageDescriptor,
    opts: &ProtobufOptions,
    depth: usize,
) -> Result<EncMsg, String> {
    if depth > 32 {
        return Err(format!("message {} nests too deeply", m.full_name()));
    }
    let mut fields = Vec::with_capacity(schema.fields.len());
    for (i, cf) in schema.fields.iter().enumerate() {
        let name = if opts.scrub_invalid_names {
            scrub(&cf.name)
        } else {
            cf.name.clone()
        };
        let how = match field_plan(&cf.schema, &name, m, opts, depth) {
            Ok(how) => how,
            Err(e) => EncHow::Unwritable(e),
        };
        fields.push(EncField {
            connect: i,
            name: cf.name.clone(),
            how,
        });
    }
    fields.sort_by_key(|f| first_number(&f.how));
    Ok(EncMsg {
        full_name: m.full_name().to_owned(),
        fields,
    })
}

// ---------------------------------------------------------------------------------------------
// The bytes

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, number: u32, wt: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wt));
}

/// Writes a length-delimited body produced by `body` (length prefix fixed up afterwards).
fn delimited(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>) -> Result<(), String>) -> Result<(), String> {
    let start = out.len();
    out.push(0);
    body(out)?;
    let len = out.len() - start - 1;
    if len < 0x80 {
        out[start] = len as u8;
    } else {
        let mut prefix = Vec::with_capacity(5);
        put_varint(&mut prefix, len as u64);
        out.splice(start..start + 1, prefix);
    }
    Ok(())
}

fn int_of(v: &Value) -> Option<i64> {
    Some(match v {
        Value::Int8(x) => i64::from(*x),
        Value::Int16(x) => i64::from(*x),
        Value::Int32(x) => i64::from(*x),
        Value::Int64(x) => *x,
        _ => return None,
    })
}

fn mismatch(v: &Value, what: &str) -> String {
    format!("a Connect {} cannot be written as {what}", v.type_name())
}

/// Writes scalar `v` as field `number` (`implicit`: skipped when it is the default), or its
/// bare payload when `number` is None (a packed element).
fn scalar(
    out: &mut Vec<u8>,
    number: Option<u32>,
    s: Scalar,
    v: &Value,
    implicit: bool,
) -> Result<(), String> {
    let put_key = |out: &mut Vec<u8>, number: Option<u32>, wt: u8| {
        if let Some(n) = number {
            put_key(out, n, wt);
        }
    };
    let what = || format!("{s:?}").to_lowercase();
    let range = |x: i64| format!("{x} is out of range for {}", format!("{s:?}").to_lowercase());
    match s {
        Scalar::Double | Scalar::Float => {
            let x = match v {
                Value::Float64(x) => *x,
                Value::Float32(x) => f64::from(*x),
                other => return Err(mismatch(other, &what())),
            };
            if implicit && x.to_bits() == 0 {
                return Ok(());
            }
            put_key(out, number, s.wire_type());
            if s == Scalar::Double {
                out.extend_from_slice(&x.to_le_bytes());
            } else {
                out.extend_from_slice(&(x as f32).to_le_bytes());
            }
        }
        Scalar::Bool => {
            let Value::Boolean(b) = v else {
                return Err(mismatch(v, "bool"));
            };
            if implicit && !b {
                return Ok(());
            }
            put_key(out, number, 0);
            out.push(u8::from(*b));
        }
        Scalar::String | Scalar::Bytes => {
            let b: &[u8] = match (s, v) {
                (Scalar::String, Value::String(x)) => x.as_bytes(),
                (Scalar::Bytes, Value::Bytes(x)) => x,
                (_, other) => return Err(mismatch(other, &what())),
            };
            if implicit && b.is_empty() {
                return Ok(());
            }
            put_key(out, number, 2);
            put_varint(out, b.len() as u64);
            out.extend_from_slice(b);
        }
        _ => {
            let x = int_of(v).ok_or_else(|| mismatch(v, &what()))?;
            if implicit && x == 0 {
                return Ok(());
            }
            put_key(out, number, s.wire_type());
            let i32_ok = || i32::try_from(x).map_err(|_| range(x));
            let u32_ok = || u32::try_from(x).map_err(|_| range(x));
            match s {
                Scalar::Int32 => put_varint(out, i64::from(i32_ok()?) as u64),
                Scalar::Int64 | Scalar::Uint64 => put_varint(out, x as u64),
                Scalar::Uint32 => put_varint(out, u64::from(u32_ok()?)),
                Scalar::Sint32 => {
                    let y = i32_ok()?;
                    put_varint(out, u64::from(((y << 1) ^ (y >> 31)) as u32));
                }
                Scalar::Sint64 => put_varint(out, ((x << 1) ^ (x >> 63)) as u64),
                Scalar::Fixed32 => out.extend_from_slice(&u32_ok()?.to_le_bytes()),
                Scalar::Sfixed32 => out.extend_from_slice(&i32_ok()?.to_le_bytes()),
                _ => out.extend_from_slice(&x.to_le_bytes()),
            }
        }
    }
    Ok(())
}

fn enum_number(def: &EnumDef, v: &Value) -> Result<i32, String> {
    match v {
        Value::String(s) => def
            .by_name
            .get(s)
            .copied()
            .or_else(|| s.parse().ok())
            .ok_or_else(|| format!("{s:?} is not a value of enum {}", def.full_name)),
        other => int_of(other)
            .and_then(|x| i32::try_from(x).ok())
            .ok_or_else(|| mismatch(other, &format!("enum {}", def.full_name))),
    }
}

/// Varint fields of a small well-known message, zeros left out.
fn small_message(out: &mut Vec<u8>, number: u32, fields: &[(u32, i64)]) {
    put_key(out, number, 2);
    let mut body = Vec::with_capacity(24);
    for (n, x) in fields {
        if *x != 0 {
            put_key(&mut body, *n, 0);
            put_varint(&mut body, *x as u64);
        }
    }
    put_varint(out, body.len() as u64);
    out.extend_from_slice(&body);
}

fn value(out: &mut Vec<u8>, number: u32, ty: &Ty<EncMsg>, v: &Value, implicit: bool) -> Result<(), String> {
    match ty {
        Ty::Message(plan) => {
            let Value::Struct(values) = v else {
                return Err(mismatch(v, &format!("message {}", plan.full_name)));
            };
            put_key(out, number, 2);
            delimited(out, |out| encode(plan, values, out))
        }
        Ty::Leaf(Leaf::Scalar(s, _)) => scalar(out, Some(number), *s, v, implicit),
        Ty::Leaf(Leaf::Enum(def, _)) => {
            let n = enum_number(def, v)?;
            if !(implicit && n == 0) {
                put_key(out, number, 0);
                put_varint(out, i64::from(n) as u64);
            }
            Ok(())
        }
        Ty::Leaf(Leaf::Wrapper(s, _)) => {
            put_key(out, number, 2);
            delimited(out, |out| scalar(out, Some(1), *s, v, true))
        }
        Ty::Leaf(Leaf::Timestamp) => {
            let Value::Int64(ms) = v else {
                return Err(mismatch(v, "a Timestamp"));
            };
            small_message(
                out,
                number,
                &[(1, ms.div_euclid(1000)), (2, ms.rem_euclid(1000) * 1_000_000)],
            );
            Ok(())
        }
        Ty::Leaf(Leaf::Date) => {
            let Value::Int32(days) = v else {
                return Err(mismatch(v, "a Date"));
            };
            let (y, m, d) = days_to_civil(i64::from(*days));
            small_message(out, number, &[(1, y), (2, i64::from(m)), (3, i64::from(d))]);
            Ok(())
        }
        Ty::Leaf(Leaf::Time) => {
            let Value::Int32(ms) = v else {
                return Err(mismatch(v, "a Time"));
            };
            if !(0..=86_400_000).contains(ms) {
                return Err(format!("time {ms} ms is not between 0 and 86400000"));
            }
            let ms = i64::from(*ms);
            small_message(
                out,
                number,
                &[
                    (1, ms / 3_600_000),
                    (2, ms / 60_000 % 60),
                    (3, ms / 1000 % 60),
                    (4, ms % 1000 * 1_000_000),
                ],
            );
            Ok(())
        }
        Ty::Leaf(Leaf::Decimal(scale)) => {
            let Value::Bytes(b) = v else {
                return Err(mismatch(v, "a Decimal"));
            };
            put_key(out, number, 2);
            delimited(out, |out| {
                if !b.is_empty() {
                    put_key(out, 1, 2);
                    put_varint(out, b.len() as u64);
                    out.extend_from_slice(b);
                }
                put_key(out, 2, 0);
                put_varint(out, u64::from(decimal_precision(b)));
                if *scale != 0 {
                    put_key(out, 3, 0);
                    put_varint(out, i64::from(*scale) as u64);
                }
                Ok(())
            })
        }
    }
}

fn packable(ty: &Ty<EncMsg>) -> bool {
    match ty {
        Ty::Leaf(Leaf::Scalar(s, _)) => s.wire_type() != 2,
        Ty::Leaf(Leaf::Enum(..)) => true,
        _ => false,
    }
}

fn field(out: &mut Vec<u8>, how: &EncHow, v: &Value) -> Result<(), String> {
    match how {
        EncHow::Single { number, ty, implicit } => value(out, *number, ty, v, *implicit),
        EncHow::Unwritable(e) => Err(e.clone()),
        EncHow::Repeated { number, ty, packed } => {
            let Value::Array(items) = v else {
                return Err(mismatch(v, "a repeated field"));
            };
            if items.is_empty() {
                return Ok(());
            }
            if items.iter().any(|i| matches!(i, Value::Null)) {
                return Err("a null array element has no Protobuf form".into());
            }
            if *packed && packable(ty) {
                put_key(out, *number, 2);
                return delimited(out, |out| {
                    for item in items {
                        match ty {
                            Ty::Leaf(Leaf::Enum(def, _)) => {
                                put_varint(out, i64::from(enum_number(def, item)?) as u64)
                            }
                            Ty::Leaf(Leaf::Scalar(s, _)) => scalar(out, None, *s, item, false)?,
                            _ => return Err("not a packable type".into()),
                        }
                    }
                    Ok(())
                });
            }
            for item in items {
                value(out, *number, ty, item, false)?;
            }
            Ok(())
        }
        EncHow::Map {
            number,
            key,
            value: vt,
        } => {
            let Value::Map(entries) = v else {
                return Err(mismatch(v, "a map field"));
            };
            for (k, val) in entries {
                put_key(out, *number, 2);
                delimited(out, |out| {
                    if !matches!(k, Value::Null) {
                        value(out, 1, key, k, false)?;
                    }
                    if !matches!(val, Value::Null) {
                        value(out, 2, vt, val, false)?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        }
        EncHow::Oneof { members } => {
            let Value::Struct(ms) = v else {
                return Err(mismatch(v, "a oneof"));
            };
            for (j, number, ty) in members {
                if let Some(mv) = ms.get(*j)
                    && !matches!(mv, Value::Null)
                {
                    let ty = ty.as_ref().map_err(Clone::clone)?;
                    return value(out, *number, ty, mv, false);
                }
            }
            Ok(())
        }
    }
}

/// Appends the message of Connect struct `values` laid out by `plan`.
pub(super) fn encode(plan: &EncMsg, values: &[Value], out: &mut Vec<u8>) -> Result<(), String> {
    for f in &plan.fields {
        let v = values.get(f.connect).unwrap_or(&Value::Null);
        if matches!(v, Value::Null) {
            continue;
        }
        field(out, &f.how, v).map_err(|e| format!("field {}: {e}", f.name))?;
    }
    Ok(())
}

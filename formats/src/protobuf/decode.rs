//! Protobuf wire bytes -> Connect values, walking a [`MsgPlan`]: no intermediate message, one
//! allocation per struct, string, bytes, array and map. Unknown fields are skipped (groups
//! too); anything malformed is an error naming the field, never a panic.

use super::plan::*;
use super::values::{civil_to_days, rescale_decimal};
use super::*;

/// Groups nested deeper than this in unknown fields are refused.
const MAX_GROUP_DEPTH: usize = 64;

pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn varint(&mut self) -> Result<u64, String> {
        let mut out = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err("truncated message (a varint ends early)".into());
            };
            self.pos += 1;
            out |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err("malformed varint (more than 10 bytes)".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or("truncated message")?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn fixed32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn fixed64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn len_delimited(&mut self) -> Result<&'a [u8], String> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| "length out of range".to_string())?;
        self.take(n)
    }

    /// Skips a value of wire type `wt` (an unknown field).
    fn skip(&mut self, wt: u8, number: u32, depth: usize) -> Result<(), String> {
        match wt {
            0 => self.varint().map(|_| ()),
            1 => self.take(8).map(|_| ()),
            2 => self.len_delimited().map(|_| ()),
            5 => self.take(4).map(|_| ()),
            3 => {
                if depth >= MAX_GROUP_DEPTH {
                    return Err("groups nested too deeply".into());
                }
                loop {
                    if self.done() {
                        return Err(format!("truncated message (group {number} not closed)"));
                    }
                    let (n, w) = self.key()?;
                    if w == 4 {
                        if n == number {
                            return Ok(());
                        }
                        return Err(format!("end of group {n} inside group {number}"));
                    }
                    self.skip(w, n, depth + 1)?;
                }
            }
            4 => Err(format!("unexpected end of group {number}")),
            w => Err(format!("invalid wire type {w} (field number {number})")),
        }
    }

    fn key(&mut self) -> Result<(u32, u8), String> {
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| "field number out of range".to_string())?;
        if number == 0 {
            return Err("invalid field number 0".into());
        }
        Ok((number, (key & 7) as u8))
    }
}

fn int_value(x: i32, ia: IntAs) -> Value {
    match ia {
        IntAs::Int8 => Value::Int8(x as i8),
        IntAs::Int16 => Value::Int16(x as i16),
        _ => Value::Int32(x),
    }
}

fn scalar(c: &mut Cursor<'_>, s: Scalar, ia: IntAs) -> Result<Value, String> {
    Ok(match s {
        Scalar::Double => Value::Float64(f64::from_bits(c.fixed64()?)),
        Scalar::Float => Value::Float32(f32::from_bits(c.fixed32()?)),
        Scalar::Int32 => int_value(c.varint()? as i32, ia),
        Scalar::Int64 | Scalar::Uint64 => Value::Int64(c.varint()? as i64),
        Scalar::Uint32 => Value::Int64(i64::from(c.varint()? as u32)),
        Scalar::Sint32 => {
            let v = c.varint()? as u32;
            int_value(((v >> 1) as i32) ^ -((v & 1) as i32), ia)
        }
        Scalar::Sint64 => {
            let v = c.varint()?;
            Value::Int64(((v >> 1) as i64) ^ -((v & 1) as i64))
        }
        Scalar::Fixed32 => Value::Int64(i64::from(c.fixed32()?)),
        Scalar::Fixed64 => Value::Int64(c.fixed64()? as i64),
        Scalar::Sfixed32 => int_value(c.fixed32()? as i32, ia),
        Scalar::Sfixed64 => Value::Int64(c.fixed64()? as i64),
        Scalar::Bool => Value::Boolean(c.varint()? != 0),
        Scalar::String => {
            let b = c.len_delimited()?;
            Value::String(
                std::str::from_utf8(b)
                    .map_err(|_| "a string that is not UTF-8".to_string())?
                    .to_owned(),
            )
        }
        Scalar::Bytes => Value::Bytes(Bytes::copy_from_slice(c.len_delimited()?)),
    })
}

/// The wire type one value of `ty` has (packed repeated fields aside).
fn wire_type(ty: &Ty<MsgPlan>) -> u8 {
    match ty {
        Ty::Leaf(Leaf::Scalar(s, _)) => s.wire_type(),
        Ty::Leaf(Leaf::Enum(..)) => 0,
        _ => 2,
    }
}

/// The Connect value of an absent map key or value.
fn absent(ty: &Ty<MsgPlan>) -> Value {
    match ty {
        Ty::Leaf(Leaf::Scalar(s, ia)) => match s {
            Scalar::Double => Value::Float64(0.0),
            Scalar::Float => Value::Float32(0.0),
            Scalar::Bool => Value::Boolean(false),
            Scalar::String => Value::String(String::new()),
            Scalar::Bytes => Value::Bytes(Bytes::new()),
            Scalar::Int32 | Scalar::Sint32 | Scalar::Sfixed32 => int_value(0, *ia),
            _ => Value::Int64(0),
        },
        Ty::Leaf(Leaf::Enum(def, as_int)) => {
            if *as_int {
                Value::Int32(def.default)
            } else {
                Value::String(def.name_of(def.default))
            }
        }
        _ => Value::Null,
    }
}

/// Reads the fields of a small well-known message: `f(number, wire type, cursor)` for each.
fn fields_of<'a>(
    bytes: &'a [u8],
    mut f: impl FnMut(u32, u8, &mut Cursor<'a>) -> Result<bool, String>,
) -> Result<(), String> {
    let mut c = Cursor::new(bytes);
    while !c.done() {
        let (n, wt) = c.key()?;
        if !f(n, wt, &mut c)? {
            c.skip(wt, n, 0)?;
        }
    }
    Ok(())
}

fn varint_field(wt: u8, c: &mut Cursor<'_>) -> Result<Option<u64>, String> {
    if wt == 0 { c.varint().map(Some) } else { Ok(None) }
}

fn leaf(c: &mut Cursor<'_>, l: &Leaf, wt: u8) -> Result<Value, String> {
    match l {
        Leaf::Scalar(s, ia) => {
            if wt != s.wire_type() {
                return Err(format!("wire type {wt}, expected {}", s.wire_type()));
            }
            return scalar(c, *s, *ia);
        }
        Leaf::Enum(def, as_int) => {
            if wt != 0 {
                return Err(format!("wire type {wt}, expected 0 (enum)"));
            }
            let n = c.varint()? as i32;
            return Ok(if *as_int {
                Value::Int32(n)
            } else {
                Value::String(def.name_of(n))
            });
        }
        _ => {}
    }
    if wt != 2 {
        return Err(format!("wire type {wt}, expected 2 (message)"));
    }
    let bytes = c.len_delimited()?;
    let mut nums = [0i64; 4];
    match l {
        Leaf::Timestamp | Leaf::Date | Leaf::Time => {
            fields_of(bytes, |n, wt, c| {
                if (1..=4).contains(&n)
                    && let Some(v) = varint_field(wt, c)?
                {
                    // int64 seconds, else int32 fields (sign-extended on the wire).
                    nums[n as usize - 1] = if matches!(l, Leaf::Timestamp) && n == 1 {
                        v as i64
                    } else {
                        i64::from(v as i32)
                    };
                    return Ok(true);
                }
                Ok(false)
            })?;
            let [a, b, d, e] = nums;
            match l {
                Leaf::Timestamp => a
                    .checked_mul(1000)
                    .and_then(|ms| ms.checked_add(b / 1_000_000))
                    .map(Value::Int64)
                    .ok_or_else(|| format!("timestamp {a}s {b}ns out of range")),
                Leaf::Date => {
                    if !(1..=12).contains(&b) || !(1..=31).contains(&d) {
                        return Err(format!("date {a}-{b}-{d} is not a calendar date"));
                    }
                    i32::try_from(civil_to_days(a, b as u32, d as u32))
                        .map(Value::Int32)
                        .map_err(|_| format!("date {a}-{b}-{d} out of range"))
                }
                _ => {
                    if !(0..24).contains(&a)
                        || !(0..60).contains(&b)
                        || !(0..60).contains(&d)
                        || !(0..1_000_000_000).contains(&e)
                    {
                        return Err(format!("time {a}:{b}:{d}.{e} is not a time of day"));
                    }
                    Ok(Value::Int32(
                        (a * 3_600_000 + b * 60_000 + d * 1000 + e / 1_000_000) as i32,
                    ))
                }
            }
        }
        Leaf::Decimal(scale) => {
            let mut value: &[u8] = &[];
            let mut msg_scale = 0i32;
            fields_of(bytes, |n, wt, c| match (n, wt) {
                (1, 2) => {
                    value = c.len_delimited()?;
                    Ok(true)
                }
                (3, 0) => {
                    msg_scale = c.varint()? as i32;
                    Ok(true)
                }
                _ => Ok(false),
            })?;
            rescale_decimal(value, msg_scale, *scale).map(Value::Bytes)
        }
        Leaf::Wrapper(s, ia) => {
            let mut out = absent(&Ty::Leaf(Leaf::Scalar(*s, *ia)));
            fields_of(bytes, |n, wt, c| {
                if n == 1 {
                    out = leaf(c, &Leaf::Scalar(*s, *ia), wt)?;
                    return Ok(true);
                }
                Ok(false)
            })?;
            Ok(out)
        }
        Leaf::Scalar(..) | Leaf::Enum(..) => Err("unreachable leaf".into()),
    }
}

fn value(c: &mut Cursor<'_>, ty: &Ty<MsgPlan>, wt: u8, depth: usize) -> Result<Value, String> {
    match ty {
        Ty::Leaf(l) => leaf(c, l, wt),
        Ty::Message(plan) => {
            if wt != 2 {
                return Err(format!("wire type {wt}, expected 2 (message)"));
            }
            let bytes = c.len_delimited()?;
            let mut values = plan.initial.clone();
            decode_into(plan, bytes, &mut values, depth + 1)?;
            Ok(Value::Struct(values))
        }
    }
}

fn field_mut(values: &mut [Value], target: Target) -> Result<&mut Value, String> {
    match target {
        Target::Field(i) => values.get_mut(i).ok_or_else(|| "plan out of step".to_string()),
        Target::Oneof { .. } => Err("a repeated field inside a oneof".into()),
    }
}

fn map_entry(
    c: &mut Cursor<'_>,
    kt: &Ty<MsgPlan>,
    vt: &Ty<MsgPlan>,
    wt: u8,
    depth: usize,
) -> Result<(Value, Value), String> {
    if wt != 2 {
        return Err(format!("wire type {wt}, expected 2 (map entry)"));
    }
    let bytes = c.len_delimited()?;
    let mut e = Cursor::new(bytes);
    let (mut k, mut v) = (None, None);
    while !e.done() {
        let (n, wt) = e.key()?;
        match n {
            1 => k = Some(value(&mut e, kt, wt, depth)?),
            2 => v = Some(value(&mut e, vt, wt, depth)?),
            _ => e.skip(wt, n, 0)?,
        }
    }
    Ok((k.unwrap_or_else(|| absent(kt)), v.unwrap_or_else(|| absent(vt))))
}

fn slot(c: &mut Cursor<'_>, slot: &Slot, wt: u8, values: &mut [Value], depth: usize) -> Result<(), String> {
    match &slot.shape {
        Shape::Single => match slot.target {
            Target::Field(i) => {
                let place = values.get_mut(i).ok_or("plan out of step")?;
                // A message field seen twice merges, as protobuf says.
                if let (Ty::Message(plan), Value::Struct(existing)) = (&slot.ty, &mut *place)
                    && wt == 2
                {
                    let bytes = c.len_delimited()?;
                    return decode_into(plan, bytes, existing, depth + 1);
                }
                *place = value(c, &slot.ty, wt, depth)?;
            }
            Target::Oneof { field, member, width } => {
                let v = value(c, &slot.ty, wt, depth)?;
                let mut members = vec![Value::Null; width];
                if let Some(m) = members.get_mut(member) {
                    *m = v;
                }
                *values.get_mut(field).ok_or("plan out of step")? = Value::Struct(members);
            }
        },
        Shape::Repeated => {
            let item_wt = wire_type(&slot.ty);
            let place = field_mut(values, slot.target)?;
            if !matches!(place, Value::Array(_)) {
                *place = Value::Array(Vec::new());
            }
            let Value::Array(items) = place else {
                return Err("plan out of step".into());
            };
            if wt == 2 && item_wt != 2 {
                let packed = c.len_delimited()?;
                let mut p = Cursor::new(packed);
                while !p.done() {
                    items.push(value(&mut p, &slot.ty, item_wt, depth)?);
                }
            } else {
                items.push(value(c, &slot.ty, wt, depth)?);
            }
        }
        Shape::Map(kt) => {
            let entry = map_entry(c, kt, &slot.ty, wt, depth)?;
            let place = field_mut(values, slot.target)?;
            match place {
                Value::Map(entries) => entries.push(entry),
                other => *other = Value::Map(vec![entry]),
            }
        }
    }
    Ok(())
}

/// Decodes the fields in `bytes` into `values` (a struct laid out by `plan`).
pub(super) fn decode_into(
    plan: &MsgPlan,
    bytes: &[u8],
    values: &mut [Value],
    depth: usize,
) -> Result<(), String> {
    let mut c = Cursor::new(bytes);
    while !c.done() {
        let (number, wt) = c.key()?;
        match plan.slot(number) {
            Some(s) => slot(&mut c, s, wt, values, depth)
                .map_err(|e| format!("field {} (number {number}): {e}", s.name))?,
            None => c.skip(wt, number, 0)?,
        }
    }
    Ok(())
}

/// Decodes one message of `plan`.
pub(super) fn decode(plan: &MsgPlan, bytes: &[u8]) -> Result<Value, String> {
    let mut values = plan.initial.clone();
    decode_into(plan, bytes, &mut values, 0)?;
    Ok(Value::Struct(values))
}

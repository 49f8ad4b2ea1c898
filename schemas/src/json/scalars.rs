//! Scalar visitors shared by the one-pass JSON readers (`fast`, and the JSON -> Avro shortcut
//! in `formats`). They accept exactly what is certain and decline the rest with a cheap error,
//! so the caller falls back to the tree path, which decides and names the field.

use std::fmt;

use serde::de::Visitor;

/// The error a one-pass reader declines with: never shown to anyone, so it is cheap.
pub fn declined<E: serde::de::Error>() -> E {
    E::custom("declined")
}

/// An integer literal that fits i64. A literal written with a fraction or an exponent (`3.0`,
/// `1e2`) is declined: whether it is a whole number can only be told from its text, which the
/// tree path has.
pub struct IntVisitor;
impl<'de> Visitor<'de> for IntVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| declined())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<i64, E> {
        Err(declined())
    }
}

/// Any JSON number as f64.
pub struct FloatVisitor;
impl<'de> Visitor<'de> for FloatVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
}

/// A number for a float32 field: declined when it overflows float32 (it would become infinity).
pub fn to_f32<E: serde::de::Error>(v: f64) -> Result<f32, E> {
    let f = v as f32;
    if f.is_finite() || !v.is_finite() {
        Ok(f)
    } else {
        Err(declined())
    }
}

pub struct BoolVisitor;
impl<'de> Visitor<'de> for BoolVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
}

/// The value of an integer literal written with a fraction or an exponent, when that value is
/// a whole number (`3.0`, `3.00`, `1e2`, `1.5e1`, `-0.0`), decided on the text: no rounding
/// through f64 (`1.0000000000000001` is not 1). None for a fractional value, or one beyond
/// i64.
pub fn integral_literal(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], unsigned[i + 1..].parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // The digits, and where the decimal point sits among them after the exponent.
    let digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    if digits.iter().all(|&d| d == b'0') {
        return Some(0);
    }
    let point = i64::try_from(int_part.len()).ok()?.checked_add(exponent)?;
    let point = usize::try_from(point.max(0)).ok()?;
    if point > digits.len() + 19 {
        return None;
    }
    // Every digit after the point must be zero.
    if digits.iter().skip(point).any(|&d| d != b'0') {
        return None;
    }
    let mut value: i128 = 0;
    for i in 0..point {
        let d = digits.get(i).map_or(0, |d| i128::from(d - b'0'));
        value = value.checked_mul(10)?.checked_add(d)?;
        if value > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::integral_literal;

    #[test]
    fn whole_numbers_are_told_from_their_text() {
        for (text, want) in [
            ("3.0", Some(3)),
            ("3.00", Some(3)),
            ("-0.0", Some(0)),
            ("1e2", Some(100)),
            ("1E+2", Some(100)),
            ("1.5e1", Some(15)),
            ("150e-1", Some(15)),
            ("-9223372036854775808.0", Some(i64::MIN)),
            ("9223372036854775807.0", Some(i64::MAX)),
            ("9223372036854775808.0", None),
            ("1.0000000000000001", None),
            ("4503599627370497.5", None),
            ("3.5", None),
            ("1e-2", None),
            ("15e-1", None),
            ("1e400", None),
            ("0e20", Some(0)),
            ("-0.0e25", Some(0)),
        ] {
            assert_eq!(integral_literal(text), want, "{text}");
        }
    }
}

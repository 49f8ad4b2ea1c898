//! Decimal's wire form (unscaled big-endian two's-complement bytes plus the schema's `scale`)
//! <-> decimal text. Uses num-bigint because decimals may exceed 128 bits.

use num_bigint::BigInt;

use crate::Schema;
use crate::data::DECIMAL_SCALE;

/// The schema's `scale` parameter, as Kafka requires it on every Decimal schema.
pub fn scale_of(schema: &Schema) -> Result<i32, String> {
    let raw = schema
        .parameters
        .get(DECIMAL_SCALE)
        .ok_or_else(|| "Invalid Decimal schema: scale parameter not found.".to_owned())?;
    raw.trim()
        .parse()
        .map_err(|_| format!("Invalid Decimal schema: scale parameter {raw:?} is not an integer"))
}

/// `[0x04, 0xD2]`, scale 2 -> `"12.34"`. Plain notation, never an exponent.
pub fn unscaled_to_text(unscaled: &[u8], scale: i32) -> String {
    let n = BigInt::from_signed_bytes_be(unscaled);
    let digits = n.magnitude().to_string();
    let sign = if n.sign() == num_bigint::Sign::Minus {
        "-"
    } else {
        ""
    };
    if scale <= 0 {
        if n.magnitude().bits() == 0 {
            return "0".to_owned();
        }
        let zeros = "0".repeat(scale.unsigned_abs() as usize);
        return format!("{sign}{digits}{zeros}");
    }
    let scale = scale as usize;
    if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        format!("{sign}{int}.{frac}")
    } else {
        format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
    }
}

/// Decimal text (`-12.3`, `1.5E+2`) at `scale` -> unscaled bytes. Fails when the text has
/// non-zero digits beyond `scale` (rounding would change the value silently).
pub fn text_to_unscaled(text: &str, scale: i32) -> Result<Vec<u8>, String> {
    let bad = || format!("{text:?} is not a decimal number");
    let t = text.trim();
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        // Clamped so the arithmetic below cannot overflow; such exponents fail the size check.
        Some(i) => (
            &t[..i],
            t[i + 1..]
                .parse::<i64>()
                .map_err(|_| bad())?
                .clamp(-1_000_000, 1_000_000),
        ),
        None => (t, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    // value = digits * 10^(exponent - frac_len); we want digits * 10^(exponent - frac_len + scale).
    let mut digits = String::with_capacity(int_part.len() + frac_part.len() + 8);
    digits.push_str(int_part);
    digits.push_str(frac_part);
    let shift = exponent - frac_part.len() as i64 + i64::from(scale);
    if shift >= 0 {
        if shift > 10_000 {
            return Err(format!("{text:?} is too large"));
        }
        digits.extend(std::iter::repeat_n('0', shift as usize));
    } else {
        let cut = shift.unsigned_abs() as usize;
        let keep = digits.len().saturating_sub(cut);
        if digits[keep..].bytes().any(|b| b != b'0') {
            return Err(format!("{text:?} has more than {scale} decimal places"));
        }
        digits.truncate(keep);
    }
    let magnitude = if digits.is_empty() {
        BigInt::from(0)
    } else {
        BigInt::parse_bytes(digits.as_bytes(), 10).ok_or_else(bad)?
    };
    let n = if negative { -magnitude } else { magnitude };
    Ok(n.to_signed_bytes_be())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for (text, scale) in [
            ("12.34", 2),
            ("-12.34", 2),
            ("0.05", 2),
            ("-0.05", 2),
            ("0.00", 2),
            ("123456789012345678901234567890.123456789", 9),
            ("1000", 0),
        ] {
            let bytes = text_to_unscaled(text, scale).unwrap();
            assert_eq!(unscaled_to_text(&bytes, scale), text, "scale {scale}");
        }
    }

    #[test]
    fn known_bytes() {
        // Kafka's own test vector: 156 at scale 2 is 1.56, bytes [0x00, 0x9c].
        assert_eq!(text_to_unscaled("1.56", 2).unwrap(), vec![0x00, 0x9c]);
        assert_eq!(unscaled_to_text(&[0xff, 0x64], 2), "-1.56");
        assert_eq!(unscaled_to_text(&[], 2), "0.00");
    }

    #[test]
    fn rescales_and_refuses_rounding() {
        assert_eq!(unscaled_to_text(&text_to_unscaled("1.5", 3).unwrap(), 3), "1.500");
        assert_eq!(
            unscaled_to_text(&text_to_unscaled("1.5E+2", 1).unwrap(), 1),
            "150.0"
        );
        assert_eq!(unscaled_to_text(&text_to_unscaled("1.500", 1).unwrap(), 1), "1.5");
        assert!(
            text_to_unscaled("1.55", 1)
                .unwrap_err()
                .contains("more than 1 decimal places")
        );
        assert!(text_to_unscaled("abc", 1).is_err());
        assert!(text_to_unscaled("-", 1).is_err());
        assert!(text_to_unscaled("1e99999999999", 1).is_err());
    }
}

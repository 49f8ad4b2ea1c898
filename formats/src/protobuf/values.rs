//! Value arithmetic the Protobuf codec needs: civil dates, decimal scale and precision.

use bytes::Bytes;

pub(super) fn days_to_civil(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's civil_from_days; hand-written because chrono is not a formats dependency
    // and this is the only date arithmetic needed.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(super) fn civil_to_days(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The two's-complement big-endian integer `value` (scale `from`) at scale `to`: the bytes as
/// they are when the scales agree, else rescaled through i128 (a decimal that does not fit, or
/// that would lose digits, is an error).
pub(super) fn rescale_decimal(value: &[u8], from: i32, to: i32) -> Result<Bytes, String> {
    if from == to {
        return Ok(Bytes::copy_from_slice(value));
    }
    let n = to_i128(value).ok_or_else(|| {
        format!(
            "decimal of {} bytes at scale {from} cannot be rescaled to {to}",
            value.len()
        )
    })?;
    let diff = to
        .checked_sub(from)
        .ok_or_else(|| format!("decimal scale {from} cannot be rescaled to {to}"))?;
    let scaled = if diff > 0 {
        10i128.checked_pow(diff as u32).and_then(|p| n.checked_mul(p))
    } else {
        10i128
            .checked_pow(diff.unsigned_abs())
            .filter(|p| n % p == 0)
            .map(|p| n / p)
    };
    let scaled = scaled.ok_or_else(|| format!("decimal at scale {from} does not fit scale {to}"))?;
    Ok(Bytes::from(minimal_bytes(scaled)))
}

fn to_i128(b: &[u8]) -> Option<i128> {
    if b.is_empty() {
        return Some(0);
    }
    if b.len() > 16 {
        return None;
    }
    let mut buf = if b[0] & 0x80 != 0 { [0xffu8; 16] } else { [0u8; 16] };
    buf[16 - b.len()..].copy_from_slice(b);
    Some(i128::from_be_bytes(buf))
}

fn minimal_bytes(n: i128) -> Vec<u8> {
    let b = n.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (x, next) = (b[start], b[start + 1]);
        if (x == 0 && next & 0x80 == 0) || (x == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    b[start..].to_vec()
}

/// The number of decimal digits of the unscaled value (Java's `BigDecimal.precision()`: 1 for
/// zero).
pub(super) fn decimal_precision(value: &[u8]) -> u32 {
    if let Some(n) = to_i128(value) {
        let mut m = n.unsigned_abs();
        let mut digits = 1;
        while m >= 10 {
            m /= 10;
            digits += 1;
        }
        return digits;
    }
    // Wider than i128: long division of the magnitude, rare enough to allocate.
    let negative = value[0] & 0x80 != 0;
    let mut mag: Vec<u8> = if negative {
        let mut v: Vec<u8> = value.iter().map(|b| !b).collect();
        for b in v.iter_mut().rev() {
            let (s, overflow) = b.overflowing_add(1);
            *b = s;
            if !overflow {
                break;
            }
        }
        v
    } else {
        value.to_vec()
    };
    let mut digits = 0;
    while mag.iter().any(|b| *b != 0) {
        let mut rem = 0u16;
        for b in mag.iter_mut() {
            let cur = (rem << 8) | u16::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits += 1;
    }
    digits.max(1)
}

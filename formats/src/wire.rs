//! Confluent's wire format: what every Confluent serializer puts in front of the encoded datum.
//!
//! ```text
//! byte 0      magic byte, always 0
//! bytes 1..5  schema id, 4 bytes big-endian (a signed 32-bit int in Confluent's clients)
//! Protobuf only: the message-index path, the position of the message in its .proto file:
//!             a zigzag varint count, then that many zigzag varint indexes; the common
//!             path [0] (the first message of the file) is written as the single byte 0.
//! rest        the datum (Avro binary, Protobuf message, or JSON text)
//! ```
//!
//! Hand-written: the framing is five bytes and two varints; no crate implements Confluent's
//! framing without also owning the registry client and the datum encoding.
//!
//! Every error here is a data error ([`ErrorKind::Data`](schemas::ErrorKind::Data)) naming the
//! topic, because it is one record's bytes that are wrong.

use schemas::ConnectError;

/// The first byte of every Confluent-framed payload.
pub const MAGIC_BYTE: u8 = 0;

/// Magic byte + schema id.
pub const HEADER_LEN: usize = 5;

/// More message indexes than any real .proto nesting has: a guard against a hostile count.
const MAX_INDEXES: usize = 256;

/// Appends the 5-byte header (magic byte and big-endian schema id) to `out`.
pub fn write_header(out: &mut Vec<u8>, schema_id: i32) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
}

/// Splits a framed payload into its schema id and the rest (for Protobuf the rest still starts
/// with the message-index path; see [`read_message_indexes`]).
///
/// Errors name the topic and say what the bytes look like, e.g. plain JSON or text where a
/// Confluent payload was expected.
pub fn read_header<'a>(topic: &str, bytes: &'a [u8]) -> Result<(i32, &'a [u8]), ConnectError> {
    let Some(&first) = bytes.first() else {
        return Err(ConnectError::data(format!(
            "topic {topic}: empty payload, not the Confluent wire format (magic byte 0)"
        )));
    };
    if first != MAGIC_BYTE {
        return Err(ConnectError::data(format!(
            "topic {topic}: {}",
            describe_foreign_payload(bytes)
        )));
    }
    if bytes.len() < HEADER_LEN {
        return Err(ConnectError::data(format!(
            "topic {topic}: truncated message: {} bytes, but the Confluent wire format needs at least 5 (magic byte 0 and a 4-byte schema id)",
            bytes.len()
        )));
    }
    let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    Ok((id, &bytes[HEADER_LEN..]))
}

/// Why bytes that do not start with magic byte 0 are not Confluent-framed, in a user's words.
fn describe_foreign_payload(bytes: &[u8]) -> String {
    let first = bytes[0];
    let text_start = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match text_start {
        Some(b'{') | Some(b'[') => {
            "the payload is plain JSON, not the Confluent wire format (magic byte 0)".to_owned()
        }
        _ if std::str::from_utf8(bytes)
            .is_ok_and(|s| !s.chars().any(|c| c.is_control() && !c.is_whitespace())) =>
        {
            format!(
                "unknown magic byte {first}: the payload looks like plain text, not the Confluent wire format (magic byte 0)"
            )
        }
        _ => format!("unknown magic byte {first}: not the Confluent wire format (magic byte 0)"),
    }
}

/// Appends the Protobuf message-index path. `[0]` (the first message of the file) is the single
/// byte 0, as Confluent's serializers write it.
pub fn write_message_indexes(out: &mut Vec<u8>, indexes: &[usize]) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    write_zigzag(out, indexes.len() as i64);
    for &i in indexes {
        write_zigzag(out, i as i64);
    }
}

/// Reads the Protobuf message-index path at the start of `bytes` (what follows the header) and
/// answers it with the rest. A count of 0 means `[0]`.
pub fn read_message_indexes<'a>(
    topic: &str,
    bytes: &'a [u8],
) -> Result<(Vec<usize>, &'a [u8]), ConnectError> {
    let truncated = || {
        ConnectError::data(format!(
            "topic {topic}: truncated message: the Protobuf message-index path ends early"
        ))
    };
    let (count, mut rest) = read_zigzag(bytes).ok_or_else(truncated)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if count < 0 || count as usize > MAX_INDEXES {
        return Err(ConnectError::data(format!(
            "topic {topic}: invalid Protobuf message-index count {count} (not the Confluent wire format?)"
        )));
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (i, r) = read_zigzag(rest).ok_or_else(truncated)?;
        if i < 0 {
            return Err(ConnectError::data(format!(
                "topic {topic}: invalid Protobuf message index {i}"
            )));
        }
        indexes.push(i as usize);
        rest = r;
    }
    Ok((indexes, rest))
}

fn write_zigzag(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A zigzag varint of at most 10 bytes; None when the bytes end first or it overflows.
fn read_zigzag(bytes: &[u8]) -> Option<(i64, &[u8])> {
    let mut n: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let v = ((n >> 1) as i64) ^ -((n & 1) as i64);
            return Some((v, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let mut out = Vec::new();
        write_header(&mut out, 258);
        out.push(42);
        assert_eq!(out, [0, 0, 0, 1, 2, 42]);
        assert_eq!(read_header("t", &out).unwrap(), (258, &[42u8][..]));
    }

    #[test]
    fn plain_json_is_named() {
        let err = read_header("orders", br#"{"id": 1}"#).unwrap_err();
        assert_eq!(
            err.message,
            "topic orders: the payload is plain JSON, not the Confluent wire format (magic byte 0)"
        );
        assert_eq!(err.kind, schemas::ErrorKind::Data);
        assert!(
            read_header("t", b"[1]")
                .unwrap_err()
                .message
                .contains("plain JSON")
        );
        assert!(
            read_header("t", b"hello")
                .unwrap_err()
                .message
                .contains("unknown magic byte 104")
        );
        assert!(
            read_header("t", &[0, 0, 1])
                .unwrap_err()
                .message
                .contains("truncated")
        );
        assert!(read_header("t", &[]).unwrap_err().message.contains("empty"));
    }

    #[test]
    fn message_indexes() {
        let mut out = Vec::new();
        write_message_indexes(&mut out, &[0]);
        assert_eq!(out, [0]);
        out.clear();
        write_message_indexes(&mut out, &[1]);
        assert_eq!(out, [2, 2]);
        out.clear();
        write_message_indexes(&mut out, &[2, 0, 70]);
        let (path, rest) = read_message_indexes("t", &out).unwrap();
        assert_eq!(path, [2, 0, 70]);
        assert!(rest.is_empty());
        assert_eq!(read_message_indexes("t", &[0, 9]).unwrap(), (vec![0], &[9u8][..]));
        assert!(read_message_indexes("t", &[4, 2]).is_err());
        assert!(read_message_indexes("t", &[3]).is_err());
        assert!(read_message_indexes("t", &[0x80]).is_err());
    }
}

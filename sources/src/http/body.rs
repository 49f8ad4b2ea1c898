//! Cutting a push's body into records, each kept as its original bytes (the dead-letter queue
//! gets them unchanged).
//!
//! - NDJSON (`Content-Type: application/x-ndjson`): one record per non-blank line; a malformed
//!   line is that record's error, the other lines still count.
//! - anything else: a JSON array of records, or JSON values one after another (so that
//!   `curl --data-binary @file.ndjson` works without the header). A body that is not JSON at
//!   all is refused as a whole: there is no record boundary to name.

use serde_json::value::RawValue;

/// How the body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Ndjson,
    /// A JSON array, or concatenated JSON values.
    Json,
}

impl Framing {
    /// From a `Content-Type` header (parameters such as `charset` ignored).
    pub fn from_content_type(content_type: Option<&str>) -> Framing {
        let essence = content_type
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase());
        match essence.as_deref() {
            Some(
                "application/x-ndjson"
                | "application/ndjson"
                | "application/jsonl"
                | "application/x-jsonlines",
            ) => Framing::Ndjson,
            _ => Framing::Json,
        }
    }
}

/// The body could not be cut into records at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BodyError(pub String);

/// The records of a body, as slices of it, in order. A UTF-8 byte order mark at the start
/// (as some Windows tools write one) is not part of the first record. An empty body (or one
/// of blank lines) is an error in both framings: a push with no records is a client's mistake.
pub fn split(body: &[u8], framing: Framing) -> Result<Vec<&[u8]>, BodyError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    match framing {
        Framing::Ndjson => {
            let records = lines(body);
            if records.is_empty() {
                return Err(empty());
            }
            Ok(records)
        }
        Framing::Json => json_records(body),
    }
}

fn empty() -> BodyError {
    BodyError("the request body is empty; a JSON array of records or NDJSON is expected".to_owned())
}

fn lines(body: &[u8]) -> Vec<&[u8]> {
    body.split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .collect()
}

fn json_records(body: &[u8]) -> Result<Vec<&[u8]>, BodyError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Err(empty()),
        Some(b'[') => {
            let records: Vec<&RawValue> = serde_json::from_slice(body).map_err(|e| {
                BodyError(format!(
                    "the body is not a JSON array of records: {}",
                    schemas::json::describe_json_error(&e)
                ))
            })?;
            Ok(records.into_iter().map(|r| r.get().as_bytes()).collect())
        }
        Some(_) => {
            let mut out = Vec::new();
            for item in serde_json::Deserializer::from_slice(body).into_iter::<&RawValue>() {
                let raw = item.map_err(|e| {
                    BodyError(format!(
                        "the body is not JSON records: {} (record {})",
                        schemas::json::describe_json_error(&e),
                        out.len()
                    ))
                })?;
                out.push(raw.get().as_bytes());
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(records: &[&[u8]]) -> Vec<String> {
        records
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect()
    }

    #[test]
    fn ndjson_keeps_bad_lines_as_records() {
        let body = b"{\"a\":1}\r\n\n  \n{bad\n{\"b\":2}";
        let records = split(body, Framing::Ndjson).unwrap_or_default();
        assert_eq!(texts(&records), ["{\"a\":1}", "{bad", "{\"b\":2}"]);
    }

    #[test]
    fn arrays_and_streams() {
        let records = split(b" [ {\"a\": 1} , 2, \"x\" ] ", Framing::Json).unwrap_or_default();
        assert_eq!(texts(&records), ["{\"a\": 1}", "2", "\"x\""]);
        let records = split(b"{\"a\":1}\n{\"a\":2}\n", Framing::Json).unwrap_or_default();
        assert_eq!(texts(&records), ["{\"a\":1}", "{\"a\":2}"]);
        assert!(split(b"[1, 2", Framing::Json).is_err());
        assert!(split(b"   ", Framing::Json).is_err());
        assert!(split(b"{\"a\":1} {oops", Framing::Json).is_err_and(|e| e.0.contains("record 1")));
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_record_and_empty_bodies_are_refused() {
        let records = split(b"\xEF\xBB\xBF[{\"a\":1}]", Framing::Json).unwrap_or_default();
        assert_eq!(texts(&records), ["{\"a\":1}"]);
        let records = split(b"\xEF\xBB\xBF{\"a\":1}\n{\"a\":2}", Framing::Ndjson).unwrap_or_default();
        assert_eq!(texts(&records), ["{\"a\":1}", "{\"a\":2}"]);
        assert!(split(b"", Framing::Ndjson).is_err_and(|e| e.0.contains("empty")));
        assert!(split(b"\n \r\n", Framing::Ndjson).is_err_and(|e| e.0.contains("empty")));
    }

    #[test]
    fn content_types() {
        assert_eq!(
            Framing::from_content_type(Some("application/x-ndjson; charset=utf-8")),
            Framing::Ndjson
        );
        assert_eq!(
            Framing::from_content_type(Some("application/json")),
            Framing::Json
        );
        assert_eq!(Framing::from_content_type(None), Framing::Json);
    }
}

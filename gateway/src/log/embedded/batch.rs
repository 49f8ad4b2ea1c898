//! Record batch encoding: the bytes stored in one `batches.records` blob.
//!
//! Hand-written rather than postcard/bincode for two reasons: decoding hands out keys, values and
//! header values as `Bytes::slice`s of the fetched blob (no copy per record, which a serde
//! decoder into owned `Vec<u8>` would cost), and a reader starting in the middle of a batch must
//! skip records by their length prefixes without materialising them.
//!
//! Layout (all integers are LEB128 varints; signed ones zigzag-encoded):
//! ```text
//! batch  := version(u8 = 1) base_timestamp(i64) record_count(u64) record*
//! record := timestamp_delta(i64) key(nullable) value(nullable) header_count(u64) header*
//! header := name_len(u64) name(utf-8) value(nullable)
//! nullable := 0 (null) | len+1 bytes
//! ```
//! A record's offset is the batch's `base_offset` plus its index: offsets are implicit, so a
//! batch encodes the same whatever base offset it later gets, and encoding can run before the
//! append takes the writer lock. What must stay true: `record_count` matches the records that
//! follow, and every length stays inside the blob (checked on decode; a corrupt blob is an
//! error, never a panic).

use bytes::Bytes;

use crate::log::{ConsumedRecord, LogRecord};

const VERSION: u8 = 1;

/// An encoded batch, ready to be stored as one row.
#[derive(Debug)]
pub(crate) struct EncodedBatch {
    pub(crate) blob: Vec<u8>,
    pub(crate) record_count: i64,
    pub(crate) max_timestamp: i64,
}

/// Builds one batch; `push` records in offset order.
pub(crate) struct BatchEncoder {
    buf: Vec<u8>,
    base_timestamp: Option<i64>,
    record_count: u64,
    max_timestamp: i64,
}

impl BatchEncoder {
    pub(crate) fn new(capacity_hint: usize) -> Self {
        BatchEncoder {
            buf: Vec::with_capacity(capacity_hint + 32),
            base_timestamp: None,
            record_count: 0,
            max_timestamp: i64::MIN,
        }
    }

    /// Records pushed so far: the index the next one gets within the batch.
    pub(crate) fn len(&self) -> i64 {
        self.record_count as i64
    }

    /// Appends one record; `append_time` stands in for a missing timestamp.
    pub(crate) fn push(&mut self, record: &LogRecord, append_time: i64) {
        let timestamp = record.timestamp.unwrap_or(append_time);
        let base = *self.base_timestamp.get_or_insert(timestamp);
        put_signed(&mut self.buf, timestamp.wrapping_sub(base));
        put_nullable(&mut self.buf, record.key.as_deref());
        put_nullable(&mut self.buf, record.value.as_deref());
        put_unsigned(&mut self.buf, record.headers.len() as u64);
        for (name, value) in &record.headers {
            put_unsigned(&mut self.buf, name.len() as u64);
            self.buf.extend_from_slice(name.as_bytes());
            put_nullable(&mut self.buf, value.as_deref());
        }
        self.record_count += 1;
        self.max_timestamp = self.max_timestamp.max(timestamp);
    }

    pub(crate) fn finish(self) -> EncodedBatch {
        let mut blob = Vec::with_capacity(self.buf.len() + 24);
        blob.push(VERSION);
        put_signed(&mut blob, self.base_timestamp.unwrap_or(0));
        put_unsigned(&mut blob, self.record_count);
        blob.extend_from_slice(&self.buf);
        EncodedBatch {
            blob,
            record_count: self.record_count as i64,
            max_timestamp: if self.record_count == 0 {
                0
            } else {
                self.max_timestamp
            },
        }
    }
}

/// Why a stored blob could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum BatchError {
    #[error("unsupported batch format version {0}")]
    Version(u8),
    #[error("batch truncated at byte {0}")]
    Truncated(usize),
    #[error("varint too long at byte {0}")]
    Varint(usize),
    #[error("header name at byte {0} is not UTF-8")]
    HeaderName(usize),
    #[error("batch holds {found} records, its row says {expected}")]
    Count { expected: i64, found: u64 },
}

/// Where to put decoded records and which of the batch's records to keep.
pub(crate) struct DecodeTarget<'a> {
    pub(crate) topic: &'a str,
    pub(crate) partition: i32,
    pub(crate) base_offset: i64,
    /// Records to skip from the start of the batch (a read that starts mid-batch).
    pub(crate) skip: u64,
    /// Records to decode after the skipped ones, at most.
    pub(crate) take: u64,
}

/// Decodes records `skip .. skip + take` of `blob` into `out`; returns how many it added.
pub(crate) fn decode(
    blob: &Bytes,
    expected_count: i64,
    target: &DecodeTarget<'_>,
    out: &mut Vec<ConsumedRecord>,
) -> Result<u64, BatchError> {
    let mut r = Reader { blob, pos: 0 };
    let version = r.byte()?;
    if version != VERSION {
        return Err(BatchError::Version(version));
    }
    let base_timestamp = r.signed()?;
    let count = r.unsigned()?;
    if i64::try_from(count).ok() != Some(expected_count) {
        return Err(BatchError::Count {
            expected: expected_count,
            found: count,
        });
    }
    let end = count.min(target.skip.saturating_add(target.take));
    let mut added = 0;
    for index in 0..end {
        let timestamp_delta = r.signed()?;
        if index < target.skip {
            r.skip_nullable()?;
            r.skip_nullable()?;
            for _ in 0..r.unsigned()? {
                let name_len = r.len()?;
                r.take(name_len)?;
                r.skip_nullable()?;
            }
            continue;
        }
        let key = r.nullable()?;
        let value = r.nullable()?;
        let header_count = r.unsigned()?;
        // Bounded by the blob: every header takes at least two bytes.
        let mut headers = Vec::with_capacity((header_count as usize).min(blob.len() / 2));
        for _ in 0..header_count {
            let name_len = r.len()?;
            let at = r.pos;
            let name = r.take(name_len)?;
            let name = std::str::from_utf8(&name)
                .map_err(|_| BatchError::HeaderName(at))?
                .to_owned();
            headers.push((name, r.nullable()?));
        }
        out.push(ConsumedRecord {
            topic: target.topic.to_owned(),
            partition: target.partition,
            offset: target.base_offset + index as i64,
            timestamp: base_timestamp.wrapping_add(timestamp_delta),
            key,
            value,
            headers,
        });
        added += 1;
    }
    Ok(added)
}

fn put_unsigned(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_signed(buf: &mut Vec<u8>, v: i64) {
    put_unsigned(buf, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_nullable(buf: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => put_unsigned(buf, 0),
        Some(b) => {
            put_unsigned(buf, b.len() as u64 + 1);
            buf.extend_from_slice(b);
        }
    }
}

struct Reader<'a> {
    blob: &'a Bytes,
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, BatchError> {
        let b = *self.blob.get(self.pos).ok_or(BatchError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn unsigned(&mut self) -> Result<u64, BatchError> {
        let start = self.pos;
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(BatchError::Varint(start))
    }

    fn signed(&mut self) -> Result<i64, BatchError> {
        let v = self.unsigned()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn len(&mut self) -> Result<usize, BatchError> {
        let at = self.pos;
        let v = self.unsigned()?;
        usize::try_from(v).map_err(|_| BatchError::Truncated(at))
    }

    fn take(&mut self, len: usize) -> Result<Bytes, BatchError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.blob.len())
            .ok_or(BatchError::Truncated(self.pos))?;
        let slice = self.blob.slice(self.pos..end);
        self.pos = end;
        Ok(slice)
    }

    fn nullable(&mut self) -> Result<Option<Bytes>, BatchError> {
        match self.len()? {
            0 => Ok(None),
            n => self.take(n - 1).map(Some),
        }
    }

    fn skip_nullable(&mut self) -> Result<(), BatchError> {
        match self.len()? {
            0 => Ok(()),
            n => {
                let end = self
                    .pos
                    .checked_add(n - 1)
                    .filter(|end| *end <= self.blob.len())
                    .ok_or(BatchError::Truncated(self.pos))?;
                self.pos = end;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: i64) -> LogRecord {
        LogRecord {
            partition: None,
            key: (i % 3 != 0).then(|| Bytes::from(format!("k{i}"))),
            value: (i % 5 != 0).then(|| Bytes::from(vec![i as u8; i as usize * 7])),
            headers: vec![
                ("h".to_owned(), Some(Bytes::from_static(b"v"))),
                ("null".to_owned(), None),
            ],
            timestamp: (i % 2 == 0).then_some(1_700_000_000_000 - i * 1000),
        }
    }

    fn decode_all(batch: &EncodedBatch, skip: u64, take: u64) -> Result<Vec<ConsumedRecord>, BatchError> {
        let blob = Bytes::from(batch.blob.clone());
        let mut out = Vec::new();
        let target = DecodeTarget {
            topic: "t",
            partition: 2,
            base_offset: 100,
            skip,
            take,
        };
        decode(&blob, batch.record_count, &target, &mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trip_keeps_every_field_and_skips_mid_batch() {
        let records: Vec<LogRecord> = (0..20).map(record).collect();
        let mut enc = BatchEncoder::new(0);
        for r in &records {
            enc.push(r, 42);
        }
        let batch = enc.finish();
        assert_eq!(batch.record_count, 20);
        assert_eq!(batch.max_timestamp, 1_700_000_000_000);
        let all = decode_all(&batch, 0, u64::MAX).unwrap();
        assert_eq!(all.len(), 20);
        for (i, (got, want)) in all.iter().zip(&records).enumerate() {
            assert_eq!(got.offset, 100 + i as i64);
            assert_eq!(got.key, want.key);
            assert_eq!(got.value, want.value);
            assert_eq!(got.headers, want.headers);
            assert_eq!(got.timestamp, want.timestamp.unwrap_or(42));
        }
        let middle = decode_all(&batch, 7, 5).unwrap();
        assert_eq!(middle, all[7..12].to_vec());
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        let mut enc = BatchEncoder::new(0);
        enc.push(&record(4), 1);
        let batch = enc.finish();
        for cut in 0..batch.blob.len() {
            let short = EncodedBatch {
                blob: batch.blob[..cut].to_vec(),
                record_count: 1,
                max_timestamp: 0,
            };
            assert!(decode_all(&short, 0, u64::MAX).is_err(), "cut at {cut}");
        }
        let wrong_count = EncodedBatch {
            blob: batch.blob.clone(),
            record_count: 2,
            max_timestamp: 0,
        };
        assert_eq!(
            decode_all(&wrong_count, 0, u64::MAX),
            Err(BatchError::Count {
                expected: 2,
                found: 1
            })
        );
    }

    fn arb_bytes() -> impl proptest::strategy::Strategy<Value = Option<Bytes>> {
        proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..40).prop_map(Bytes::from))
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_batch_round_trips_from_any_start(
            records in proptest::collection::vec(
                (arb_bytes(), arb_bytes(),
                 proptest::collection::vec(("[a-z.]{0,8}", arb_bytes()), 0..3),
                 proptest::option::of(any::<i64>())),
                1..30),
            skip in 0u64..40,
            take in 0u64..40,
        ) {
            let records: Vec<LogRecord> = records
                .into_iter()
                .map(|(key, value, headers, timestamp)| LogRecord { partition: None, key, value, headers, timestamp })
                .collect();
            let mut enc = BatchEncoder::new(0);
            for r in &records {
                enc.push(r, 7);
            }
            let batch = enc.finish();
            let got = decode_all(&batch, skip, take).unwrap();
            let want: Vec<&LogRecord> = records.iter().skip(skip as usize).take(take as usize).collect();
            prop_assert_eq!(got.len(), want.len());
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                prop_assert_eq!(g.offset, 100 + skip as i64 + i as i64);
                prop_assert_eq!(&g.key, &w.key);
                prop_assert_eq!(&g.value, &w.value);
                prop_assert_eq!(&g.headers, &w.headers);
                prop_assert_eq!(g.timestamp, w.timestamp.unwrap_or(7));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(blob in proptest::collection::vec(any::<u8>(), 0..200), count in 0i64..5) {
            let batch = EncodedBatch { blob, record_count: count, max_timestamp: 0 };
            let _ = decode_all(&batch, 0, u64::MAX);
        }
    }
}

//! Where a record goes, and which topic names are allowed — both exactly as Kafka decides, so
//! that moving a pipeline from the embedded log to Kafka keeps keys on the same partitions.
//!
//! murmur2 is hand-written: Kafka's default partitioner uses its own variant (seed 0x9747b28c,
//! `toPositive(h) % partitions`) and no well-kept crate exports that exact function.

use crate::log::LogError;

/// Kafka's limit on topic name length.
pub(crate) const MAX_TOPIC_NAME_LEN: usize = 249;

/// Refuses names Kafka would refuse: empty, `.`, `..`, longer than 249, or holding a character
/// other than ASCII letters, digits, `.`, `_` and `-`.
pub(crate) fn validate_topic_name(name: &str) -> Result<(), LogError> {
    let valid = !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= MAX_TOPIC_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(LogError::InvalidTopic(name.to_owned()))
    }
}

/// Kafka's `Utils.murmur2`.
pub(crate) fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h: u32 = SEED ^ (data.len() as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's default partitioner for a keyed record: `toPositive(murmur2(key)) % partitions`.
pub(crate) fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka() {
        // Kafka's UtilsTest.testMurmur2 vectors.
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            (b"abc", 479_470_107),
        ];
        for (key, want) in cases {
            assert_eq!(murmur2(key), want, "{}", String::from_utf8_lossy(key));
        }
        assert_eq!(partition_for_key(b"21", 4), (-973_932_308i32 & 0x7fff_ffff) % 4);
    }

    #[test]
    fn topic_names_follow_kafka() {
        for ok in ["a", "file-topic", "A.b_c-9", &"x".repeat(249)] {
            assert!(validate_topic_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "has space", "slash/", "ümlaut", &"x".repeat(250)] {
            assert!(
                matches!(validate_topic_name(bad), Err(LogError::InvalidTopic(n)) if n == bad),
                "{bad}"
            );
        }
    }
}

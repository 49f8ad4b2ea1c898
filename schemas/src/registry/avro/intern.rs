//! Process-wide small integer ids for record field names and for "plain" field types (types
//! holding no named type: primitives, and unions, arrays and maps of plain types), so the
//! checker can match two records' fields by comparing integers in one compact array per record
//! instead of walking strings and nodes spread over two arenas.
//!
//! Why process-wide: a check compares two schemas parsed at different times (the new schema
//! and every stored version), so their ids must come from one table. Equal ids mean equal
//! texts, exactly (no hashing shortcut), so a verdict never rests on a collision.
//!
//! The tables only grow, so each is bounded by [`CAP`] entries: once full, new texts get no
//! id ([`NONE`]) and the checker takes its general path for them, with the same verdict.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, OnceLock};

/// "No id": the text was not interned (table full, or a type holding a named type).
pub(crate) const NONE: u32 = u32::MAX;

/// Entries per table. Field names and plain types repeat across a registry's schemas; a
/// quarter of a million distinct ones is far beyond a real registry and bounds the memory
/// (a few tens of MiB at worst) that schemas sent only to be checked can pin.
const CAP: usize = 1 << 18;

#[derive(Default)]
pub(crate) struct Table {
    ids: HashMap<Box<str>, u32>,
}

impl Table {
    /// The id of `text`, allocating one when the table has room.
    pub(crate) fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        if self.ids.len() >= CAP {
            return NONE;
        }
        // Below CAP, so the id fits in u32 and never equals NONE.
        let id = self.ids.len() as u32;
        self.ids.insert(Box::from(text), id);
        id
    }
}

/// The two tables, locked together: a schema is indexed under one lock.
#[derive(Default)]
pub(crate) struct Tables {
    pub names: Table,
    pub types: Table,
}

static TABLES: OnceLock<Mutex<Tables>> = OnceLock::new();

/// Runs `f` with the tables locked.
pub(crate) fn with_tables<T>(f: impl FnOnce(&mut Tables) -> T) -> T {
    let mut tables = TABLES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&mut tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_an_id_and_a_full_table_answers_none() {
        let mut table = Table::default();
        let a = table.id("a");
        assert_eq!(table.id("a"), a);
        assert_ne!(table.id("b"), a);
        for i in 0..CAP {
            table.id(&format!("x{i}"));
        }
        assert_eq!(table.id("never seen"), NONE);
        assert_eq!(table.id("a"), a);
    }
}

/// Hashes small integer keys (arena indexes, interned ids) of this process. The DoS-resistant
/// default hasher buys nothing for them and costs a third of a 50-field check; no crate in
/// the workspace offers a plain integer hasher.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

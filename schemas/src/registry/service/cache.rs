//! In-memory caches in front of the store.
//!
//! What must stay true:
//! - schemas by id are immutable (ids are never reused), so the id cache needs no expiry; a
//!   permanent delete evicts the ids it touched on this instance (another worker sharing the
//!   store may answer a purged id until restart, as Confluent clients' own caches do);
//! - the "already registered" cache maps what a client sent (subject, type, text, references,
//!   normalize) to its id and version; every delete or mode change on this instance clears it;
//! - settings (config, mode) are cached for [`SETTINGS_TTL`] so a change made by another worker
//!   is seen within that time, and a change made here is seen at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use super::store::StoredSchema;
use crate::registry::{ParsedSchema, SchemaReference, SchemaType};

pub const SETTINGS_TTL: Duration = Duration::from_secs(1);
/// Bound of the "already registered" cache; it is cleared when full (entries are cheap to rebuild).
const REGISTERED_CAP: usize = 10_000;

/// A schema under its id, with its parsed form once someone needed it.
#[derive(Debug)]
pub struct SchemaEntry {
    pub stored: StoredSchema,
    /// Derived from the text and references once, when the entry is made.
    guid: String,
    pub(crate) parsed: OnceLock<Arc<ParsedSchema>>,
}

impl SchemaEntry {
    pub fn new(stored: StoredSchema) -> Self {
        SchemaEntry {
            guid: super::store::guid(&stored.schema, &stored.references),
            stored,
            parsed: OnceLock::new(),
        }
    }
    pub fn id(&self) -> i64 {
        self.stored.id
    }
    /// Confluent 8's content-derived id (see [`super::store::guid`]).
    pub fn guid(&self) -> &str {
        &self.guid
    }
    pub fn schema_type(&self) -> SchemaType {
        self.stored.schema_type
    }
    pub fn schema(&self) -> &str {
        &self.stored.schema
    }
    pub fn references(&self) -> &[SchemaReference] {
        &self.stored.references
    }
    /// Same type, text and references.
    pub fn same_as(&self, schema_type: SchemaType, text: &str, refs: &[SchemaReference]) -> bool {
        self.stored.schema_type == schema_type && self.stored.schema == text && self.stored.references == refs
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RegisteredKey {
    pub subject: String,
    pub schema_type: SchemaType,
    pub text: String,
    pub references: Vec<SchemaReference>,
    pub normalize: bool,
}

/// (is mode, scope key) -> (read at, stored value).
type SettingsCache = HashMap<(bool, String), (Instant, Option<String>)>;

#[derive(Default)]
pub(crate) struct Caches {
    /// context -> id -> entry.
    schemas: RwLock<HashMap<String, HashMap<i64, Arc<SchemaEntry>>>>,
    registered: Mutex<HashMap<RegisteredKey, (i64, i32)>>,
    settings: Mutex<SettingsCache>,
    /// One async lock per subject: registrations of one subject on this instance queue up
    /// instead of racing each other into store conflicts (other workers still race, and the
    /// store's conflict check settles those).
    subject_locks: Mutex<HashMap<String, Arc<futures::lock::Mutex<()>>>>,
}

impl Caches {
    pub fn schema(&self, context: &str, id: i64) -> Option<Arc<SchemaEntry>> {
        let map = self.schemas.read().unwrap_or_else(|p| p.into_inner());
        map.get(context).and_then(|ids| ids.get(&id)).cloned()
    }

    pub fn put_schema(&self, entry: Arc<SchemaEntry>) -> Arc<SchemaEntry> {
        let mut map = self.schemas.write().unwrap_or_else(|p| p.into_inner());
        let ids = map.entry(entry.stored.context.clone()).or_default();
        // Keep the first entry: it may already hold the parsed form.
        ids.entry(entry.stored.id).or_insert(entry).clone()
    }

    pub fn evict_schemas(&self, context: &str, ids: &[i64]) {
        let mut map = self.schemas.write().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = map.get_mut(context) {
            for id in ids {
                m.remove(id);
            }
        }
    }

    pub fn subject_lock(&self, subject: &str) -> Arc<futures::lock::Mutex<()>> {
        let mut map = self.subject_locks.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(subject.to_string()).or_default().clone()
    }

    pub fn registered(&self, key: &RegisteredKey) -> Option<(i64, i32)> {
        let map = self.registered.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).copied()
    }

    pub fn put_registered(&self, key: RegisteredKey, value: (i64, i32)) {
        let mut map = self.registered.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= REGISTERED_CAP {
            map.clear();
        }
        map.insert(key, value);
    }

    pub fn clear_registered(&self) {
        self.registered.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// A cached setting (`is_mode` selects mode or config) younger than the TTL.
    pub fn setting(&self, is_mode: bool, scope: &str) -> Option<Option<String>> {
        let map = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&(is_mode, scope.to_string())) {
            Some((at, value)) if at.elapsed() < SETTINGS_TTL => Some(value.clone()),
            _ => None,
        }
    }

    pub fn put_setting(&self, is_mode: bool, scope: &str, value: Option<String>) {
        let mut map = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        map.insert((is_mode, scope.to_string()), (Instant::now(), value));
    }
}

//! An in-memory [`RegistryStore`]: the registry's real rules (`RegistryService`) without a
//! database, for tests, benchmarks and fuzz targets of the converters. Nothing survives the
//! process. The worker stores schemas in SQLite or Postgres (gateway), never here.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use schemas::registry::service::{
    Inserted, NewVersion, RegistryStore, StoreError, StoredSchema, VersionRecord,
};

#[derive(Default)]
struct State {
    /// (context, id) -> schema, with its fingerprint.
    schemas: BTreeMap<(String, i64), (StoredSchema, i64)>,
    /// Highest id ever allocated per context (ids are never reused).
    max_id: BTreeMap<String, i64>,
    /// subject -> versions (ascending), with the context of each.
    versions: BTreeMap<String, Vec<(VersionRecord, String)>>,
    /// (subject, version) of each referenced version -> ids of the schemas referencing it.
    references: Vec<(String, i32, String, i64)>,
    config: BTreeMap<String, String>,
    mode: BTreeMap<String, String>,
}

/// See the module doc. One mutex: every operation is a few map accesses.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A poisoned lock means a panic elsewhere mid-update; the maps are still usable.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }
}

fn same(s: &StoredSchema, new: &NewVersion) -> bool {
    s.schema_type == new.schema_type && s.schema == new.schema && s.references == new.references
}

#[async_trait]
impl RegistryStore for MemoryStore {
    async fn schema(&self, context: &str, id: i64) -> Result<Option<StoredSchema>, StoreError> {
        Ok(self.with(|s| s.schemas.get(&(context.to_owned(), id)).map(|(x, _)| x.clone())))
    }

    async fn schemas_by_fingerprint(
        &self,
        context: &str,
        fingerprint: i64,
    ) -> Result<Vec<StoredSchema>, StoreError> {
        Ok(self.with(|s| {
            s.schemas
                .iter()
                .filter(|((ctx, _), (_, fp))| ctx == context && *fp == fingerprint)
                .map(|(_, (x, _))| x.clone())
                .collect()
        }))
    }

    async fn versions(&self, subject: &str) -> Result<Vec<VersionRecord>, StoreError> {
        Ok(self.with(|s| {
            s.versions
                .get(subject)
                .map(|v| v.iter().map(|(r, _)| r.clone()).collect())
                .unwrap_or_default()
        }))
    }

    async fn all_versions(&self) -> Result<Vec<VersionRecord>, StoreError> {
        Ok(self.with(|s| s.versions.values().flatten().map(|(r, _)| r.clone()).collect()))
    }

    async fn versions_of_schema(&self, context: &str, id: i64) -> Result<Vec<VersionRecord>, StoreError> {
        Ok(self.with(|s| {
            s.versions
                .values()
                .flatten()
                .filter(|(r, ctx)| ctx == context && r.schema_id == id)
                .map(|(r, _)| r.clone())
                .collect()
        }))
    }

    async fn referenced_by(&self, subject: &str, version: i32) -> Result<Vec<i64>, StoreError> {
        Ok(self.with(|s| {
            let mut ids: Vec<i64> = s
                .references
                .iter()
                .filter(|(sub, v, ctx, id)| {
                    sub == subject
                        && *v == version
                        && s.versions
                            .values()
                            .flatten()
                            .any(|(r, c)| c == ctx && r.schema_id == *id && !r.deleted)
                })
                .map(|(_, _, _, id)| *id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        }))
    }

    async fn insert_version(&self, new: &NewVersion) -> Result<Inserted, StoreError> {
        self.with(|s| {
            let existing = s.versions.get(&new.subject);
            let max = existing.and_then(|v| v.iter().map(|(r, _)| r.version).max());
            if max != new.expected_max_version {
                return Err(StoreError::Conflict(format!("subject {} changed", new.subject)));
            }
            let found = match new.id {
                Some(id) => match s.schemas.get(&(new.context.clone(), id)) {
                    Some((x, _)) if !same(x, new) => return Err(StoreError::IdInUse(id)),
                    Some(_) => Some(id),
                    None => None,
                },
                None => s
                    .schemas
                    .iter()
                    .find(|((ctx, _), (x, _))| *ctx == new.context && same(x, new))
                    .map(|((_, id), _)| *id),
            };
            let id = match found {
                Some(id) => id,
                None => {
                    let max_id = s.max_id.entry(new.context.clone()).or_insert(0);
                    let id = new.id.unwrap_or(*max_id + 1);
                    *max_id = (*max_id).max(id);
                    let stored = StoredSchema {
                        context: new.context.clone(),
                        id,
                        schema_type: new.schema_type,
                        schema: new.schema.clone(),
                        references: new.references.clone(),
                    };
                    s.schemas
                        .insert((new.context.clone(), id), (stored, new.fingerprint));
                    for (r, qualified) in new.references.iter().zip(&new.qualified_reference_subjects) {
                        s.references
                            .push((qualified.clone(), r.version, new.context.clone(), id));
                    }
                    id
                }
            };
            let version = new.version.unwrap_or(max.unwrap_or(0) + 1);
            let rows = s.versions.entry(new.subject.clone()).or_default();
            if rows.iter().any(|(r, _)| r.version == version) {
                return Err(StoreError::Conflict(format!(
                    "subject {} version {version} exists",
                    new.subject
                )));
            }
            rows.push((
                VersionRecord {
                    subject: new.subject.clone(),
                    version,
                    schema_id: id,
                    deleted: false,
                },
                new.context.clone(),
            ));
            rows.sort_by_key(|(r, _)| r.version);
            Ok(Inserted { id, version })
        })
    }

    async fn set_deleted(&self, subject: &str, versions: &[i32], deleted: bool) -> Result<(), StoreError> {
        self.with(|s| {
            if let Some(rows) = s.versions.get_mut(subject) {
                for (r, _) in rows.iter_mut().filter(|(r, _)| versions.contains(&r.version)) {
                    r.deleted = deleted;
                }
            }
        });
        Ok(())
    }

    async fn purge(&self, subject: &str, versions: &[i32]) -> Result<(), StoreError> {
        self.with(|s| {
            if let Some(rows) = s.versions.get_mut(subject) {
                rows.retain(|(r, _)| !versions.contains(&r.version));
            }
            let used: Vec<(String, i64)> = s
                .versions
                .values()
                .flatten()
                .map(|(r, ctx)| (ctx.clone(), r.schema_id))
                .collect();
            s.schemas.retain(|key, _| used.contains(key));
            s.references
                .retain(|(_, _, ctx, id)| used.contains(&(ctx.clone(), *id)));
        });
        Ok(())
    }

    async fn schema_ids_by_guid(&self, guid: &str) -> Result<Vec<(String, i64)>, StoreError> {
        // Derived on each call: this store holds test-sized registries, and the GUID is a
        // function of the stored text and references.
        Ok(self.with(|s| {
            s.schemas
                .iter()
                .filter(|(_, (x, _))| schemas::registry::service::guid(&x.schema, &x.references) == guid)
                .map(|((ctx, id), _)| (ctx.clone(), *id))
                .collect()
        }))
    }

    async fn max_schema_id(&self, context: &str) -> Result<i64, StoreError> {
        Ok(self.with(|s| s.max_id.get(context).copied().unwrap_or(0)))
    }

    async fn config(&self, scope: &str) -> Result<Option<String>, StoreError> {
        Ok(self.with(|s| s.config.get(scope).cloned()))
    }

    async fn set_config(&self, scope: &str, config: Option<&str>) -> Result<(), StoreError> {
        self.with(|s| match config {
            Some(c) => s.config.insert(scope.to_owned(), c.to_owned()),
            None => s.config.remove(scope),
        });
        Ok(())
    }

    async fn mode(&self, scope: &str) -> Result<Option<String>, StoreError> {
        Ok(self.with(|s| s.mode.get(scope).cloned()))
    }

    async fn set_mode(&self, scope: &str, mode: Option<&str>) -> Result<(), StoreError> {
        self.with(|s| match mode {
            Some(m) => s.mode.insert(scope.to_owned(), m.to_owned()),
            None => s.mode.remove(scope),
        });
        Ok(())
    }
}

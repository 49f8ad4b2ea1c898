//! Registration, lookup and compatibility checks: everything that parses a client's schema.

use std::sync::Arc;

use super::cache::{RegisteredKey, SchemaEntry};
use super::config::{CompatibilityPolicy, Config, Mode};
use super::error::{ErrorCode, RegistryError, Result, StoreError};
use super::store::{NewVersion, StoredSchema, VersionRecord, fingerprint};
use super::subject::{QualifiedSubject, qualify_reference};
use super::{RegisterOptions, Registered, RegistryService, SchemaInput, SubjectVersion, VersionSpec};
use crate::registry::language::CheckOptions;
use crate::registry::{ParsedSchema, ResolvedReference};

/// How often a registration is retried when another writer changed the subject meanwhile.
const MAX_ATTEMPTS: usize = 32;

fn check_options(config: &Config) -> CheckOptions {
    CheckOptions {
        lenient: config.compatibility_policy == Some(CompatibilityPolicy::Lenient),
    }
}

fn subject_of_write(subject: &str) -> Result<QualifiedSubject> {
    let q = QualifiedSubject::parse(subject)?;
    if q.is_context_only() {
        return Err(RegistryError::new(
            ErrorCode::InvalidSubject,
            format!("Invalid subject {subject:?}: a context has no versions of its own"),
        ));
    }
    Ok(q)
}

impl RegistryService {
    /// Parses a client's schema with its references resolved; 42201 with the parser's
    /// message when it does not parse.
    async fn parse_input(
        &self,
        context: &str,
        input: &SchemaInput,
    ) -> Result<(ParsedSchema, Vec<ResolvedReference>)> {
        let resolved = self.resolve_references(context, &input.references).await?;
        let parsed = ParsedSchema::parse(input.schema_type, &input.schema, &resolved)
            .map_err(RegistryError::invalid_schema)?;
        Ok((parsed, resolved))
    }

    /// The parsed forms of the live versions, oldest first.
    async fn live_parsed(&self, rows: &[VersionRecord]) -> Result<Vec<Arc<ParsedSchema>>> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows.iter().filter(|r| !r.deleted) {
            let entry = self.entry_of(row).await?;
            out.push(self.parsed(&entry).await?);
        }
        Ok(out)
    }

    /// Registers a schema under a subject (`POST /subjects/{s}/versions`).
    pub async fn register(
        &self,
        subject: &str,
        input: &SchemaInput,
        options: RegisterOptions,
    ) -> Result<Registered> {
        let q = subject_of_write(subject)?;
        let key = q.qualified();
        let mode = self.effective_mode(&q).await?;
        if mode.is_read_only() {
            return Err(RegistryError::not_permitted(format!(
                "Subject {key} is in read-only mode"
            )));
        }
        if (options.id.is_some() || options.version.is_some()) && mode != Mode::Import {
            return Err(RegistryError::not_permitted(format!(
                "Subject {key} is not in import mode: a schema id or version cannot be given"
            )));
        }
        let cache_key = RegisteredKey {
            subject: key.clone(),
            schema_type: input.schema_type,
            text: input.schema.clone(),
            references: input.references.clone(),
            normalize: options.normalize,
        };
        if options.id.is_none()
            && let Some((id, version)) = self.caches.registered(&cache_key)
        {
            return Ok(Registered { id, version });
        }

        let config = self.effective_config(&q).await?;
        let normalize = options.normalize || config.normalize == Some(true);
        let (parsed, _) = self.parse_input(&q.context, input).await?;
        let text = if normalize {
            parsed.normalize()
        } else {
            parsed.canonical()
        };
        let qualified_refs = input
            .references
            .iter()
            .map(|r| qualify_reference(&q.context, &r.subject))
            .collect::<Result<Vec<_>>>()?;
        let fp = fingerprint(input.schema_type, &text, &input.references);

        let lock = self.caches.subject_lock(&key);
        let _queued = lock.lock().await;
        for _ in 0..MAX_ATTEMPTS {
            let rows = self.store.versions(&key).await?;
            // Same schema, live under this subject: its id and version, no check.
            for row in rows.iter().rev().filter(|r| !r.deleted) {
                let entry = self.entry_of(row).await?;
                if entry.same_as(input.schema_type, &text, &input.references) {
                    if let Some(id) = options.id
                        && id != entry.id()
                    {
                        return Err(RegistryError::not_permitted(format!(
                            "Schema already registered under subject {key} with id {} instead of input id {id}",
                            entry.id()
                        )));
                    }
                    let found = Registered {
                        id: entry.id(),
                        version: row.version,
                    };
                    self.caches.put_registered(cache_key, (found.id, found.version));
                    return Ok(found);
                }
            }
            if let Some(v) = options.version
                && rows.iter().any(|r| r.version == v)
            {
                return Err(RegistryError::not_permitted(format!(
                    "Overwrite of subject {key} version {v} is not permitted"
                )));
            }
            let level = config.level();
            if mode != Mode::Import && level != crate::registry::CompatibilityLevel::None {
                let existing = self.live_parsed(&rows).await?;
                let refs: Vec<&ParsedSchema> = existing.iter().map(|p| p.as_ref()).collect();
                let messages = level.check(&parsed, &refs, &check_options(&config));
                if !messages.is_empty() {
                    return Err(RegistryError::new(
                        ErrorCode::Incompatible,
                        format!(
                            "Schema being registered is incompatible with an earlier schema for \
                             subject \"{key}\", details: [{}]",
                            messages.join(", ")
                        ),
                    ));
                }
            }
            let new = NewVersion {
                subject: key.clone(),
                context: q.context.clone(),
                schema_type: input.schema_type,
                schema: text.clone(),
                references: input.references.clone(),
                qualified_reference_subjects: qualified_refs.clone(),
                fingerprint: fp,
                guid: super::store::guid(&text, &input.references),
                id: options.id,
                version: options.version,
                expected_max_version: rows.iter().map(|r| r.version).max(),
            };
            match self.store.insert_version(&new).await {
                Ok(inserted) => {
                    // The stored row is what was sent (an id is reused only for the same type,
                    // text and references), so the cache entry needs no read back; the parsed
                    // form is at hand too: spare the next check a parse.
                    let entry = self.caches.put_schema(Arc::new(SchemaEntry::new(StoredSchema {
                        context: q.context.clone(),
                        id: inserted.id,
                        schema_type: input.schema_type,
                        schema: text.clone(),
                        references: input.references.clone(),
                    })));
                    let _ = entry.parsed.set(Arc::new(parsed));
                    self.caches
                        .put_registered(cache_key, (inserted.id, inserted.version));
                    return Ok(Registered {
                        id: inserted.id,
                        version: inserted.version,
                    });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RegistryError::new(
            ErrorCode::StoreError,
            format!("could not register under subject {key}: too many concurrent changes"),
        ))
    }

    /// Finds the version of a subject holding this schema (`POST /subjects/{s}`).
    pub async fn lookup(
        &self,
        subject: &str,
        input: &SchemaInput,
        normalize: bool,
        deleted: bool,
    ) -> Result<SubjectVersion> {
        let q = subject_of_write(subject)?;
        let key = q.qualified();
        let rows = self.store.versions(&key).await?;
        if !rows.iter().any(|r| deleted || !r.deleted) {
            return Err(RegistryError::subject_not_found(&key));
        }
        let config = self.effective_config(&q).await?;
        let normalize = normalize || config.normalize == Some(true);
        let (parsed, _) = self.parse_input(&q.context, input).await?;
        let canonical = parsed.canonical();
        let normalized = normalize.then(|| parsed.normalize());
        for row in rows.iter().rev().filter(|r| deleted || !r.deleted) {
            let entry = self.entry_of(row).await?;
            if entry.schema_type() != input.schema_type || entry.references() != input.references {
                continue;
            }
            let mut same = entry.schema() == canonical || entry.schema() == input.schema;
            if !same && let Some(n) = &normalized {
                same = entry.schema() == n || self.parsed(&entry).await?.normalize() == *n;
            }
            if same {
                return Ok(SubjectVersion {
                    subject: row.subject.clone(),
                    version: row.version,
                    deleted: row.deleted,
                    schema: entry,
                });
            }
        }
        Err(RegistryError::schema_not_found(None))
    }

    /// Checks a schema against a subject (`POST /compatibility/subjects/{s}/versions[/{v}]`).
    /// Without a version: against what registration would check (the level's versions).
    /// With one: against that version only. Answers the incompatibilities; empty = compatible.
    pub async fn check(
        &self,
        subject: &str,
        version: Option<VersionSpec>,
        input: &SchemaInput,
        normalize: bool,
    ) -> Result<Vec<String>> {
        let q = subject_of_write(subject)?;
        let key = q.qualified();
        let config = self.effective_config(&q).await?;
        let _ = normalize; // A check compares parsed schemas: normalizing changes no verdict.
        let (parsed, _) = self.parse_input(&q.context, input).await?;
        let rows = self.store.versions(&key).await?;
        let live: Vec<VersionRecord> = rows.into_iter().filter(|r| !r.deleted).collect();
        let level = config.level();
        let options = check_options(&config);
        match version {
            None => {
                let existing = self.live_parsed(&live).await?;
                let refs: Vec<&ParsedSchema> = existing.iter().map(|p| p.as_ref()).collect();
                Ok(level.check(&parsed, &refs, &options))
            }
            Some(spec) => {
                let row = match spec {
                    VersionSpec::Latest => match live.last() {
                        Some(r) => r,
                        None => return Ok(Vec::new()),
                    },
                    VersionSpec::Number(n) => {
                        if live.is_empty() {
                            return Err(RegistryError::subject_not_found(&key));
                        }
                        live.iter()
                            .find(|r| r.version == n)
                            .ok_or_else(|| RegistryError::version_not_found(&key, n))?
                    }
                };
                let entry = self.entry_of(row).await?;
                let old = self.parsed(&entry).await?;
                Ok(level.check(&parsed, &[old.as_ref()], &options))
            }
        }
    }
}

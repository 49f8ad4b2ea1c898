//! Reads: schemas by id, subjects, versions, listings, contexts.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cache::SchemaEntry;
use super::error::{ErrorCode, RegistryError, Result};
use super::store::VersionRecord;
use super::subject::{DEFAULT_CONTEXT, QualifiedSubject, context_of};
use super::{RegistryService, SchemasQuery, SubjectVersion, VersionSpec};

/// Subject prefixes that mean "every context".
fn all_contexts(prefix: Option<&str>) -> bool {
    matches!(prefix, None | Some("") | Some(":*:"))
}

/// The rows of one subject visible with the `deleted` / `deletedOnly` flags.
fn visible(rows: &[VersionRecord], deleted: bool, deleted_only: bool) -> Vec<&VersionRecord> {
    rows.iter()
        .filter(|r| {
            if deleted_only {
                r.deleted
            } else {
                deleted || !r.deleted
            }
        })
        .collect()
}

impl RegistryService {
    /// `GET /schemas/ids/{id}`: the subject (if any) names the context to look in.
    pub async fn schema_by_id(&self, id: i64, subject: Option<&str>) -> Result<Arc<SchemaEntry>> {
        let context = match subject {
            Some(s) if !s.is_empty() => QualifiedSubject::parse(s)?.context,
            _ => DEFAULT_CONTEXT.to_string(),
        };
        self.entry(&context, id)
            .await?
            .ok_or_else(|| RegistryError::schema_not_found(Some(id)))
    }

    /// `GET /subjects`: subjects with a live version (or, with `deleted`, any version;
    /// with `deleted_only`, only soft-deleted subjects), sorted.
    pub async fn subjects(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        deleted_only: bool,
    ) -> Result<Vec<String>> {
        let rows = self.store.all_versions().await?;
        let mut subjects: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
        for r in &rows {
            let e = subjects.entry(r.subject.as_str()).or_default();
            if r.deleted {
                e.1 = true;
            } else {
                e.0 = true;
            }
        }
        Ok(subjects
            .into_iter()
            .filter(|(s, _)| all_contexts(prefix) || s.starts_with(prefix.unwrap_or_default()))
            .filter(|(_, (live, dead))| {
                if deleted_only {
                    !*live && *dead
                } else {
                    *live || deleted
                }
            })
            .map(|(s, _)| s.to_string())
            .collect())
    }

    async fn subject_rows(&self, subject: &str) -> Result<(String, Vec<VersionRecord>)> {
        let key = QualifiedSubject::parse(subject)?.qualified();
        let rows = self.store.versions(&key).await?;
        Ok((key, rows))
    }

    /// `GET /subjects/{s}/versions`.
    pub async fn versions(&self, subject: &str, deleted: bool, deleted_only: bool) -> Result<Vec<i32>> {
        let (key, rows) = self.subject_rows(subject).await?;
        let seen = visible(&rows, deleted, deleted_only);
        if seen.is_empty() && (!deleted_only || rows.is_empty()) {
            return Err(RegistryError::subject_not_found(&key));
        }
        Ok(seen.iter().map(|r| r.version).collect())
    }

    /// `GET /subjects/{s}/versions/{v}`; `deleted` lets soft-deleted versions answer.
    pub async fn version(&self, subject: &str, spec: VersionSpec, deleted: bool) -> Result<SubjectVersion> {
        let (key, rows) = self.subject_rows(subject).await?;
        let seen = visible(&rows, deleted, false);
        if seen.is_empty() {
            return Err(RegistryError::subject_not_found(&key));
        }
        let row = match spec {
            VersionSpec::Latest => seen.last().copied(),
            VersionSpec::Number(n) => seen.iter().find(|r| r.version == n).copied(),
        }
        .ok_or_else(|| RegistryError::version_not_found(&key, spec))?;
        Ok(SubjectVersion {
            subject: row.subject.clone(),
            version: row.version,
            deleted: row.deleted,
            schema: self.entry_of(row).await?,
        })
    }

    /// The latest live version of a subject.
    pub async fn latest(&self, subject: &str) -> Result<SubjectVersion> {
        self.version(subject, VersionSpec::Latest, false).await
    }

    /// `GET /subjects/{s}/versions/{v}/referencedby`: ids of live schemas referencing it.
    pub async fn referenced_by(&self, subject: &str, spec: VersionSpec) -> Result<Vec<i64>> {
        let v = self.version(subject, spec, true).await?;
        let mut ids = self.store.referenced_by(&v.subject, v.version).await?;
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    async fn rows_of_schema(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<VersionRecord>> {
        let entry = self.schema_by_id(id, subject).await?;
        let rows = self.store.versions_of_schema(&entry.stored.context, id).await?;
        let filter = subject
            .filter(|s| !s.is_empty())
            .map(QualifiedSubject::parse)
            .transpose()?
            .filter(|q| !q.is_context_only())
            .map(|q| q.qualified());
        Ok(rows
            .into_iter()
            .filter(|r| deleted || !r.deleted)
            .filter(|r| filter.as_ref().is_none_or(|s| *s == r.subject))
            .collect())
    }

    /// `GET /schemas/ids/{id}/subjects`.
    pub async fn subjects_of_schema(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<String>> {
        let mut subjects: Vec<String> = self
            .rows_of_schema(id, subject, deleted)
            .await?
            .into_iter()
            .map(|r| r.subject)
            .collect();
        subjects.sort();
        subjects.dedup();
        Ok(subjects)
    }

    /// `GET /schemas/ids/{id}/versions`: (subject, version) pairs.
    pub async fn versions_of_schema(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<(String, i32)>> {
        let mut pairs: Vec<(String, i32)> = self
            .rows_of_schema(id, subject, deleted)
            .await?
            .into_iter()
            .map(|r| (r.subject, r.version))
            .collect();
        pairs.sort();
        Ok(pairs)
    }

    /// `GET /schemas`: versions with their schemas, by subject then version.
    pub async fn schemas(&self, query: &SchemasQuery) -> Result<Vec<SubjectVersion>> {
        let rows = self.store.all_versions().await?;
        let prefix = query.subject_prefix.as_deref();
        let mut picked: Vec<&VersionRecord> = rows
            .iter()
            .filter(|r| all_contexts(prefix) || r.subject.starts_with(prefix.unwrap_or_default()))
            .filter(|r| query.deleted || !r.deleted)
            .collect();
        if query.latest_only {
            let mut latest: BTreeMap<&str, &VersionRecord> = BTreeMap::new();
            for r in picked {
                latest.insert(r.subject.as_str(), r);
            }
            picked = latest.into_values().collect();
        }
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for r in picked.into_iter().skip(query.offset).take(limit) {
            out.push(SubjectVersion {
                subject: r.subject.clone(),
                version: r.version,
                deleted: r.deleted,
                schema: self.entry_of(r).await?,
            });
        }
        Ok(out)
    }

    /// `GET /contexts`: the default context and every context holding a subject, sorted.
    pub async fn contexts(&self) -> Result<Vec<String>> {
        let rows = self.store.all_versions().await?;
        let mut contexts: Vec<String> = rows.iter().map(|r| context_of(&r.subject)).collect();
        contexts.push(DEFAULT_CONTEXT.to_string());
        contexts.sort();
        contexts.dedup();
        Ok(contexts)
    }

    /// `GET /schemas/guids/{guid}/ids`: the id the GUID has in each context (the highest one
    /// when a context has several, e.g. the same text as two schema types), by context name.
    pub async fn ids_of_guid(&self, guid: &str) -> Result<Vec<(String, i64)>> {
        // GUIDs are written in lower case; a client may send upper case.
        let mut found = self
            .store
            .schema_ids_by_guid(&guid.trim().to_ascii_lowercase())
            .await?;
        found.sort();
        let mut out: Vec<(String, i64)> = Vec::new();
        for (context, id) in found {
            match out.last_mut() {
                Some(last) if last.0 == context => last.1 = last.1.max(id),
                _ => out.push((context, id)),
            }
        }
        Ok(out)
    }

    /// `GET /schemas/guids/{guid}`: the schema with this GUID, from the default context when
    /// it is there, else from the first context by name (40403 when none has it).
    pub async fn schema_by_guid(&self, guid: &str) -> Result<Arc<SchemaEntry>> {
        let ids = self.ids_of_guid(guid).await?;
        let pick = ids
            .iter()
            .find(|(context, _)| context == DEFAULT_CONTEXT)
            .or_else(|| ids.first());
        let not_found = || RegistryError::new(ErrorCode::SchemaNotFound, format!("Schema {guid} not found"));
        let Some((context, id)) = pick else {
            return Err(not_found());
        };
        self.entry(context, *id).await?.ok_or_else(not_found)
    }

    /// The highest id allocated in the subject's context (`fetchMaxId`).
    pub async fn max_id(&self, subject: Option<&str>) -> Result<i64> {
        let context = match subject {
            Some(s) if !s.is_empty() => QualifiedSubject::parse(s)?.context,
            _ => DEFAULT_CONTEXT.to_string(),
        };
        Ok(self.store.max_schema_id(&context).await?)
    }
}

//! Soft and permanent deletes. A permanent delete needs a soft delete first; a version that
//! a live schema references cannot be deleted at all (42206).

use super::error::{ErrorCode, RegistryError, Result};
use super::store::{Scope, VersionRecord};
use super::subject::{DEFAULT_CONTEXT, QualifiedSubject, context_of};
use super::{RegistryService, VersionSpec};

impl RegistryService {
    async fn writable(&self, q: &QualifiedSubject) -> Result<()> {
        if self.effective_mode(q).await?.is_read_only() {
            return Err(RegistryError::not_permitted(format!(
                "Subject {} is in read-only mode",
                q.qualified()
            )));
        }
        Ok(())
    }

    async fn not_referenced(&self, row: &VersionRecord) -> Result<()> {
        let ids = self.store.referenced_by(&row.subject, row.version).await?;
        if !ids.is_empty() {
            return Err(RegistryError::new(
                ErrorCode::ReferenceExists,
                format!(
                    "One or more references exist to the schema {{subject={}, version={}}}: \
                     referenced by schema ids {ids:?}",
                    row.subject, row.version
                ),
            ));
        }
        Ok(())
    }

    /// Forgets what this instance cached about a subject's schemas after a delete.
    fn after_delete(&self, context: &str, purged: &[VersionRecord]) {
        self.caches.clear_registered();
        let ids: Vec<i64> = purged.iter().map(|r| r.schema_id).collect();
        if !ids.is_empty() {
            self.caches.evict_schemas(context, &ids);
        }
    }

    /// `DELETE /contexts/{context}`: forgets an empty context, i.e. its context-level config
    /// and mode. A context holding any version, even soft-deleted, is refused (42211, as
    /// Confluent: permanently delete its subjects first); an unknown context is 40401; the
    /// default context always exists and cannot be deleted (42205). Its id counter stays, so
    /// ids are never reused should the context come back.
    pub async fn delete_context(&self, context: &str) -> Result<()> {
        let name = context.trim();
        let name = if name.starts_with('.') {
            name.to_string()
        } else {
            format!(".{name}")
        };
        let not_found =
            || RegistryError::new(ErrorCode::SubjectNotFound, format!("Context '{name}' not found."));
        if name.contains(':') {
            return Err(not_found());
        }
        let q = QualifiedSubject::parse(&format!(":{name}:"))?;
        if q.context == DEFAULT_CONTEXT {
            return Err(RegistryError::not_permitted(
                "The default context cannot be deleted",
            ));
        }
        let scope = Scope::Context(q.context.clone()).key();
        let has_versions = self
            .store
            .all_versions()
            .await?
            .iter()
            .any(|r| context_of(&r.subject) == q.context);
        if has_versions {
            return Err(RegistryError::new(
                ErrorCode::ContextNotEmpty,
                format!("The specified context '{}' is not empty.", q.context),
            ));
        }
        let config = self.store.config(&scope).await?;
        let mode = self.store.mode(&scope).await?;
        if config.is_none() && mode.is_none() {
            return Err(not_found());
        }
        if config.is_some() {
            self.store.set_config(&scope, None).await?;
            self.caches.put_setting(false, &scope, None);
        }
        if mode.is_some() {
            self.store.set_mode(&scope, None).await?;
            self.caches.put_setting(true, &scope, None);
        }
        Ok(())
    }

    /// `DELETE /subjects/{s}/versions/{v}[?permanent=true]`: answers the version deleted.
    pub async fn delete_version(&self, subject: &str, spec: VersionSpec, permanent: bool) -> Result<i32> {
        let q = QualifiedSubject::parse(subject)?;
        let key = q.qualified();
        self.writable(&q).await?;
        let rows = self.store.versions(&key).await?;
        if rows.is_empty() {
            return Err(RegistryError::subject_not_found(&key));
        }
        let row = match spec {
            VersionSpec::Latest if permanent => rows.last(),
            VersionSpec::Latest => rows.iter().rev().find(|r| !r.deleted),
            VersionSpec::Number(n) => rows.iter().find(|r| r.version == n),
        }
        .ok_or_else(|| RegistryError::version_not_found(&key, spec))?
        .clone();
        if permanent && !row.deleted {
            return Err(RegistryError::new(
                ErrorCode::VersionNotSoftDeleted,
                format!(
                    "Subject '{key}' Version {} was not deleted first before being permanently deleted",
                    row.version
                ),
            ));
        }
        if !permanent && row.deleted {
            return Err(RegistryError::new(
                ErrorCode::VersionSoftDeleted,
                format!(
                    "Subject '{key}' Version {} was soft deleted. Set permanent=true to delete permanently",
                    row.version
                ),
            ));
        }
        self.not_referenced(&row).await?;
        if permanent {
            self.store.purge(&key, &[row.version]).await?;
            self.after_delete(&q.context, std::slice::from_ref(&row));
        } else {
            self.store.set_deleted(&key, &[row.version], true).await?;
            self.after_delete(&q.context, &[]);
        }
        Ok(row.version)
    }

    /// `DELETE /subjects/{s}[?permanent=true]`: answers the versions deleted. A permanent
    /// delete also drops the subject's own config and mode.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        let q = QualifiedSubject::parse(subject)?;
        let key = q.qualified();
        self.writable(&q).await?;
        let rows = self.store.versions(&key).await?;
        if rows.is_empty() {
            return Err(RegistryError::subject_not_found(&key));
        }
        let live: Vec<&VersionRecord> = rows.iter().filter(|r| !r.deleted).collect();
        if permanent {
            if !live.is_empty() {
                return Err(RegistryError::new(
                    ErrorCode::SubjectNotSoftDeleted,
                    format!("Subject '{key}' was not deleted first before being permanently deleted"),
                ));
            }
            for row in &rows {
                self.not_referenced(row).await?;
            }
            let versions: Vec<i32> = rows.iter().map(|r| r.version).collect();
            self.store.purge(&key, &versions).await?;
            let scope = Scope::Subject(key.clone()).key();
            self.store.set_config(&scope, None).await?;
            self.store.set_mode(&scope, None).await?;
            self.caches.put_setting(false, &scope, None);
            self.caches.put_setting(true, &scope, None);
            self.after_delete(&q.context, &rows);
            return Ok(versions);
        }
        if live.is_empty() {
            return Err(RegistryError::new(
                ErrorCode::SubjectSoftDeleted,
                format!("Subject '{key}' was soft deleted. Set permanent=true to delete permanently"),
            ));
        }
        for row in &live {
            self.not_referenced(row).await?;
        }
        let versions: Vec<i32> = live.iter().map(|r| r.version).collect();
        self.store.set_deleted(&key, &versions, true).await?;
        self.after_delete(&q.context, &[]);
        Ok(versions)
    }
}

//! Config and mode: per scope (global, context, subject), resolved subject -> context ->
//! global, with Confluent's "not configured" errors when a subject has none of its own.

use super::RegistryService;
use super::config::{Config, Mode};
use super::error::{ErrorCode, RegistryError, Result};
use super::store::Scope;
use super::subject::{DEFAULT_CONTEXT, QualifiedSubject};

/// The scope a config or mode path names: none = global, `:.ctx:` = a context.
pub(crate) fn scope_of(subject: Option<&str>) -> Result<Scope> {
    match subject {
        None => Ok(Scope::Global),
        Some(s) => {
            let q = QualifiedSubject::parse(s)?;
            if q.is_context_only() {
                if q.context == DEFAULT_CONTEXT {
                    Ok(Scope::Global)
                } else {
                    Ok(Scope::Context(q.context))
                }
            } else {
                Ok(Scope::Subject(q.qualified()))
            }
        }
    }
}

/// The scopes to consult for a subject, most specific first.
fn chain(q: &QualifiedSubject) -> Vec<Scope> {
    let mut scopes = Vec::with_capacity(3);
    if !q.is_context_only() {
        scopes.push(Scope::Subject(q.qualified()));
    }
    if q.context != DEFAULT_CONTEXT {
        scopes.push(Scope::Context(q.context.clone()));
    }
    scopes.push(Scope::Global);
    scopes
}

impl RegistryService {
    async fn stored_config(&self, scope: &Scope) -> Result<Option<Config>> {
        let key = scope.key();
        let text = match self.caches.setting(false, &key) {
            Some(t) => t,
            None => {
                let t = self.store.config(&key).await?;
                self.caches.put_setting(false, &key, t.clone());
                t
            }
        };
        match text {
            None => Ok(None),
            Some(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
                RegistryError::new(
                    ErrorCode::StoreError,
                    format!("stored config of {key:?} is not valid: {e}"),
                )
            }),
        }
    }

    async fn stored_mode(&self, scope: &Scope) -> Result<Option<Mode>> {
        let key = scope.key();
        let text = match self.caches.setting(true, &key) {
            Some(t) => t,
            None => {
                let t = self.store.mode(&key).await?;
                self.caches.put_setting(true, &key, t.clone());
                t
            }
        };
        text.map(|t| t.parse()).transpose()
    }

    /// The config that applies to a subject (or scope), every field resolved.
    pub(crate) async fn effective_config(&self, q: &QualifiedSubject) -> Result<Config> {
        let mut config = Config::default();
        for scope in chain(q) {
            if let Some(c) = self.stored_config(&scope).await? {
                config = config.or(&c);
            }
        }
        Ok(config)
    }

    /// The mode that applies to a subject: a global READONLY_OVERRIDE wins over all.
    pub(crate) async fn effective_mode(&self, q: &QualifiedSubject) -> Result<Mode> {
        let global = self.stored_mode(&Scope::Global).await?;
        if global == Some(Mode::ReadOnlyOverride) {
            return Ok(Mode::ReadOnlyOverride);
        }
        for scope in chain(q) {
            if let Some(m) = self.stored_mode(&scope).await? {
                return Ok(m);
            }
        }
        Ok(Mode::ReadWrite)
    }

    /// `GET /config[/{subject}]`. A subject without its own config answers 40408 unless
    /// `default_to_global`; the global config always answers (BACKWARD when unset).
    pub async fn config(&self, subject: Option<&str>, default_to_global: bool) -> Result<Config> {
        let scope = scope_of(subject)?;
        match &scope {
            Scope::Global => {
                let c = self.stored_config(&scope).await?.unwrap_or_default();
                Ok(Config {
                    compatibility: Some(c.level()),
                    ..c
                })
            }
            _ => {
                if let Some(c) = self.stored_config(&scope).await?
                    && !default_to_global
                {
                    return Ok(c);
                }
                if default_to_global {
                    let q = QualifiedSubject::parse(subject.unwrap_or_default())?;
                    let c = self.effective_config(&q).await?;
                    return Ok(Config {
                        compatibility: Some(c.level()),
                        ..c
                    });
                }
                Err(RegistryError::new(
                    ErrorCode::SubjectCompatibilityNotConfigured,
                    format!(
                        "Subject '{}' does not have subject-level compatibility configured",
                        subject.unwrap_or_default()
                    ),
                ))
            }
        }
    }

    /// `PUT /config[/{subject}]`: merges the given fields into the scope's config and
    /// answers with what was given.
    pub async fn set_config(&self, subject: Option<&str>, update: Config) -> Result<Config> {
        let scope = scope_of(subject)?;
        let current = self.stored_config(&scope).await?.unwrap_or_default();
        let merged = update.clone().or(&current);
        let text = serde_json::to_string(&merged)
            .map_err(|e| RegistryError::new(ErrorCode::StoreError, e.to_string()))?;
        self.store.set_config(&scope.key(), Some(&text)).await?;
        self.caches.put_setting(false, &scope.key(), Some(text));
        Ok(update)
    }

    /// `DELETE /config[/{subject}]`: removes the scope's config, answers the previous one.
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<Config> {
        let scope = scope_of(subject)?;
        let previous = self.stored_config(&scope).await?;
        let previous = match (previous, &scope) {
            (Some(p), _) => p,
            (None, Scope::Global) => Config::default(),
            (None, _) => {
                return Err(RegistryError::new(
                    ErrorCode::SubjectCompatibilityNotConfigured,
                    format!(
                        "Subject '{}' does not have subject-level compatibility configured",
                        subject.unwrap_or_default()
                    ),
                ));
            }
        };
        self.store.set_config(&scope.key(), None).await?;
        self.caches.put_setting(false, &scope.key(), None);
        Ok(Config {
            compatibility: Some(previous.level()),
            ..previous
        })
    }

    /// `GET /mode[/{subject}]`: 40409 for a subject without its own mode unless
    /// `default_to_global`.
    pub async fn mode(&self, subject: Option<&str>, default_to_global: bool) -> Result<Mode> {
        let scope = scope_of(subject)?;
        if scope == Scope::Global {
            return Ok(self.stored_mode(&scope).await?.unwrap_or_default());
        }
        if let Some(m) = self.stored_mode(&scope).await? {
            return Ok(m);
        }
        if default_to_global {
            let q = QualifiedSubject::parse(subject.unwrap_or_default())?;
            return self.effective_mode(&q).await;
        }
        Err(RegistryError::new(
            ErrorCode::SubjectModeNotConfigured,
            format!(
                "Subject '{}' does not have subject-level mode configured",
                subject.unwrap_or_default()
            ),
        ))
    }

    /// `PUT /mode[/{subject}]`. IMPORT needs an empty registry (or subject) unless `force`.
    pub async fn set_mode(&self, subject: Option<&str>, mode: Mode, force: bool) -> Result<Mode> {
        let scope = scope_of(subject)?;
        if mode == Mode::Import && !force {
            let rows = self.store.all_versions().await?;
            let in_scope = rows.iter().any(|r| match &scope {
                Scope::Global => true,
                Scope::Context(ctx) => super::subject::context_of(&r.subject) == *ctx,
                Scope::Subject(s) => r.subject == *s,
            });
            if in_scope {
                return Err(RegistryError::not_permitted(
                    "Cannot import since found existing subjects; use force=true to set IMPORT mode anyway",
                ));
            }
        }
        self.store.set_mode(&scope.key(), Some(mode.as_str())).await?;
        self.caches
            .put_setting(true, &scope.key(), Some(mode.as_str().to_string()));
        self.caches.clear_registered();
        Ok(mode)
    }

    /// `DELETE /mode[/{subject}]`: removes the scope's mode, answers the previous one.
    pub async fn delete_mode(&self, subject: Option<&str>) -> Result<Mode> {
        let scope = scope_of(subject)?;
        let previous = self.stored_mode(&scope).await?;
        let previous = match (previous, &scope) {
            (Some(m), _) => m,
            (None, Scope::Global) => Mode::ReadWrite,
            (None, _) => {
                return Err(RegistryError::new(
                    ErrorCode::SubjectModeNotConfigured,
                    format!(
                        "Subject '{}' does not have subject-level mode configured",
                        subject.unwrap_or_default()
                    ),
                ));
            }
        };
        self.store.set_mode(&scope.key(), None).await?;
        self.caches.put_setting(true, &scope.key(), None);
        self.caches.clear_registered();
        Ok(previous)
    }
}

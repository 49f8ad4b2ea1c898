//! Subjects and contexts: `:.ctx:name` names `name` in context `.ctx`; a plain name (or
//! `:.:name`) lives in the default context `.`.
//!
//! The rule: a subject is stored and answered under its qualified form, which for the default
//! context is the plain name, so the same subject never has two keys.

use super::error::{ErrorCode, RegistryError, Result};

pub const DEFAULT_CONTEXT: &str = ".";

/// A subject split into its context and its name within the context.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedSubject {
    pub context: String,
    pub name: String,
}

impl QualifiedSubject {
    /// Parses a subject as a client sends it.
    pub fn parse(subject: &str) -> Result<QualifiedSubject> {
        if subject.is_empty() || subject.chars().any(|c| c.is_control()) {
            return Err(RegistryError::new(
                ErrorCode::InvalidSubject,
                format!("Invalid subject {subject:?}: empty or has control characters"),
            ));
        }
        if let Some(rest) = subject.strip_prefix(':')
            && let Some((ctx, name)) = rest.split_once(':')
            && ctx.starts_with('.')
        {
            let context = if ctx.is_empty() || ctx == DEFAULT_CONTEXT {
                DEFAULT_CONTEXT.to_string()
            } else {
                ctx.to_string()
            };
            return Ok(QualifiedSubject {
                context,
                name: name.to_string(),
            });
        }
        Ok(QualifiedSubject {
            context: DEFAULT_CONTEXT.to_string(),
            name: subject.to_string(),
        })
    }

    /// The storage key and the name answered to clients.
    pub fn qualified(&self) -> String {
        qualify(&self.context, &self.name)
    }

    /// True for `:.ctx:` (a context with no subject name): used by config and mode paths.
    pub fn is_context_only(&self) -> bool {
        self.name.is_empty()
    }
}

/// Qualifies `name` with `context` (plain name for the default context).
pub fn qualify(context: &str, name: &str) -> String {
    if context == DEFAULT_CONTEXT {
        name.to_string()
    } else {
        format!(":{context}:{name}")
    }
}

/// The context a stored (qualified) subject belongs to.
pub fn context_of(subject: &str) -> String {
    context_str(subject).to_string()
}

/// [`context_of`] without allocating (a registration looks up every version's schema), by
/// the same rule as [`QualifiedSubject::parse`].
pub fn context_str(subject: &str) -> &str {
    if let Some(rest) = subject.strip_prefix(':')
        && let Some((ctx, _)) = rest.split_once(':')
        && ctx.starts_with('.')
        && ctx != DEFAULT_CONTEXT
    {
        ctx
    } else {
        DEFAULT_CONTEXT
    }
}

/// A reference's subject, qualified with the context of the schema that references it when
/// it names no context of its own.
pub fn qualify_reference(referrer_context: &str, subject: &str) -> Result<String> {
    let q = QualifiedSubject::parse(subject)?;
    if subject.starts_with(":.") {
        Ok(q.qualified())
    } else {
        Ok(qualify(referrer_context, &q.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_split_and_default_context_is_plain() {
        let q = QualifiedSubject::parse(":.prod:orders-value").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.context, ".prod");
        assert_eq!(q.name, "orders-value");
        assert_eq!(q.qualified(), ":.prod:orders-value");
        let d = QualifiedSubject::parse(":.:orders").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.qualified(), "orders");
        let plain = QualifiedSubject::parse("a:b").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plain.context, ".");
        assert_eq!(plain.name, "a:b");
        assert!(QualifiedSubject::parse("").is_err());
        assert_eq!(
            qualify_reference(".prod", "common").unwrap_or_else(|e| panic!("{e}")),
            ":.prod:common"
        );
    }

    #[test]
    fn the_quick_context_agrees_with_parsing() {
        for subject in [
            ":.prod:orders",
            ":.:orders",
            "orders",
            "a:b",
            ":x:y",
            "::",
            ":.p:",
            ":.p",
        ] {
            let parsed = QualifiedSubject::parse(subject)
                .map(|q| q.context)
                .unwrap_or_default();
            assert_eq!(context_str(subject), parsed, "{subject}");
        }
    }
}

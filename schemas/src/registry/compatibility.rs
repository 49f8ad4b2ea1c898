//! The seven compatibility levels, derived from the one directional check.

use std::fmt;
use std::str::FromStr;

use super::language::{CheckOptions, ParsedSchema, SchemaError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompatibilityLevel {
    None,
    #[default]
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl CompatibilityLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::None => "NONE",
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::FullTransitive
        )
    }

    fn backward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Backward
                | CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }

    fn forward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Forward
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }

    /// Checks `new` against `existing` (oldest first, live versions only). Non-transitive
    /// levels look at the latest only. Returns the incompatibility messages; empty = accepted.
    pub fn check(
        self,
        new: &ParsedSchema,
        existing: &[&ParsedSchema],
        options: &CheckOptions,
    ) -> Vec<String> {
        let against: &[&ParsedSchema] = if self.is_transitive() {
            existing
        } else {
            match existing.last() {
                Some(_) => &existing[existing.len() - 1..],
                None => &[],
            }
        };
        let mut messages = Vec::new();
        for old in against.iter().rev() {
            if self.backward() {
                messages.extend(ParsedSchema::check(new, old, options));
            }
            if self.forward() {
                messages.extend(ParsedSchema::check(old, new, options));
            }
        }
        messages
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CompatibilityLevel {
    type Err = SchemaError;
    fn from_str(s: &str) -> Result<Self, SchemaError> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "NONE" => CompatibilityLevel::None,
            "BACKWARD" => CompatibilityLevel::Backward,
            "BACKWARD_TRANSITIVE" => CompatibilityLevel::BackwardTransitive,
            "FORWARD" => CompatibilityLevel::Forward,
            "FORWARD_TRANSITIVE" => CompatibilityLevel::ForwardTransitive,
            "FULL" => CompatibilityLevel::Full,
            "FULL_TRANSITIVE" => CompatibilityLevel::FullTransitive,
            other => return Err(SchemaError::new(format!("invalid compatibility level {other:?}"))),
        })
    }
}

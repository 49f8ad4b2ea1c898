//! Config (compatibility level, normalize, JSON compatibility policy) and mode values.
//!
//! Both resolve subject -> context -> global; an unset global config is BACKWARD, an unset
//! global mode READWRITE. A global READONLY_OVERRIDE wins over every subject's own mode.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, RegistryError};
use crate::registry::CompatibilityLevel;

/// The config of one scope as stored. Unset fields fall through to the next scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "level_serde")]
    pub compatibility: Option<CompatibilityLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    /// JSON Schema's `compatibilityPolicy`: STRICT (default) or LENIENT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<CompatibilityPolicy>,
}

impl Config {
    /// Fills the unset fields of `self` from `fallback`.
    pub fn or(mut self, fallback: &Config) -> Config {
        self.compatibility = self.compatibility.or(fallback.compatibility);
        self.normalize = self.normalize.or(fallback.normalize);
        self.compatibility_policy = self.compatibility_policy.or(fallback.compatibility_policy);
        self
    }

    pub fn is_empty(&self) -> bool {
        *self == Config::default()
    }

    pub fn level(&self) -> CompatibilityLevel {
        self.compatibility.unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CompatibilityPolicy {
    #[default]
    Strict,
    Lenient,
}

impl CompatibilityPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityPolicy::Strict => "STRICT",
            CompatibilityPolicy::Lenient => "LENIENT",
        }
    }
}

impl FromStr for CompatibilityPolicy {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, RegistryError> {
        match s.to_ascii_uppercase().as_str() {
            "STRICT" => Ok(CompatibilityPolicy::Strict),
            "LENIENT" => Ok(CompatibilityPolicy::Lenient),
            other => Err(RegistryError::new(
                ErrorCode::InvalidCompatibilityLevel,
                format!("Invalid compatibilityPolicy {other:?}: expected STRICT or LENIENT"),
            )),
        }
    }
}

impl Serialize for CompatibilityPolicy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CompatibilityPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Serde for `Option<CompatibilityLevel>` as its name; kept here so the language module's
/// type needs no serde impls of its own.
mod level_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::registry::CompatibilityLevel;

    pub fn serialize<S: Serializer>(v: &Option<CompatibilityLevel>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(level) => s.serialize_str(level.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CompatibilityLevel>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| s.parse().map_err(serde::de::Error::custom)).transpose()
    }
}

/// Parses a compatibility level as a client sends it (42203 when unknown).
pub fn parse_level(s: &str) -> Result<CompatibilityLevel, RegistryError> {
    s.parse().map_err(|_| {
        RegistryError::new(
            ErrorCode::InvalidCompatibilityLevel,
            format!(
                "Invalid compatibility level. Valid values are none, backward, forward, full, \
                 backward_transitive, forward_transitive, and full_transitive (got {s:?})"
            ),
        )
    })
}

/// The registry's modes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    #[default]
    ReadWrite,
    ReadOnly,
    ReadOnlyOverride,
    /// Registration keeps the caller's ids and versions and skips compatibility checks.
    Import,
    /// Accepted for Confluent parity (schema linking); behaves as READWRITE here.
    Forward,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
            Mode::Forward => "FORWARD",
        }
    }

    pub fn is_read_only(self) -> bool {
        matches!(self, Mode::ReadOnly | Mode::ReadOnlyOverride)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, RegistryError> {
        match s.to_ascii_uppercase().as_str() {
            "READWRITE" => Ok(Mode::ReadWrite),
            "READONLY" => Ok(Mode::ReadOnly),
            "READONLY_OVERRIDE" => Ok(Mode::ReadOnlyOverride),
            "IMPORT" => Ok(Mode::Import),
            "FORWARD" => Ok(Mode::Forward),
            other => Err(RegistryError::new(
                ErrorCode::InvalidMode,
                format!(
                    "Invalid mode {other:?}. Valid values are READWRITE, READONLY, \
                     READONLY_OVERRIDE, IMPORT and FORWARD"
                ),
            )),
        }
    }
}

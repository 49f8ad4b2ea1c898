//! Configuration read at start: the worker file, connector files, and config providers.
//!
//! - [`properties`]: Java `.properties` parsing.
//! - [`providers`]: `${env:NAME}` and `${file:PATH:KEY}` substitution (Kafka's config providers).
//! - [`worker`]: [`WorkerConfig`], the worker's keys with their defaults.
//! - [`connector_file`]: connector files given on the command line (JSON or `.properties`).
//!
//! The rule: every problem becomes one [`ConfigError`] naming the file, the key and what is
//! wrong, so `weir` can stop with one readable line.

pub mod connector_file;
pub mod properties;
pub mod providers;
pub mod worker;

use std::fmt;
use std::path::Path;

pub use connector_file::{ConnectorFile, load_connector_file};
pub use properties::parse_properties;
pub use worker::{Listener, WorkerConfig};

/// A configuration problem: where (file, key) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: Option<String>,
    pub key: Option<String>,
    pub problem: String,
}

impl ConfigError {
    pub fn file(file: &Path, problem: impl Into<String>) -> Self {
        ConfigError {
            file: Some(file.display().to_string()),
            key: None,
            problem: problem.into(),
        }
    }
    pub fn key(key: &str, problem: impl Into<String>) -> Self {
        ConfigError {
            file: None,
            key: Some(key.to_owned()),
            problem: problem.into(),
        }
    }
    /// Attaches the file the error was found in (kept if already set).
    pub fn in_file(mut self, file: &Path) -> Self {
        if self.file.is_none() {
            self.file = Some(file.display().to_string());
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.problem)
    }
}

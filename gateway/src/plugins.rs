//! The plugin table: one explicit list from connector class names and aliases to factories.
//! No registration magic: a connector exists for the worker when, and only when, it is here.
//!
//! `connector.class` matches the Kafka class name (`org.apache.kafka.connect.file.FileStreamSourceConnector`),
//! its simple name (`FileStreamSourceConnector`) or Weir's alias (`FileStreamSource`), as Kafka
//! Connect's own alias rules do, so existing configs run unchanged.

use std::collections::BTreeMap;

use schemas::ConnectError;
use schemas::config::ConfigDef;
use sinks::Sink;
use sources::Source;
use sources::http::HttpSourceConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectorType {
    Source,
    Sink,
}

impl ConnectorType {
    /// Kafka Connect's lower-case name (`"source"`, `"sink"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorType::Source => "source",
            ConnectorType::Sink => "sink",
        }
    }
}

pub type SourceFactory = fn(&BTreeMap<String, String>) -> Result<Box<dyn Source>, ConnectError>;
pub type SinkFactory = fn(&BTreeMap<String, String>) -> Result<Box<dyn Sink>, ConnectError>;
/// A source whose records are pushed to the worker (`POST /ingest/{connector}`) instead of
/// polled: its task opens an endpoint (`crate::ingest`) rather than running a poll loop. The
/// factory reads and checks the connector's keys.
pub type PushFactory = fn(&BTreeMap<String, String>) -> Result<HttpSourceConfig, ConnectError>;

/// How to build one task of a connector, from the connector's resolved config.
#[derive(Clone, Copy)]
pub enum Factory {
    Source(SourceFactory),
    Sink(SinkFactory),
    Push(PushFactory),
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("class", &self.class)
            .finish_non_exhaustive()
    }
}

pub struct Plugin {
    /// The Kafka / Confluent class name: what `GET /connector-plugins` shows.
    pub class: &'static str,
    /// Weir's short name.
    pub alias: &'static str,
    pub version: &'static str,
    /// The connector's own keys (the runtime's common keys are added by the runtime).
    pub config_def: fn() -> ConfigDef,
    pub factory: Factory,
    /// How many tasks the connector can usefully run (`tasks.max` is capped to this): a file
    /// is read and written by one task, as Kafka's file connectors do.
    pub max_tasks: u32,
}

impl Plugin {
    pub fn connector_type(&self) -> ConnectorType {
        match self.factory {
            Factory::Source(_) | Factory::Push(_) => ConnectorType::Source,
            Factory::Sink(_) => ConnectorType::Sink,
        }
    }

    /// True when `name` names this plugin (class, simple class name or alias).
    pub fn is_named(&self, name: &str) -> bool {
        let simple = self.class.rsplit('.').next().unwrap_or(self.class);
        name == self.class || name == simple || name == self.alias
    }
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn file_source(config: &BTreeMap<String, String>) -> Result<Box<dyn Source>, ConnectError> {
    Ok(Box::new(sources::file::FileStreamSource::new(config)?))
}

fn file_sink(config: &BTreeMap<String, String>) -> Result<Box<dyn Sink>, ConnectError> {
    Ok(Box::new(sinks::file::FileStreamSink::new(config)?))
}

fn http_source(config: &BTreeMap<String, String>) -> Result<HttpSourceConfig, ConnectError> {
    HttpSourceConfig::new(config)
}

/// Weir's own connector: records pushed over HTTP. No Kafka class name exists; the alias is
/// also its class.
pub const HTTP_SOURCE: &str = "HttpSource";

/// Every connector this build can run.
pub static PLUGINS: &[Plugin] = &[
    Plugin {
        class: "org.apache.kafka.connect.file.FileStreamSinkConnector",
        alias: "FileStreamSink",
        version: VERSION,
        config_def: sinks::file::FileStreamSink::config_def,
        factory: Factory::Sink(file_sink),
        max_tasks: 1,
    },
    Plugin {
        class: "org.apache.kafka.connect.file.FileStreamSourceConnector",
        alias: "FileStreamSource",
        version: VERSION,
        config_def: sources::file::FileStreamSource::config_def,
        factory: Factory::Source(file_source),
        max_tasks: 1,
    },
    Plugin {
        class: HTTP_SOURCE,
        alias: HTTP_SOURCE,
        version: VERSION,
        config_def: HttpSourceConfig::config_def,
        factory: Factory::Push(http_source),
        // One endpoint per connector: more tasks would only split the same pushes.
        max_tasks: 1,
    },
];

/// The plugin `name` names, if any.
pub fn find(name: &str) -> Option<&'static Plugin> {
    let name = name.trim();
    PLUGINS.iter().find(|p| p.is_named(name))
}

/// The error for a class that is not in the table (Kafka's wording, plus what is available).
pub fn unknown_class_message(class: &str) -> String {
    let available: Vec<String> = PLUGINS
        .iter()
        .map(|p| format!("{} ({})", p.class, p.alias))
        .collect();
    format!(
        "Failed to find any class that implements Connector and which name matches {class}, \
         available connectors are: {}",
        available.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_simple_name_and_alias_find_the_same_plugin() {
        for name in [
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "FileStreamSourceConnector",
            "FileStreamSource",
            " FileStreamSource ",
        ] {
            let p = find(name).unwrap_or_else(|| panic!("{name} not found"));
            assert_eq!(p.alias, "FileStreamSource");
            assert_eq!(p.connector_type(), ConnectorType::Source);
        }
        assert_eq!(
            find("FileStreamSink").map(Plugin::connector_type),
            Some(ConnectorType::Sink)
        );
        assert!(find("com.example.Nope").is_none());
        assert!(unknown_class_message("com.example.Nope").contains("com.example.Nope"));
    }

    #[test]
    fn every_plugin_declares_its_keys() {
        for p in PLUGINS {
            assert!(!(p.config_def)().keys.is_empty(), "{}", p.class);
        }
    }
}

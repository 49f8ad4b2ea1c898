//! `FileStreamSource`: reads a file and keeps tailing it. In progress.

use std::collections::BTreeMap;

use async_trait::async_trait;
use schemas::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use schemas::{ConnectError, Polled, SourcePosition};

use crate::Source;

pub struct FileStreamSource {
    file: String,
    topic: String,
    batch_size: usize,
}

impl FileStreamSource {
    pub fn config_def() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "file",
                    ConfigType::String,
                    Importance::High,
                    "Source filename.",
                )
                .required(),
            )
            .define(
                ConfigKey::new(
                    "topic",
                    ConfigType::String,
                    Importance::High,
                    "The topic to publish data to.",
                )
                .required(),
            )
            .define(
                ConfigKey::new(
                    "batch.size",
                    ConfigType::Int,
                    Importance::Low,
                    "The maximum number of records the source task can read from the file each time it is polled.",
                )
                .with_default("2000"),
            )
    }

    pub fn new(config: &BTreeMap<String, String>) -> Result<Self, ConnectError> {
        let def = Self::config_def();
        def.ensure_valid(config)?;
        Ok(FileStreamSource {
            file: def.get_string(config, "file")?,
            topic: def.get_string(config, "topic")?,
            batch_size: usize::try_from(def.get_int(config, "batch.size")?.max(1)).unwrap_or(1),
        })
    }
}

#[async_trait]
impl Source for FileStreamSource {
    async fn start(&mut self, stored: Vec<SourcePosition>) -> Result<(), ConnectError> {
        let _ = (stored, &self.file, &self.topic, self.batch_size);
        Err(ConnectError::internal("FileStreamSource: in progress"))
    }

    async fn poll(&mut self) -> Result<Polled, ConnectError> {
        Ok(Polled::Idle)
    }
}

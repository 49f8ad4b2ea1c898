//! `FileStreamSink`: one line per record. In progress.

use std::collections::BTreeMap;

use async_trait::async_trait;
use schemas::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use schemas::{Committable, ConnectError, SinkRecord};

use crate::Sink;

pub struct FileStreamSink {
    file: String,
}

impl FileStreamSink {
    /// `topics` / `topics.regex` are the runtime's (the subscription); the sink needs `file`.
    pub fn config_def() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                "file",
                ConfigType::String,
                Importance::High,
                "Destination filename.",
            )
            .required(),
        )
    }

    pub fn new(config: &BTreeMap<String, String>) -> Result<Self, ConnectError> {
        let def = Self::config_def();
        def.ensure_valid(config)?;
        Ok(FileStreamSink {
            file: def.get_string(config, "file")?,
        })
    }
}

#[async_trait]
impl Sink for FileStreamSink {
    async fn write(&mut self, batch: Vec<SinkRecord>) -> Result<(), ConnectError> {
        let _ = (batch, &self.file);
        Err(ConnectError::internal("FileStreamSink: in progress"))
    }

    async fn flush(&mut self) -> Result<Committable, ConnectError> {
        Ok(Committable::new())
    }
}

//! The error connectors, converters and transforms return.
//!
//! The runtime decides from [`ErrorKind`] and [`ConnectError::retriable`] what to do:
//! retry with backoff, route the record to the dead-letter queue (data errors under
//! `errors.tolerance=all`), or fail the task with the message in its status `trace`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A configuration key is missing or wrong; names the key.
    Config,
    /// One record's bytes or fields are bad; names the record or field. DLQ-able.
    Data,
    /// A schema is unparsable, unknown or incompatible.
    Schema,
    /// A remote system (database, broker, file system) failed; often retriable.
    Connection,
    /// Local I/O failed (a file missing, no permission).
    Io,
    /// A bug or an unexpected state.
    Internal,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Config => "config",
            ErrorKind::Data => "data",
            ErrorKind::Schema => "schema",
            ErrorKind::Connection => "connection",
            ErrorKind::Io => "io",
            ErrorKind::Internal => "internal",
        })
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    pub kind: ErrorKind,
    /// True when trying the same operation again later can succeed.
    pub retriable: bool,
    pub message: String,
}

impl ConnectError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let retriable = matches!(kind, ErrorKind::Connection);
        ConnectError {
            kind,
            retriable,
            message: message.into(),
        }
    }
    pub fn config(key: &str, problem: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Config, format!("{key}: {problem}"))
    }
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Data, message)
    }
    pub fn schema(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Schema, message)
    }
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        Self::new(ErrorKind::Io, format!("{context}: {err}"))
    }
    pub fn connection(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Connection, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    pub fn with_retriable(mut self, retriable: bool) -> Self {
        self.retriable = retriable;
        self
    }
}

pub type Result<T, E = ConnectError> = std::result::Result<T, E>;

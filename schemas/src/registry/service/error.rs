//! The registry's errors, one [`ErrorCode`] per Confluent error code.
//!
//! The code decides the HTTP status (`http_status`) and the `error_code` in the answer, so the
//! HTTP layer never re-classifies an error; messages follow Confluent's wording where clients
//! or people are known to read them.

use std::fmt;

/// Confluent Schema Registry's error codes. The numbers are part of the public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: the request body is not JSON.
    BadRequest,
    /// 422: the body is JSON but not the expected shape (a field of the wrong type).
    UnprocessableEntity,
    SubjectNotFound,
    VersionNotFound,
    SchemaNotFound,
    SubjectSoftDeleted,
    SubjectNotSoftDeleted,
    VersionSoftDeleted,
    VersionNotSoftDeleted,
    SubjectCompatibilityNotConfigured,
    SubjectModeNotConfigured,
    /// 404 for a path the registry does not serve.
    NotFound,
    /// 409: the schema fails the subject's compatibility level.
    Incompatible,
    /// 413: the request body is over the limit.
    PayloadTooLarge,
    InvalidSchema,
    InvalidVersion,
    InvalidCompatibilityLevel,
    InvalidMode,
    OperationNotPermitted,
    ReferenceExists,
    InvalidSubject,
    /// 42211: `DELETE /contexts/{c}` on a context that still has subjects.
    ContextNotEmpty,
    StoreError,
}

impl ErrorCode {
    /// The `error_code` Confluent answers.
    pub fn code(self) -> u32 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::UnprocessableEntity => 422,
            ErrorCode::SubjectNotFound => 40401,
            ErrorCode::VersionNotFound => 40402,
            ErrorCode::SchemaNotFound => 40403,
            ErrorCode::SubjectSoftDeleted => 40404,
            ErrorCode::SubjectNotSoftDeleted => 40405,
            ErrorCode::VersionSoftDeleted => 40406,
            ErrorCode::VersionNotSoftDeleted => 40407,
            ErrorCode::SubjectCompatibilityNotConfigured => 40408,
            ErrorCode::SubjectModeNotConfigured => 40409,
            ErrorCode::NotFound => 404,
            ErrorCode::Incompatible => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::InvalidSchema => 42201,
            ErrorCode::InvalidVersion => 42202,
            ErrorCode::InvalidCompatibilityLevel => 42203,
            ErrorCode::InvalidMode => 42204,
            ErrorCode::OperationNotPermitted => 42205,
            ErrorCode::ReferenceExists => 42206,
            ErrorCode::InvalidSubject => 42208,
            ErrorCode::ContextNotEmpty => 42211,
            ErrorCode::StoreError => 50001,
        }
    }

    /// The HTTP status that goes with the code.
    pub fn http_status(self) -> u16 {
        match self.code() {
            400 => 400,
            409 => 409,
            413 => 413,
            422 => 422,
            c if (40400..40500).contains(&c) || c == 404 => 404,
            c if (42200..42300).contains(&c) => 422,
            _ => 500,
        }
    }
}

/// An error the registry answers with: a Confluent code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RegistryError {
    pub code: ErrorCode,
    pub message: String,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (error code {})", self.message, self.code.code())
    }
}

impl RegistryError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RegistryError {
            code,
            message: message.into(),
        }
    }
    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(
            ErrorCode::SubjectNotFound,
            format!("Subject '{subject}' not found."),
        )
    }
    pub fn version_not_found(subject: &str, version: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::VersionNotFound,
            format!("Version {version} not found for subject '{subject}'."),
        )
    }
    pub fn schema_not_found(id: Option<i64>) -> Self {
        match id {
            Some(id) => Self::new(ErrorCode::SchemaNotFound, format!("Schema {id} not found")),
            None => Self::new(ErrorCode::SchemaNotFound, "Schema not found"),
        }
    }
    pub fn invalid_schema(message: impl fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidSchema, format!("Invalid schema: {message}"))
    }
    pub fn invalid_version(version: &str) -> Self {
        Self::new(
            ErrorCode::InvalidVersion,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values are \
                 between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }
    pub fn not_permitted(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::OperationNotPermitted, message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }
}

/// What a storage backend can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Another writer changed the subject (or took the id) between the read and the write;
    /// the service re-reads and tries again.
    #[error("concurrent update: {0}")]
    Conflict(String),
    /// The caller-given id (IMPORT mode) already names a different schema.
    #[error("schema id {0} is already used by a different schema")]
    IdInUse(i64),
    /// The database failed.
    #[error("schema store error: {0}")]
    Backend(String),
}

impl From<StoreError> for RegistryError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::IdInUse(id) => RegistryError::not_permitted(format!(
                "Overwrite new schema with id {id} is not permitted: the id names another schema"
            )),
            other => RegistryError::new(ErrorCode::StoreError, other.to_string()),
        }
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

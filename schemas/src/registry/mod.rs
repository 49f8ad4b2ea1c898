//! The schema registry's rules, independent of HTTP and storage.
//!
//! - [`language`]: the contract every schema language implements (parse with references,
//!   canonical and normalized text, one directional "can reader read writer" check) and the
//!   dispatch over [`SchemaType`].
//! - [`avro`], [`protobuf`], [`json_schema`]: the three languages.
//! - [`compatibility`]: the seven levels, derived from the directional check.
//!
//! - [`service`]: the registry service itself (subjects, versions, ids, config, modes) over a
//!   storage trait; storage backends (SQLite, Postgres) live in the gateway.

pub mod avro;
pub mod compatibility;
pub mod json_schema;
pub mod language;
pub mod protobuf;
pub mod service;

pub use compatibility::CompatibilityLevel;
pub use language::{ParsedSchema, ResolvedReference, SchemaError, SchemaReference, SchemaType};

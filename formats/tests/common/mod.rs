//! Shared by the converter tests: a registry over the in-memory store, converters built by
//! class name, and small helpers for registered schemas and framed bytes.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use formats::registry::{MemoryStore, SchemaText};
use formats::{Converter, ConverterContext, SchemaRegistryClient, build_converter};
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;

pub fn registry() -> Arc<RegistryService> {
    Arc::new(RegistryService::new(Arc::new(MemoryStore::new())))
}

/// A value converter of `class` with the sub-keys `pairs`.
pub fn converter(registry: &Arc<RegistryService>, class: &str, pairs: &[(&str, &str)]) -> Arc<dyn Converter> {
    let props: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let ctx = ConverterContext::with_registry(registry.clone() as Arc<dyn SchemaRegistryClient>);
    build_converter(class, &props, false, &ctx).unwrap()
}

pub async fn register(reg: &Arc<RegistryService>, subject: &str, t: SchemaType, text: &str) -> i32 {
    SchemaRegistryClient::register(reg.as_ref(), subject, &SchemaText::new(t, text), false)
        .await
        .unwrap()
}

/// The subject's latest schema text, parsed.
pub async fn latest_json(reg: &Arc<RegistryService>, subject: &str) -> serde_json::Value {
    let latest = SchemaRegistryClient::latest(reg.as_ref(), subject).await.unwrap();
    serde_json::from_str(&latest.schema.schema).unwrap()
}

/// Confluent's framing: magic byte 0, the id, the datum.
pub fn framed(id: i32, datum: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(datum);
    out
}

/// The schema id of framed bytes.
pub fn id_of(bytes: &[u8]) -> i32 {
    i32::from_be_bytes(bytes[1..5].try_into().unwrap())
}

//! The registry client over the real registry rules (in-memory store): ids, lookups, and the
//! compatibility verdict reaching the caller with the subject named.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use formats::SchemaRegistryClient;
use formats::registry::{MemoryStore, RegistryErrorKind, SchemaText};
use schemas::registry::SchemaType;
use schemas::registry::service::RegistryService;

fn registry() -> Arc<dyn SchemaRegistryClient> {
    Arc::new(RegistryService::new(Arc::new(MemoryStore::new())))
}

const V1: &str = r#"{"type":"record","name":"Customer","fields":[{"name":"id","type":"long"}]}"#;
const V2_OPTIONAL: &str = r#"{"type":"record","name":"Customer","fields":[{"name":"id","type":"long"},{"name":"email","type":["null","string"],"default":null}]}"#;
const V3_REQUIRED: &str = r#"{"type":"record","name":"Customer","fields":[{"name":"id","type":"long"},{"name":"age","type":"int"}]}"#;

#[tokio::test]
async fn register_fetch_lookup_and_refuse_incompatible() {
    let r = registry();
    let id = r
        .register("customers-value", &SchemaText::new(SchemaType::Avro, V1), false)
        .await
        .unwrap();
    assert_eq!(id, 1);
    assert_eq!(
        r.register("customers-value", &SchemaText::new(SchemaType::Avro, V1), false)
            .await
            .unwrap(),
        1
    );
    let by_id = r.schema_by_id(1).await.unwrap();
    assert_eq!(by_id.schema_type, SchemaType::Avro);
    assert!(by_id.schema.contains("Customer"));

    let id2 = r
        .register(
            "customers-value",
            &SchemaText::new(SchemaType::Avro, V2_OPTIONAL),
            false,
        )
        .await
        .unwrap();
    assert_eq!(id2, 2);
    let latest = r.latest("customers-value").await.unwrap();
    assert_eq!((latest.version, latest.schema.id), (2, 2));
    let found = r
        .lookup("customers-value", &SchemaText::new(SchemaType::Avro, V1), false)
        .await
        .unwrap();
    assert_eq!(found.version, 1);
    assert_eq!(r.version("customers-value", 1).await.unwrap().schema.id, 1);

    let err = r
        .register(
            "customers-value",
            &SchemaText::new(SchemaType::Avro, V3_REQUIRED),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, RegistryErrorKind::Incompatible);
    assert!(err.message.contains("customers-value"), "{}", err.message);

    let missing = r.schema_by_id(99).await.unwrap_err();
    assert_eq!(missing.kind, RegistryErrorKind::NotFound);
    let missing = r.latest("nope-value").await.unwrap_err();
    assert_eq!(missing.kind, RegistryErrorKind::NotFound);
}

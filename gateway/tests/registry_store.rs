//! One behaviour suite for the registry, run against both stores (SQLite file, Postgres
//! schema): identity rules, deletes, references, config, modes, contexts. Plus two
//! registries sharing one Postgres racing for ids.

mod registry_common;

use std::collections::HashSet;
use std::sync::Arc;

use gateway::registry::Registry;
use registry_common::*;
use schemas::registry::service::{
    CompatibilityPolicy, Config, ErrorCode, Mode, RegisterOptions, RegistryError, SchemaInput, VersionSpec,
};
use schemas::registry::{CompatibilityLevel, SchemaReference, SchemaType};

fn code<T: std::fmt::Debug>(r: Result<T, RegistryError>) -> ErrorCode {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code,
    }
}

async fn register(reg: &Registry, subject: &str, schema: &str) -> Result<(i64, i32), RegistryError> {
    let r = reg
        .service()
        .register(subject, &SchemaInput::avro(schema), RegisterOptions::default())
        .await?;
    Ok((r.id, r.version))
}

async fn identity_rules(reg: &Registry) {
    let v1 = avro_record("Order", 0);
    let (id1, ver1) = register(reg, "orders-value", &v1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ver1, 1);
    // Same schema again: same id and version.
    assert_eq!(register(reg, "orders-value", &v1).await.ok(), Some((id1, 1)));
    // Same schema under another subject: same id, that subject's version 1.
    assert_eq!(register(reg, "orders-copy", &v1).await.ok(), Some((id1, 1)));
    // An evolution: new id, version 2.
    let v2 = avro_record("Order", 1);
    let (id2, ver2) = register(reg, "orders-value", &v2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(id2, id1);
    assert_eq!(ver2, 2);
    // BACKWARD (the default) refuses a new required field.
    let bad = avro_record_with_required("Order", 1);
    assert_eq!(
        code(register(reg, "orders-value", &bad).await),
        ErrorCode::Incompatible
    );
    // Unparsable schema: 42201 with the parser's words.
    let err = register(reg, "orders-value", "{\"type\":\"record\"").await;
    assert_eq!(code(err), ErrorCode::InvalidSchema);

    // Reads.
    let latest = reg.latest("orders-value").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((latest.version, latest.id()), (2, id2));
    let first = reg
        .version("orders-value", 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.id(), id1);
    assert_eq!(
        reg.by_id(id1).await.map(|e| e.schema_type()).ok(),
        Some(SchemaType::Avro)
    );
    assert_eq!(code(reg.by_id(999_999).await), ErrorCode::SchemaNotFound);
    assert_eq!(code(reg.latest("nobody").await), ErrorCode::SubjectNotFound);
    assert_eq!(
        code(reg.version("orders-value", 7).await),
        ErrorCode::VersionNotFound
    );

    // Lookup.
    let found = reg
        .lookup("orders-value", &v1, SchemaType::Avro, vec![])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((found.version, found.id()), (1, id1));
    let other = avro_record("Other", 0);
    assert_eq!(
        code(reg.lookup("orders-value", &other, SchemaType::Avro, vec![]).await),
        ErrorCode::SchemaNotFound
    );
    assert_eq!(
        code(reg.lookup("nobody", &other, SchemaType::Avro, vec![]).await),
        ErrorCode::SubjectNotFound
    );

    // Compatibility check without registering.
    let msgs = reg.check("orders-value", &bad, SchemaType::Avro, vec![]).await;
    assert!(
        !msgs.unwrap_or_default().is_empty(),
        "a required field must be reported"
    );
    let ok = reg
        .check("orders-value", &avro_record("Order", 2), SchemaType::Avro, vec![])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(ok.is_empty(), "{ok:?}");

    // Subjects and ids.
    let subjects = reg
        .service()
        .subjects(None, false, false)
        .await
        .unwrap_or_default();
    assert_eq!(
        subjects,
        vec!["orders-copy".to_string(), "orders-value".to_string()]
    );
    let using = reg
        .service()
        .subjects_of_schema(id1, None, false)
        .await
        .unwrap_or_default();
    assert_eq!(using, vec!["orders-copy".to_string(), "orders-value".to_string()]);
}

async fn deletes(reg: &Registry) {
    let s = "deletes-value";
    let (id1, _) = register(reg, s, &avro_record("D", 0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (id2, _) = register(reg, s, &avro_record("D", 1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let svc = reg.service();
    // Permanent before soft: refused.
    assert_eq!(
        code(svc.delete_version(s, VersionSpec::Number(2), true).await),
        ErrorCode::VersionNotSoftDeleted
    );
    assert_eq!(
        svc.delete_version(s, VersionSpec::Number(2), false).await.ok(),
        Some(2)
    );
    assert_eq!(
        code(svc.delete_version(s, VersionSpec::Number(2), false).await),
        ErrorCode::VersionSoftDeleted
    );
    assert_eq!(svc.versions(s, false, false).await.ok(), Some(vec![1]));
    assert_eq!(svc.versions(s, true, false).await.ok(), Some(vec![1, 2]));
    assert_eq!(svc.versions(s, false, true).await.ok(), Some(vec![2]));
    assert_eq!(code(reg.version(s, 2).await), ErrorCode::VersionNotFound);
    assert!(svc.version(s, VersionSpec::Number(2), true).await.is_ok());
    // Soft-deleted versions still resolve by id.
    assert!(reg.by_id(id2).await.is_ok());
    // Soft-deleted version numbers are never reused.
    let (_, v3) = register(reg, s, &avro_record("D", 2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v3, 3);
    // Subject: permanent before soft refused, soft then soft again refused, then permanent.
    assert_eq!(
        code(svc.delete_subject(s, true).await),
        ErrorCode::SubjectNotSoftDeleted
    );
    assert_eq!(svc.delete_subject(s, false).await.ok(), Some(vec![1, 3]));
    assert_eq!(
        code(svc.delete_subject(s, false).await),
        ErrorCode::SubjectSoftDeleted
    );
    assert_eq!(code(reg.latest(s).await), ErrorCode::SubjectNotFound);
    assert!(
        svc.subjects(None, false, false)
            .await
            .unwrap_or_default()
            .iter()
            .all(|x| x != s)
    );
    assert!(
        svc.subjects(None, true, false)
            .await
            .unwrap_or_default()
            .iter()
            .any(|x| x == s)
    );
    assert_eq!(svc.delete_subject(s, true).await.ok(), Some(vec![1, 2, 3]));
    assert_eq!(
        code(svc.versions(s, true, false).await),
        ErrorCode::SubjectNotFound
    );
    assert_eq!(code(reg.by_id(id1).await), ErrorCode::SchemaNotFound);
    // Ids are never reused, not even after a permanent delete; versions restart.
    let max_before = svc.max_id(None).await.unwrap_or_default();
    let (id_new, ver) = register(reg, s, &avro_record("D", 0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(id_new > max_before, "id {id_new} reused (max was {max_before})");
    assert_eq!(ver, 1);
}

async fn references(reg: &Registry) {
    let common = r#"{"type":"record","name":"Money","namespace":"weir.ref","fields":[{"name":"cents","type":"long"}]}"#;
    let (common_id, _) = register(reg, "money", common)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let refs = vec![SchemaReference {
        name: "weir.ref.Money".into(),
        subject: "money".into(),
        version: 1,
    }];
    let payment = r#"{"type":"record","name":"Payment","namespace":"weir.ref","fields":[{"name":"amount","type":"weir.ref.Money"}]}"#;
    let pid = reg
        .register("payment-value", payment, SchemaType::Avro, refs.clone(), false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(pid, common_id);
    let entry = reg.by_id(pid).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(entry.references(), refs.as_slice());
    let svc = reg.service();
    assert_eq!(
        svc.referenced_by("money", VersionSpec::Number(1)).await.ok(),
        Some(vec![pid])
    );
    // A referenced version cannot go.
    assert_eq!(
        code(svc.delete_version("money", VersionSpec::Number(1), false).await),
        ErrorCode::ReferenceExists
    );
    assert_eq!(
        code(svc.delete_subject("money", false).await),
        ErrorCode::ReferenceExists
    );
    // A reference to nothing is an invalid schema.
    let dangling = vec![SchemaReference {
        name: "weir.ref.Money".into(),
        subject: "money".into(),
        version: 9,
    }];
    assert_eq!(
        code(
            reg.register("p2", payment, SchemaType::Avro, dangling, false)
                .await
        ),
        ErrorCode::InvalidSchema
    );
    // Once the referrer is gone, the reference no longer blocks.
    assert!(svc.delete_subject("payment-value", false).await.is_ok());
    assert_eq!(
        svc.referenced_by("money", VersionSpec::Latest).await.ok(),
        Some(vec![])
    );
    assert!(svc.delete_subject("money", false).await.is_ok());
}

async fn config_and_modes(reg: &Registry) {
    let svc = reg.service();
    let s = "config-value";
    assert_eq!(
        svc.config(None, false).await.ok().and_then(|c| c.compatibility),
        Some(CompatibilityLevel::Backward)
    );
    assert_eq!(
        code(svc.config(Some(s), false).await),
        ErrorCode::SubjectCompatibilityNotConfigured
    );
    assert_eq!(
        svc.config(Some(s), true).await.ok().and_then(|c| c.compatibility),
        Some(CompatibilityLevel::Backward)
    );
    register(reg, s, &avro_record("C", 0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bad = avro_record_with_required("C", 0);
    assert_eq!(code(register(reg, s, &bad).await), ErrorCode::Incompatible);
    let none = Config {
        compatibility: Some(CompatibilityLevel::None),
        ..Config::default()
    };
    svc.set_config(Some(s), none)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(register(reg, s, &bad).await.map(|r| r.1).ok(), Some(2));
    let policy = Config {
        compatibility_policy: Some(CompatibilityPolicy::Lenient),
        ..Config::default()
    };
    svc.set_config(Some(s), policy)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let merged = svc.config(Some(s), false).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(merged.compatibility, Some(CompatibilityLevel::None));
    assert_eq!(merged.compatibility_policy, Some(CompatibilityPolicy::Lenient));
    let previous = svc.delete_config(Some(s)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(previous.compatibility, Some(CompatibilityLevel::None));
    assert_eq!(
        code(svc.delete_config(Some(s)).await),
        ErrorCode::SubjectCompatibilityNotConfigured
    );

    // Modes.
    assert_eq!(svc.mode(None, false).await.ok(), Some(Mode::ReadWrite));
    assert_eq!(
        code(svc.mode(Some(s), false).await),
        ErrorCode::SubjectModeNotConfigured
    );
    svc.set_mode(Some(s), Mode::ReadOnly, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let third = avro_record("C", 3);
    assert_eq!(
        code(register(reg, s, &third).await),
        ErrorCode::OperationNotPermitted
    );
    assert_eq!(
        code(svc.delete_subject(s, false).await),
        ErrorCode::OperationNotPermitted
    );
    assert!(register(reg, "other-subject", &third).await.is_ok());
    assert_eq!(svc.delete_mode(Some(s)).await.ok(), Some(Mode::ReadOnly));
    assert!(register(reg, s, &avro_record("C", 1)).await.is_ok());
    // READONLY_OVERRIDE globally wins over a subject's READWRITE.
    svc.set_mode(Some(s), Mode::ReadWrite, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    svc.set_mode(None, Mode::ReadOnlyOverride, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        code(register(reg, s, &avro_record("C", 2)).await),
        ErrorCode::OperationNotPermitted
    );
    svc.delete_mode(None).await.unwrap_or_else(|e| panic!("{e}"));

    // IMPORT: only on an empty subject unless forced; ids and versions from the caller.
    assert_eq!(
        code(svc.set_mode(Some(s), Mode::Import, false).await),
        ErrorCode::OperationNotPermitted
    );
    let imported = "imported-value";
    svc.set_mode(Some(imported), Mode::Import, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let options = RegisterOptions {
        id: Some(5000),
        version: Some(7),
        ..RegisterOptions::default()
    };
    let input = SchemaInput::avro(avro_record("Imported", 0));
    let r = svc
        .register(imported, &input, options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.id, r.version), (5000, 7));
    // The id is taken by another schema now.
    let other = SchemaInput::avro(avro_record("Imported2", 0));
    let clash = RegisterOptions {
        id: Some(5000),
        version: Some(8),
        ..RegisterOptions::default()
    };
    assert_eq!(
        code(svc.register(imported, &other, clash).await),
        ErrorCode::OperationNotPermitted
    );
    // Outside IMPORT an id cannot be given; new ids continue after the imported one.
    svc.delete_mode(Some(imported))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        code(svc.register(imported, &other, clash).await),
        ErrorCode::OperationNotPermitted
    );
    let (next, ver) = register(reg, "after-import", &avro_record("After", 0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(next > 5000, "{next}");
    assert_eq!(ver, 1);
}

async fn contexts(reg: &Registry) {
    let svc = reg.service();
    let schema = avro_record("InContext", 0);
    let (id, ver) = register(reg, ":.staging:ctx-value", &schema)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((id, ver), (1, 1), "a context has its own ids");
    let entry = svc
        .schema_by_id(id, Some(":.staging:"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(entry.stored.context, ".staging");
    let contexts = svc.contexts().await.unwrap_or_default();
    assert!(contexts.contains(&".".to_string()) && contexts.contains(&".staging".to_string()));
    let subjects = svc
        .subjects(Some(":.staging:"), false, false)
        .await
        .unwrap_or_default();
    assert_eq!(subjects, vec![":.staging:ctx-value".to_string()]);
    // A context-level config applies to its subjects.
    let full = Config {
        compatibility: Some(CompatibilityLevel::FullTransitive),
        ..Config::default()
    };
    svc.set_config(Some(":.staging:"), full)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let c = svc
        .config(Some(":.staging:ctx-value"), true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.compatibility, Some(CompatibilityLevel::FullTransitive));
}

/// GUIDs: content-derived, the same in every context; and deleting an empty context.
async fn guids_and_context_deletion(reg: &Registry) {
    let svc = reg.service();
    let schema = avro_record("Guid", 0);
    let (id, _) = register(reg, "guid-value", &schema)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (other_id, _) = register(reg, ":.guids:guid-value", &schema)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let entry = svc.schema_by_id(id, None).await.unwrap_or_else(|e| panic!("{e}"));
    let guid = entry.guid().to_string();
    let other = svc
        .schema_by_id(other_id, Some(":.guids:"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(other.guid(), guid, "one schema text, one GUID in every context");
    let ids = svc.ids_of_guid(&guid).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids, vec![(".".to_string(), id), (".guids".to_string(), other_id)]);
    let found = svc.schema_by_guid(&guid).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((found.stored.context.as_str(), found.id()), (".", id));
    assert_eq!(
        code(svc.schema_by_guid("00000000-0000-0000-0000-000000000000").await),
        ErrorCode::SchemaNotFound
    );

    // A context with a version (even soft-deleted) stays; empty, it goes.
    assert_eq!(
        code(svc.delete_context(".guids").await),
        ErrorCode::ContextNotEmpty
    );
    svc.delete_subject(":.guids:guid-value", false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        code(svc.delete_context("guids").await),
        ErrorCode::ContextNotEmpty
    );
    svc.delete_subject(":.guids:guid-value", true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mode = svc.set_mode(Some(":.guids:"), Mode::ReadOnly, false).await;
    assert!(mode.is_ok(), "{mode:?}");
    svc.delete_context(".guids")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        code(svc.delete_context(".guids").await),
        ErrorCode::SubjectNotFound
    );
    assert_eq!(
        code(svc.delete_context(".").await),
        ErrorCode::OperationNotPermitted
    );
    // Its mode went with it: the subject can be registered again, under a fresh id.
    let (again, _) = register(reg, ":.guids:guid-value", &schema)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(again > other_id, "ids are never reused: {again} after {other_id}");
    // The purged id no longer answers for the GUID in that context.
    let ids = svc.ids_of_guid(&guid).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids, vec![(".".to_string(), id), (".guids".to_string(), again)]);
}

async fn suite(reg: Arc<Registry>) {
    identity_rules(&reg).await;
    deletes(&reg).await;
    references(&reg).await;
    config_and_modes(&reg).await;
    contexts(&reg).await;
    guids_and_context_deletion(&reg).await;
}

/// Schemas stored before GUIDs existed get theirs when the store opens.
#[tokio::test]
async fn guids_are_filled_for_older_rows_on_sqlite() {
    let (reg, dir) = sqlite_registry().await;
    let (id, _) = register(&reg, "old-value", &avro_record("Old", 0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let guid = reg
        .by_id(id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .guid()
        .to_string();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("state.db").display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("UPDATE registry_schemas SET guid = NULL")
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let reopened = Registry::sqlite(pool).await.unwrap_or_else(|e| panic!("{e}"));
    let found = reopened
        .service()
        .schema_by_guid(&guid)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.id(), id);
}

#[tokio::test]
async fn guids_are_filled_for_older_rows_on_postgres() {
    let schema = fresh_pg_schema("guid");
    let reg = postgres_registry(&schema).await;
    let (id, _) = register(&reg, "old-value", &avro_record("Old", 0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let guid = reg
        .by_id(id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .guid()
        .to_string();
    let pool = sqlx::PgPool::connect(POSTGRES_URL)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query(&format!("UPDATE \"{schema}\".registry_schemas SET guid = NULL"))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let reopened = postgres_registry(&schema).await;
    let found = reopened
        .service()
        .schema_by_guid(&guid)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.id(), id);
    drop_pg_schema(&schema).await;
}

#[tokio::test]
async fn behaviour_on_sqlite() {
    let (reg, _dir) = sqlite_registry().await;
    suite(reg).await;
}

#[tokio::test]
async fn behaviour_on_postgres() {
    let schema = fresh_pg_schema("suite");
    let reg = postgres_registry(&schema).await;
    suite(reg).await;
    drop_pg_schema(&schema).await;
}

/// Two workers sharing one Postgres register at the same time: every id and version is
/// handed out once, and the same schema registered by both gets one id.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_registries_share_one_postgres() {
    let schema = fresh_pg_schema("race");
    let a = postgres_registry(&schema).await;
    let b = postgres_registry(&schema).await;
    let none = Config {
        compatibility: Some(CompatibilityLevel::None),
        ..Config::default()
    };
    a.service()
        .set_config(None, none)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let reg = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            // Distinct schemas on one subject, plus one schema shared by everyone.
            let own = register(&reg, "race-value", &avro_record(&format!("R{i}"), 0)).await;
            let shared = register(&reg, &format!("shared-{i}"), &avro_record("Shared", 0)).await;
            (own, shared)
        }));
    }
    let mut ids = HashSet::new();
    let mut versions = HashSet::new();
    let mut shared_ids = HashSet::new();
    for t in tasks {
        let (own, shared) = t.await.unwrap_or_else(|e| panic!("task: {e}"));
        let (id, version) = own.unwrap_or_else(|e| panic!("{e}"));
        assert!(ids.insert(id), "id {id} handed out twice");
        assert!(versions.insert(version), "version {version} handed out twice");
        shared_ids.insert(shared.unwrap_or_else(|e| panic!("{e}")).0);
    }
    assert_eq!(versions.len(), 40);
    assert_eq!((1..=40).collect::<HashSet<i32>>(), versions);
    assert_eq!(shared_ids.len(), 1, "one schema, one id: {shared_ids:?}");
    assert!(ids.is_disjoint(&shared_ids));
    drop_pg_schema(&schema).await;
}

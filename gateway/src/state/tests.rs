use super::*;

fn map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

#[tokio::test]
async fn connectors_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).await.unwrap();
    let config: BTreeMap<String, String> = [("connector.class", "FileStreamSource"), ("file", "/tmp/in")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    store
        .put_connector("src", &config, TargetState::Running)
        .await
        .unwrap();
    store.set_target("src", TargetState::Paused).await.unwrap();
    store
        .put_status("src", None, "PAUSED", None, "w:1")
        .await
        .unwrap();
    store
        .put_status("src", Some(0), "FAILED", Some("boom"), "w:1")
        .await
        .unwrap();
    store.add_topic("src", "t1").await.unwrap();
    store.add_topic("src", "t1").await.unwrap();
    store.close().await;

    let store = StateStore::open(dir.path()).await.unwrap();
    let all = store.connectors().await.unwrap();
    assert_eq!(
        all,
        vec![StoredConnector {
            name: "src".into(),
            config,
            target: TargetState::Paused
        }]
    );
    let statuses = store.statuses("src").await.unwrap();
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[0].task, None);
    assert_eq!(statuses[1].trace.as_deref(), Some("boom"));
    assert_eq!(store.topics("src").await.unwrap(), vec!["t1".to_string()]);

    store.delete_connector("src").await.unwrap();
    assert!(store.connectors().await.unwrap().is_empty());
    assert!(store.statuses("src").await.unwrap().is_empty());
    assert!(store.topics("src").await.unwrap().is_empty());
}

#[tokio::test]
async fn source_offsets_upsert_by_partition_whatever_the_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).await.unwrap();
    let p1 = map(serde_json::json!({"filename": "/a", "b": 1}));
    let p1_reordered = map(serde_json::json!({"b": 1, "filename": "/a"}));
    store
        .put_source_offsets(
            "src",
            &[SourcePosition {
                partition: p1.clone(),
                offset: map(serde_json::json!({"position": 10})),
            }],
        )
        .await
        .unwrap();
    store
        .put_source_offsets(
            "src",
            &[SourcePosition {
                partition: p1_reordered,
                offset: map(serde_json::json!({"position": 42})),
            }],
        )
        .await
        .unwrap();
    let got = store.source_offsets("src").await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].offset["position"], serde_json::json!(42));
    assert!(store.source_offsets("other").await.unwrap().is_empty());

    store.alter_source_offsets("src", &[(p1, None)]).await.unwrap();
    assert!(store.source_offsets("src").await.unwrap().is_empty());
}

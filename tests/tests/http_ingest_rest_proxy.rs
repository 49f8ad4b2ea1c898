//! The Confluent REST Proxy v2 calls on the real binary, as a proxy user's client sees them:
//! content types (the generic ones are binary, as the proxy documents), the answer's Content-Type
//! and shape, the error codes, keys partitioned as Kafka's producer does, produce-to-partition,
//! the topic metadata calls, and the schema formats with their registry rules. On the embedded
//! log and on a real broker (tansu). tests/python/test_rest_proxy.py reads what the proxy wrote
//! with confluent-kafka's deserializers.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use base64::Engine;
use tests::ingest::proxy::{AVRO, BINARY, V2, embedded_records, send};
use tests::ingest::{Backend, Run, block_on, read_whole_topic, versions};
use tests::{Value, Weir, WeirConfig, json, on_both_logs, temp_dir};

on_both_logs!(
    generic_content_types_are_binary_and_every_answer_is_v2_json,
    avro_schemas_inline_and_by_id_with_the_registry_rules,
);

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Kafka's default partitioner for a key: murmur2 (Kafka's UtilsTest vectors), positive, mod n.
fn kafka_partition(murmur2: i32, partitions: i32) -> i32 {
    (murmur2 & 0x7fff_ffff) % partitions
}

const KEY_VECTORS: [(&str, i32); 4] = [
    ("foobar", -790_332_482),
    ("abc", 479_470_107),
    ("a-little-bit-long-string", -985_981_536),
    ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
];

fn generic_content_types_are_binary_and_every_answer_is_v2_json(backend: Backend) {
    let mut run = Run::start(backend, "topic.creation.default.partitions=4\n");
    let weir = run.weir();

    // The proxy's documented default: no embedded format means binary (base64 decoded).
    let mut offsets = Vec::new();
    for ct in [
        Some(V2),
        Some("application/json"),
        Some("application/vnd.kafka+json"),
        None,
    ] {
        let body = json!({"records": [{"value": b64(b"hello"), "partition": 2}]}).to_string();
        let (status, answer_ct, body) = send(weir, "/topics/events", ct, &body);
        assert_eq!((status, answer_ct.as_str()), (200, V2), "{ct:?}: {body}");
        assert_eq!(body["key_schema_id"], Value::Null);
        offsets.push(body["offsets"][0].clone());
    }
    assert_eq!(
        offsets,
        (0..4)
            .map(|o| json!({"partition": 2, "offset": o, "error_code": null, "error": null}))
            .collect::<Vec<_>>()
    );

    // Keys go where Kafka's producer puts them: murmur2 of the key bytes.
    let records: Vec<Value> = KEY_VECTORS
        .iter()
        .map(|(k, _)| json!({"key": b64(k.as_bytes()), "value": b64(b"v")}))
        .collect();
    let (status, _, body) = send(
        weir,
        "/topics/keyed",
        Some(BINARY),
        &json!({"records": records}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let partitions: Vec<Value> = body["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["partition"].clone())
        .collect();
    let want: Vec<Value> = KEY_VECTORS
        .iter()
        .map(|(_, h)| json!(kafka_partition(*h, 4)))
        .collect();
    assert_eq!(partitions, want);

    // A tombstone: a key and a null value.
    let (status, _, body) = send(
        weir,
        "/topics/keyed",
        Some(BINARY),
        &json!({"records": [{"key": b64(b"abc"), "value": null}]}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["offsets"][0]["partition"],
        json!(kafka_partition(479_470_107, 4))
    );

    // Errors: the proxy's codes, as application/vnd.kafka.v2+json.
    let cases: [(&str, Option<&str>, &str, u16, u64); 8] = [
        ("/topics/events", Some(BINARY), r#"{"records": []}"#, 422, 422),
        (
            "/topics/events",
            Some(BINARY),
            r#"{"records": [{"value": "eA==", "partition": -1}]}"#,
            422,
            422,
        ),
        (
            "/topics/events",
            Some(BINARY),
            r#"{"records": [{"value": "eA==", "partition": 4}]}"#,
            404,
            40402,
        ),
        (
            "/topics/events",
            Some(BINARY),
            r#"{"records": [{"value": "%%%"}]}"#,
            422,
            42203,
        ),
        ("/topics/events", Some(BINARY), "{not json", 400, 400),
        (
            "/topics/events",
            Some("text/plain"),
            r#"{"records": [{"value": "eA=="}]}"#,
            415,
            415,
        ),
        (
            "/topics/events",
            Some("application/vnd.kafka.binary.v1+json"),
            r#"{"records": [{"value": "eA=="}]}"#,
            415,
            415,
        ),
        (
            "/topics/events",
            Some(AVRO),
            r#"{"records": [{"value": {"a": 1}}]}"#,
            422,
            42202,
        ),
    ];
    for (path, ct, body, status, code) in cases {
        let (got, answer_ct, answer) = send(weir, path, ct, body);
        assert_eq!(
            (got, answer["error_code"].as_u64()),
            (status, Some(code)),
            "{body}: {answer}"
        );
        assert_eq!(answer_ct, V2, "{body}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
    }

    // All or nothing: every refused request above wrote nothing.
    assert_eq!(run.records_in("events"), 4);
    assert_eq!(run.records_in("keyed"), 5);
    let records = run.stop_and_read(&["keyed"]).remove(0);
    assert_eq!(records.len(), 5);
    let keys: Vec<&[u8]> = records.iter().map(|r| r.key.as_deref().unwrap()).collect();
    assert!(
        keys.contains(&&b"foobar"[..]),
        "keys are written as the decoded bytes"
    );
    assert_eq!(
        records.iter().filter(|r| r.value.is_none()).count(),
        1,
        "one tombstone"
    );
}

#[test]
fn produce_to_a_partition_and_the_topic_metadata_calls() {
    let dir = temp_dir();
    let mut config = WeirConfig::new(dir.path());
    config.worker = "topic.creation.default.partitions=3\n".to_owned();
    let weir = Weir::start(&config);

    let (status, ct, body) = send(
        &weir,
        "/topics/orders/partitions/1",
        Some("application/vnd.kafka.json.v2+json"),
        r#"{"records": [{"key": "k1", "value": {"n": 1}}, {"key": "k2", "value": {"n": 2}, "partition": 0}]}"#,
    );
    assert_eq!((status, ct.as_str()), (200, V2), "{body}");
    // The path's partition for records without one; a record's own `partition` wins, as in
    // the current proxy.
    assert_eq!(
        body["offsets"],
        json!([{"partition": 1, "offset": 0, "error_code": null, "error": null},
               {"partition": 0, "offset": 0, "error_code": null, "error": null}])
    );
    for (path, body, status, code) in [
        (
            "/topics/orders/partitions/3",
            r#"{"records": [{"value": "eA=="}]}"#,
            404,
            40402,
        ),
        // A record's own partition is checked on this path too.
        (
            "/topics/orders/partitions/1",
            r#"{"records": [{"value": "eA=="}, {"value": "eA==", "partition": 5}]}"#,
            404,
            40402,
        ),
        (
            "/topics/orders/partitions/1",
            r#"{"records": [{"value": "eA==", "partition": -1}]}"#,
            422,
            422,
        ),
    ] {
        let (got, _, answer) = send(&weir, path, Some(BINARY), body);
        assert_eq!(
            (got, answer["error_code"].clone()),
            (status, json!(code)),
            "{path} {body}: {answer}"
        );
    }

    assert_eq!(weir.get("/topics"), (200, json!(["orders"])));
    let replica = json!([{"broker": 0, "leader": true, "in_sync": true}]);
    let partition = |p: i32| json!({"partition": p, "leader": 0, "replicas": replica});
    assert_eq!(
        weir.get("/topics/orders"),
        (
            200,
            json!({"name": "orders", "configs": {}, "partitions": [partition(0), partition(1), partition(2)]})
        )
    );
    assert_eq!(
        weir.get("/topics/orders/partitions"),
        (200, json!([partition(0), partition(1), partition(2)]))
    );
    assert_eq!(weir.get("/topics/orders/partitions/2"), (200, partition(2)));
    assert_eq!(
        weir.get("/topics/orders/partitions/1/offsets"),
        (200, json!({"beginning_offset": 0, "end_offset": 1}))
    );
    assert_eq!(
        weir.get("/topics/orders/partitions/2/offsets"),
        (200, json!({"beginning_offset": 0, "end_offset": 0}))
    );
    let (status, body) = weir.get("/topics/orders/partitions/9/offsets");
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40402)),
        "{body}"
    );
    let (status, body) = weir.get("/topics/nope");
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40401)),
        "{body}"
    );
    let (status, body) = weir.get("/topics/nope/partitions");
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40401)),
        "{body}"
    );
    let (status, body) = weir.get("/topics/orders/partitions/7");
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40402)),
        "{body}"
    );
    // Kafka Connect's own topic calls are untouched.
    assert_eq!(weir.get("/connectors/none/topics").0, 404);

    let records = embedded_records(weir, "orders");
    assert_eq!(records.len(), 2);
    let keys: Vec<(i32, &[u8])> = records
        .iter()
        .map(|r| (r.partition, r.key.as_deref().unwrap()))
        .collect();
    assert_eq!(
        keys,
        [(0, &br#""k2""#[..]), (1, &br#""k1""#[..])],
        "json keys are their JSON text"
    );
    assert_eq!(records[0].value.as_deref(), Some(&br#"{"n":2}"#[..]));
}

const CLICK: &str = r#"{"type":"record","name":"Click","namespace":"web","fields":[
  {"name":"page","type":"string"},
  {"name":"n","type":"int"},
  {"name":"ref","type":["null","string"],"default":null},
  {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["VIEW","BUY"]}},
  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"tag","type":["null",{"type":"record","name":"Tag","fields":[{"name":"t","type":"string"}]}],"default":null}
]}"#;

fn avro_schemas_inline_and_by_id_with_the_registry_rules(backend: Backend) {
    let mut run = Run::start(backend, "");
    let weir = run.weir();
    let request = json!({
    "key_schema": r#"{"type": "string"}"#,
    "value_schema": CLICK,
    "records": [
        {"key": "u1", "value": {"page": "/a", "n": 1, "ref": {"string": "mail"}, "kind": "VIEW",
                                 "at": 1_700_000_000_000_i64, "tag": {"web.Tag": {"t": "x"}}}},
        {"key": "u2", "value": {"page": "/b", "n": 2, "ref": null, "kind": "BUY", "at": 1}},
        {"key": "u1", "value": null},
    ]});
    let (status, ct, body) = send(weir, "/topics/clicks", Some(AVRO), &request.to_string());
    assert_eq!((status, ct.as_str()), (200, V2), "{body}");
    let key_id = body["key_schema_id"].as_i64().unwrap();
    let value_id = body["value_schema_id"].as_i64().unwrap();
    assert_ne!(key_id, value_id);
    assert_eq!(versions(weir, "clicks-key"), json!([1]));
    assert_eq!(versions(weir, "clicks-value"), json!([1]));

    // The same schema text again: the same ids, nothing registered.
    let (status, _, body) = send(weir, "/topics/clicks", Some(AVRO), &request.to_string());
    assert_eq!(
        (status, body["value_schema_id"].as_i64()),
        (200, Some(value_id)),
        "{body}"
    );
    // By id.
    let by_id = json!({"key_schema_id": key_id, "value_schema_id": value_id,
        "records": [{"key": "u3", "value": {"page": "/c", "n": 3, "kind": "VIEW", "at": 2}}]});
    let (status, _, body) = send(weir, "/topics/clicks", Some(AVRO), &by_id.to_string());
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["key_schema_id"].as_i64(), body["value_schema_id"].as_i64()),
        (Some(key_id), Some(value_id))
    );

    let refusals = [
        // A record that does not convert names the record and the field.
        (
            json!({"value_schema_id": value_id, "records": [{"value": {"page": "/d", "n": "x", "kind": "VIEW", "at": 1}}]}),
            422,
            42203,
            "record 0: value",
        ),
        (
            json!({"value_schema_id": value_id, "records": [{"value": {"page": "/d", "n": 1, "kind": "SELL", "at": 1}}]}),
            422,
            42203,
            "kind",
        ),
        // Keys without a key schema.
        (
            json!({"value_schema_id": value_id, "records": [{"key": "k", "value": {"page": "/d", "n": 1, "kind": "VIEW", "at": 1}}]}),
            422,
            42201,
            "key schema",
        ),
        // Not a schema.
        (
            json!({"value_schema": "{\"type\": \"recordz\"}", "records": [{"value": 1}]}),
            422,
            42205,
            "Invalid schema",
        ),
        // An id the registry does not have; an incompatible schema: the proxy's 40801.
        (
            json!({"value_schema_id": 999, "records": [{"value": 1}]}),
            408,
            40801,
            "999",
        ),
        (
            json!({"value_schema": "\"int\"", "records": [{"value": 1}]}),
            408,
            40801,
            "clicks-value",
        ),
    ];
    for (request, status, code, says) in refusals {
        let (got, ct, body) = send(weir, "/topics/clicks", Some(AVRO), &request.to_string());
        assert_eq!(
            (got, body["error_code"].as_u64()),
            (status, Some(code)),
            "{request}: {body}"
        );
        assert_eq!(ct, V2);
        assert!(body["message"].as_str().unwrap().contains(says), "{says}: {body}");
    }
    // A schema id of another language than the content type.
    let (status, _, body) = send(
        weir,
        "/topics/clicks",
        Some("application/vnd.kafka.jsonschema.v2+json"),
        &json!({"value_schema_id": value_id, "records": [{"value": {}}]}).to_string(),
    );
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42205)),
        "{body}"
    );
    assert_eq!(versions(weir, "clicks-value"), json!([1]));

    assert_eq!(run.records_in("clicks"), 7);
    let records = run.stop_and_read(&["clicks"]).remove(0);
    assert_eq!(
        records.len(),
        7,
        "3 + 3 + 1 written; refused requests wrote nothing"
    );
    let ids: Vec<(i64, Option<i64>)> = records
        .iter()
        .map(|r| {
            let id = |b: &[u8]| i64::from(i32::from_be_bytes(b[1..5].try_into().unwrap()));
            (id(r.key.as_deref().unwrap()), r.value.as_deref().map(id))
        })
        .collect();
    assert_eq!(ids[2], (key_id, None), "a tombstone keeps its key");
    assert!(
        ids.iter()
            .all(|(k, v)| *k == key_id && v.is_none_or(|v| v == value_id))
    );
}

#[test]
fn on_kafka_keys_partitions_and_metadata_come_from_the_broker() {
    let kafka = tests::Kafka::start();
    let dir = temp_dir();
    let mut config = WeirConfig::new(dir.path());
    config.worker = format!(
        "bootstrap.servers={}\ntopic.creation.default.partitions=4\n",
        kafka.bootstrap()
    );
    let weir = Weir::start(&config);

    let records: Vec<Value> = KEY_VECTORS
        .iter()
        .map(|(k, _)| json!({"key": b64(k.as_bytes()), "value": b64(k.as_bytes())}))
        .collect();
    let (status, ct, body) = send(
        &weir,
        "/topics/kkeyed",
        Some(BINARY),
        &json!({"records": records}).to_string(),
    );
    assert_eq!((status, ct.as_str()), (200, V2), "{body}");
    let partitions: Vec<Value> = body["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["partition"].clone())
        .collect();
    let want: Vec<Value> = KEY_VECTORS
        .iter()
        .map(|(_, h)| json!(kafka_partition(*h, 4)))
        .collect();
    assert_eq!(partitions, want);
    let (status, _, body) = send(
        &weir,
        "/topics/kkeyed/partitions/3",
        Some(BINARY),
        r#"{"records": [{"value": "eA=="}]}"#,
    );
    assert_eq!(
        (status, body["offsets"][0]["partition"].clone()),
        (200, json!(3)),
        "{body}"
    );
    let (status, _, body) = send(
        &weir,
        "/topics/kkeyed/partitions/4",
        Some(BINARY),
        r#"{"records": [{"value": "eA=="}]}"#,
    );
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40402)),
        "{body}"
    );

    let (status, topic) = weir.get("/topics/kkeyed");
    assert_eq!(status, 200, "{topic}");
    assert_eq!(topic["partitions"].as_array().unwrap().len(), 4);
    let leader = topic["partitions"][0]["leader"].clone();
    assert_eq!(
        topic["partitions"][0]["replicas"],
        json!([{"broker": leader, "leader": true, "in_sync": true}])
    );
    assert!(
        weir.get("/topics")
            .1
            .as_array()
            .unwrap()
            .contains(&json!("kkeyed"))
    );
    assert_eq!(weir.get("/topics/nope").1["error_code"], json!(40401));
    assert_eq!(
        weir.get("/topics/kkeyed/partitions/3/offsets"),
        (
            200,
            json!({"beginning_offset": 0, "end_offset": 1 + KEY_VECTORS.iter().filter(|(_, h)| kafka_partition(*h, 4) == 3).count()})
        )
    );

    let records = block_on(async {
        let log = tests::ingest::connect_kafka(&kafka.bootstrap()).await;
        let records = read_whole_topic(&*log, "kkeyed").await;
        log.close().await;
        records
    });
    assert_eq!(records.len(), 5);
    for r in records.iter().filter(|r| r.key.is_some()) {
        assert_eq!(
            r.key, r.value,
            "record {}:{} carries its key",
            r.partition, r.offset
        );
        let (_, h) = KEY_VECTORS
            .iter()
            .find(|(k, _)| k.as_bytes() == r.key.as_deref().unwrap())
            .unwrap();
        assert_eq!(r.partition, kafka_partition(*h, 4));
    }
}

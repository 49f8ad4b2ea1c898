//! The registry's HTTP API as Confluent clients see it: `router()` served on a real TCP port
//! over a real SQLite file, driven with reqwest.

mod registry_common;

use gateway::registry::router;
use registry_common::*;
use serde_json::{Value, json};

const V1: &str = "application/vnd.schemaregistry.v1+json";

struct Server {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn server() -> Server {
    let (registry, dir) = sqlite_registry().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(registry)).await;
    });
    Server {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Server {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Accept", V1);
        if let Some(b) = body {
            req = req.header("Content-Type", V1).body(b.to_string());
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

fn error_code(v: &Value) -> i64 {
    v["error_code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error body: {v}"))
}

#[tokio::test]
async fn register_fetch_and_shapes() {
    let s = server().await;
    let v1 = avro_record("Order", 0);
    let (st, body) = s
        .post("/subjects/orders-value/versions", json!({"schema": v1}))
        .await;
    let guid = body["guid"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        (st, body.clone()),
        (200, json!({"id": 1, "guid": guid})),
        "{body}"
    );
    // Same again, and with unknown fields (metadata, ruleSet): same id.
    let (st, body) = s
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": v1, "schemaType": "AVRO", "metadata": {"properties": {}}, "ruleSet": null, "references": []}),
        )
        .await;
    assert_eq!((st, body), (200, json!({"id": 1, "guid": guid})));

    let (st, body) = s.get("/schemas/ids/1").await;
    assert_eq!(st, 200);
    assert!(body.get("schemaType").is_none(), "AVRO omits schemaType: {body}");
    assert!(body.get("references").is_none(), "{body}");
    let stored: Value = serde_json::from_str(body["schema"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("schema is not JSON text: {e}"));
    assert_eq!(stored["name"], "Order");

    let (st, body) = s.get("/schemas/ids/1?fetchMaxId=true").await;
    assert_eq!((st, body["maxId"].as_i64()), (200, Some(1)));
    let (_, raw) = s.get("/schemas/ids/1/schema").await;
    assert_eq!(raw["name"], "Order", "raw schema text: {raw}");
    assert_eq!(
        s.get("/schemas/ids/1/subjects").await,
        (200, json!(["orders-value"]))
    );
    assert_eq!(
        s.get("/schemas/ids/1/versions").await,
        (200, json!([{"subject": "orders-value", "version": 1}]))
    );
    assert_eq!(error_code(&s.get("/schemas/ids/77").await.1), 40403);
    assert_eq!(s.get("/schemas/ids/77").await.0, 404);

    assert_eq!(s.get("/subjects").await, (200, json!(["orders-value"])));
    assert_eq!(s.get("/subjects/orders-value/versions").await, (200, json!([1])));
    let (st, body) = s.get("/subjects/orders-value/versions/latest").await;
    assert_eq!(st, 200);
    assert_eq!(
        (
            body["subject"].clone(),
            body["version"].clone(),
            body["id"].clone()
        ),
        (json!("orders-value"), json!(1), json!(1))
    );
    assert!(body.get("schemaType").is_none());
    let (_, raw) = s.get("/subjects/orders-value/versions/1/schema").await;
    assert_eq!(raw["type"], "record");
    assert_eq!(
        s.get("/schemas/types").await.1,
        json!(["JSON", "PROTOBUF", "AVRO"])
    );

    // Lookup.
    let (st, body) = s.post("/subjects/orders-value", json!({"schema": v1})).await;
    assert_eq!(
        (st, body["version"].clone(), body["id"].clone()),
        (200, json!(1), json!(1))
    );
    let (st, body) = s
        .post("/subjects/orders-value", json!({"schema": avro_record("X", 0)}))
        .await;
    assert_eq!((st, error_code(&body)), (404, 40403));
    let (st, body) = s.post("/subjects/nobody", json!({"schema": v1})).await;
    assert_eq!((st, error_code(&body)), (404, 40401));

    // GET /schemas.
    s.post(
        "/subjects/orders-value/versions",
        json!({"schema": avro_record("Order", 1)}),
    )
    .await;
    let (_, all) = s.get("/schemas").await;
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let (_, latest) = s.get("/schemas?latestOnly=true&subjectPrefix=orders").await;
    assert_eq!(latest[0]["version"], 2);
    let (_, page) = s.get("/schemas?offset=1&limit=1").await;
    assert_eq!(page.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn errors_have_confluent_codes_and_statuses() {
    let s = server().await;
    let v1 = avro_record("E", 0);
    s.post("/subjects/e/versions", json!({"schema": v1})).await;

    let (st, body) = s.get("/subjects/nobody/versions").await;
    assert_eq!((st, error_code(&body)), (404, 40401));
    let (st, body) = s.get("/subjects/e/versions/9").await;
    assert_eq!((st, error_code(&body)), (404, 40402));
    let (st, body) = s.get("/subjects/e/versions/abc").await;
    assert_eq!((st, error_code(&body)), (422, 42202));
    let (st, body) = s.get("/subjects/e/versions/0").await;
    assert_eq!((st, error_code(&body)), (422, 42202));
    let (st, body) = s
        .post(
            "/subjects/e/versions",
            json!({"schema": avro_record_with_required("E", 0)}),
        )
        .await;
    assert_eq!((st, error_code(&body)), (409, 409), "{body}");
    let (st, body) = s
        .post("/subjects/e/versions", json!({"schema": "{not avro"}))
        .await;
    assert_eq!((st, error_code(&body)), (422, 42201));
    let (st, body) = s
        .post("/subjects/e/versions", json!({"schema": v1, "schemaType": "XML"}))
        .await;
    assert_eq!((st, error_code(&body)), (422, 42201));
    let (st, body) = s.put("/config", json!({"compatibility": "SIDEWAYS"})).await;
    assert_eq!((st, error_code(&body)), (422, 42203));
    let (st, body) = s.put("/mode", json!({"mode": "SOMETIMES"})).await;
    assert_eq!((st, error_code(&body)), (422, 42204));
    let (st, body) = s.get("/config/e").await;
    assert_eq!((st, error_code(&body)), (404, 40408));
    let (st, body) = s.get("/mode/e").await;
    assert_eq!((st, error_code(&body)), (404, 40409));
    let (st, body) = s.delete("/subjects/e?permanent=true").await;
    assert_eq!((st, error_code(&body)), (404, 40405));
    let (st, body) = s.delete("/subjects/e/versions/1?permanent=true").await;
    assert_eq!((st, error_code(&body)), (404, 40407));
    assert_eq!(s.delete("/subjects/e/versions/1").await, (200, json!(1)));
    let (st, body) = s.delete("/subjects/e/versions/1").await;
    assert_eq!((st, error_code(&body)), (404, 40406));
    let (st, body) = s.delete("/subjects/e").await;
    assert_eq!((st, error_code(&body)), (404, 40404));
    assert_eq!(s.delete("/subjects/e?permanent=true").await, (200, json!([1])));

    // Malformed JSON: 400 in the registry's shape; wrong field types: 422.
    let resp = s
        .http
        .post(format!("{}/subjects/e/versions", s.base))
        .header("Content-Type", "application/json")
        .body("{\"schema\": ")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap_or_default();
    assert_eq!(error_code(&body), 400);
    let (st, body) = s.post("/subjects/e/versions", json!({"schema": 5})).await;
    assert_eq!((st, error_code(&body)), (422, 422));
    let (st, body) = s
        .post("/subjects/e/versions", json!({"schemaType": "AVRO"}))
        .await;
    assert_eq!((st, error_code(&body)), (422, 42201));

    // A path that does not decode: 400 in the registry's shape.
    let (st, body) = s.get("/subjects/%FF%FE/versions").await;
    assert_eq!((st, error_code(&body)), (400, 400));

    // An oversized body: 413 in the registry's shape.
    let huge = "x".repeat(gateway::registry::MAX_BODY_BYTES + 10);
    let (st, body) = s.post("/subjects/e/versions", json!({"schema": huge})).await;
    assert_eq!((st, error_code(&body)), (413, 413));
}

#[tokio::test]
async fn config_mode_compatibility_and_content_types() {
    let s = server().await;
    assert_eq!(
        s.get("/config").await,
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );
    assert_eq!(
        s.put("/config", json!({"compatibility": "FULL"})).await,
        (200, json!({"compatibility": "FULL"}))
    );
    assert_eq!(s.get("/config").await.1, json!({"compatibilityLevel": "FULL"}));
    assert_eq!(s.delete("/config").await.1, json!({"compatibilityLevel": "FULL"}));
    assert_eq!(
        s.get("/config").await.1,
        json!({"compatibilityLevel": "BACKWARD"})
    );

    s.post("/subjects/c/versions", json!({"schema": avro_record("C", 0)}))
        .await;
    assert_eq!(
        s.put("/config/c", json!({"compatibility": "NONE", "normalize": true}))
            .await,
        (200, json!({"compatibility": "NONE", "normalize": true}))
    );
    assert_eq!(s.get("/config/c").await.1["compatibilityLevel"], "NONE");
    assert_eq!(
        s.get("/config/other?defaultToGlobal=true").await.1["compatibilityLevel"],
        "BACKWARD"
    );
    assert_eq!(s.delete("/config/c").await.1["compatibilityLevel"], "NONE");

    // Compatibility checks, with and without a version, verbose or not.
    let bad = json!({"schema": avro_record_with_required("C", 0)});
    let good = json!({"schema": avro_record("C", 1)});
    assert_eq!(
        s.post("/compatibility/subjects/c/versions/latest", good.clone())
            .await,
        (200, json!({"is_compatible": true}))
    );
    assert_eq!(
        s.post("/compatibility/subjects/c/versions", good.clone()).await,
        (200, json!({"is_compatible": true}))
    );
    let (st, body) = s
        .post("/compatibility/subjects/c/versions/1?verbose=true", bad.clone())
        .await;
    assert_eq!((st, body["is_compatible"].clone()), (200, json!(false)));
    assert!(
        body["messages"].as_array().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(
        s.post("/compatibility/subjects/c/versions/latest?verbose=true", good)
            .await
            .1,
        json!({"is_compatible": true, "messages": []})
    );
    assert_eq!(
        s.post("/compatibility/subjects/fresh/versions/latest", bad.clone())
            .await
            .1,
        json!({"is_compatible": true})
    );

    // Modes.
    assert_eq!(s.get("/mode").await, (200, json!({"mode": "READWRITE"})));
    assert_eq!(
        s.put("/mode/c", json!({"mode": "READONLY"})).await.1,
        json!({"mode": "READONLY"})
    );
    let (st, body) = s
        .post("/subjects/c/versions", json!({"schema": avro_record("C", 2)}))
        .await;
    assert_eq!((st, error_code(&body)), (422, 42205));
    assert_eq!(s.delete("/mode/c").await.1, json!({"mode": "READONLY"}));
    let (st, body) = s.put("/mode", json!({"mode": "IMPORT"})).await;
    assert_eq!((st, error_code(&body)), (422, 42205));
    assert_eq!(
        s.put("/mode?force=true", json!({"mode": "IMPORT"})).await.1,
        json!({"mode": "IMPORT"})
    );
    let (st, body) = s
        .post(
            "/subjects/imp/versions",
            json!({"schema": avro_record("I", 0), "id": 42, "version": 3}),
        )
        .await;
    assert_eq!((st, body["id"].clone()), (200, json!(42)));
    assert_eq!(s.get("/subjects/imp/versions").await.1, json!([3]));
    s.put("/mode", json!({"mode": "READWRITE"})).await;

    // Contexts, associations.
    s.post(
        "/subjects/:.team:t-value/versions",
        json!({"schema": avro_record("T", 0)}),
    )
    .await;
    assert_eq!(s.get("/contexts").await.1, json!([".", ".team"]));
    assert_eq!(s.get("/schemas/ids/1?subject=:.team:t-value").await.0, 200);
    assert_eq!(
        s.get("/associations/resources/lkc-1/orders").await,
        (200, json!([]))
    );

    // Content types: each accepted one is answered in kind.
    for accept in [V1, "application/vnd.schemaregistry+json", "application/json"] {
        let resp = s
            .http
            .post(format!("{}/subjects/ct/versions", s.base))
            .header("Content-Type", accept)
            .header("Accept", accept)
            .body(json!({"schema": avro_record("CT", 0)}).to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.status().as_u16(), 200);
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert_eq!(ct, accept);
    }
}

#[tokio::test]
async fn references_and_referencedby_over_http() {
    let s = server().await;
    let money = r#"{"type":"record","name":"Money","namespace":"weir.ref","fields":[{"name":"cents","type":"long"}]}"#;
    let payment = r#"{"type":"record","name":"Payment","namespace":"weir.ref","fields":[{"name":"amount","type":"weir.ref.Money"}]}"#;
    let (_, m) = s.post("/subjects/money/versions", json!({"schema": money})).await;
    let refs = json!([{"name": "weir.ref.Money", "subject": "money", "version": 1}]);
    let (st, p) = s
        .post(
            "/subjects/payment/versions",
            json!({"schema": payment, "references": refs}),
        )
        .await;
    assert_eq!(st, 200, "{p}");
    assert_ne!(m["id"], p["id"]);
    let (_, got) = s.get(&format!("/schemas/ids/{}", p["id"])).await;
    assert_eq!(got["references"], refs);
    assert_eq!(
        s.get("/subjects/money/versions/1/referencedby").await.1,
        json!([p["id"]])
    );
    let (st, body) = s.delete("/subjects/money/versions/1").await;
    assert_eq!((st, error_code(&body)), (422, 42206));
}

#[tokio::test]
async fn protobuf_text_and_serialized_forms() {
    let s = server().await;
    let proto = "syntax = \"proto3\";\npackage weir.test;\n\nmessage Click {\n  string page = 1;\n  int64 at = 2;\n}\n";
    let (st, body) = s
        .post(
            "/subjects/clicks-value/versions",
            json!({"schema": proto, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let id = body["id"].as_i64().unwrap_or_default();
    let (_, text) = s.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(text["schemaType"], "PROTOBUF");
    assert!(
        text["schema"]
            .as_str()
            .unwrap_or_default()
            .contains("message Click"),
        "{text}"
    );
    let (_, ser) = s.get(&format!("/schemas/ids/{id}?format=serialized")).await;
    let encoded = ser["schema"].as_str().unwrap_or_default().to_string();
    assert!(
        !encoded.contains("message"),
        "serialized form is base64: {encoded}"
    );
    // The serialized form registers as the same schema (what confluent-kafka's Python
    // serializer sends).
    let (st, again) = s
        .post(
            "/subjects/clicks-value/versions",
            json!({"schema": encoded, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!((st, again["id"].as_i64()), (200, Some(id)), "{again}");
    let (_, v) = s.get("/subjects/clicks-value/versions/1?format=serialized").await;
    assert_eq!(v["schema"].as_str(), Some(encoded.as_str()));
}

#[tokio::test]
async fn schemas_by_guid_across_contexts() {
    let s = server().await;
    let v1 = avro_record("G", 0);
    let (_, reg) = s.post("/subjects/g-value/versions", json!({"schema": v1})).await;
    let guid = reg["guid"].as_str().unwrap_or_default().to_string();
    // A UUID in 8-4-4-4-12 lower-case hex.
    let groups: Vec<usize> = guid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{guid}");
    assert!(
        guid.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
    );

    // Every answer carrying the schema carries its GUID.
    let (_, by_id) = s.get("/schemas/ids/1").await;
    assert_eq!(by_id["guid"], json!(guid));
    let (_, version) = s.get("/subjects/g-value/versions/1").await;
    assert_eq!(version["guid"], json!(guid));
    let (_, found) = s.post("/subjects/g-value", json!({"schema": v1})).await;
    assert_eq!(found["guid"], json!(guid));

    let (st, body) = s.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["schema"], by_id["schema"]);
    assert_eq!(body["guid"], json!(guid));
    assert!(body.get("id").is_none(), "a GUID answer names no id: {body}");
    // Upper case is the same GUID.
    assert_eq!(
        s.get(&format!("/schemas/guids/{}", guid.to_uppercase())).await.0,
        200
    );

    // The same schema in another context: another id, the same GUID.
    s.post(
        "/subjects/:.other:x/versions",
        json!({"schema": avro_record("Pad", 0)}),
    )
    .await;
    let (_, other) = s
        .post("/subjects/:.other:g-value/versions", json!({"schema": v1}))
        .await;
    assert_eq!(other["guid"], json!(guid));
    assert_eq!(other["id"], json!(2));
    assert_eq!(
        s.get(&format!("/schemas/guids/{guid}/ids")).await,
        (
            200,
            json!([{"context": ".", "id": 1}, {"context": ".other", "id": 2}])
        )
    );
    // Soft-deleted versions still resolve by GUID (as by id).
    s.delete("/subjects/g-value").await;
    assert_eq!(s.get(&format!("/schemas/guids/{guid}")).await.0, 200);

    // A different schema has a different GUID; an unknown GUID is 40403.
    let (_, two) = s
        .post(
            "/subjects/h-value/versions",
            json!({"schema": avro_record("H", 0)}),
        )
        .await;
    assert_ne!(two["guid"], json!(guid));
    let (st, body) = s.get("/schemas/guids/00000000-0000-0000-0000-000000000000").await;
    assert_eq!((st, error_code(&body)), (404, 40403));
    assert_eq!(s.get("/schemas/guids/nope/ids").await, (200, json!([])));
}

#[tokio::test]
async fn deleting_contexts_only_when_empty() {
    let s = server().await;
    s.post(
        "/subjects/:.gone:a/versions",
        json!({"schema": avro_record("A", 0)}),
    )
    .await;
    s.put("/config/:.gone:", json!({"compatibility": "FULL"})).await;
    assert_eq!(s.get("/contexts").await.1, json!([".", ".gone"]));

    // Not empty, even once soft-deleted: 42211 with Confluent's message.
    let (st, body) = s.delete("/contexts/.gone").await;
    assert_eq!((st, error_code(&body)), (422, 42211), "{body}");
    assert_eq!(body["message"], "The specified context '.gone' is not empty.");
    s.delete("/subjects/:.gone:a").await;
    assert_eq!(error_code(&s.delete("/contexts/.gone").await.1), 42211);

    // Empty after a permanent delete: 204, and its context config is gone with it.
    s.delete("/subjects/:.gone:a?permanent=true").await;
    let (st, _) = s.delete("/contexts/.gone").await;
    assert_eq!(st, 204);
    assert_eq!(s.get("/contexts").await.1, json!(["."]));
    assert_eq!(error_code(&s.get("/config/:.gone:").await.1), 40408);
    // Deleted once: now unknown (the leading dot is optional). (`/contexts/.` cannot be sent:
    // URL rules drop a `.` segment; the store suite covers the default context.)
    let (st, body) = s.delete("/contexts/gone").await;
    assert_eq!((st, error_code(&body)), (404, 40401));

    // The context comes back with new ids: ids are never reused.
    let (_, again) = s
        .post(
            "/subjects/:.gone:a/versions",
            json!({"schema": avro_record("B", 0)}),
        )
        .await;
    assert_eq!(again["id"], json!(2));
}

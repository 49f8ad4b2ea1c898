//! An external registry over https (`schema.registry.ssl.*`): another Weir worker's registry
//! behind a TLS front with a CA made for the test. Converters register and read through it with
//! the worker's truststore or their own; a wrong CA, a missing client certificate and a host
//! name the certificate does not name fail the task with an error naming `schema.registry.url`.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tests::tls::{TestPki, TlsProxy};
use tests::{Value, Weir, WeirConfig, json, temp_dir, wait_lines, wait_until};

fn addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

fn subjects(registry: &Weir) -> Value {
    registry.get("/subjects").1
}

fn wait_subject(registry: &Weir, subject: &str, worker: &Weir) {
    let ok = wait_until(Duration::from_secs(60), || {
        subjects(registry)
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s == subject))
    });
    assert!(
        ok,
        "{subject} never reached the registry; logs:\n{}",
        worker.logs()
    );
}

fn wait_failed_with(worker: &Weir, connector: &str, needles: &[&str]) {
    let mut last = Value::Null;
    let ok = wait_until(Duration::from_secs(60), || {
        let (_, body) = worker.get(&format!("/connectors/{connector}/status"));
        last = body.clone();
        let text = body.to_string();
        needles.iter().all(|n| text.contains(n))
    });
    assert!(
        ok,
        "{connector}: no status with {needles:?}; last: {last}\nlogs:\n{}",
        worker.logs()
    );
}

fn source(dir: &Path, name: &str, topic: &str, converter: Value) -> Value {
    let input = dir.join(format!("{name}.jsonl"));
    std::fs::write(
        &input,
        "{\"id\":1,\"name\":\"Ann\"}\n{\"id\":2,\"name\":\"Bo\"}\n",
    )
    .unwrap();
    let mut config = json!({"connector.class": "FileStreamSource", "file": input, "file.format": "jsonl",
                            "topic": topic, "value.converter": "AvroConverter"});
    for (k, v) in converter.as_object().unwrap() {
        config[format!("value.converter.{k}")] = v.clone();
    }
    config
}

#[test]
fn the_workers_truststore_reaches_an_https_registry() {
    let registry_dir = temp_dir();
    let registry = Weir::start(&WeirConfig::new(registry_dir.path()));
    let pki_dir = temp_dir();
    let pki = TestPki::new(pki_dir.path(), "good");
    let proxy = TlsProxy::start(addr(&registry.url), &pki, None);

    let dir = temp_dir();
    let output = dir.path().join("out.jsonl");
    let mut config = WeirConfig::new(dir.path());
    config.worker = format!(
        "schema.registry.url=https://localhost:{}\nschema.registry.ssl.truststore.location={}\n",
        proxy.port,
        pki.ca.display()
    );
    let worker = Weir::start(&config);
    worker.create("orders-in", source(dir.path(), "orders", "orders", json!({})));
    worker.create(
        "orders-out",
        json!({"connector.class": "FileStreamSink", "file": output, "topics": "orders",
               "value.converter": "AvroConverter"}),
    );
    // Registered through TLS, then read back by id through TLS by the sink.
    let out = wait_lines(&output, 2, Duration::from_secs(60));
    let got: Vec<Value> = out.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        got,
        vec![json!({"id":1,"name":"Ann"}), json!({"id":2,"name":"Bo"})],
        "logs:\n{}",
        worker.logs()
    );
    assert_eq!(subjects(&registry), json!(["orders-value"]));
    assert_eq!(worker.get("/subjects").1, json!([]));
}

#[test]
fn wrong_ca_missing_client_certificate_and_host_names_fail_clearly() {
    let registry_dir = temp_dir();
    let registry = Weir::start(&WeirConfig::new(registry_dir.path()));
    let pki_dir = temp_dir();
    let pki = TestPki::new(pki_dir.path(), "good");
    let other = TestPki::new(pki_dir.path(), "other");
    let plain = TlsProxy::start(addr(&registry.url), &pki, None);
    let mutual = TlsProxy::start(addr(&registry.url), &pki, Some(&pki.ca));

    let dir = temp_dir();
    let worker = Weir::start(&WeirConfig::new(dir.path()));
    let url = |port: u16| format!("https://localhost:{port}");
    let ca = pki.ca.display().to_string();

    // A truststore that does not vouch for the server's certificate.
    worker.create(
        "wrong-ca",
        source(
            dir.path(),
            "wrong-ca",
            "t1",
            json!({"schema.registry.url": url(plain.port),
            "schema.registry.ssl.truststore.location": other.ca.display().to_string()}),
        ),
    );
    wait_failed_with(
        &worker,
        "wrong-ca",
        &["FAILED", "schema.registry.url", "certificate"],
    );

    // Mutual TLS: refused without a client certificate, accepted with the PEM keystore.
    worker.create(
        "no-cert",
        source(
            dir.path(),
            "no-cert",
            "t2",
            json!({"schema.registry.url": url(mutual.port),
            "schema.registry.ssl.truststore.location": ca}),
        ),
    );
    wait_failed_with(&worker, "no-cert", &["FAILED", "schema.registry.url"]);
    worker.create(
        "with-cert",
        source(
            dir.path(),
            "with-cert",
            "t3",
            json!({"schema.registry.url": url(mutual.port),
            "schema.registry.ssl.truststore.location": ca,
            "schema.registry.ssl.keystore.type": "PEM",
            "schema.registry.ssl.keystore.location": pki.client_keystore.display().to_string()}),
        ),
    );
    wait_subject(&registry, "t3-value", &worker);

    // The certificate names localhost, not 127.0.0.1: refused, unless host name checking is
    // turned off (an empty endpoint.identification.algorithm, as in Kafka).
    let by_ip = format!("https://127.0.0.1:{}", plain.port);
    worker.create(
        "by-ip",
        source(
            dir.path(),
            "by-ip",
            "t4",
            json!({"schema.registry.url": by_ip,
            "schema.registry.ssl.truststore.location": ca}),
        ),
    );
    wait_failed_with(&worker, "by-ip", &["FAILED", "schema.registry.url", "127.0.0.1"]);
    worker.create(
        "by-ip-unchecked",
        source(
            dir.path(),
            "by-ip-unchecked",
            "t5",
            json!({"schema.registry.url": by_ip,
            "schema.registry.ssl.truststore.location": ca,
            "schema.registry.ssl.endpoint.identification.algorithm": ""}),
        ),
    );
    wait_subject(&registry, "t5-value", &worker);

    // A Java keystore is refused when the connector is created, with the way out.
    let (status, body) = worker.post(
        "/connectors",
        &json!({"name": "jks", "config": source(dir.path(), "jks", "t6", json!({
            "schema.registry.url": url(plain.port),
            "schema.registry.ssl.truststore.type": "JKS",
            "schema.registry.ssl.truststore.location": ca}))}),
    );
    let text = body.to_string();
    let refused_now = status >= 400 && text.contains("schema.registry.ssl.truststore.type");
    if !refused_now {
        wait_failed_with(
            &worker,
            "jks",
            &["FAILED", "schema.registry.ssl.truststore.type", "PEM"],
        );
    }
}

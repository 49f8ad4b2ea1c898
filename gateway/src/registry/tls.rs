//! TLS to an external registry over `https://`: Confluent's `schema.registry.ssl.*` keys, read
//! from the converter's sub-keys (the worker's own `schema.registry.ssl.*` fill in what a
//! converter does not set, see `runtime::lifecycle`).
//!
//! - `schema.registry.ssl.truststore.location` (a file) or `.truststore.certificates` (the PEM
//!   text): the CA certificates to trust, instead of the built-in web roots.
//!   `.truststore.type` is `PEM` (also recognised from the file's content); `JKS` and `PKCS12`
//!   are refused with the command that converts them to PEM.
//! - `schema.registry.ssl.keystore.location` (a PEM file holding the private key and the
//!   certificate chain) or `.keystore.key` + `.keystore.certificate.chain` (PEM texts): the
//!   client certificate for mutual TLS. `.keystore.type` is `PEM`; encrypted keys
//!   (`.key.password`) are refused.
//! - `schema.registry.ssl.endpoint.identification.algorithm`: `https` (the default) checks the
//!   server's name against its certificate; empty turns that check off (the certificate chain
//!   is still verified).

use std::collections::BTreeMap;
use std::time::Duration;

use schemas::ConnectError;

const PREFIX: &str = "schema.registry.ssl.";

fn key(name: &str) -> String {
    format!("{PREFIX}{name}")
}

fn get<'a>(props: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    props.get(&key(name)).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn read(name: &str, path: &str) -> Result<Vec<u8>, ConnectError> {
    std::fs::read(path).map_err(|e| ConnectError::config(&key(name), format!("cannot read {path}: {e}")))
}

fn is_pem(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).contains("-----BEGIN ")
}

/// `JKS` / `PKCS12` are Java keystores Weir does not read: say how to get PEM.
fn check_type(props: &BTreeMap<String, String>, store: &str, bytes: &[u8]) -> Result<(), ConnectError> {
    let type_key = format!("{store}.type");
    let declared = get(props, &type_key).map(str::to_ascii_uppercase);
    match declared.as_deref() {
        None | Some("PEM") if is_pem(bytes) => Ok(()),
        None | Some("PEM") => Err(ConnectError::config(
            &key(&format!("{store}.location")),
            "the file is not PEM (no -----BEGIN line); Weir reads PEM stores only",
        )),
        Some(t @ ("JKS" | "PKCS12")) => Err(ConnectError::config(
            &key(&type_key),
            format!(
                "{t} stores are not read by Weir; convert to PEM (keytool -importkeystore -srckeystore STORE -destkeystore store.p12 -deststoretype PKCS12; openssl pkcs12 -in store.p12 -out store.pem -nodes) and set {} to PEM",
                key(&type_key)
            ),
        )),
        Some(other) => Err(ConnectError::config(
            &key(&type_key),
            format!("unknown store type {other}; expected PEM"),
        )),
    }
}

/// Whether any `schema.registry.ssl.*` key is set.
pub fn configured(props: &BTreeMap<String, String>) -> bool {
    props.keys().any(|k| k.starts_with(PREFIX))
}

/// The HTTP client for `schema.registry.url`, with the TLS settings of `props`.
pub fn client(props: &BTreeMap<String, String>) -> Result<reqwest::Client, ConnectError> {
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));

    let trust = match (
        get(props, "truststore.location"),
        get(props, "truststore.certificates"),
    ) {
        (Some(path), _) => {
            let bytes = read("truststore.location", path)?;
            check_type(props, "truststore", &bytes)?;
            Some(("truststore.location", bytes))
        }
        (None, Some(text)) => Some(("truststore.certificates", text.as_bytes().to_vec())),
        (None, None) => None,
    };
    if let Some((name, pem)) = trust {
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| ConnectError::config(&key(name), format!("not a PEM certificate bundle: {e}")))?;
        if certs.is_empty() {
            return Err(ConnectError::config(
                &key(name),
                "no certificate in the truststore",
            ));
        }
        // As Confluent's client: the truststore replaces the default roots.
        builder = builder.tls_built_in_root_certs(false);
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }

    let identity = match (
        get(props, "keystore.location"),
        get(props, "keystore.key"),
        get(props, "keystore.certificate.chain"),
    ) {
        (Some(path), _, _) => {
            let bytes = read("keystore.location", path)?;
            check_type(props, "keystore", &bytes)?;
            Some(("keystore.location", bytes))
        }
        (None, Some(k), Some(chain)) => Some(("keystore.key", format!("{k}\n{chain}\n").into_bytes())),
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(ConnectError::config(
                &key("keystore.key"),
                format!(
                    "set both {} and {} (PEM), or {}",
                    key("keystore.key"),
                    key("keystore.certificate.chain"),
                    key("keystore.location")
                ),
            ));
        }
        (None, None, None) => None,
    };
    if let Some((name, pem)) = identity {
        if get(props, "key.password").is_some() {
            return Err(ConnectError::config(
                &key("key.password"),
                "encrypted private keys are not read by Weir; decrypt the key (openssl pkey -in key.pem -out plain.pem)",
            ));
        }
        let id = reqwest::Identity::from_pem(&pem).map_err(|e| {
            ConnectError::config(
                &key(name),
                format!("needs a PEM private key and its certificate chain: {e}"),
            )
        })?;
        builder = builder.identity(id);
    }

    match get(props, "endpoint.identification.algorithm").map(str::to_ascii_lowercase) {
        None => {
            // Present but empty: Kafka's way of turning host name checking off.
            if props.contains_key(&key("endpoint.identification.algorithm")) {
                builder = builder.danger_accept_invalid_hostnames(true);
            }
        }
        Some(a) if a == "https" => {}
        Some(other) => {
            return Err(ConnectError::config(
                &key("endpoint.identification.algorithm"),
                format!("unknown algorithm {other}; expected https, or empty to turn host name checking off"),
            ));
        }
    }
    builder.build().map_err(|e| {
        ConnectError::config(
            "schema.registry.url",
            format!("cannot set up the HTTP client: {e}"),
        )
    })
}

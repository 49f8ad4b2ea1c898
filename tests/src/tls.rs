//! TLS for tests: a throwaway CA and certificates made with the `openssl` command, and
//! [`TlsProxy`], a TLS front (optionally asking for a client certificate) for a plain HTTP
//! server such as a Weir worker's listener.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and the certificates it signed, as PEM files in `dir`.
pub struct TestPki {
    /// The CA certificate (what a truststore holds).
    pub ca: PathBuf,
    /// Server certificate for `DNS:localhost` only (not 127.0.0.1) and its key.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// One PEM file with a client key and certificate (a PEM keystore).
    pub client_keystore: PathBuf,
}

impl TestPki {
    /// A fresh CA named `name` in `dir`, with a server and a client certificate.
    pub fn new(dir: &Path, name: &str) -> TestPki {
        let file = |f: &str| format!("{name}-{f}");
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN={name} test CA"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                &file("ca.key"),
                "-out",
                &file("ca.pem"),
            ],
        );
        for (who, ext) in [
            (
                "server",
                "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
            ),
            ("client", "extendedKeyUsage=clientAuth\n"),
        ] {
            std::fs::write(dir.join(file(&format!("{who}.ext"))), ext)
                .unwrap_or_else(|e| panic!("write ext: {e}"));
            openssl(
                dir,
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-subj",
                    &format!("/CN={who}"),
                    "-keyout",
                    &file(&format!("{who}.key")),
                    "-out",
                    &file(&format!("{who}.csr")),
                ],
            );
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-days",
                    "2",
                    "-in",
                    &file(&format!("{who}.csr")),
                    "-CA",
                    &file("ca.pem"),
                    "-CAkey",
                    &file("ca.key"),
                    "-CAcreateserial",
                    "-extfile",
                    &file(&format!("{who}.ext")),
                    "-out",
                    &file(&format!("{who}.pem")),
                ],
            );
        }
        let read =
            |f: &str| std::fs::read_to_string(dir.join(file(f))).unwrap_or_else(|e| panic!("{f}: {e}"));
        let keystore = dir.join(file("client-keystore.pem"));
        std::fs::write(&keystore, format!("{}{}", read("client.key"), read("client.pem")))
            .unwrap_or_else(|e| panic!("write keystore: {e}"));
        TestPki {
            ca: dir.join(file("ca.pem")),
            server_cert: dir.join(file("server.pem")),
            server_key: dir.join(file("server.key")),
            client_keystore: keystore,
        }
    }
}

/// A TLS listener on 127.0.0.1 that forwards every connection to `upstream` in plain TCP.
/// Runs on its own thread until dropped with the test process.
pub struct TlsProxy {
    pub port: u16,
}

impl TlsProxy {
    /// `client_ca`: when set, a client certificate signed by it is required (mutual TLS).
    pub fn start(upstream: SocketAddr, pki: &TestPki, client_ca: Option<&Path>) -> TlsProxy {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&pki.server_cert)
            .unwrap_or_else(|e| panic!("server cert: {e}"))
            .map(|c| c.unwrap_or_else(|e| panic!("server cert: {e}")))
            .collect();
        let key = PrivateKeyDer::from_pem_file(&pki.server_key).unwrap_or_else(|e| panic!("server key: {e}"));
        let builder = ServerConfig::builder();
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for c in CertificateDer::pem_file_iter(ca).unwrap_or_else(|e| panic!("client CA: {e}")) {
                    roots
                        .add(c.unwrap_or_else(|e| panic!("client CA: {e}")))
                        .unwrap_or_else(|e| panic!("client CA: {e}"));
                }
                let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
                    .build()
                    .unwrap_or_else(|e| panic!("client verifier: {e}"));
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder
            .with_single_cert(certs, key)
            .unwrap_or_else(|e| panic!("server config: {e}"));
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"))
            .port();
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("nonblocking: {e}"));
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("runtime: {e}"));
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).unwrap_or_else(|e| panic!("listener: {e}"));
                while let Ok((tcp, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        // A failed handshake (a client that does not trust us) just ends here.
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let Ok(mut plain) = tokio::net::TcpStream::connect(upstream).await else {
                            return;
                        };
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    });
                }
            });
        });
        TlsProxy { port }
    }
}

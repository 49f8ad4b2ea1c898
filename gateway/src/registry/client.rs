//! [`HttpRegistryClient`]: an external Confluent-compatible registry (`schema.registry.url`),
//! for the converters. It lives in the gateway because only the gateway does network I/O;
//! `formats` reaches it through `ConverterContext::remote`.
//!
//! Decision (docs/config.md): reqwest rather than the `schema_registry_converter` crate. That
//! crate bundles its own datum encoders on its own apache-avro version and its own caches; the
//! converters need only five REST calls and already own encoding and caching, and reqwest is
//! already in the workspace. Schemas by id are cached here forever (ids are never reused).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine as _;
use schemas::ConnectError;
use schemas::registry::{ParsedSchema, ResolvedReference, SchemaReference, SchemaType};
use serde::Deserialize;

use formats::registry::{
    RegisteredSchema, RegistryClientError, RegistryErrorKind, RegistryResult, SchemaRegistryClient,
    SchemaText, SubjectSchema, wire_id,
};

/// References nest at most this deep (a cycle would otherwise never end).
const MAX_REFERENCE_DEPTH: usize = 32;
const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

pub struct HttpRegistryClient {
    base: reqwest::Url,
    http: reqwest::Client,
    /// `basic.auth.user.info` as an Authorization header value.
    auth: Option<String>,
    by_id: Mutex<HashMap<i32, Arc<RegisteredSchema>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaBody {
    schema: String,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionBody {
    subject: String,
    version: i32,
    id: i64,
    #[serde(flatten)]
    body: SchemaBody,
}

#[derive(Deserialize)]
struct IdBody {
    id: i64,
}

#[derive(Deserialize)]
struct ErrorBody {
    error_code: u32,
    message: String,
}

fn schema_type(t: Option<&str>) -> RegistryResult<SchemaType> {
    match t {
        None => Ok(SchemaType::Avro),
        Some(t) => t
            .parse()
            .map_err(|e: schemas::registry::SchemaError| invalid(e.message)),
    }
}

/// An error and its causes, outermost first: reqwest's own text says only "error sending
/// request"; the causes say why (a certificate the truststore does not vouch for, a refused
/// connection, ...).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    if out.contains("certificate") || out.contains("Certificate") {
        out.push_str(" (check schema.registry.ssl.truststore.location / .keystore.location)");
    }
    out
}

fn invalid(message: impl Into<String>) -> RegistryClientError {
    RegistryClientError::new(RegistryErrorKind::Invalid, None, message)
}

impl HttpRegistryClient {
    /// `url`: the first of a comma list is used. `props` may hold
    /// `basic.auth.credentials.source=USER_INFO` with `basic.auth.user.info=user:password`.
    pub fn new(url: &str, props: &BTreeMap<String, String>) -> Result<Self, ConnectError> {
        let first = url
            .split(',')
            .map(str::trim)
            .find(|u| !u.is_empty())
            .unwrap_or(url);
        let mut base = reqwest::Url::parse(first)
            .map_err(|e| ConnectError::config("schema.registry.url", format!("invalid URL {first}: {e}")))?;
        if base.scheme() != "http" && base.scheme() != "https" {
            return Err(ConnectError::config(
                "schema.registry.url",
                format!("{first}: use an http:// or https:// URL"),
            ));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let auth = props
            .get("basic.auth.user.info")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|info| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(info)));
        if base.scheme() == "http" && super::tls::configured(props) {
            tracing::warn!(url = %first, "schema.registry.ssl.* keys are set but schema.registry.url is http://; they are ignored");
        }
        let http = super::tls::client(props)?;
        Ok(HttpRegistryClient {
            base,
            http,
            auth,
            by_id: Mutex::new(HashMap::new()),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> RegistryResult<reqwest::Url> {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|_| invalid(format!("{}: cannot be a base URL", self.base)))?;
            path.pop_if_empty();
            // Each segment is percent-encoded: subjects may hold '/', ':' or spaces.
            path.extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        body: Option<serde_json::Value>,
    ) -> RegistryResult<T> {
        let unavailable = |e: reqwest::Error| {
            RegistryClientError::new(
                RegistryErrorKind::Unavailable,
                None,
                format!("schema.registry.url {}: {url}: {}", self.base, error_chain(&e)),
            )
        };
        let mut request = self
            .http
            .request(method, url.clone())
            .header(reqwest::header::ACCEPT, CONTENT_TYPE);
        if let Some(auth) = &self.auth {
            request = request.header(reqwest::header::AUTHORIZATION, auth);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .body(body.to_string());
        }
        let response = request.send().await.map_err(unavailable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unavailable)?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(e) => RegistryClientError::new(
                    RegistryClientError::kind_of_code(e.error_code),
                    Some(e.error_code),
                    format!("{} (error code {})", e.message, e.error_code),
                ),
                Err(_) => RegistryClientError::new(
                    RegistryClientError::kind_of_code(u32::from(status.as_u16())),
                    Some(u32::from(status.as_u16())),
                    format!("{url}: HTTP {status}"),
                ),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            RegistryClientError::new(
                RegistryErrorKind::Unavailable,
                None,
                format!("{url}: unexpected answer: {e}"),
            )
        })
    }

    async fn get_version(&self, subject: &str, version: &str) -> RegistryResult<VersionBody> {
        let url = self.url(&["subjects", subject, "versions", version], &[])?;
        self.call(reqwest::Method::GET, url, None).await
    }

    /// The references' texts, transitively, deepest first (what the parsers expect).
    async fn resolve(&self, references: &[SchemaReference]) -> RegistryResult<Vec<ResolvedReference>> {
        let mut out: Vec<ResolvedReference> = Vec::new();
        // Explicit stack instead of recursion (async recursion needs boxing).
        let mut stack: Vec<(SchemaReference, usize, bool)> =
            references.iter().rev().map(|r| (r.clone(), 0, false)).collect();
        let mut pending: Vec<ResolvedReference> = Vec::new();
        while let Some((r, depth, expanded)) = stack.pop() {
            if depth > MAX_REFERENCE_DEPTH {
                return Err(invalid(format!(
                    "references nest deeper than {MAX_REFERENCE_DEPTH}"
                )));
            }
            if expanded {
                if let Some(p) = pending.pop()
                    && !out.iter().any(|o| o.name == p.name)
                {
                    out.push(p);
                }
                continue;
            }
            let v = self.get_version(&r.subject, &r.version.to_string()).await?;
            pending.push(ResolvedReference {
                name: r.name.clone(),
                schema_type: schema_type(v.body.schema_type.as_deref())?,
                schema: v.body.schema,
            });
            stack.push((r, depth, true));
            for child in v.body.references.iter().rev() {
                stack.push((child.clone(), depth + 1, false));
            }
        }
        Ok(out)
    }

    async fn schema_of(&self, id: i64, body: SchemaBody) -> RegistryResult<Arc<RegisteredSchema>> {
        let t = schema_type(body.schema_type.as_deref())?;
        self.parsed(id, t, body.schema, body.references).await
    }

    async fn parsed(
        &self,
        id: i64,
        schema_type: SchemaType,
        text: String,
        references: Vec<SchemaReference>,
    ) -> RegistryResult<Arc<RegisteredSchema>> {
        let id = wire_id(id)?;
        if let Some(hit) = self.by_id.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(hit.clone());
        }
        let resolved = self.resolve(&references).await?;
        let parsed = ParsedSchema::parse(schema_type, &text, &resolved)
            .map_err(|e| invalid(format!("schema {id} from the registry does not parse: {e}")))?;
        let schema = Arc::new(RegisteredSchema {
            id,
            schema_type,
            schema: text,
            references,
            parsed: Arc::new(parsed),
        });
        self.by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, schema.clone());
        Ok(schema)
    }

    async fn subject_schema(&self, v: VersionBody) -> RegistryResult<SubjectSchema> {
        Ok(SubjectSchema {
            schema: self.schema_of(v.id, v.body).await?,
            subject: v.subject,
            version: v.version,
        })
    }
}

fn request_body(schema: &SchemaText) -> serde_json::Value {
    let mut body = serde_json::json!({ "schema": schema.schema });
    if schema.schema_type != SchemaType::Avro {
        body["schemaType"] = schema.schema_type.as_str().into();
    }
    if !schema.references.is_empty() {
        body["references"] = serde_json::to_value(&schema.references).unwrap_or_default();
    }
    body
}

#[async_trait]
impl SchemaRegistryClient for HttpRegistryClient {
    async fn register(&self, subject: &str, schema: &SchemaText, normalize: bool) -> RegistryResult<i32> {
        let query: &[(&str, &str)] = if normalize { &[("normalize", "true")] } else { &[] };
        let url = self.url(&["subjects", subject, "versions"], query)?;
        let answer: IdBody = self
            .call(reqwest::Method::POST, url, Some(request_body(schema)))
            .await?;
        wire_id(answer.id)
    }

    async fn schema_by_id(&self, id: i32) -> RegistryResult<Arc<RegisteredSchema>> {
        if let Some(hit) = self.by_id.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(hit.clone());
        }
        let url = self.url(&["schemas", "ids", &id.to_string()], &[])?;
        let body: SchemaBody = self.call(reqwest::Method::GET, url, None).await?;
        self.schema_of(i64::from(id), body).await
    }

    async fn latest(&self, subject: &str) -> RegistryResult<SubjectSchema> {
        let v = self.get_version(subject, "latest").await?;
        self.subject_schema(v).await
    }

    async fn version(&self, subject: &str, version: i32) -> RegistryResult<SubjectSchema> {
        let v = if version < 0 {
            "latest".to_owned()
        } else {
            version.to_string()
        };
        let v = self.get_version(subject, &v).await?;
        self.subject_schema(v).await
    }

    async fn lookup(
        &self,
        subject: &str,
        schema: &SchemaText,
        normalize: bool,
    ) -> RegistryResult<SubjectSchema> {
        let query: &[(&str, &str)] = if normalize { &[("normalize", "true")] } else { &[] };
        let url = self.url(&["subjects", subject], query)?;
        let v: VersionBody = self
            .call(reqwest::Method::POST, url, Some(request_body(schema)))
            .await?;
        self.subject_schema(v).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_registries_are_accepted_and_other_schemes_named() {
        let props = BTreeMap::new();
        assert!(HttpRegistryClient::new("http://127.0.0.1:8081", &props).is_ok());
        assert!(HttpRegistryClient::new("https://psrc-x.confluent.cloud,https://b", &props).is_ok());
        let Err(e) = HttpRegistryClient::new("ftp://registry", &props) else {
            panic!("ftp:// was accepted");
        };
        assert!(e.message.contains("schema.registry.url"), "{}", e.message);
        assert!(e.message.contains("ftp://registry"), "{}", e.message);
    }
}

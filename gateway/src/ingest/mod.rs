//! HTTP ingestion: records pushed to the worker and written to topics.
//!
//! - [`endpoint`]: one running `HttpSource`'s push path (cut, check, convert, append); `check`
//!   turns a push's records into Connect values under the inferred or fixed schema.
//! - [`schema`]: a fixed value schema (`value.schema`, `value.schema.subject`), kept current,
//!   and the converter that writes records with exactly that schema.
//! - [`task`]: the `HttpSource` task: opens the endpoint while RUNNING, closes it on pause and
//!   stop (after the pushes in flight have finished).
//! - [`http`]: `POST /ingest/{connector}` and its answers.
//! - [`rest_proxy`]: the Confluent REST Proxy v2 calls: `POST /topics/{topic}` (and to a
//!   partition) and the topic metadata `GET`s.
//!
//! What must stay true: a push is answered 200 only after its records were appended and the
//! log said they are durable; a refused push writes nothing (with `errors.tolerance=none`).

mod check;
pub mod endpoint;
pub mod http;
pub mod rest_proxy;
pub mod schema;
pub mod task;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use formats::JsonWireSerializer;
use parking_lot::RwLock;

pub use endpoint::HttpEndpoint;

/// The worker's ingestion state: the open endpoints, by connector name, and the REST Proxy's
/// serializer. A connector is in the map exactly while its task is RUNNING; the HTTP handler
/// looks it up per request (a read lock, no await under it).
#[derive(Default, Clone)]
pub struct Endpoints {
    open: Arc<RwLock<HashMap<String, Arc<HttpEndpoint>>>>,
    /// Made on first use; it caches compiled schemas by id for every later request.
    serializer: Arc<OnceLock<Arc<JsonWireSerializer>>>,
}

impl Endpoints {
    pub fn get(&self, connector: &str) -> Option<Arc<HttpEndpoint>> {
        self.open.read().get(connector).cloned()
    }

    /// The REST Proxy's JSON -> wire bytes serializer over the worker's registry.
    pub(crate) fn serializer(
        &self,
        converters: &formats::ConverterContext,
    ) -> Result<Arc<JsonWireSerializer>, http::IngestError> {
        if let Some(s) = self.serializer.get() {
            return Ok(s.clone());
        }
        let registry = converters.registry.clone().ok_or_else(|| {
            http::IngestError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "this worker has no schema registry for the schema formats",
            )
        })?;
        Ok(self
            .serializer
            .get_or_init(|| Arc::new(JsonWireSerializer::new(registry)))
            .clone())
    }

    pub(crate) fn open(&self, endpoint: Arc<HttpEndpoint>) {
        self.open
            .write()
            .insert(endpoint.connector().to_owned(), endpoint);
    }

    /// Removes the connector's endpoint if it is this one (a restarted task may have opened
    /// a newer one already).
    pub(crate) fn close(&self, endpoint: &Arc<HttpEndpoint>) {
        let mut map = self.open.write();
        if map
            .get(endpoint.connector())
            .is_some_and(|e| Arc::ptr_eq(e, endpoint))
        {
            map.remove(endpoint.connector());
        }
    }
}

#[cfg(test)]
mod tests;

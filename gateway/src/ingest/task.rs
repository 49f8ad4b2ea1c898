//! The `HttpSource` task. It has nothing to poll: it opens the connector's endpoint while the
//! task is RUNNING and closes it when asked to pause or stop, after the pushes in flight have
//! been answered, so a stopped connector has no half-handled push.

use std::sync::Arc;

use formats::registry::SchemaText;
use schemas::registry::SchemaType;
use schemas::{ConnectError, Schema};
use sources::http::{HttpSourceConfig, SchemaSource};
use tracing::Instrument;

use super::endpoint::{EndpointParts, HttpEndpoint};
use crate::runtime::status::{State, Status};
use crate::runtime::task::{Control, TaskContext};

pub async fn run(mut ctx: TaskContext) {
    let span = tracing::info_span!("task", connector = %ctx.connector, task = ctx.task);
    async move {
        match run_loop(&mut ctx).await {
            Ok(()) => tracing::info!("http source task stopped"),
            Err(e) => {
                tracing::error!(error = %e, "http source task failed");
                ctx.set_status(Status::failed(e.message));
            }
        }
    }
    .instrument(span)
    .await
}

async fn run_loop(ctx: &mut TaskContext) -> Result<(), ConnectError> {
    let config = HttpSourceConfig::new(&ctx.config)?;
    let fixed_schema = fixed_schema(ctx, &config).await?;
    let endpoint = Arc::new(HttpEndpoint::new(EndpointParts {
        connector: ctx.connector.clone(),
        task: ctx.task,
        config,
        log: ctx.shared.log.clone(),
        value_converter: ctx.value_converter.clone(),
        metrics: ctx.metrics.clone(),
        fixed_schema,
        default_max_body: ctx.shared.worker.http_max_body_bytes,
        topics: ctx.topics.clone(),
        store: ctx.shared.store.clone(),
    }));
    let endpoints = ctx.shared.ingest.clone();
    tracing::info!("http source task open for pushes at /ingest/{}", ctx.connector);
    loop {
        match ctx.wanted() {
            Control::Stop => break,
            Control::Pause => {
                endpoints.close(&endpoint);
                endpoint.close().await;
                ctx.set_state(State::Paused);
                ctx.wait_change(Control::Pause).await;
            }
            Control::Run => {
                endpoint.open();
                endpoints.open(endpoint.clone());
                ctx.set_state(State::Running);
                ctx.wait_change(Control::Run).await;
            }
        }
    }
    endpoints.close(&endpoint);
    endpoint.close().await;
    Ok(())
}

/// The schema of `value.schema.subject` (its latest version) or `value.schema` (registered
/// under `{topic}-value` first, so the subject's compatibility level has its say before any
/// record), as Connect data's schema. Read from the registry the value converter uses.
async fn fixed_schema(
    ctx: &TaskContext,
    config: &HttpSourceConfig,
) -> Result<Option<Arc<Schema>>, ConnectError> {
    let (key, registered) = match &config.schema {
        SchemaSource::Infer => return Ok(None),
        SchemaSource::Subject(subject) => {
            let registry = value_registry(ctx)?;
            let latest = registry
                .latest(subject)
                .await
                .map_err(|e| e.into_connect(format!("value.schema.subject {subject}")))?;
            ("value.schema.subject", latest.schema)
        }
        SchemaSource::Inline { schema, schema_type } => {
            let registry = value_registry(ctx)?;
            let schema_type: SchemaType =
                schema_type.parse().map_err(|e: schemas::registry::SchemaError| {
                    ConnectError::config("value.schema.type", e.to_string())
                })?;
            let subject = format!("{}-value", config.topic);
            let id = registry
                .register(&subject, &SchemaText::new(schema_type, schema.clone()), false)
                .await
                .map_err(|e| e.into_connect(format!("value.schema registered under {subject}")))?;
            let registered = registry
                .schema_by_id(id)
                .await
                .map_err(|e| e.into_connect(format!("value.schema (id {id})")))?;
            ("value.schema", registered)
        }
    };
    match registered.schema_type {
        SchemaType::Avro => {
            let plan = formats::avro::compile_registered(&registered)?;
            let schema = formats::avro::connect::to_connect_schema(&plan)
                .map_err(|e| ConnectError::config(key, e.0))?;
            Ok(Some(schema))
        }
        // Protobuf and JSON Schema -> Connect come with their converters.
        other => Err(ConnectError::config(
            key,
            format!(
                "{} schemas are not available for HttpSource in this build yet; use AVRO or value.schema.infer=true",
                other.as_str()
            ),
        )),
    }
}

/// The registry of the connector's value converter (its `schema.registry.url`, else the
/// worker's).
fn value_registry(ctx: &TaskContext) -> Result<Arc<dyn formats::SchemaRegistryClient>, ConnectError> {
    let props = crate::config::worker::strip_prefix(&ctx.config, "value.converter");
    let mut props = if props.is_empty() {
        ctx.shared.worker.value_converter.props.clone()
    } else {
        props
    };
    // The same registry the converter uses: the worker's settings fill in, as for converters.
    ctx.shared.worker.registry_defaults(&mut props);
    ctx.shared.converters.registry_for(&props)
}

//! The `HttpSource` task. It has nothing to poll: it opens the connector's endpoint while the
//! task is RUNNING and closes it when asked to pause or stop, after the pushes in flight have
//! been answered, so a stopped connector has no half-handled push.

use std::sync::Arc;

use schemas::ConnectError;
use sources::http::HttpSourceConfig;
use tracing::Instrument;

use super::endpoint::{EndpointParts, HttpEndpoint};
use super::schema::FixedSchema;
use crate::config::worker::connector_converter;
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
    let fixed = FixedSchema::open(ctx, &config).await?;
    let inferred = super::schema::resume_inferred(ctx, &config).await?;
    let endpoint = Arc::new(HttpEndpoint::new(EndpointParts {
        connector: ctx.connector.clone(),
        task: ctx.task,
        config,
        log: ctx.shared.log.clone(),
        value_converter: ctx.value_converter.clone(),
        key_converter: ctx.key_converter.clone(),
        metrics: ctx.metrics.clone(),
        fixed,
        inferred,
        default_max_body: ctx.shared.worker.http_max_body_bytes,
        topics: ctx.topics.clone(),
        store: ctx.shared.store.clone(),
        connector_class: ctx.config.get("connector.class").cloned().unwrap_or_default(),
        value_converter_class: connector_converter(&ctx.config, &ctx.shared.worker, "value.converter", false)
            .class,
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

//! `/schemas...`: schemas by id (the converters' hot path: answered from memory), listings.

use axum::extract::State;
use axum::response::IntoResponse;
use serde::Serialize;

use ::schemas::registry::SchemaReference;
use ::schemas::registry::service::{RegistryError, SchemaEntry, SchemasQuery};

use super::subjects::{VersionJson, type_field};
use super::{ApiError, ApiResult, AppState, Params, PathParams, reply};

fn schema_id(text: &str) -> ApiResult<i64> {
    text.trim()
        .parse()
        .map_err(|_| ApiError(RegistryError::schema_not_found(None)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SchemaJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_type: Option<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [SchemaReference],
    schema: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_id: Option<i64>,
    /// Confluent 8's content-derived id, the same in every context (see `service::guid`).
    guid: &'a str,
}

pub(crate) async fn by_id(
    State(reg): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult {
    let id = schema_id(&id)?;
    let subject = params.get("subject");
    let entry = reg.service().schema_by_id(id, subject).await?;
    let max_id = if params.flag("fetchMaxId") {
        Some(reg.service().max_id(subject).await?)
    } else {
        None
    };
    schema_answer(&reg, &entry, &params, max_id).await
}

/// `GET /schemas/guids/{guid}`: the schema whose content has this GUID (Confluent 8).
pub(crate) async fn by_guid(
    State(reg): State<AppState>,
    PathParams(guid): PathParams<String>,
    params: Params,
) -> ApiResult {
    let entry = reg.service().schema_by_guid(&guid).await?;
    schema_answer(&reg, &entry, &params, None).await
}

/// A schema answer: the schema (in the `format` asked for), its type, references and GUID.
async fn schema_answer(
    reg: &AppState,
    entry: &SchemaEntry,
    params: &Params,
    max_id: Option<i64>,
) -> ApiResult {
    let schema = match params.get("format") {
        None => std::borrow::Cow::Borrowed(entry.schema()),
        format => std::borrow::Cow::Owned(reg.service().formatted(entry, format).await?),
    };
    Ok(reply(&SchemaJson {
        schema_type: type_field(entry.schema_type()),
        references: entry.references(),
        schema,
        max_id,
        guid: entry.guid(),
    }))
}

#[derive(Serialize)]
struct ContextIdJson<'a> {
    context: &'a str,
    id: i64,
}

/// `GET /schemas/guids/{guid}/ids`: the id the GUID has in each context, by context name;
/// empty for an unknown GUID (as Confluent answers).
pub(crate) async fn guid_ids(State(reg): State<AppState>, PathParams(guid): PathParams<String>) -> ApiResult {
    let ids = reg.service().ids_of_guid(&guid).await?;
    let body: Vec<ContextIdJson<'_>> = ids
        .iter()
        .map(|(context, id)| ContextIdJson { context, id: *id })
        .collect();
    Ok(reply(&body))
}

pub(crate) async fn raw_by_id(
    State(reg): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult {
    let id = schema_id(&id)?;
    let entry = reg.service().schema_by_id(id, params.get("subject")).await?;
    let text = reg.service().formatted(&entry, params.get("format")).await?;
    Ok(text.into_response())
}

pub(crate) async fn subjects(
    State(reg): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult {
    let id = schema_id(&id)?;
    let subjects = reg
        .service()
        .subjects_of_schema(id, params.get("subject"), params.flag("deleted"))
        .await?;
    Ok(reply(&subjects))
}

#[derive(Serialize)]
struct SubjectVersionJson<'a> {
    subject: &'a str,
    version: i32,
}

pub(crate) async fn versions(
    State(reg): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult {
    let id = schema_id(&id)?;
    let pairs = reg
        .service()
        .versions_of_schema(id, params.get("subject"), params.flag("deleted"))
        .await?;
    let body: Vec<SubjectVersionJson<'_>> = pairs
        .iter()
        .map(|(subject, version)| SubjectVersionJson {
            subject,
            version: *version,
        })
        .collect();
    Ok(reply(&body))
}

pub(crate) async fn list(State(reg): State<AppState>, params: Params) -> ApiResult {
    let offset = params.number("offset")?.unwrap_or(0).max(0);
    let limit = params.number("limit")?.filter(|l| *l > 0);
    let query = SchemasQuery {
        subject_prefix: params.get("subjectPrefix").map(str::to_string),
        deleted: params.flag("deleted"),
        latest_only: params.flag("latestOnly"),
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
        limit: limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
    };
    let found = reg.service().schemas(&query).await?;
    let body: Vec<VersionJson<'_>> = found.iter().map(VersionJson::of).collect();
    Ok(reply(&body))
}

pub(crate) async fn types() -> ApiResult {
    Ok(reply(&["JSON", "PROTOBUF", "AVRO"]))
}

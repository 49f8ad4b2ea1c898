//! `/subjects...`: list, versions, register, lookup, deletes, referencedby.

use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use ::schemas::registry::service::{RegisterOptions, RegistryError, SchemaInput, SubjectVersion};
use ::schemas::registry::{SchemaReference, SchemaType};

use super::{ApiError, ApiResult, AppState, Body, Params, PathParams, VersionPath, reply};

/// A schema in a request body (register, lookup, compatibility). Unknown fields (metadata,
/// ruleSet, ...) are accepted and ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SchemaBody {
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<SchemaReference>>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    version: Option<i32>,
}

impl SchemaBody {
    pub(crate) fn input(&self) -> ApiResult<SchemaInput> {
        let schema = match &self.schema {
            Some(s) if !s.trim().is_empty() => s.clone(),
            _ => {
                return Err(ApiError(RegistryError::invalid_schema(
                    "the request has no \"schema\" (or it is empty)",
                )));
            }
        };
        let schema_type = match self.schema_type.as_deref() {
            None | Some("") => SchemaType::Avro,
            Some(t) => t
                .parse()
                .map_err(|e| ApiError(RegistryError::invalid_schema(e)))?,
        };
        Ok(
            SchemaInput::new(schema_type, schema)
                .with_references(self.references.clone().unwrap_or_default()),
        )
    }
}

/// A subject version as Confluent answers it: `schemaType` omitted for AVRO, `references`
/// omitted when empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VersionJson<'a> {
    subject: &'a str,
    version: i32,
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_type: Option<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [SchemaReference],
    schema: std::borrow::Cow<'a, str>,
    /// Confluent 8's content-derived id of the stored schema (not of a `format`ted text).
    guid: &'a str,
}

pub(crate) fn type_field(t: SchemaType) -> Option<&'static str> {
    (t != SchemaType::Avro).then(|| t.as_str())
}

impl<'a> VersionJson<'a> {
    pub(crate) fn of(v: &'a SubjectVersion) -> Self {
        VersionJson {
            subject: &v.subject,
            version: v.version,
            id: v.id(),
            schema_type: type_field(v.schema.schema_type()),
            references: v.schema.references(),
            schema: std::borrow::Cow::Borrowed(v.schema.schema()),
            guid: v.schema.guid(),
        }
    }

    /// The same, with the schema text in the client's `format` (see `formatted`).
    pub(crate) async fn formatted(
        reg: &AppState,
        v: &'a SubjectVersion,
        params: &Params,
    ) -> ApiResult<VersionJson<'a>> {
        let mut json = Self::of(v);
        if let Some(format) = params.get("format") {
            json.schema = std::borrow::Cow::Owned(reg.service().formatted(&v.schema, Some(format)).await?);
        }
        Ok(json)
    }
}

pub(crate) async fn list(State(reg): State<AppState>, params: Params) -> ApiResult {
    let subjects = reg
        .service()
        .subjects(
            params.get("subjectPrefix"),
            params.flag("deleted"),
            params.flag("deletedOnly"),
        )
        .await?;
    Ok(reply(&subjects))
}

pub(crate) async fn versions(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let versions = reg
        .service()
        .versions(&subject, params.flag("deleted"), params.flag("deletedOnly"))
        .await?;
    Ok(reply(&versions))
}

#[derive(Serialize)]
struct IdJson<'a> {
    id: i64,
    guid: &'a str,
}

pub(crate) async fn register(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    Body(body): Body<SchemaBody>,
) -> ApiResult {
    let input = body.input()?;
    let options = RegisterOptions {
        normalize: params.flag("normalize"),
        // Confluent sends id/version -1 or 0 for "none".
        id: body.id.filter(|id| *id > 0),
        version: body.version.filter(|v| *v > 0),
    };
    let registered = reg.service().register(&subject, &input, options).await?;
    // The entry is in the id cache: registration just stored or found it.
    let entry = reg.service().schema_by_id(registered.id, Some(&subject)).await?;
    Ok(reply(&IdJson {
        id: registered.id,
        guid: entry.guid(),
    }))
}

pub(crate) async fn lookup(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    Body(body): Body<SchemaBody>,
) -> ApiResult {
    let input = body.input()?;
    let found = reg
        .service()
        .lookup(&subject, &input, params.flag("normalize"), params.flag("deleted"))
        .await?;
    Ok(reply(&VersionJson::of(&found)))
}

pub(crate) async fn version(
    State(reg): State<AppState>,
    VersionPath { subject, spec }: VersionPath,
    params: Params,
) -> ApiResult {
    let found = reg
        .service()
        .version(&subject, spec, params.flag("deleted"))
        .await?;
    Ok(reply(&VersionJson::formatted(&reg, &found, &params).await?))
}

/// The schema text alone, as Confluent answers `/schema` paths.
pub(crate) async fn version_schema(
    State(reg): State<AppState>,
    VersionPath { subject, spec }: VersionPath,
    params: Params,
) -> ApiResult {
    let found = reg
        .service()
        .version(&subject, spec, params.flag("deleted"))
        .await?;
    let text = reg
        .service()
        .formatted(&found.schema, params.get("format"))
        .await?;
    Ok(text.into_response())
}

pub(crate) async fn referenced_by(
    State(reg): State<AppState>,
    VersionPath { subject, spec }: VersionPath,
) -> ApiResult {
    let ids = reg.service().referenced_by(&subject, spec).await?;
    Ok(reply(&ids))
}

pub(crate) async fn delete_version(
    State(reg): State<AppState>,
    VersionPath { subject, spec }: VersionPath,
    params: Params,
) -> ApiResult {
    let deleted = reg
        .service()
        .delete_version(&subject, spec, params.flag("permanent"))
        .await?;
    Ok(reply(&deleted))
}

pub(crate) async fn delete_subject(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let deleted = reg
        .service()
        .delete_subject(&subject, params.flag("permanent"))
        .await?;
    Ok(reply(&deleted))
}

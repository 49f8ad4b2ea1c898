//! `/config`, `/mode`, `/compatibility`, `/contexts`, `/associations`.

use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use ::schemas::registry::CompatibilityLevel;
use ::schemas::registry::service::config::parse_level;
use ::schemas::registry::service::{CompatibilityPolicy, Config, Mode};

use super::subjects::SchemaBody;
use super::{ApiResult, AppState, Body, Params, PathParams, VersionPath, reply};

/// `PUT /config` body: `compatibility` (Confluent also accepts `compatibilityLevel`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfigBody {
    #[serde(default)]
    compatibility: Option<String>,
    #[serde(default)]
    compatibility_level: Option<String>,
    #[serde(default)]
    normalize: Option<bool>,
    #[serde(default)]
    compatibility_policy: Option<String>,
}

/// `GET /config` answer: `compatibilityLevel`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJson {
    compatibility_level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compatibility_policy: Option<&'static str>,
}

/// `PUT /config` answer: echoes `compatibility`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigUpdateJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    compatibility: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compatibility_policy: Option<&'static str>,
}

fn config_json(c: &Config) -> ConfigJson {
    ConfigJson {
        compatibility_level: c.compatibility.unwrap_or(CompatibilityLevel::Backward).as_str(),
        normalize: c.normalize,
        compatibility_policy: c.compatibility_policy.map(CompatibilityPolicy::as_str),
    }
}

fn config_update(body: &ConfigBody) -> ApiResult<Config> {
    let level = body
        .compatibility
        .as_deref()
        .or(body.compatibility_level.as_deref())
        .map(parse_level)
        .transpose()?;
    let policy = body
        .compatibility_policy
        .as_deref()
        .map(str::parse::<CompatibilityPolicy>)
        .transpose()?;
    Ok(Config {
        compatibility: level,
        normalize: body.normalize,
        compatibility_policy: policy,
    })
}

async fn get_config_of(reg: &AppState, subject: Option<&str>, params: &Params) -> ApiResult {
    let config = reg
        .service()
        .config(subject, params.flag("defaultToGlobal"))
        .await?;
    Ok(reply(&config_json(&config)))
}

async fn put_config_of(reg: &AppState, subject: Option<&str>, body: &ConfigBody) -> ApiResult {
    let update = config_update(body)?;
    let stored = reg.service().set_config(subject, update).await?;
    Ok(reply(&ConfigUpdateJson {
        compatibility: stored.compatibility.map(CompatibilityLevel::as_str),
        normalize: stored.normalize,
        compatibility_policy: stored.compatibility_policy.map(CompatibilityPolicy::as_str),
    }))
}

async fn delete_config_of(reg: &AppState, subject: Option<&str>) -> ApiResult {
    let previous = reg.service().delete_config(subject).await?;
    Ok(reply(&config_json(&previous)))
}

pub(crate) async fn get_global_config(State(reg): State<AppState>, params: Params) -> ApiResult {
    get_config_of(&reg, None, &params).await
}
pub(crate) async fn put_global_config(
    State(reg): State<AppState>,
    Body(body): Body<ConfigBody>,
) -> ApiResult {
    put_config_of(&reg, None, &body).await
}
pub(crate) async fn delete_global_config(State(reg): State<AppState>) -> ApiResult {
    delete_config_of(&reg, None).await
}
pub(crate) async fn get_config(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    get_config_of(&reg, Some(&subject), &params).await
}
pub(crate) async fn put_config(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    Body(body): Body<ConfigBody>,
) -> ApiResult {
    put_config_of(&reg, Some(&subject), &body).await
}
pub(crate) async fn delete_config(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
) -> ApiResult {
    delete_config_of(&reg, Some(&subject)).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModeBody {
    #[serde(default)]
    mode: Option<String>,
}

#[derive(Serialize)]
struct ModeJson {
    mode: &'static str,
}

fn mode_reply(mode: Mode) -> axum::response::Response {
    reply(&ModeJson { mode: mode.as_str() })
}

async fn put_mode_of(reg: &AppState, subject: Option<&str>, body: &ModeBody, params: &Params) -> ApiResult {
    let mode: Mode = body.mode.as_deref().unwrap_or_default().parse()?;
    let set = reg
        .service()
        .set_mode(subject, mode, params.flag("force"))
        .await?;
    Ok(mode_reply(set))
}

pub(crate) async fn get_global_mode(State(reg): State<AppState>, params: Params) -> ApiResult {
    let mode = reg.service().mode(None, params.flag("defaultToGlobal")).await?;
    Ok(mode_reply(mode))
}
pub(crate) async fn put_global_mode(
    State(reg): State<AppState>,
    params: Params,
    Body(body): Body<ModeBody>,
) -> ApiResult {
    put_mode_of(&reg, None, &body, &params).await
}
pub(crate) async fn delete_global_mode(State(reg): State<AppState>) -> ApiResult {
    Ok(mode_reply(reg.service().delete_mode(None).await?))
}
pub(crate) async fn get_mode(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> ApiResult {
    let mode = reg
        .service()
        .mode(Some(&subject), params.flag("defaultToGlobal"))
        .await?;
    Ok(mode_reply(mode))
}
pub(crate) async fn put_mode(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    Body(body): Body<ModeBody>,
) -> ApiResult {
    put_mode_of(&reg, Some(&subject), &body, &params).await
}
pub(crate) async fn delete_mode(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
) -> ApiResult {
    Ok(mode_reply(reg.service().delete_mode(Some(&subject)).await?))
}

/// `{"is_compatible": bool}`, plus `messages` with `verbose=true`.
#[derive(Serialize)]
struct CompatibilityJson {
    is_compatible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<Vec<String>>,
}

fn compatibility_reply(messages: Vec<String>, verbose: bool) -> axum::response::Response {
    reply(&CompatibilityJson {
        is_compatible: messages.is_empty(),
        messages: verbose.then_some(messages),
    })
}

pub(crate) async fn check_all(
    State(reg): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    Body(body): Body<SchemaBody>,
) -> ApiResult {
    let input = body.input()?;
    let messages = reg
        .service()
        .check(&subject, None, &input, params.flag("normalize"))
        .await?;
    Ok(compatibility_reply(messages, params.flag("verbose")))
}

pub(crate) async fn check_version(
    State(reg): State<AppState>,
    VersionPath { subject, spec }: VersionPath,
    params: Params,
    Body(body): Body<SchemaBody>,
) -> ApiResult {
    let input = body.input()?;
    let messages = reg
        .service()
        .check(&subject, Some(spec), &input, params.flag("normalize"))
        .await?;
    Ok(compatibility_reply(messages, params.flag("verbose")))
}

pub(crate) async fn contexts(State(reg): State<AppState>) -> ApiResult {
    Ok(reply(&reg.service().contexts().await?))
}

/// `DELETE /contexts/{context}`: forgets an empty context (its context-level config and
/// mode); 42211 while any subject of it has a version, even soft-deleted. 204 on success.
pub(crate) async fn delete_context(
    State(reg): State<AppState>,
    PathParams(context): PathParams<String>,
) -> ApiResult {
    reg.service().delete_context(&context).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// Weir keeps no associations: every resource has none, so clients fall back to their
/// subject name strategy.
pub(crate) async fn associations(
    PathParams((_namespace, _topic)): PathParams<(String, String)>,
) -> ApiResult {
    Ok(reply(&Vec::<()>::new()))
}

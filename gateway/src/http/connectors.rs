//! Kafka Connect's `/connectors` resource. Handlers are thin: parse, call the runtime, shape
//! the answer with Kafka's status codes.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::Value as Json_;

use super::{ApiError, ApiJson, AppState};
use crate::config::connector_file::{json_config_map, json_scalar};
use crate::runtime::RuntimeError;
use crate::state::TargetState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/connectors", get(list).post(create))
        .route("/connectors/{name}", get(info).delete(delete))
        .route(
            "/connectors/{name}/config",
            get(get_config).put(put_config).patch(patch_config),
        )
        .route("/connectors/{name}/status", get(status))
        .route("/connectors/{name}/restart", post(restart))
        .route("/connectors/{name}/pause", put(pause))
        .route("/connectors/{name}/resume", put(resume))
        .route("/connectors/{name}/stop", put(stop))
        .route("/connectors/{name}/tasks", get(tasks))
        .route("/connectors/{name}/tasks/{task}/status", get(task_status))
        .route("/connectors/{name}/tasks/{task}/restart", post(restart_task))
        .route("/connectors/{name}/topics", get(topics))
        .route("/connectors/{name}/topics/reset", put(reset_topics))
        .route(
            "/connectors/{name}/offsets",
            get(offsets).patch(alter_offsets).delete(reset_offsets),
        )
}

type ApiResult<T = Response> = Result<T, ApiError>;

/// Kafka's boolean query parameters: `true` (any case) is true, anything else false.
fn flag(query: &HashMap<String, String>, key: &str) -> bool {
    query.get(key).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn config_map(value: &Json_) -> ApiResult<BTreeMap<String, String>> {
    json_config_map(value).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn task_id(name: &str, raw: &str) -> ApiResult<u32> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("Unknown task: {name}-{raw}")))
}

async fn list(State(s): State<AppState>, Query(query): Query<Vec<(String, String)>>) -> ApiResult {
    let expand: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "expand")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    if expand.is_empty() {
        return Ok(Json(s.runtime.names()).into_response());
    }
    let status = expand.contains(&"status");
    let info = expand.contains(&"info");
    Ok(Json(s.runtime.expanded(status, info)?).into_response())
}

async fn create(State(s): State<AppState>, ApiJson(body): ApiJson<Json_>) -> ApiResult {
    let config_value = body.get("config").ok_or_else(|| {
        ApiError::bad_request("Connector config is missing: expected {\"name\": .., \"config\": {..}}")
    })?;
    let mut config = config_map(config_value)?;
    let name = match body.get("name") {
        Some(Json_::String(n)) => n.trim().to_owned(),
        Some(Json_::Null) | None => config
            .get("name")
            .map(|n| n.trim().to_owned())
            .unwrap_or_default(),
        Some(_) => return Err(ApiError::bad_request("name: must be a string")),
    };
    if name.is_empty() {
        return Err(ApiError::bad_request("Connector name is missing: give \"name\""));
    }
    if let Some(in_config) = config.get("name")
        && in_config.trim() != name
    {
        return Err(ApiError::bad_request(format!(
            "Connector name configuration ({in_config}) doesn't match connector name in the request ({name})"
        )));
    }
    config.insert("name".to_owned(), name.clone());
    let initial = match body.get("initial_state").and_then(Json_::as_str) {
        None => None,
        Some("RUNNING") => Some(TargetState::Running),
        Some("PAUSED") => Some(TargetState::Paused),
        Some("STOPPED") => Some(TargetState::Stopped),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "initial_state: {other:?} is not one of RUNNING, PAUSED, STOPPED"
            )));
        }
    };
    s.runtime.create(&name, config, initial).await?;
    Ok((StatusCode::CREATED, Json(s.runtime.info(&name)?)).into_response())
}

async fn info(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.runtime.info(&name)?).into_response())
}

async fn delete(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    s.runtime.delete(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn get_config(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.runtime.config(&name)?).into_response())
}

async fn put_config(
    State(s): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Json_>,
) -> ApiResult {
    let config = config_map(&body)?;
    let created = s.runtime.put_config(&name, config).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(s.runtime.info(&name)?)).into_response())
}

async fn patch_config(
    State(s): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Json_>,
) -> ApiResult {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("the config patch must be a JSON object"))?;
    let mut patch = BTreeMap::new();
    for (k, v) in object {
        let v = json_scalar(v).map_err(|_| {
            ApiError::bad_request(format!("{k}: must be a string, a number, a boolean or null"))
        })?;
        patch.insert(k.clone(), v);
    }
    s.runtime.patch_config(&name, patch).await?;
    Ok(Json(s.runtime.info(&name)?).into_response())
}

async fn status(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.runtime.status(&name)?).into_response())
}

async fn restart(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let include_tasks = flag(&query, "includeTasks");
    let only_failed = flag(&query, "onlyFailed");
    s.runtime.restart(&name, include_tasks, only_failed).await?;
    if !include_tasks && !only_failed {
        // Kafka keeps the old answer for a plain restart: 204 without a body.
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok((StatusCode::ACCEPTED, Json(s.runtime.status(&name)?)).into_response())
}

async fn set_target(s: &AppState, name: &str, target: TargetState) -> ApiResult {
    s.runtime.set_target(name, target).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn pause(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    set_target(&s, &name, TargetState::Paused).await
}

async fn resume(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    set_target(&s, &name, TargetState::Running).await
}

async fn stop(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    set_target(&s, &name, TargetState::Stopped).await
}

async fn tasks(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.runtime.tasks(&name)?).into_response())
}

async fn task_status(State(s): State<AppState>, Path((name, task)): Path<(String, String)>) -> ApiResult {
    if !s.runtime.exists(&name) {
        return Err(RuntimeError::NotFound(name).into());
    }
    let id = task_id(&name, &task)?;
    Ok(Json(s.runtime.task_status(&name, id)?).into_response())
}

async fn restart_task(State(s): State<AppState>, Path((name, task)): Path<(String, String)>) -> ApiResult {
    if !s.runtime.exists(&name) {
        return Err(RuntimeError::NotFound(name).into());
    }
    let id = task_id(&name, &task)?;
    s.runtime.restart_task(&name, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn topics(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.runtime.topics(&name).await?).into_response())
}

async fn reset_topics(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    s.runtime.reset_topics(&name).await?;
    Ok(StatusCode::OK.into_response())
}

async fn offsets(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.runtime.offsets(&name).await?).into_response())
}

async fn alter_offsets(
    State(s): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Json_>,
) -> ApiResult {
    Ok(Json(s.runtime.alter_offsets(&name, &body).await?).into_response())
}

async fn reset_offsets(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.runtime.reset_offsets(&name).await?).into_response())
}

//! `/connector-plugins`: the plugin table, each plugin's keys, and config validation in Kafka
//! Connect's `ConfigInfos` shape.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{Value as Json_, json};

use super::{ApiError, ApiJson, AppState};
use crate::config::connector_file::json_config_map;
use crate::plugins::{self, PLUGINS};
use crate::runtime::validate::{plugin_keys_json, validate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/connector-plugins", get(list))
        .route("/connector-plugins/{plugin}/config", get(keys))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(validate_config),
        )
}

async fn list() -> Response {
    let list: Vec<Json_> = PLUGINS
        .iter()
        .map(|p| json!({"class": p.class, "type": p.connector_type().as_str(), "version": p.version}))
        .collect();
    Json(list).into_response()
}

async fn keys(Path(plugin): Path<String>) -> Result<Response, ApiError> {
    let p = plugins::find(&plugin).ok_or_else(|| ApiError::not_found(format!("Unknown plugin {plugin}.")))?;
    Ok(Json(plugin_keys_json(p)).into_response())
}

async fn validate_config(
    State(_s): State<AppState>,
    Path(plugin): Path<String>,
    ApiJson(body): ApiJson<Json_>,
) -> Result<Response, ApiError> {
    let mut config = json_config_map(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let p = plugins::find(&plugin)
        .ok_or_else(|| ApiError::bad_request(plugins::unknown_class_message(&plugin)))?;
    match config.get("connector.class").map(|c| c.trim().to_owned()) {
        Some(included) if !p.is_named(&included) => {
            return Err(ApiError::bad_request(format!(
                "Included connector type {included} does not match request type {plugin}"
            )));
        }
        Some(_) => {}
        None => {
            config.insert("connector.class".to_owned(), plugin.clone());
        }
    }
    Ok(Json(validate(&config).to_config_infos(p.class)).into_response())
}

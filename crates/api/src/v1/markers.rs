//! `/api/v1/markers`: where the user stopped reading.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::Mapper;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use roost_core::Id;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
pub struct GetParams {
    #[serde(default, deserialize_with = "de::strings")]
    timeline: Vec<String>,
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<GetParams>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("read:statuses")?;
    let markers = st.roost.markers(me.id, &p.timeline).await?;
    let m = Mapper::new(&st.roost.cfg);
    let mut out = Map::new();
    for mk in &markers {
        out.insert(
            mk.timeline.clone(),
            serde_json::to_value(m.marker(mk)).unwrap_or(Value::Null),
        );
    }
    Ok(Json(Value::Object(out)))
}

#[derive(Deserialize)]
pub struct Position {
    #[serde(default, deserialize_with = "de::opt_id")]
    last_read_id: Option<Id>,
}

#[derive(Deserialize)]
pub struct PostParams {
    home: Option<Position>,
    notifications: Option<Position>,
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<PostParams>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("write:statuses")?;
    let wanted: Vec<(&str, Id)> = [("home", &p.home), ("notifications", &p.notifications)]
        .into_iter()
        .filter_map(|(name, pos)| {
            pos.as_ref()
                .and_then(|x| x.last_read_id)
                .map(|id| (name, id))
        })
        .collect();
    if wanted.is_empty() {
        return Err(ApiError::Unprocessable(
            "Validation failed: give home[last_read_id] or notifications[last_read_id]".into(),
        ));
    }
    let m = Mapper::new(&st.roost.cfg);
    let mut out = Map::new();
    for (name, id) in wanted {
        let mk = st.roost.set_marker(me.id, name, id).await?;
        out.insert(
            name.to_string(),
            serde_json::to_value(m.marker(&mk)).unwrap_or(Value::Null),
        );
    }
    Ok(Json(Value::Object(out)))
}

//! `GET /api/v1/custom_emojis`: the region's emoji for pickers, from the in-memory
//! catalogue (no query). As Mastodon's `listed` scope: hidden ones are left out here but
//! still named in the `emojis` of the posts and profiles that use them.

use crate::wire::{CustomEmoji, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::Json;

pub async fn get(State(st): State<AppState>) -> Json<Vec<CustomEmoji>> {
    let mapper = Mapper::new(&st.roost.cfg);
    let set = st.roost.custom_emojis();
    Json(
        set.all()
            .iter()
            .filter(|e| e.visible_in_picker)
            .map(|e| mapper.custom_emoji(e))
            .collect(),
    )
}

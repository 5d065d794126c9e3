//! `/settings/profile`: display name, bio, fields, pictures, whether follows need approval
//! and whether public posts are searchable — the same rules as the API's
//! `update_credentials`.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::Viewer;
use crate::statuses::back_with;
use crate::upload::WebUpload;
use crate::WebState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use roost_core::media::MediaRole;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    username: String,
    display_name: String,
    note: String,
    locked: bool,
    /// Public posts may be found by full-text search (Mastodon's `indexable`).
    indexable: bool,
    /// Four (name, value) rows, empty ones included, for the form.
    fields: Vec<(usize, String, String)>,
    avatar: String,
}

pub async fn get(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let me = viewer.require("/settings/profile")?;
    render(
        &viewer,
        &SettingsPage {
            layout: Layout::new(&st, &viewer, "Edit profile").current("profile"),
            username: me.username.clone(),
            display_name: me.display_name.clone(),
            note: me.note_source.clone(),
            locked: me.locked,
            indexable: st.roost.indexable(me.id).await?,
            fields: (0..roost_core::usecase::MAX_FIELDS)
                .map(|i| match me.fields.get(i) {
                    Some(f) => (i, f.name.clone(), f.value_source.clone()),
                    None => (i, String::new(), String::new()),
                })
                .collect(),
            avatar: crate::view::avatar_url(&st.roost, me),
        },
    )
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    note: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    locked: Option<String>,
    #[serde(default)]
    indexable: Option<String>,
    #[serde(default)]
    field_name0: String,
    #[serde(default)]
    field_value0: String,
    #[serde(default)]
    field_name1: String,
    #[serde(default)]
    field_value1: String,
    #[serde(default)]
    field_name2: String,
    #[serde(default)]
    field_value2: String,
    #[serde(default)]
    field_name3: String,
    #[serde(default)]
    field_value3: String,
}

pub async fn post(
    State(st): State<WebState>,
    viewer: Viewer,
    mut up: WebUpload<ProfileForm>,
) -> Result<Response, WebError> {
    let me = viewer.require("/settings/profile")?;
    viewer.check_csrf(&up.form.csrf)?;
    for (field, role) in [("avatar", MediaRole::Avatar), ("header", MediaRole::Header)] {
        if let Some(bytes) = up.take(field) {
            match st.roost.set_profile_picture(me, role, bytes).await {
                Ok(()) => {}
                Err(e @ roost_core::CoreError::TooLarge(_)) => return Err(e.into()),
                Err(e) => {
                    return back_with(&viewer, Err(e), "/settings/profile")
                        .map(IntoResponse::into_response)
                }
            }
        }
    }
    let f = up.form;
    let fields = vec![
        (f.field_name0, f.field_value0),
        (f.field_name1, f.field_value1),
        (f.field_name2, f.field_value2),
        (f.field_name3, f.field_value3),
    ];
    if let Err(e) = st.roost.set_profile_fields(me, fields).await {
        return back_with(&viewer, Err::<&str, _>(e), "/settings/profile")
            .map(IntoResponse::into_response);
    }
    if let Err(e) = st.roost.set_indexable(me.id, f.indexable.is_some()).await {
        return back_with(&viewer, Err::<&str, _>(e), "/settings/profile")
            .map(IntoResponse::into_response);
    }
    let result = st
        .roost
        .update_profile(
            me,
            Some(f.display_name),
            Some(f.note),
            Some(f.locked.is_some()),
            None,
            None,
        )
        .await
        .map(|_| "Profile saved.");
    back_with(&viewer, result, "/settings/profile").map(IntoResponse::into_response)
}

//! `POST /statuses` (post, comment, repost with your words), `POST /statuses/ID/ACTION`
//! (like, reblog, bookmark, their undoing, delete) and `GET /statuses/ID` (to the post's
//! page). Forms come back to the page they were sent from, with a message on refusal.

use crate::error::WebError;
use crate::session::{flash_cookie, local_path, Flash, Viewer, WebForm};
use crate::upload::WebUpload;
use crate::WebState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use roost_core::model::Visibility;
use roost_core::usecase::{PollRequest, PostStatus, Upload};
use roost_core::{CoreError, CoreResult, Id};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub back: String,
}

/// Back to `back` with a message: refusals a user can act on (too long, not allowed by
/// policy...) come back as a message on the page; anything else is an error page.
pub fn back_with(
    viewer: &Viewer,
    result: CoreResult<&str>,
    back: &str,
) -> Result<impl IntoResponse, WebError> {
    let flash = match result {
        Ok(msg) => Flash {
            error: false,
            text: msg.to_string(),
        },
        Err(
            CoreError::Validation(m)
            | CoreError::Forbidden(m)
            | CoreError::PolicyDenied(m)
            | CoreError::Conflict(m)
            | CoreError::Unavailable(m)
            | CoreError::NotNow(m),
        ) => Flash {
            error: true,
            text: m,
        },
        Err(e) => return Err(e.into()),
    };
    Ok(([flash_cookie(&flash, viewer.secure)], Redirect::to(back)))
}

/// The web form has no language picker: name the language when the script gives it
/// away, so browsers pick the right fonts (`lang` on the post) for CJK text.
fn guess_language(text: &str) -> Option<&'static str> {
    let mut han = false;
    for c in text.chars() {
        match c {
            '\u{3040}'..='\u{30ff}' => return Some("ja"),
            '\u{ac00}'..='\u{d7af}' | '\u{1100}'..='\u{11ff}' => return Some("ko"),
            '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' => han = true,
            _ => {}
        }
    }
    han.then_some("zh")
}

fn parse_id(s: &str) -> Option<Id> {
    s.parse().ok()
}

#[derive(Deserialize)]
pub struct ComposeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    in_reply_to_id: String,
    #[serde(default)]
    quote_of_id: String,
    #[serde(default)]
    spoiler_text: String,
    #[serde(default)]
    poll_option1: String,
    #[serde(default)]
    poll_option2: String,
    #[serde(default)]
    poll_option3: String,
    #[serde(default)]
    poll_option4: String,
    #[serde(default)]
    poll_duration: String,
    #[serde(default)]
    poll_multiple: String,
    /// Descriptions of the pictures `media1`..`media4`.
    #[serde(default)]
    alt1: String,
    #[serde(default)]
    alt2: String,
    #[serde(default)]
    alt3: String,
    #[serde(default)]
    alt4: String,
}

impl ComposeForm {
    /// The poll section: absent when no choice was typed; the use case checks the rest.
    fn poll(&self) -> Option<PollRequest> {
        let options: Vec<String> = [
            &self.poll_option1,
            &self.poll_option2,
            &self.poll_option3,
            &self.poll_option4,
        ]
        .iter()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect();
        if options.is_empty() {
            return None;
        }
        Some(PollRequest {
            options,
            expires_in: Some(self.poll_duration.trim().parse().unwrap_or(86_400)),
            multiple: !self.poll_multiple.is_empty(),
            hide_totals: false,
        })
    }
}

/// The pictures of a compose form, uploaded (each with its description) in order.
async fn upload_pictures(
    st: &WebState,
    me: &roost_core::model::Account,
    up: &mut WebUpload<ComposeForm>,
) -> CoreResult<Vec<Id>> {
    let alts = [
        up.form.alt1.clone(),
        up.form.alt2.clone(),
        up.form.alt3.clone(),
        up.form.alt4.clone(),
    ];
    let mut ids = Vec::new();
    for (i, alt) in alts.into_iter().enumerate() {
        let Some(bytes) = up.take(&format!("media{}", i + 1)) else {
            continue;
        };
        let m = st
            .roost
            .upload_media(
                me,
                Upload {
                    bytes,
                    description: Some(alt).filter(|a| !a.trim().is_empty()),
                    focus: None,
                },
                None,
            )
            .await?;
        ids.push(m.attachment.id);
    }
    if !up.files.is_empty() {
        return Err(CoreError::Validation(
            "At most 4 pictures, in the four picture fields.".into(),
        ));
    }
    Ok(ids)
}

pub async fn create(
    State(st): State<WebState>,
    viewer: Viewer,
    mut up: WebUpload<ComposeForm>,
) -> Result<Response, WebError> {
    let media_ids = {
        let back = local_path(&up.form.back, "/home");
        let me = viewer.require(&back)?;
        viewer.check_csrf(&up.form.csrf)?;
        match upload_pictures(&st, me, &mut up).await {
            Ok(ids) => ids,
            Err(e @ CoreError::TooLarge(_)) => return Err(e.into()),
            Err(e) => return back_with(&viewer, Err(e), &back).map(IntoResponse::into_response),
        }
    };
    let f = up.form;
    let back = local_path(&f.back, "/home");
    let me = viewer.require(&back)?;
    viewer.check_csrf(&f.csrf)?;
    let optional_id = |s: &str| -> Result<Option<Id>, WebError> {
        if s.is_empty() {
            Ok(None)
        } else {
            parse_id(s).map(Some).ok_or(WebError::NotFound)
        }
    };
    let in_reply_to_id = optional_id(&f.in_reply_to_id)?;
    let quoted_status_id = optional_id(&f.quote_of_id)?;
    let visibility = match f.visibility.as_str() {
        "" => None,
        v => Some(
            Visibility::parse(v)
                .ok_or_else(|| WebError::BadRequest(format!("Unknown visibility {v:?}.")))?,
        ),
    };
    let language = guess_language(&f.text).map(String::from);
    let poll = f.poll();
    let req = PostStatus {
        poll,
        language,
        text: f.text,
        in_reply_to_id,
        quoted_status_id,
        visibility,
        spoiler_text: Some(f.spoiler_text).filter(|s| !s.is_empty()),
        media_ids,
        ..Default::default()
    };
    let msg = if in_reply_to_id.is_some() {
        "Comment posted."
    } else if quoted_status_id.is_some() {
        "Reposted with your words."
    } else {
        "Posted."
    };
    let result = st.roost.post_status(me, req).await.map(|_| msg);
    back_with(&viewer, result, &back).map(IntoResponse::into_response)
}

pub async fn act(
    State(st): State<WebState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id).ok_or(WebError::NotFound)?;
    let back = local_path(&f.back, "/home");
    let me = viewer.require(&back)?;
    viewer.check_csrf(&f.csrf)?;
    let r = &st.roost;
    let result = match action.as_str() {
        "like" => r.favourite(id, me).await.map(|_| "Liked."),
        "unlike" => r.unfavourite(id, me).await.map(|_| "Like removed."),
        "reblog" => r.reblog(id, me, None).await.map(|_| "Reblogged."),
        "unreblog" => r.unreblog(id, me).await.map(|_| "Reblog undone."),
        "bookmark" => r.bookmark(id, me).await.map(|_| "Bookmarked."),
        "unbookmark" => r.unbookmark(id, me).await.map(|_| "Bookmark removed."),
        "delete" => {
            // The post's own page is gone: go to the author's profile.
            let done = r.delete_status(id, me).await.map(|_| "Deleted.");
            return back_with(&viewer, done, &format!("/@{}", me.username))
                .map(IntoResponse::into_response);
        }
        _ => return Err(WebError::NotFound),
    };
    back_with(&viewer, result, &back).map(IntoResponse::into_response)
}

/// `GET /statuses/ID`: the post's page, wherever its author lives.
pub async fn show(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id).ok_or(WebError::NotFound)?;
    let me = viewer.account.as_ref().map(|a| a.id);
    let v = st.roost.status(id, me).await?;
    Ok(Redirect::to(&format!("/@{}/{}", st.roost.acct(&v.account), v.status.id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::guess_language;

    #[test]
    fn scripts_name_their_language() {
        assert_eq!(guess_language("你好 #中文"), Some("zh"));
        assert_eq!(guess_language("こんにちは 世界"), Some("ja"));
        assert_eq!(guess_language("안녕하세요"), Some("ko"));
        assert_eq!(guess_language("hello"), None);
    }
}

/// The vote form of a poll card: a radio `choice=N`, or checkboxes `choiceN=on` (distinct
/// names, as a plain form cannot repeat a key here).
#[derive(Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    choice: Option<String>,
    #[serde(default)]
    choice0: Option<String>,
    #[serde(default)]
    choice1: Option<String>,
    #[serde(default)]
    choice2: Option<String>,
    #[serde(default)]
    choice3: Option<String>,
}

pub async fn vote(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    WebForm(f): WebForm<VoteForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id).ok_or(WebError::NotFound)?;
    let back = local_path(&f.back, "/home");
    let me = viewer.require(&back)?;
    viewer.check_csrf(&f.csrf)?;
    let mut choices: Vec<u32> = f
        .choice
        .iter()
        .map(|c| c.trim().parse().unwrap_or(u32::MAX))
        .collect();
    for (i, c) in [&f.choice0, &f.choice1, &f.choice2, &f.choice3]
        .into_iter()
        .enumerate()
    {
        if c.is_some() {
            choices.push(i as u32);
        }
    }
    let result = st.roost.vote(id, me, &choices).await.map(|_| "Voted.");
    back_with(&viewer, result, &back).map(IntoResponse::into_response)
}
